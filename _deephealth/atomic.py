"""Atomic file output: a file appears complete at its destination or not at all."""

import contextlib
import os
import re
import time
import uuid

__all__ = ["atomic_path", "remove_stale"]

# ".<destination name>.<32 hex digits>.tmp<suffix>": the names atomic_path gives, and only them
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{32}\.tmp(\.[A-Za-z0-9.]{1,16})?\Z", re.S)


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


def remove_stale(folder, older_than=0.0):
    """Remove the temporaries :func:`atomic_path` left in ``folder`` when a process was killed.

    Only regular files named as :func:`atomic_path` names its temporaries are touched, and
    only those last modified more than ``older_than`` seconds ago (a writer still running in
    another process keeps its file recent). Sub-folders are not searched.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder; a missing one is ignored.
    older_than : float, optional
        Minimum age in seconds (default 0: every temporary of ours).

    Returns
    -------
    list of str
        The paths removed.
    """
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        if not _TEMP_NAME.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and \
                    now - entry.stat(follow_symlinks=False).st_mtime >= older_than:
                os.remove(entry.path)
                removed.append(entry.path)
        except FileNotFoundError:
            continue  # removed meanwhile (its writer finished)
    return removed
