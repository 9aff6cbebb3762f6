"""Argument checks shared by the geometric and distortion array functions.

Each check raises an ecvl error that names the operation and the offending value, so the
compiled kernels only ever see contiguous arrays of a supported dtype and sane sizes.
"""

import numbers

import numpy as np

from ..._kernels import parse_border
from ..._kernels import threads as _threads
from ...core.enums import InterpolationType
from ...core.errors import EcvlTypeError, EcvlValueError

SUPPORTED_DTYPES = tuple(np.dtype(t) for t in (
    np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64))
_NATIVE = frozenset(SUPPORTED_DTYPES)  # native byte order only: '>i2' is not in it


def canonical(arr, op, ndims=(3,)):
    """Return `arr` as a C-contiguous, native-endian canonical array or raise.

    `ndims` lists the accepted numbers of axes: 3 for ``(H, W, C)``, 4 for ``(D, H, W, C)``.
    """
    if (type(arr) is np.ndarray and arr.ndim in ndims and arr.dtype in _NATIVE and arr.size
            and arr.flags.c_contiguous):
        return arr  # already canonical: small images pay only these checks
    a = np.asarray(arr)
    if a.dtype.newbyteorder("=") not in SUPPORTED_DTYPES:
        raise EcvlTypeError(
            f"{op}: unsupported dtype {a.dtype}; expected one of "
            f"{', '.join(d.name for d in SUPPORTED_DTYPES)}")
    if a.ndim not in ndims:
        want = " or ".join({3: "(H, W, C)", 4: "(D, H, W, C)"}[n] for n in ndims)
        raise EcvlValueError(f"{op}: expected a canonical {want} array, got shape {a.shape}")
    if a.size == 0:
        raise EcvlValueError(f"{op}: the array of shape {a.shape} is empty")
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return np.ascontiguousarray(a)


def interpolation(value, op):
    """Parse an InterpolationType (member, int or name)."""
    if type(value) is InterpolationType:
        return value
    try:
        if isinstance(value, str):
            return InterpolationType[value.lower()]
        return InterpolationType(value)
    except (KeyError, ValueError):
        raise EcvlValueError(
            f"{op}: unknown interpolation {value!r}; use one of "
            f"{', '.join(m.name for m in InterpolationType)}") from None


# Parse a BorderType (member, int or name such as 'reflect_101'): the one border parser.
border = parse_border


def border_values(value, nchan, op):
    """Per-channel float64 constant for BORDER_CONSTANT: a scalar or one value per channel."""
    if type(value) is int or type(value) is float:  # the common scalar, without conversions
        return np.array([float(value)] * nchan)
    v = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
    if v.size == 1:
        v = np.repeat(v, nchan)
    if v.size != nchan:
        raise EcvlValueError(
            f"{op}: border value {value!r} must be a scalar or one value per channel ({nchan})")
    return np.ascontiguousarray(v)


def positive_int(value, op, what):
    """Return `value` as an integer >= 1, or raise naming `what`."""
    if type(value) is int and value > 0:  # the common case, without the checks below
        return value
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (numbers.Real, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise EcvlValueError(f"{op}: {what} must be a positive integer, got {value!r}")
    value = int(value)
    if value <= 0:
        raise EcvlValueError(f"{op}: {what} must be a positive integer, got {value}")
    return value


def sizes(values, n, op, what):
    """Return `values` as a list of `n` positive integers, or raise naming `what`."""
    try:
        vals = list(values)
    except TypeError:
        raise EcvlValueError(f"{op}: {what} must be a list of {n} sizes, got {values!r}") from None
    if len(vals) != n:
        raise EcvlValueError(f"{op}: {what} must have {n} values, got {vals}")
    return [positive_int(v, op, what) for v in vals]


# Below this many output elements per thread, waking a thread team (OpenMP threads sleep
# between regions) costs more than the work it takes over (the rule: ecvl._kernels.threads).
GRAIN = 1 << 18


def threads(work=None):
    """Thread count for a kernel producing `work` elements (all configured threads if None)."""
    return _threads(work, GRAIN)


def acc_dtype(dtype):
    """Accumulator dtype of the resampling kernels: float64 where float32 would lose digits."""
    return np.float64 if np.dtype(dtype) in (np.dtype(np.int32), np.dtype(np.int64),
                                              np.dtype(np.float64)) else np.float32
