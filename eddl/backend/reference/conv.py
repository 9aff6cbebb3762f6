"""Convolutions of the reference backend: 1 to 3 spatial axes, strided, padded, dilated, grouped.

One product per kernel tap: the input window of that tap (a strided slice of the zero-padded
input) times the tap's weights, accumulated in float64. ``pad`` is the padding before each
spatial axis; the padding after it is implied by the output size.
"""

import numpy as np

from .core import store as _store

__all__ = ["out_size", "conv_forward", "conv_backward_data", "conv_backward_weights",
           "bias_add", "bias_grad", "channel_epilogue"]


def out_size(n, k, s, p_before, p_after, d):
    """Output length of a convolution or pooling along one axis (may be <= 0 when invalid)."""
    return (n + p_before + p_after - d * (k - 1) - 1) // s + 1


def _geometry(x, w, y, stride, pad, dilation, groups):
    """Check a convolution ``y = conv(x, w)`` and return its per-axis geometry."""
    for a, what in ((x, "x"), (w, "w"), (y, "y")):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"conv: {what} must be a numpy.ndarray, got {type(a).__name__}")
    nsp = x.ndim - 2
    if not 1 <= nsp <= 3 or w.ndim != x.ndim or y.ndim != x.ndim:
        raise ValueError(f"conv: expects arrays with 1 to 3 spatial axes of equal rank, got "
                         f"x {x.shape}, w {w.shape}, y {y.shape}")
    if x.dtype not in (np.float32, np.float64) or w.dtype != x.dtype or y.dtype != x.dtype:
        raise TypeError(f"conv: x, w and y must share a float32/float64 dtype, got "
                        f"{x.dtype}, {w.dtype}, {y.dtype}")
    groups = int(groups)
    if (groups < 1 or w.shape[0] != y.shape[1] or w.shape[1] * groups != x.shape[1]
            or y.shape[1] % groups or x.shape[0] != y.shape[0]):
        raise ValueError(f"conv: weights {w.shape} do not map {x.shape} to {y.shape} in "
                         f"{groups} groups")
    geo = [tuple(int(v) for v in t) for t in (stride, pad, dilation)]
    if any(len(t) != nsp for t in geo):
        raise ValueError(f"conv: stride, pad and dilation need {nsp} values each, got {geo}")
    return groups, geo[0], geo[1], geo[2]


def _taps(k, s, p, d, in_sp, out_sp):
    """Return the padded input sizes, and per kernel tap its index and the slices of its window."""
    sizes = tuple(max(pi + n, (o - 1) * si + di * (ki - 1) + 1)
                  for n, o, ki, si, pi, di in zip(in_sp, out_sp, k, s, p, d))
    taps = []
    for off in np.ndindex(*k):
        sl = tuple(slice(t * di, t * di + (o - 1) * si + 1, si)
                   for t, o, si, di in zip(off, out_sp, s, d))
        taps.append((off, sl))
    return sizes, taps


def _inner(p, in_sp):
    return tuple(slice(pi, pi + n) for pi, n in zip(p, in_sp))


def _padded(x, sizes, p):
    """``x`` zero-padded (float64) to the spatial ``sizes``, ``p`` values before each axis."""
    xp = np.zeros(x.shape[:2] + sizes)
    xp[(slice(None), slice(None)) + _inner(p, x.shape[2:])] = x
    return xp


def _group_slices(groups, per_in, per_out):
    return [(slice(g * per_in, (g + 1) * per_in), slice(g * per_out, (g + 1) * per_out))
            for g in range(groups)]


