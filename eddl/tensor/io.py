"""Saving and loading tensors: EDDL ``.bin``, NumPy ``.npy``/``.npz``, text, ONNX TensorProto.

The ``.bin`` layout is EDDL's: little-endian int32 ``ndim``, int32 ``shape[ndim]``, then the
float32 data in C order, with no magic number. Every file is checked against its header
before any data is read, and files are written to a temporary name and renamed, so a failed
save never leaves a half-written file behind.
"""

import math
import os

import numpy as np

from _deephealth.atomic import atomic_path

from . import safeload
from ._base import TensorBase
from ._checks import TensorFormatError, as_dtype, native

__all__ = ["IOMixin", "read_bin", "read_bin_header", "write_bin"]

_MAX_NDIM = 64
_TEXT_DELIMITERS = {"csv": ",", "tsv": "\t", "txt": " "}


def _format(filename, fmt, op):
    fmt = (fmt or os.path.splitext(str(filename))[1].lstrip(".")).lower()
    if not fmt:
        raise ValueError(f"{op}: cannot infer the format of {filename!r}; pass format=")
    return fmt


def read_bin(filename, start_row=0, end_row=-1):
    """Read an EDDL ``.bin`` tensor file into a float32 array, rows ``[start_row, end_row)``.

    Raises
    ------
    TensorFormatError
        If the header is invalid or the data is shorter or longer than it announces.
    """
    with safeload.reading(filename, "unreadable .bin tensor file", (_RowRangeError,)):
        return _read_bin(os.fspath(filename), start_row, end_row)


class _RowRangeError(ValueError):
    """Rows asked of :func:`read_bin` outside the file's: the caller's error, not the file's."""


def read_bin_header(filename):
    """Check an EDDL ``.bin`` file's header against its size; return its shape.

    Reads only the header, so a large file is validated without loading it (a download, for
    example, is refused when it is a web page rather than a tensor).

    Raises
    ------
    TensorFormatError
        If the header is invalid or the data is shorter or longer than it announces.
    """
    with safeload.reading(filename, "unreadable .bin tensor file"):
        filename = os.fspath(filename)
        with open(filename, "rb") as f:
            return tuple(_bin_header(f, filename, os.path.getsize(filename)))


def _bin_header(f, filename, size):
    """Read and check the header at the start of the open file ``f``; return the shape list."""
    head = f.read(4)
    if len(head) < 4:
        raise TensorFormatError(f"{filename}: truncated .bin file ({size} bytes, no header)")
    ndim = int(np.frombuffer(head, "<i4")[0])
    if not 0 <= ndim <= _MAX_NDIM:
        raise TensorFormatError(f"{filename}: invalid .bin header: ndim {ndim} (expected "
                                f"0..{_MAX_NDIM}); not an EDDL tensor file?")
    raw = f.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise TensorFormatError(f"{filename}: truncated .bin header ({ndim} dims announced)")
    shape = [int(d) for d in np.frombuffer(raw, "<i4")]
    if any(d < 0 for d in shape):
        raise TensorFormatError(f"{filename}: invalid .bin header: negative shape {shape}")
    count = math.prod(shape)  # Python ints: a corrupt header cannot overflow
    found = size - 4 - 4 * ndim
    if found != 4 * count:
        kind = "truncated" if found < 4 * count else "corrupt (trailing bytes)"
        raise TensorFormatError(
            f"{filename}: {kind} .bin file: header says shape {tuple(shape)} = {4 * count} "
            f"bytes of float32 data, found {found}")
    return shape


def _read_bin(filename, start_row, end_row):
    size = os.path.getsize(filename)
    with open(filename, "rb") as f:
        shape = _bin_header(f, filename, size)
        ndim, offset, count = len(shape), 4 + 4 * len(shape), math.prod(shape)
        safeload.check_load_size(filename, 4 * count, 4 * count, ".bin data")
        if ndim == 0 or (start_row == 0 and end_row in (-1, shape[0])):
            return np.fromfile(f, "<f4", count).astype(np.float32, copy=False).reshape(shape)
        rows = shape[0]
        stop = rows if end_row == -1 else end_row
        if not 0 <= start_row < stop <= rows:
            raise _RowRangeError(f"{filename}: rows [{start_row}, {end_row}) out of range for "
                             f"{rows} rows")
        stride = count // rows if rows else 0
        f.seek(offset + 4 * stride * start_row)
        data = np.fromfile(f, "<f4", stride * (stop - start_row))
        return data.astype(np.float32, copy=False).reshape([stop - start_row] + shape[1:])


def _atomic_write(filename, write):
    with atomic_path(filename) as tmp, open(tmp, "xb") as f:
        write(f)


def write_bin(f, arr):
    """Write ``arr`` (converted to float32) to the open binary file ``f`` in EDDL layout."""
    if arr.ndim > _MAX_NDIM:
        raise ValueError(f"save: .bin supports at most {_MAX_NDIM} dimensions")
    if any(d > np.iinfo(np.int32).max for d in arr.shape):
        raise ValueError(f"save: shape {arr.shape} does not fit the .bin int32 header")
    f.write(np.asarray([arr.ndim, *arr.shape], "<i4").tobytes())
    f.write(np.ascontiguousarray(arr, "<f4").tobytes())


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as e:
        raise ImportError("ONNX tensor conversion needs the 'onnx' package "
                          "(pip install onnx)") from e
    return onnx, numpy_helper


