"""Normalization kernels of the reference backend (batch, group and layer normalization).

Arrays are viewed as ``A x C x L`` with one statistic per ``C`` index; sums run in float64.
"""

import numpy as np

from .core import store

__all__ = ["stats", "affine", "backward"]


def _v3(a, what):
    if not isinstance(a, np.ndarray) or a.ndim != 3:
        raise ValueError(f"{what} must be a 3-D numpy.ndarray")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{what}: only float32/float64 are supported, got {a.dtype}")
    return a


def _vec(v, a, what):
    if not isinstance(v, np.ndarray) or v.shape != (a.shape[1],) or v.dtype != a.dtype:
        raise ValueError(f"{what} must be a 1-D {a.dtype} array of length {a.shape[1]}")
    return v


def stats(x, mean, var, invstd, eps):
    """Per-``c`` mean, biased variance and ``1 / sqrt(var + eps)`` of ``x`` (``A x C x L``)."""
    x = _v3(x, "x")
    for v, n in ((mean, "mean"), (var, "var"), (invstd, "invstd")):
        _vec(v, x, n)
    x64 = x.astype(np.float64)
    m = x64.mean(axis=(0, 2))
    v = ((x64 - m[None, :, None]) ** 2).mean(axis=(0, 2))
    mean[...] = m
    var[...] = v
    invstd[...] = 1.0 / np.sqrt(v + eps)
    return mean, var, invstd


def affine(x, out, scale, shift):
    """``out = x * scale[c] + shift[c]`` (``out`` may be ``x``)."""
    x = _v3(x, "x")
    out[...] = x * _vec(scale, x, "scale")[None, :, None] + _vec(shift, x, "shift")[None, :, None]
    return out


def backward(xhat, dy, gamma, invstd, dx, sum_dy, sum_dy_xhat, accumulate=False):
    """Gradient through ``gamma[c] * xhat`` with batch statistics.

    ``sum_dy``, ``sum_dy_xhat`` get the per-``c`` sums and
    ``dx (=|+=) gamma invstd (dy - mean(dy) - xhat mean(dy xhat))`` (skipped when ``dx`` is
    None).
    """
    xhat, dy = _v3(xhat, "xhat"), _v3(dy, "dy")
    if dy.shape != xhat.shape:
        raise ValueError(f"backward: xhat {xhat.shape} and dy {dy.shape} shapes differ")
    for v, n in ((gamma, "gamma"), (invstd, "invstd"), (sum_dy, "sum_dy"),
                 (sum_dy_xhat, "sum_dy_xhat")):
        _vec(v, xhat, n)
    xh, d = xhat.astype(np.float64), dy.astype(np.float64)
    s1, s2 = d.sum(axis=(0, 2)), (d * xh).sum(axis=(0, 2))
    sum_dy[...] = s1
    sum_dy_xhat[...] = s2
    if dx is not None:
        cnt = xhat.shape[0] * xhat.shape[2]
        k = (gamma.astype(np.float64) * invstd)[None, :, None]
        g = k * (d - (s1 / cnt)[None, :, None] - xh * (s2 / cnt)[None, :, None])
        store(dx, g, accumulate)
    return dx
