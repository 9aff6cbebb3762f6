"""Convolutions of the CPU backend: 1-D, 2-D and 3-D, strided, padded, dilated and grouped.

Arrays are channels-first: ``x`` is ``N x C x *spatial`` and the weights ``F x C/groups x
*kernel``, as in EDDL and PyTorch. The work is done by :mod:`._conv` (im2col / col2im with
OpenMP, GEMM through SciPy's BLAS) in per-thread workspaces that grow to the largest layer and
are then reused, so a training step allocates nothing once the workspaces are large enough.

``pad`` is the padding *before* each spatial axis; the padding after it is implied by the
output size (so asymmetric "same" padding needs no extra copy).
"""

import threading

import numpy as np

from eddl._runtime import get_num_threads

from . import _conv
from .blas_policy import blas_thread_hooks

__all__ = ["conv_forward", "conv_backward_data", "conv_backward_weights", "bias_add",
           "bias_grad", "out_size", "WORKSPACE_ELEMENTS"]

#: Upper bound, in elements, of the unfolded-input workspace; batches whose unfolded input is
#: larger are processed in chunks of samples.
WORKSPACE_ELEMENTS = 1 << 24

_local = threading.local()
#: How the GEMMs of a convolution use several threads: False splits their columns over the
#: kernel's OpenMP threads with BLAS kept single-threaded (one thread pool owns the cores);
#: True leaves one GEMM call to BLAS's own threads. Measured in benchmarks/train_cnn.py.
BLAS_THREADED_GEMM = False


class _BlasThreads:
    """Set the thread count of SciPy's BLAS for the duration of a kernel call, then restore it."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.hooks = blas_thread_hooks()
        self.prev = None
        if self.hooks is not None:
            self.prev = self.hooks[1]()
            if self.prev != self.n:
                self.hooks[0](self.n)
        return self

    def __exit__(self, *exc):
        if self.prev not in (None, self.n):
            self.hooks[0](self.prev)


def out_size(n, k, s, p_before, p_after, d):
    """Output length of a convolution or pooling along one axis (may be <= 0 when invalid)."""
    return (n + p_before + p_after - d * (k - 1) - 1) // s + 1


def _workspace(name, size, dtype):
    ws = getattr(_local, "ws", None)
    if ws is None:
        ws = _local.ws = {}
    key = (name, np.dtype(dtype).str)
    buf = ws.get(key)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        ws[key] = buf
    return buf


def _as5(a, nsp, what):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(a).__name__}")
    if a.ndim != nsp + 2:
        raise ValueError(f"{what} must be {nsp + 2}-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    return a.reshape(a.shape[:2] + (1,) * (3 - nsp) + a.shape[2:])


def _geometry(nsp, stride, pad, dil):
    def three(v, fill):
        v = tuple(int(t) for t in v)
        if len(v) != nsp:
            raise ValueError(f"expected {nsp} values, got {v}")
        return (fill,) * (3 - nsp) + v
    return three(stride, 1), three(pad, 0), three(dil, 1)


def _check(x, w, y, groups, dtype_of):
    dt = dtype_of.dtype
    if dt not in (np.float32, np.float64):
        raise TypeError(f"conv: only float32/float64 are supported, got {dt}")
    for a, n in ((x, "x"), (w, "w"), (y, "y")):
        if a.dtype != dt:
            raise TypeError(f"conv: {n} has dtype {a.dtype}, expected {dt}")
    if w.shape[0] != y.shape[1] or w.shape[1] * groups != x.shape[1]:
        raise ValueError(f"conv: weights {w.shape} do not map {x.shape[1]} to {y.shape[1]} "
                         f"channels in {groups} groups")


def _sizes(x5, y5, w5):
    k = int(np.prod(w5.shape[2:]))
    per_col = x5.shape[1] * k * int(np.prod(y5.shape[2:]))
    per_bg = y5.shape[1] * int(np.prod(y5.shape[2:]))
    chunk = max(1, min(x5.shape[0], WORKSPACE_ELEMENTS // max(per_col, 1)))
    return per_col * chunk, per_bg * chunk


def _run(fn, x, w, y, stride, pad, dil, groups, acc, wrt):
    nsp = x.ndim - 2
    if not 1 <= nsp <= 3:
        raise ValueError(f"conv: expects 1 to 3 spatial axes, got input shape {x.shape}")
    x5, w5, y5 = _as5(x, nsp, "x"), _as5(w, nsp, "w"), _as5(y, nsp, "y")
    _check(x, w, y, groups, x)
    s3, p3, d3 = _geometry(nsp, stride, pad, dil)
    ncol, nbg = _sizes(x5, y5, w5)
    col = _workspace("col", ncol, x.dtype)
    bg = _workspace("bg", nbg, x.dtype)
    nt = get_num_threads()
    gnt = 1 if BLAS_THREADED_GEMM else nt
    with _BlasThreads(nt if BLAS_THREADED_GEMM else 1):
        _dispatch(fn, x5, w5, y5, s3, p3, d3, groups, col, bg, acc, nt, gnt, wrt)


def _dispatch(fn, x5, w5, y5, s3, p3, d3, groups, col, bg, acc, nt, gnt, wrt):
    if wrt == "y":
        fn(x5, w5, y5, s3, p3, d3, int(groups), col, bg, bool(acc), nt, gnt)
    elif wrt == "x":
        fn(y5, w5, x5, s3, p3, d3, int(groups), col, bg, bool(acc), nt, gnt)
    else:
        fn(x5, y5, w5, s3, p3, d3, int(groups), col, bg, bool(acc), nt, gnt)


def conv_forward(x, w, out, stride, pad, dilation, groups=1, accumulate=False):
    """``out (=|+=) conv(x, w)`` (cross-correlation, as in every DL framework).

    Parameters
    ----------
    x : numpy.ndarray
        ``N x C x *spatial`` (1 to 3 spatial axes), C-contiguous float32/float64.
    w : numpy.ndarray
        ``F x C/groups x *kernel``.
    out : numpy.ndarray
        ``N x F x *out_spatial``; written (or added to when ``accumulate``).
    stride, pad, dilation : sequence of int
        One value per spatial axis; ``pad`` is the zero padding before each axis.
    groups : int
    accumulate : bool

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    _run(_conv.im2col_gemm, x, w, out, stride, pad, dilation, groups, accumulate, "y")
    return out


