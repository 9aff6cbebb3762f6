"""The errors of a failed download: which URL, why, and where the file can be put by hand."""

__all__ = ["DownloadError", "ChecksumError"]


class DownloadError(OSError):
    """A file could not be downloaded (offline, HTTP error, too large, interrupted, refused).

    The message names the URL and the reason, and says exactly where to put the file by hand
    so that the next call uses it without the network.

    Attributes
    ----------
    url : str
        The URL that failed.
    path : str
        Where the file is expected: putting it there by hand makes it available offline.
    reason : str
        What went wrong, in a few words.
    """

    def __init__(self, url, path, reason, *, cwd_name=None):
        self.url, self.path, self.reason = url, path, reason
        where = f"put the file at {path}"
        if cwd_name:
            where += f" (or as {cwd_name} in the current folder)"
        super().__init__(f"could not download {url}: {reason}. To use it offline, {where}")

    def __reduce__(self):
        # OSError pickles its args, not ours: keep the attributes across processes
        return (_rebuild, (type(self), self.url, self.path, self.reason, str(self)))


class ChecksumError(DownloadError):
    """A downloaded file's SHA-256 differs from the one expected; the file was discarded."""


def _rebuild(cls, url, path, reason, message):
    err = cls.__new__(cls)
    OSError.__init__(err, message)
    err.url, err.path, err.reason = url, path, reason
    return err
