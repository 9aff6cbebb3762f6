"""Max and average pooling of the reference backend (1 to 3 spatial axes, channels-first).

Windows are clipped to the input, so padding never wins a max and is not counted in an average;
the output size says how far the last window reaches. ``indices`` holds the flat in-plane index
of each maximum (the first one in window order on ties).
"""

import numpy as np

from .core import store as _store

__all__ = ["max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward"]


def _check(x, y, size, stride, pad):
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError("pool: arrays must be numpy.ndarray")
    if not 3 <= x.ndim <= 5 or y.ndim != x.ndim or x.shape[:2] != y.shape[:2]:
        raise ValueError(f"pool: input {x.shape} and output {y.shape} do not match")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"pool: only float32/float64 are supported, got {x.dtype}")
    nsp = x.ndim - 2
    geo = [tuple(int(v) for v in t) for t in (size, stride, pad)]
    if any(len(t) != nsp for t in geo):
        raise ValueError(f"pool: expected {nsp} values for size, stride and pad, got {geo}")
    return geo


def _taps(in_sp, out_sp, k, s, p):
    """Per window tap: in-plane flat input index and validity, both shaped like the output."""
    for off in np.ndindex(*k):
        pos = [np.arange(o) * si - pi + t for o, si, pi, t in zip(out_sp, s, p, off)]
        grids = np.meshgrid(*pos, indexing="ij")
        valid = np.ones(tuple(out_sp), dtype=bool)
        for g, n in zip(grids, in_sp):
            valid &= (g >= 0) & (g < n)
        clipped = [np.clip(g, 0, n - 1) for g, n in zip(grids, in_sp)]
        yield np.ravel_multi_index(clipped, in_sp), valid


def _planes(a):
    return a.reshape(a.shape[0] * a.shape[1], -1)


def max_pool_forward(x, out, indices, size, stride, pad):
    """``out`` = window maxima of ``x``; ``indices`` (or None) records where each maximum was."""
    k, s, p = _check(x, out, size, stride, pad)
    if indices is not None and indices.shape != out.shape:
        raise ValueError(f"pool: indices {indices.shape} must be shaped like out {out.shape}")
    xf = _planes(x)
    best = np.full((xf.shape[0], out[0, 0].size), -np.inf)
    where = np.full(best.shape, -1, dtype=np.int64)
    for flat, valid in _taps(x.shape[2:], out.shape[2:], k, s, p):
        flat, valid = flat.reshape(-1), valid.reshape(-1)
        vals = np.where(valid, xf[:, flat], -np.inf)
        better = vals > best
        best = np.where(better, vals, best)
        where = np.where(better, flat, where)
    out[...] = best.reshape(out.shape)
    if indices is not None:
        indices[...] = where.reshape(out.shape)
    return out


def max_pool_backward(dy, indices, dx, accumulate=False):
    """``dx (=|+=)`` ``dy`` routed to the recorded maxima."""
    if indices.shape != dy.shape or dy.shape[:2] != dx.shape[:2]:
        raise ValueError("pool: dy, indices and dx shapes do not match")
    plane = dx[0, 0].size
    idx = _planes(indices).astype(np.int64)
    keep = idx >= 0
    lin = (np.arange(idx.shape[0])[:, None] * plane + idx)[keep]
    grad = np.bincount(lin, weights=_planes(dy)[keep], minlength=dx.size)
    return _store(dx, grad.reshape(dx.shape), accumulate)


def avg_pool_forward(x, out, size, stride, pad):
    """``out`` = mean of the in-bounds values of each window."""
    k, s, p = _check(x, out, size, stride, pad)
    xf = _planes(x)
    total = np.zeros((xf.shape[0], out[0, 0].size))
    count = np.zeros(out[0, 0].size)
    for flat, valid in _taps(x.shape[2:], out.shape[2:], k, s, p):
        flat, valid = flat.reshape(-1), valid.reshape(-1)
        total += np.where(valid, xf[:, flat], 0.0)
        count += valid
    out[...] = (total / count).reshape(out.shape)
    return out


def avg_pool_backward(dy, dx, size, stride, pad, accumulate=False):
    """``dx (=|+=)`` the gradient of :func:`avg_pool_forward`."""
    k, s, p = _check(dx, dy, size, stride, pad)
    taps = [(f.reshape(-1), v.reshape(-1)) for f, v in _taps(dx.shape[2:], dy.shape[2:], k, s, p)]
    count = sum(v.astype(np.float64) for _, v in taps)
    share = _planes(dy) / count
    grad = np.zeros((share.shape[0], dx[0, 0].size))
    for flat, valid in taps:
        np.add.at(grad, (slice(None), flat[valid]), share[:, valid])
    return _store(dx, grad.reshape(dx.shape), accumulate)
