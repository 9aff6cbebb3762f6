"""Normalization kernels of the CPU backend (batch, group and layer normalization).

Arrays are viewed as ``A x C x L`` with one statistic per ``C`` index: batch normalization
passes ``N x C x spatial``; group/layer normalization pass ``1 x (N * groups) x rest``.
"""

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _norm

__all__ = ["stats", "affine", "backward"]


def _v3(a, what):
    if not isinstance(a, np.ndarray) or a.ndim != 3 or not a.flags.c_contiguous:
        raise ValueError(f"{what} must be a C-contiguous 3-D array")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{what}: only float32/float64 are supported, got {a.dtype}")
    return a


def _vec(v, dtype, what):
    if not isinstance(v, np.ndarray) or v.ndim != 1 or v.dtype != dtype or not v.flags.c_contiguous:
        raise ValueError(f"{what} must be a contiguous 1-D {dtype} array")
    return v


def stats(x, mean, var, invstd, eps):
    """Per-``c`` mean, biased variance and ``1 / sqrt(var + eps)`` of ``x`` (``A x C x L``).

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, var, invstd)``.
    """
    x = _v3(x, "x")
    _norm.stats(x, _vec(mean, x.dtype, "mean"), _vec(var, x.dtype, "var"),
                _vec(invstd, x.dtype, "invstd"), float(eps), get_num_threads())
    return mean, var, invstd


def affine(x, out, scale, shift):
    """``out = x * scale[c] + shift[c]`` (``out`` may be ``x``).

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    x = _v3(x, "x")
    _norm.affine(x, _v3(out, "out"), _vec(scale, x.dtype, "scale"), _vec(shift, x.dtype, "shift"),
                 get_num_threads())
    return out


def backward(xhat, dy, gamma, invstd, dx, sum_dy, sum_dy_xhat, accumulate=False):
    """Gradient through ``gamma[c] * xhat`` where ``xhat`` used batch statistics.

    Parameters
    ----------
    xhat, dy : numpy.ndarray
        ``A x C x L`` normalized input and output gradient.
    gamma, invstd : numpy.ndarray
        Per-``c`` scale and inverse standard deviation.
    dx : numpy.ndarray or None
        Input gradient, written (or added to when ``accumulate``); None to skip it.
    sum_dy, sum_dy_xhat : numpy.ndarray
        Receive the per-``c`` sums of ``dy`` and ``dy * xhat`` (shift and scale gradients).
    accumulate : bool

    Returns
    -------
    numpy.ndarray or None
        ``dx``.
    """
    xhat = _v3(xhat, "xhat")
    d = dx if dx is not None else np.empty((0,) + xhat.shape[1:], xhat.dtype)
    _norm.backward(xhat, _v3(dy, "dy"), _vec(gamma, xhat.dtype, "gamma"),
                   _vec(invstd, xhat.dtype, "invstd"), _v3(d, "dx"),
                   _vec(sum_dy, xhat.dtype, "sum_dy"), _vec(sum_dy_xhat, xhat.dtype, "sum_dy_xhat"),
                   bool(accumulate), get_num_threads())
    return dx
