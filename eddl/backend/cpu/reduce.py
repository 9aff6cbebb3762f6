"""Reductions of the CPU backend.

Contract shared by every backend: ``reduce(name, x, axis=None, keepdims=False)`` where
``axis`` is None (all axes), an int or a tuple of ints, already validated by the caller.

sum, mean, max, min, argmax and argmin of C-contiguous float32/float64 arrays over all axes
or over one run of adjacent axes run in the compiled kernels of ``_kernels`` (OpenMP threads,
fixed chunking, so the result does not depend on the thread count). Sums accumulate in
float64 whatever the input dtype, then round once to it. Everything else uses NumPy.
"""

import numpy as np

from _deephealth.runtime import get_num_threads

from ..contract import REDUCTIONS
from ..reference.core import NUMPY_REDUCTIONS
from . import _kernels

__all__ = ["REDUCTIONS", "reduce"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_FAST = frozenset({"sum", "mean", "max", "min", "argmax", "argmin"})
# Below this many elements NumPy's per-call cost is lower than ours.
MIN_FAST = 4096
MIN_THREADED = 1 << 17


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    if not all(-ndim <= int(a) < ndim for a in axes):
        return None  # NumPy raises the AxisError
    return tuple(sorted(int(a) % ndim for a in axes))


def _fast(name, x, axis, keepdims):
    if (name not in _FAST or not isinstance(x, np.ndarray) or x.dtype not in _FLOATS
            or x.size < max(MIN_FAST, 1) or not x.flags.c_contiguous or x.ndim == 0):
        return None
    axes = _axes(axis, x.ndim)
    if axes is None:
        return None
    if name in ("argmax", "argmin") and axis is not None and np.ndim(axis) != 0:
        return None  # NumPy defines arg-reductions over one axis or all of them only
    if len(set(axes)) != len(axes) or (axes and axes[-1] - axes[0] != len(axes) - 1):
        return None
    if not axes:
        return None
    shape = x.shape
    outer = int(np.prod(shape[:axes[0]]))
    r = int(np.prod(shape[axes[0]:axes[-1] + 1]))
    inner = int(np.prod(shape[axes[-1] + 1:]))
    arg = name in ("argmax", "argmin")
    if arg and inner != 1 and axis is not None:
        return None
    nt = get_num_threads() if x.size >= MIN_THREADED else 1
    kname = "sum" if name == "mean" else name
    if inner == 1 or axis is None:
        val, idx = _kernels.reduce_rows(kname, x, outer if axis is not None else 1, nt)
        res = idx if arg else val
    else:
        acc = np.empty(outer * inner, np.float64 if kname == "sum" else x.dtype)
        res = _kernels.reduce_mid(kname, x, outer, r, acc, nt)
    if name == "mean":
        res = res / r
    if not arg:
        res = res.astype(x.dtype, copy=False)
    if keepdims:
        kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
        return res.reshape(kept)
    if axis is None:
        return res[0]
    return res.reshape(tuple(d for i, d in enumerate(shape) if i not in axes))


def reduce(name, x, axis=None, keepdims=False):
    """Reduce ``x`` with ``name`` (one of :data:`REDUCTIONS`) over ``axis``.

    Parameters
    ----------
    name : str
        One of :data:`REDUCTIONS`.
    x : numpy.ndarray
        Input array.
    axis : None, int or tuple of int
        Axes to reduce; None reduces all of them.
    keepdims : bool
        Keep the reduced axes with length one.

    Returns
    -------
    numpy.ndarray or numpy scalar
        As NumPy's function of the same name returns.
    """
    try:
        fn = NUMPY_REDUCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown reduction {name!r}") from None
    r = _fast(name, x, axis, keepdims)
    if r is not None:
        return r
    return fn(x, axis=axis, keepdims=keepdims)