class IOMixin(TensorBase):
    """``save``/``load``, ``load_partial`` and ONNX TensorProto conversion."""

    def save(self, filename, format=""):
        """Save to ``filename``; the format comes from the extension unless ``format`` is set.

        Parameters
        ----------
        filename : str or os.PathLike
        format : {"", "bin", "npy", "npz", "csv", "tsv", "txt"}
            ``bin`` is EDDL's float32 layout (other dtypes are converted to float32); ``npy``
            and ``npz`` keep the dtype; the text formats need a 2-D tensor.
        """
        fmt = _format(filename, format, "save")
        arr = np.asarray(self.numpy())
        if fmt == "bin":
            _atomic_write(filename, lambda f: write_bin(f, arr))
        elif fmt == "npy":
            _atomic_write(filename, lambda f: np.save(f, arr, allow_pickle=False))
        elif fmt == "npz":
            _atomic_write(filename, lambda f: np.savez(f, data=arr))
        elif fmt in _TEXT_DELIMITERS:
            if arr.ndim != 2:
                raise ValueError(f"save: {fmt} needs a 2-D tensor, got shape {self.shape}")
            _atomic_write(filename, lambda f: np.savetxt(f, arr, delimiter=_TEXT_DELIMITERS[fmt]))
        else:
            raise ValueError(f"save: unsupported format {fmt!r}; valid: bin, npy, npz, csv, "
                             "tsv, txt")

    @classmethod
    def load(cls, filename, format="", dev=0):
        """Load a tensor saved by :meth:`save`, EDDL or NumPy.

        Parameters
        ----------
        filename : str or os.PathLike
        format : {"", "bin", "npy", "npz"}
            Inferred from the extension when empty. An ``.npz`` must hold one array (or one
            named ``data``).
        dev : int, default DEV_CPU

        Returns
        -------
        Tensor

        Raises
        ------
        TensorFormatError
            If the file is truncated, corrupt or holds an unsupported dtype.
        """
        from .creation import _placed
        fmt = _format(filename, format, "load")
        if fmt not in ("bin", "npy", "npz"):
            raise ValueError(f"load: unsupported format {fmt!r}; valid: bin, npy, npz")
        with safeload.reading(filename, "unreadable tensor file"):
            if fmt == "bin":
                arr = read_bin(filename)
            elif fmt == "npy":
                arr = safeload.load_npy(filename)
            elif fmt == "npz":
                arrays = safeload.load_npz(filename)
                keys = list(arrays)
                key = "data" if "data" in keys else (keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise TensorFormatError(f"{filename}: .npz holds {len(keys)} arrays "
                                            f"{keys[:10]}; expected one or one named 'data'")
                arr = arrays[key]
        arr = native(arr)
        try:
            as_dtype(arr.dtype)
        except TypeError as e:
            raise TensorFormatError(f"{filename}: {e}") from None
        return _placed(cls, arr, dev)

    @classmethod
    def load_partial(cls, filename, start_row=0, end_row=-1):
        """Load rows ``[start_row, end_row)`` of an EDDL ``.bin`` file (``-1``: to the end)."""
        return cls._wrap(read_bin(filename, int(start_row), int(end_row)), 0)

    def to_onnx(self, name=""):
        """Return the tensor as an ``onnx.TensorProto`` (needs the ``onnx`` package).

        Parameters
        ----------
        name : str, default ""

        Returns
        -------
        onnx.TensorProto
        """
        _, numpy_helper = _onnx()
        return numpy_helper.from_array(np.ascontiguousarray(self.numpy()), name=name)

    @classmethod
    def from_onnx(cls, proto, dev=0):
        """Build a tensor from an ``onnx.TensorProto`` (or its serialized bytes).

        Returns
        -------
        Tensor
            With the proto's dtype when supported (float16 becomes float32).
        """
        from .creation import _placed
        onnx, numpy_helper = _onnx()
        if isinstance(proto, (bytes, bytearray)):
            p = onnx.TensorProto()
            try:
                p.ParseFromString(bytes(proto))
            except Exception as e:  # protobuf raises its own DecodeError
                raise TensorFormatError(f"from_onnx: not a serialized TensorProto: {e}") from None
            proto = p
        if not isinstance(proto, onnx.TensorProto):
            raise TypeError(f"from_onnx: expected an onnx.TensorProto, got {type(proto).__name__}")
        try:
            arr = numpy_helper.to_array(proto)
        except Exception as e:
            raise TensorFormatError(f"from_onnx: cannot read TensorProto {proto.name!r}: "
                                    f"{e}") from None
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        try:
            as_dtype(arr.dtype, "from_onnx")
        except TypeError as e:
            raise TensorFormatError(str(e)) from None
        return _placed(cls, np.array(arr), dev)
