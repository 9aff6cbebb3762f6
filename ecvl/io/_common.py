"""Helpers shared by the readers and writers: atomic writes and error wrapping."""

import contextlib
import os
import stat

from _deephealth import atomic as _atomic

from ..core.errors import EcvlError, ImageIOError, short

__all__ = ["atomic_path", "reading", "check_readable", "lower_ext", "short"]


def lower_ext(filename):
    """Lower-case extension of `filename`, with ``.nii.gz`` kept whole."""
    name = os.fspath(filename).lower()
    if name.endswith(".nii.gz"):
        return ".nii.gz"
    return os.path.splitext(name)[1]


def check_readable(filename):
    """Raise ImageIOError unless `filename` names an existing regular file; return its str."""
    path = os.fspath(filename)
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        raise ImageIOError(path, "file does not exist") from None
    if stat.S_ISDIR(mode):
        raise ImageIOError(path, "is a directory, not a file")
    return path


class reading:
    """Context manager turning any failure inside its block into an ImageIOError naming the file.

    A class rather than a ``@contextmanager`` generator: a ``StopIteration`` raised by a decoder
    must become an ImageIOError too, and contextlib re-raises it as itself (PEP 479 handling),
    where it would silently end any ``map`` or generator the read runs in.
    """

    __slots__ = ("filename", "what")

    def __init__(self, filename, what):
        self.filename = filename
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if e is None or isinstance(e, ImageIOError) or not isinstance(e, Exception):
            return False  # KeyboardInterrupt and SystemExit pass through unchanged
        if isinstance(e, EcvlError):
            raise ImageIOError(self.filename, f"{self.what}: {short(e)}") from e
        if isinstance(e, MemoryError):
            raise ImageIOError(self.filename, f"{self.what}: not enough memory (corrupt size "
                                              "fields?)") from e
        msg = str(e) or type(e).__name__  # the decoders raise many unrelated types
        raise ImageIOError(self.filename, f"{self.what} failed ({type(e).__name__}: "
                                          f"{short(' '.join(msg.split()))})") from e


@contextlib.contextmanager
def atomic_path(filename, suffix=None):
    """Yield a temporary path beside `filename`; move it into place only on success.

    On any error the temporary file is removed and `filename` is left untouched; the
    written file follows the user's umask. `suffix` defaults to the destination's
    extension, for writers that pick the format from it.
    """
    path = os.fspath(filename)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ImageIOError(path, f"folder {folder} does not exist")
    with _atomic.atomic_path(path, lower_ext(path) if suffix is None else suffix) as tmp:
        yield tmp
