"""Reading ``.npy``/``.npz`` files that may be corrupt or hostile, with one error type.

NumPy allocates the array an ``.npy`` header announces before reading it, and its errors on
damaged files range over ``zipfile.BadZipFile``, ``ValueError``, ``EOFError``, ``KeyError``
and more, often without the file name. Here every header is checked against the bytes the
file (or zip member) really holds and against :func:`set_max_load_bytes` before anything is
allocated, and any failure becomes one :class:`TensorFormatError` naming the file, with the
original exception chained. Pickles are never loaded.
"""

import math
import os
import threading
import zipfile

import numpy as np

from _deephealth.messages import one_line

from ._checks import TensorFormatError

__all__ = ["get_max_load_bytes", "set_max_load_bytes", "load_npy", "load_npz", "reading",
           "check_load_size"]

# zip members are deflated at most: 258-byte matches in >= 2 bits give 1032:1
_MAX_DEFLATE_RATIO = 1032
_lock = threading.Lock()
_max_bytes = [16 * 2 ** 30]


def get_max_load_bytes():
    """Most bytes one array read from a file may take (default 16 GiB).

    Examples
    --------
    >>> from eddl.tensor import safeload
    >>> safeload.get_max_load_bytes() > 0
    True
    """
    return _max_bytes[0]


def set_max_load_bytes(nbytes):
    """Change the most bytes one array read from a file may take; returns the previous value.

    Parameters
    ----------
    nbytes : int
        Positive limit, for the whole process.

    Returns
    -------
    int
        The previous limit.

    Examples
    --------
    >>> from eddl.tensor import safeload
    >>> old = safeload.set_max_load_bytes(2 ** 30)
    >>> _ = safeload.set_max_load_bytes(old)
    """
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 1:
        raise ValueError(f"the load limit must be a positive integer, got {nbytes!r}")
    with _lock:
        old, _max_bytes[0] = _max_bytes[0], nbytes
    return old



class reading:
    """Context manager: any failure inside becomes a TensorFormatError naming ``filename``.

    A missing file stays :class:`FileNotFoundError`, and exceptions of the ``passthrough``
    types (errors in the caller's arguments) stay as they are; interrupts pass through.
    """

    __slots__ = ("filename", "what", "passthrough")

    def __init__(self, filename, what, passthrough=()):
        self.filename = os.fspath(filename)
        self.what = what
        self.passthrough = (FileNotFoundError,) + tuple(passthrough)

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if e is None or not isinstance(e, Exception) or isinstance(e, self.passthrough):
            return False
        if isinstance(e, TensorFormatError):
            if self.filename in str(e):
                return False
            raise TensorFormatError(f"{self.filename}: {one_line(e)}") from e
        if isinstance(e, MemoryError):
            raise TensorFormatError(f"{self.filename}: {self.what}: not enough memory") from e
        raise TensorFormatError(f"{self.filename}: {self.what} ({type(e).__name__}: "
                                f"{one_line(e) or 'no detail'})") from e


def check_load_size(filename, nbytes, available, what="array", kind=""):
    """Raise TensorFormatError if ``nbytes`` passes the limit or the ``available`` bytes."""
    if nbytes > available:
        lead = f"not a readable {kind} file: " if kind else ""
        raise TensorFormatError(f"{filename}: {lead}truncated or corrupt {what}: its header "
                                f"announces {nbytes} bytes, {available} are there")
    if nbytes > get_max_load_bytes():
        raise TensorFormatError(f"{filename}: {what} of {nbytes} bytes is over the load limit of "
                                f"{get_max_load_bytes()} (eddl.tensor.safeload.set_max_load_bytes)")


def _check_npy_header(fp, filename, available, what, kind):
    """Read an ``.npy`` header from ``fp`` and check it against the bytes that follow."""
    fmt = np.lib.format
    start = fp.tell()
    version = fmt.read_magic(fp)
    read = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
    if read is None:
        raise TensorFormatError(f"{filename}: {what} has .npy format version {version}, "
                                "not 1.0 or 2.0")
    shape, _, dtype = read(fp)
    if dtype.hasobject:
        raise TensorFormatError(f"{filename}: {what} holds Python objects, which are never "
                                "loaded (pickle)")
    nbytes = math.prod(shape) * dtype.itemsize
    check_load_size(filename, nbytes, available - (fp.tell() - start), what, kind)


def load_npy(filename):
    """Load an ``.npy`` file after checking its header against its size."""
    filename = os.fspath(filename)
    with reading(filename, "not a readable .npy file"):
        with open(filename, "rb") as fp:
            _check_npy_header(fp, filename, os.fstat(fp.fileno()).st_size, ".npy data", ".npy")
        return np.load(filename, allow_pickle=False)


def load_npz(filename):
    """Load every array of an ``.npz`` file into a dict, checking each member first.

    Returns
    -------
    dict
        Array name (without ``.npy``) -> array, in the file's order.
    """
    filename = os.fspath(filename)
    with reading(filename, "not a readable .npz file"):
        out = {}
        with zipfile.ZipFile(filename) as zf:
            for info in zf.infolist():
                name = info.filename
                if not name.endswith(".npy"):
                    raise TensorFormatError(f"{filename}: member {one_line(repr(name))} is not an "
                                            ".npy array")
                if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024:
                    raise TensorFormatError(f"{filename}: member {one_line(repr(name))} claims "
                                            f"{info.file_size} bytes from {info.compress_size}")
                with zf.open(info) as m:
                    _check_npy_header(m, filename, info.file_size, f"member {one_line(repr(name))}",
                                      ".npz")
                with zf.open(info) as m:
                    out[name[:-4]] = np.lib.format.read_array(m, allow_pickle=False)
        return out
