"""Helpers shared by the non-geometric image operations: dtype codes, border maps, validation.

Array-level functions in :mod:`ecvl.imgproc` work on *canonical* arrays: ``(H, W, C)`` for
images and ``(D, H, W, C)`` for volumes, channel axis last. A plain ``(H, W)`` array is accepted
as a one-channel image.
"""

import functools

import numpy as np

# border_name is the filters' name of the one border parser
from .._kernels import border_name, canonical_array, threads  # noqa: F401
from ..core._twins import write_into
from ..core.convert import saturate_cast as _core_saturate_cast
from ..core.errors import EcvlTypeError, EcvlValueError

__all__ = []

TYPECODES = {
    np.dtype(np.uint8): 0,
    np.dtype(np.int8): 1,
    np.dtype(np.uint16): 2,
    np.dtype(np.int16): 3,
    np.dtype(np.int32): 4,
    np.dtype(np.int64): 5,
    np.dtype(np.float32): 6,
    np.dtype(np.float64): 7,
}
SUPPORTED_DTYPES = tuple(TYPECODES)

# Below this many element-operations per thread (about a millisecond of kernel time) a kernel
# runs on fewer threads (the one rule is ecvl._kernels.threads).
_MIN_WORK_PER_THREAD = 1 << 22


def nthreads(work=None):
    """Threads for a kernel doing `work` element-operations (all configured threads if None)."""
    return threads(work, _MIN_WORK_PER_THREAD)


def typecode(arr, op):
    """Kernel type code of ``arr.dtype``; a clear error for dtypes ecvl does not store."""
    try:
        return TYPECODES[arr.dtype]
    except KeyError:
        names = ", ".join(d.name for d in SUPPORTED_DTYPES)
        raise EcvlTypeError(f"{op}: unsupported dtype {arr.dtype} (expected one of {names})") from None


def as_image_array(arr, op, allow_volume=True):
    """Return ``(array_view, squeeze)`` for an array given to a kernel.

    ``array_view`` is a C-contiguous canonical array and ``squeeze`` tells whether a 2-D input
    was given (the result is then squeezed back).
    """
    a = np.asarray(arr)
    typecode(a, op)
    if a.ndim == 2:
        return np.ascontiguousarray(a[:, :, None]), True
    if a.ndim == 3 or (allow_volume and a.ndim == 4):
        if a.size == 0:
            raise EcvlValueError(f"{op}: empty image of shape {a.shape}")
        return np.ascontiguousarray(a), False
    want = "(H, W), (H, W, C) or (D, H, W, C)" if allow_volume else "(H, W) or (H, W, C)"
    raise EcvlValueError(f"{op}: expected a canonical {want} array, got shape {a.shape}")


def restore(out, squeeze):
    return out[:, :, 0] if squeeze else out


@functools.lru_cache(maxsize=64)
def border_map(n, before, after, mode):
    """Source index of each padded position ``-before .. n + after - 1`` (-1: constant).

    Cached (repeated calls on same-sized images skip the index arithmetic): the returned
    array is read-only.
    """
    m = _border_map(int(n), int(before), int(after), mode)
    m.flags.writeable = False
    return m


def _border_map(n, before, after, mode):
    p = np.arange(-before, n + after, dtype=np.intp)
    if mode == "constant":
        return np.where((p >= 0) & (p < n), p, -1)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    if mode == "wrap":
        return np.mod(p, n)
    if mode == "reflect":
        q = np.mod(p, 2 * n)
        return np.where(q < n, q, 2 * n - 1 - q)
    if mode == "reflect_101":
        if n == 1:
            return np.zeros_like(p)
        q = np.mod(p, 2 * n - 2)
        return np.where(q < n, q, 2 * n - 2 - q)
    raise EcvlValueError(f"unknown border mode {mode!r}")


def dtype_limits(dtype):
    return _dtype_limits(np.dtype(dtype))


@functools.cache
def _dtype_limits(dtype):
    if dtype.kind == "f":
        return -np.inf, np.inf
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def saturate_cast(values, dtype):
    """Round to nearest (ties to even), clip to the range of ``dtype`` and cast (ECVL rules)."""
    values = np.asarray(values)
    if values.ndim == 0:
        return _saturate_scalar(values, np.dtype(getattr(dtype, "numpy_dtype", dtype)))
    return _core_saturate_cast(values, dtype)


def _saturate_scalar(value, dtype):
    # the same rules as the array path, without its per-call set-up (small images feel it)
    if dtype.kind == "f" or value.dtype.kind not in "fiub" or dtype not in TYPECODES:
        return _core_saturate_cast(value[None], dtype)[0]
    lo, hi = _dtype_limits(dtype)
    if value.dtype.kind == "f":
        v = float(value)
        if v != v:
            return dtype.type(0)
        # clamp before rounding (round() rejects infinities); round() ties to even like rint
        return dtype.type(lo if v <= lo else hi if v >= hi else round(v))
    v = int(value)
    return dtype.type(lo if v <= lo else hi if v >= hi else v)


def constant_row(dtype, length, value):
    """Return a read-only row of ``length`` elements filled with ``value`` saturated to ``dtype``."""
    return _constant_row(np.dtype(dtype), int(length), float(value))


@functools.lru_cache(maxsize=32)
def _constant_row(dtype, length, value):
    row = np.full(max(1, length), saturate_cast(np.float64(value), dtype), dtype=dtype)
    row.flags.writeable = False
    return row


def check_odd_size(size, op, name="kernel size"):
    if isinstance(size, bool) or int(size) != size or size < 1 or size % 2 == 0:
        raise EcvlValueError(f"{op}: {name} must be a positive odd integer, got {size!r}")
    return int(size)


def per_axis(value, n, op, name):
    """Broadcast a scalar or (x, y[, z]) sequence to ``n`` values in x, y, z order."""
    if np.isscalar(value):
        return [value] * n
    vals = list(value)
    if len(vals) != n:
        raise EcvlValueError(f"{op}: {name} needs 1 or {n} values (x, y[, z]), got {value!r}")
    return vals


def image_canonical(img, op):
    """Return the canonical array of a non-empty :class:`~ecvl.Image` (a clear error otherwise)."""
    a = canonical_array(img, op)
    if a.ndim not in (3, 4):
        raise EcvlValueError(
            f"{op}: image with channels {img.channels_!r} is neither 2-D nor a 3-D volume")
    return a


def apply_to_image(src, op, fn, *args, **kw):
    """Run the array function ``fn(canonical, *args, **kw)`` on `src`; wrap the result like `src`."""
    return deliver(src, fn(image_canonical(src, op), *args, **kw))


def deliver(src, out, dst=None, colortype=None):
    """Wrap the canonical result ``out`` like ``src``; write it into ``dst`` when given."""
    result = src.new_like(out, colortype=colortype)
    if dst is not None:
        write_into(dst, result, "destination")
        return dst
    return result