def conv_forward(x, w, out, stride, pad, dilation, groups=1, accumulate=False):
    """``out (=|+=) conv(x, w)`` (cross-correlation); see :class:`eddl.backend.contract.Conv`."""
    groups, s, p, d = _geometry(x, w, out, stride, pad, dilation, groups)
    in_sp, out_sp, k = x.shape[2:], out.shape[2:], w.shape[2:]
    sizes, taps = _taps(k, s, p, d, in_sp, out_sp)
    xp = _padded(x, sizes, p)
    acc = np.zeros(out.shape)
    w64 = w.astype(np.float64)
    for off, sl in taps:
        win = xp[(slice(None), slice(None)) + sl]
        for ci, fi in _group_slices(groups, w.shape[1], w.shape[0] // groups):
            acc[:, fi] += np.einsum("fc,nc...->nf...", w64[(fi, slice(None)) + off], win[:, ci])
    return _store(out, acc, accumulate)


def conv_backward_data(dy, w, dx, stride, pad, dilation, groups=1, accumulate=False):
    """``dx (=|+=)`` the input gradient of :func:`conv_forward` (a transposed convolution)."""
    groups, s, p, d = _geometry(dx, w, dy, stride, pad, dilation, groups)
    in_sp, out_sp, k = dx.shape[2:], dy.shape[2:], w.shape[2:]
    sizes, taps = _taps(k, s, p, d, in_sp, out_sp)
    acc = np.zeros(dx.shape[:2] + sizes)
    w64, dy64 = w.astype(np.float64), dy.astype(np.float64)
    for off, sl in taps:
        for ci, fi in _group_slices(groups, w.shape[1], w.shape[0] // groups):
            acc[(slice(None), ci) + sl] += np.einsum("fc,nf...->nc...", w64[(fi, slice(None)) + off],
                                                     dy64[:, fi])
    return _store(dx, acc[(slice(None), slice(None)) + _inner(p, in_sp)], accumulate)


def conv_backward_weights(x, dy, dw, stride, pad, dilation, groups=1, accumulate=False):
    """``dw (=|+=)`` the weight gradient of :func:`conv_forward`."""
    groups, s, p, d = _geometry(x, dw, dy, stride, pad, dilation, groups)
    in_sp, out_sp, k = x.shape[2:], dy.shape[2:], dw.shape[2:]
    sizes, taps = _taps(k, s, p, d, in_sp, out_sp)
    xp = _padded(x, sizes, p)
    acc = np.zeros(dw.shape)
    dy64 = dy.astype(np.float64)
    for off, sl in taps:
        win = xp[(slice(None), slice(None)) + sl]
        for ci, fi in _group_slices(groups, dw.shape[1], dw.shape[0] // groups):
            wg, dg = win[:, ci], dy64[:, fi]
            acc[(fi, slice(None)) + off] = np.einsum("ncl,nfl->fc", wg.reshape(wg.shape[:2] + (-1,)),
                                                     dg.reshape(dg.shape[:2] + (-1,)))
    return _store(dw, acc, accumulate)


def bias_add(y, bias):
    """``y[:, c, ...] += bias[c]`` in place."""
    if bias.dtype != y.dtype or bias.shape != (y.shape[1],):
        raise ValueError(f"bias_add: bias {bias.shape} {bias.dtype} does not fit y {y.shape} {y.dtype}")
    y += bias.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y


def bias_grad(dy, out, accumulate=False):
    """``out[c] (=|+=) dy[:, c, ...].sum()``: the gradient of a per-channel bias."""
    if out.dtype != dy.dtype or out.shape != (dy.shape[1],):
        raise ValueError(f"bias_grad: out {out.shape} {out.dtype} does not fit dy {dy.shape} {dy.dtype}")
    axes = (0,) + tuple(range(2, dy.ndim))
    return _store(out, dy.sum(axis=axes, dtype=np.float64), accumulate)


def channel_epilogue(x, out, scale=None, shift=None, residual=None, activation="none", alpha=0.0):
    """``out = act(x * scale[c] + shift[c] + residual)`` over channel axis 1."""
    if activation not in ("none", "relu", "leaky_relu"):
        raise ValueError(f"channel_epilogue: unknown activation {activation!r}")
    bshape = (1, -1) + (1,) * (x.ndim - 2)
    y = x * scale.reshape(bshape) if scale is not None else x.copy()
    if shift is not None:
        y += shift.reshape(bshape)
    if residual is not None:
        y += residual
    if activation == "relu":
        y = np.where(y <= 0, 0, y)
    elif activation == "leaky_relu":
        y = np.where(y > 0, y, y * alpha)
    out[...] = y
    return out
