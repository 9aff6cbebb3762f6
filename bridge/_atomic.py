"""Atomic file output shared by the training and prediction commands."""

import contextlib
import os

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path beside ``path``; move it into place only on success.

    The temporary file sits in the destination folder, so the final :func:`os.replace` is
    atomic and readers never see half a file; on any error it is removed and ``path`` is left
    as it was. Files are created by the writer with the user's umask (unlike ``mkstemp``).
    ``suffix`` is appended for writers that choose the format from the extension.
    """
    tmp = f"{path}.tmp{os.getpid()}{suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
