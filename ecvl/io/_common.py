"""Helpers shared by the readers and writers: atomic writes and error wrapping."""

import contextlib
import os
import stat

from _deephealth import atomic as _atomic
from ..core.errors import EcvlError, ImageIOError

__all__ = ["atomic_path", "reading", "check_readable", "lower_ext"]


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


@contextlib.contextmanager
def reading(filename, what):
    """Turn any failure inside the block into an ImageIOError naming `filename`."""
    try:
        yield
    except ImageIOError:
        raise
    except EcvlError as e:
        raise ImageIOError(filename, f"{what}: {e}") from e
    except MemoryError as e:
        raise ImageIOError(filename, f"{what}: not enough memory (corrupt size fields?)") from e
    except Exception as e:  # the decoders raise many unrelated types on corrupt input
        msg = str(e) or type(e).__name__
        raise ImageIOError(filename, f"{what} failed ({type(e).__name__}: {msg})") from e


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
