"""Argument validation shared by the tensor modules.

Every check runs before a backend function is called, so compiled kernels only ever see
arrays of a supported dtype and shapes that agree.
"""

import numbers
import operator

import numpy as np

__all__ = ["TensorFormatError", "SUPPORTED_DTYPES", "as_dtype", "native", "norm_shape", "norm_axis",
           "norm_axes", "is_scalar", "check_numeric", "Shape"]


class TensorFormatError(ValueError):
    """A tensor file (``.bin``, ``.npy``, ``.npz``) is truncated, corrupt or of the wrong kind."""


SUPPORTED_DTYPES = tuple(np.dtype(d) for d in (
    "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool"))


def native(arr):
    """Return ``arr`` in the machine's byte order (kernels assume it), copying if needed."""
    if not arr.dtype.isnative:
        return arr.astype(arr.dtype.newbyteorder("="))
    return arr


def as_dtype(dtype, what="dtype"):
    """Return ``dtype`` as a supported :class:`numpy.dtype`, or raise TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{what}: {dtype!r} is not a data type") from None
    if not dt.isnative:
        dt = dt.newbyteorder("=")
    if dt not in SUPPORTED_DTYPES:
        names = ", ".join(d.name for d in SUPPORTED_DTYPES)
        raise TypeError(f"{what}: unsupported dtype {dt.name}; supported: {names}")
    return dt


class Shape(list):
    """A tensor shape: a new list of ints, as PyEDDL returns, that also equals the tuple.

    ``t.shape + [5]`` works as in PyEDDL; ``t.shape == (2, 3)`` keeps working for code written
    against NumPy. Being a list it is not hashable: use ``tuple(t.shape)`` as a dict key.
    """

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, tuple):
            other = list(other)
        return list.__eq__(self, other)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None

    def __repr__(self):
        return list.__repr__(self)


def _as_int(v, what):
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{what}: expected an int, got bool {v!r}")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{what}: expected an int, got {type(v).__name__} {v!r}") from None


def norm_shape(shape, what="shape", allow_minus_one=False):
    """Return ``shape`` (an int or a sequence of ints) as a tuple of ints, validated."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{what}: expected a sequence of ints, got {type(shape).__name__}")
    dims = tuple(_as_int(d, what) for d in shape)
    if allow_minus_one:
        if sum(d == -1 for d in dims) > 1:
            raise ValueError(f"{what} {dims}: only one dimension may be -1")
        bad = [d for d in dims if d < -1]
    else:
        bad = [d for d in dims if d < 0]
    if bad:
        raise ValueError(f"{what} {dims}: dimensions must be non-negative")
    return dims


def norm_axis(axis, ndim, what="axis", extra=0):
    """Return one axis in ``[0, ndim + extra)``; negative values count from the end."""
    a = _as_int(axis, what)
    n = ndim + extra
    if not -n <= a < n:
        raise ValueError(f"{what} {a} is out of range for a tensor of {ndim} dimension(s)")
    return a + n if a < 0 else a


def norm_axes(axis, ndim, what="axis"):
    """Return None (all axes) or a sorted tuple of distinct valid axes."""
    if axis is None:
        return None
    if isinstance(axis, (numbers.Integral, np.integer)) and not isinstance(axis, bool):
        axis = (axis,)
    if not hasattr(axis, "__iter__") or isinstance(axis, (str, bytes)):
        raise TypeError(f"{what}: expected None, an int or a sequence of ints, got {axis!r}")
    axes = tuple(norm_axis(a, ndim, what) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what} {tuple(axis)}: repeated axis")
    return tuple(sorted(axes))


def is_scalar(v):
    """Return True for Python/NumPy numbers (including bool)."""
    return isinstance(v, (numbers.Number, np.generic)) and not isinstance(v, (str, bytes))


def check_numeric(dtype, op):
    """Reject bool tensors in arithmetic: NumPy would silently turn ``+`` into ``or``."""
    if dtype.kind == "b":
        raise TypeError(f"{op}: not defined for bool tensors; convert first, "
                        "e.g. t.astype('float32')")