def conv_backward_data(dy, w, dx, stride, pad, dilation, groups=1, accumulate=False):
    """``dx (=|+=)`` the gradient of :func:`conv_forward` with respect to ``x``.

    This is also the forward pass of a transposed convolution (``dy`` its input, ``dx`` its
    output). Parameters as in :func:`conv_forward`.

    Returns
    -------
    numpy.ndarray
        ``dx``.
    """
    _run(_conv.gemm_col2im, dx, w, dy, stride, pad, dilation, groups, accumulate, "x")
    return dx


def conv_backward_weights(x, dy, dw, stride, pad, dilation, groups=1, accumulate=False):
    """``dw (=|+=)`` the gradient of :func:`conv_forward` with respect to ``w``.

    Returns
    -------
    numpy.ndarray
        ``dw``.
    """
    _run(_conv.weight_grad, x, dw, dy, stride, pad, dilation, groups, accumulate, "w")
    return dw


def _as3(a, what):
    if not isinstance(a, np.ndarray) or a.ndim < 2 or not a.flags.c_contiguous:
        raise ValueError(f"{what} must be a C-contiguous array of rank >= 2")
    return a.reshape(a.shape[0], a.shape[1], -1)


def bias_add(y, bias):
    """``y[:, c, ...] += bias[c]`` in place.

    Returns
    -------
    numpy.ndarray
        ``y``.
    """
    if bias.dtype != y.dtype:
        raise TypeError(f"bias_add: bias {bias.dtype} and y {y.dtype} differ")
    _conv.channel_bias(_as3(y, "y"), bias, get_num_threads())
    return y


def bias_grad(dy, out, accumulate=False):
    """``out[c] (=|+=) dy[:, c, ...].sum()``: the gradient of a per-channel bias.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    if out.dtype != dy.dtype:
        raise TypeError(f"bias_grad: out {out.dtype} and dy {dy.dtype} differ")
    _conv.channel_sum(_as3(dy, "dy"), out, bool(accumulate), get_num_threads())
    return out
