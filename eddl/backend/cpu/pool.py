"""Max and average pooling of the CPU backend (1 to 3 spatial axes, channels-first).

``pad`` is the padding before each axis; windows are clipped to the input, so padding never
wins a max and is not counted in an average. The output size decides how far the last window
reaches (this is how ceil mode and asymmetric padding are expressed).
"""

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _pool
from .workspace import workspace

__all__ = ["max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"]


def _as5(a, what, dtype=None):
    if not isinstance(a, np.ndarray) or not 3 <= a.ndim <= 5:
        raise ValueError(f"{what} must be an array with 1 to 3 spatial axes")
    if not a.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{what} has dtype {a.dtype}, expected {dtype}")
    return a.reshape(a.shape[:2] + (1,) * (5 - a.ndim) + a.shape[2:])


def _three(v, nsp, fill):
    v = tuple(int(t) for t in v)
    if len(v) != nsp:
        raise ValueError(f"pool: expected {nsp} values, got {v}")
    return (fill,) * (3 - nsp) + v


def _args(x, y, size, stride, pad):
    if x.ndim != y.ndim:
        raise ValueError(f"pool: input {x.shape} and output {y.shape} ranks differ")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"pool: only float32/float64 are supported, got {x.dtype}")
    nsp = x.ndim - 2
    return _three(size, nsp, 1), _three(stride, nsp, 1), _three(pad, nsp, 0)


def max_pool_forward(x, out, indices, size, stride, pad, _fast=True):
    """Write the window maxima of ``x`` into ``out``.

    ``indices`` (int32, shaped like ``out``) records where each maximum was, for
    :func:`max_pool_backward`; None skips them (inference), which for 1-D and 2-D pools takes a
    separable kernel several times faster.

    In-bounds 2x2 windows at stride 2 take a branch-free loop; ``_fast=False`` forces the
    generic loop (used to test it).

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    k, s, p = _args(x, out, size, stride, pad)
    if indices is None:
        nt = max(1, int(get_num_threads()))
        work = workspace("pool_rows", nt * x.shape[-1], x.dtype)[:nt * x.shape[-1]]
        if _fast and _pool.max_values(_as5(x, "x"), _as5(out, "out", x.dtype), k, s, p, work, nt):
            return out
        indices = workspace("pool_indices", out.size, np.int32)[:out.size].reshape(out.shape)
    _pool.max_forward(_as5(x, "x"), _as5(out, "out", x.dtype), _as5(indices, "indices", np.int32),
                      k, s, p, get_num_threads(), bool(_fast))
    return out


def max_pool_backward(dy, indices, dx, accumulate=False):
    """``dx (=|+=)`` ``dy`` routed to the recorded maxima.

    Returns
    -------
    numpy.ndarray
        ``dx``.
    """
    _pool.max_backward(_as5(dy, "dy"), _as5(indices, "indices", np.int32),
                       _as5(dx, "dx", dy.dtype), bool(accumulate), get_num_threads())
    return dx


def avg_pool_forward(x, out, size, stride, pad):
    """``out`` = mean of the in-bounds values of each window.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    k, s, p = _args(x, out, size, stride, pad)
    _pool.avg_forward(_as5(x, "x"), _as5(out, "out", x.dtype), k, s, p, get_num_threads())
    return out


def avg_pool_backward(dy, dx, size, stride, pad, accumulate=False):
    """``dx (=|+=)`` the gradient of :func:`avg_pool_forward`.

    Returns
    -------
    numpy.ndarray
        ``dx``.
    """
    k, s, p = _args(dx, dy, size, stride, pad)
    _pool.avg_backward(_as5(dy, "dy"), _as5(dx, "dx", dy.dtype), k, s, p, bool(accumulate),
                       get_num_threads())
    return dx
