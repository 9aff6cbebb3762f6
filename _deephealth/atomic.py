"""Atomic file output: a file appears complete at its destination or not at all."""

import contextlib
import os
import uuid

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path beside ``path``; move it into place only on success.

    The temporary file sits in the destination folder, so the final :func:`os.replace` is
    atomic and readers never see half a file; on any error it is removed and ``path`` is left
    as it was. The caller's writer creates the file, so it gets the user's umask (``mkstemp``
    would force mode 0600). The name is unique per call, so threads and processes writing
    the same destination never share a temporary. ``suffix`` is appended for writers that
    choose the format from the extension.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
