"""Resizing of canonical arrays: separable resampling with per-axis index/weight tables.

The conventions are OpenCV's ``cv2.resize`` (pixel centres aligned, i.e. source coordinate
``(d + 0.5) * src/dst - 0.5``; edge samples replicated), so results match it to within one
intensity level. uint8 images go through 11-bit fixed-point weights (as OpenCV's), other
dtypes through float32/float64. For uint8 with 2 or 4 taps (linear, cubic, area) the taps of
each output are refolded into a window of consecutive source pixels, so the horizontal pass
loads them at once and multiplies int16 pairs with SIMD; it gives the same integers as the
scalar pass. Interpolations:

* ``nearest`` - OpenCV's ``INTER_NEAREST``: source index ``floor(d * src/dst)`` (not centred).
* ``linear`` - bilinear, 2 taps per axis.
* ``area`` - when shrinking along both axes, the exact pixel-coverage average; otherwise
  OpenCV's area-upsampling weights (bilinear with sharpened steps).
* ``cubic`` - Keys cubic with ``a = -0.75``, 4 taps.
* ``lanczos4`` - Lanczos window of 8 taps, weights normalised to one.

Resizing by exactly one half with ``linear`` or ``area`` takes a 2x2 box-average fast path.
Per-axis tables are cached by size, so repeated resizes of one shape (augmentation) skip
their set-up.
"""

import functools
import math

import numpy as np

from ...core.enums import InterpolationType as IT
from . import _geomcheck as chk
from . import _resize

__all__ = ["resize_array", "resize_axis0_array", "resize_tables"]


def _cubic_weights(f):
    a = -0.75
    w0 = ((a * (f + 1) - 5 * a) * (f + 1) + 8 * a) * (f + 1) - 4 * a
    w1 = ((a + 2) * f - (a + 3)) * f * f + 1
    w2 = ((a + 2) * (1 - f) - (a + 3)) * (1 - f) * (1 - f) + 1
    return np.stack([w0, w1, w2, 1 - w0 - w1 - w2], axis=-1)


def _lanczos4_weights(f):
    d = f[..., None] + 3 - np.arange(8)  # distance of each tap from the sample
    with np.errstate(invalid="ignore", divide="ignore"):
        w = 4 * np.sin(np.pi * d) * np.sin(np.pi * d / 4) / (np.pi * np.pi * d * d)
    w = np.where(np.abs(d) < 1e-12, 1.0, w)
    return w / w.sum(axis=-1, keepdims=True)


def _area_table(ssize, dsize):
    """Coverage weights of each destination cell over the source pixels (shrinking only)."""
    scale = 1.0 / (dsize / ssize)
    rows = []
    for d in range(dsize):
        f1 = d * scale
        f2 = f1 + scale
        cell = min(scale, ssize - f1)
        s1 = min(math.ceil(f1), ssize - 1)
        s2 = min(math.floor(f2), ssize - 1)
        s1 = min(s1, s2)
        taps = []
        if s1 - f1 > 1e-3:
            taps.append((s1 - 1, (s1 - f1) / cell))
        for s in range(s1, s2):
            taps.append((s, 1.0 / cell))
        if f2 - s2 > 1e-3:
            taps.append((s2, min(min(f2 - s2, 1.0), cell) / cell))
        rows.append(taps)
    k = max(len(t) for t in rows)
    idx = np.empty((dsize, k), np.int32)
    w = np.zeros((dsize, k), np.float64)
    for d, taps in enumerate(rows):
        for j, (s, wt) in enumerate(taps):
            idx[d, j] = s
            w[d, j] = wt
        idx[d, len(taps):] = taps[0][0]  # padding taps: weight 0, a valid row
    return idx, w


def resize_tables(ssize, dsize, interp, area_shrink=None):
    """Index and weight table of one axis.

    Parameters
    ----------
    ssize, dsize : int
        Source and destination sizes along the axis.
    interp : InterpolationType
        Interpolation.
    area_shrink : bool, optional
        For ``area``: whether the coverage (shrinking) table is used; by default when
        ``dsize <= ssize``. OpenCV uses it only when every axis shrinks.

    Returns
    -------
    idx : numpy.ndarray
        ``(dsize, K)`` int32 source indices, all in ``[0, ssize)``.
    w : numpy.ndarray
        ``(dsize, K)`` float64 weights; each row sums to one (for ``nearest`` K is 1).
    """
    interp = chk.interpolation(interp, "resize_tables")
    shrink = None if area_shrink is None or interp is not IT.area else bool(area_shrink)
    idx, w = _tables(int(ssize), int(dsize), interp, shrink)
    return idx.copy(), w.copy()


@functools.lru_cache(maxsize=256)
def _tables(ssize, dsize, interp, area_shrink=None):
    """Compute :func:`resize_tables`, cached and read-only (`interp` already parsed)."""
    # 1 / (dst/src), not src/dst: the same double rounding as OpenCV's tables.
    scale = 1.0 / (dsize / ssize)
    d = np.arange(dsize, dtype=np.float64)
    if interp is IT.nearest:
        idx = np.minimum(np.floor(d * scale), ssize - 1).astype(np.int32)[:, None]
        return _frozen(idx, np.ones_like(idx, dtype=np.float64))
    if interp is IT.area:
        if area_shrink is None:
            area_shrink = dsize <= ssize
        if area_shrink:
            return _frozen(*_area_table(ssize, dsize))
        sx = np.floor(d * scale)
        # OpenCV rounds this offset to float32 before taking its fractional part.
        f = ((d + 1) - (sx + 1) * (dsize / ssize)).astype(np.float32).astype(np.float64)
        f = np.where(f <= 0, 0.0, f - np.floor(f))
        taps = sx[:, None] + np.arange(2)
        w = np.stack([1 - f, f], axis=-1)
    else:
        fx = (d + 0.5) * scale - 0.5
        sx = np.floor(fx)
        f = fx - sx
        if interp is IT.linear:
            taps, w = sx[:, None] + np.arange(2), np.stack([1 - f, f], axis=-1)
        elif interp is IT.cubic:
            taps, w = sx[:, None] + np.arange(-1, 3), _cubic_weights(f)
        else:
            taps, w = sx[:, None] + np.arange(-3, 5), _lanczos4_weights(f)
    idx = np.clip(taps, 0, ssize - 1).astype(np.int32)
    return _frozen(idx, w)


def _frozen(idx, w):
    """Make tables contiguous and read-only: cached tables are shared between calls."""
    idx, w = np.ascontiguousarray(idx), np.ascontiguousarray(w)
    idx.flags.writeable = False
    w.flags.writeable = False
    return idx, w


def _fixed_weights(w, bits):
    """Integer weights scaled by 2**bits, each row summing exactly to 2**bits."""
    one = 1 << bits
    wi = np.rint(w * one).astype(np.int64)
    # Give the rounding residue to the largest tap so that flat regions stay flat.
    big = np.argmax(np.abs(w), axis=1)
    wi[np.arange(len(wi)), big] += one - wi.sum(axis=1)
    return wi.astype(np.int32)


def _consecutive(idx, w, ssize):
    """Fold each output's clamped taps into a window of K consecutive source pixels.

    Returns ``(first, w2)`` with tap k of output d at ``first[d] + k`` and the weights of
    repeated (clamped) taps summed, or None when some output's taps span more than K pixels.
    """
    k = idx.shape[1]
    if ssize < k:
        return None
    first = np.minimum(idx.min(axis=1), ssize - k)
    rel = idx - first[:, None]
    if rel.min() < 0 or rel.max() >= k:
        return None
    w2 = np.zeros_like(w)
    np.add.at(w2, (np.repeat(np.arange(len(idx)), k), rel.ravel()), w.ravel())
    return first.astype(np.int32), w2


# Bytes each SIMD output loads from its first tap on: (channels, taps) -> load size.
_SIMD_LOAD = {(1, 2): 2, (1, 4): 4, (2, 2): 8, (3, 2): 8, (4, 2): 8, (2, 4): 16, (3, 4): 16,
              (4, 4): 16}


def _simd_tables(xi, xw_int, w, c):
    """Tables of the SSE4.1 horizontal pass: ``(xofs, xw, first, pairs, lim)``.

    `xofs`/`xw` are the (possibly refolded) scalar tables, `first` the byte offset of each
    output's first tap, `pairs` its weights packed as int16 pairs and `lim` how many leading
    outputs may take the SIMD pass (0: none).
    """
    k = xi.shape[1]
    flat = (np.ascontiguousarray((xi * c).ravel(), dtype=np.int32), xw_int.ravel())
    none = flat + (np.zeros(1, np.int32), np.zeros(1, np.int32), 0)
    load = _SIMD_LOAD.get((c, k))
    folded = _consecutive(xi, xw_int.astype(np.int64), w) if load else None
    if folded is None or np.abs(folded[1]).max() >= 1 << 15:
        return none
    first, wf = folded
    xi = first[:, None] + np.arange(k, dtype=np.int32)
    lo = wf[:, 0::2].astype(np.int64) & 0xFFFF
    hi = wf[:, 1::2].astype(np.int64) & 0xFFFF
    pairs = (lo | (hi << 16)).astype(np.uint32).view(np.int32).ravel()
    # Loads must stay inside the source row; for C = 2, 3 the last output's 4-lane store
    # would spill past the row, so it stays scalar.
    ok = first.astype(np.int64) * c + load <= w * c
    lim = len(first) if ok.all() else int(np.argmin(ok))
    if c in (2, 3):
        lim = min(lim, len(first) - 1)
    return (np.ascontiguousarray((xi * c).ravel(), dtype=np.int32),
            np.ascontiguousarray(wf.ravel(), dtype=np.int32), (first * c).astype(np.int32),
            np.ascontiguousarray(pairs), max(lim, 0))


@functools.lru_cache(maxsize=128)
def _u8_plan(h, w, c, dh, dw, interp, area_shrink):
    """Fixed-point tables of a uint8 2-D resize, or None when int32 accumulation could overflow.

    Returns the arguments of :func:`_resize.resize2d_u8` between the arrays and the thread
    count: ``(xofs, xw, kx, yofs, yw, ky, shift, xfirst, xpair, lim)``.
    """
    xi, xw = _tables(w, dw, interp, area_shrink)
    yi, yw = _tables(h, dh, interp, area_shrink)
    gain = 255.0 * np.abs(xw).sum(axis=1).max() * np.abs(yw).sum(axis=1).max()
    # 11 fraction bits per axis (OpenCV's INTER_RESIZE_COEF_BITS); fewer if the worst-case
    # sum of the vertical pass would not fit in int32 (large negative lobes).
    bits = 11
    while bits >= 9 and gain * 2.0 ** (2 * bits) * 1.01 >= 2.0 ** 31:
        bits -= 1
    if bits < 9 or w * c >= 2 ** 31:
        return None
    xofs, xwi, xfirst, xpair, lim = _simd_tables(xi, _fixed_weights(xw, bits), w, c)
    plan = (xofs, xwi, xi.shape[1], np.ascontiguousarray(yi.ravel()),
            _fixed_weights(yw, bits).ravel(), yi.shape[1], 2 * bits, xfirst, xpair, lim)
    for arr in plan:
        if isinstance(arr, np.ndarray):
            arr.flags.writeable = False
    return plan


# Interpolations that resize by exactly one half as a 2x2 box average (looked up once: enum
# attribute access shows on small images).
_HALVING = frozenset((IT.linear, IT.area))
_INT64 = np.dtype(np.int64)


def _resize_2d(a, dh, dw, interp, n, area_shrink=None):
    """Resize one (H, W, C) image."""
    h, w, c = a.shape
    if h == 2 * dh and w == 2 * dw and interp in _HALVING and a.dtype != _INT64:
        out = np.empty((dh, dw, c), a.dtype)
        _resize.half2x2(a, out, n)
        return out
    if interp is IT.nearest:
        yi, _ = _tables(h, dh, interp)
        xi, _ = _tables(w, dw, interp)
        out = np.empty((dh, dw, c), a.dtype)
        _resize.gather2d(a, out, yi[:, 0].copy(), xi[:, 0].copy(), n)
        return out
    if interp is not IT.area:
        area_shrink = None  # one cache entry per table
    elif area_shrink is None:
        area_shrink = dh <= h and dw <= w
    out = np.empty((dh, dw, c), a.dtype)
    if a.dtype == np.uint8:
        plan = _u8_plan(h, w, c, dh, dw, interp, area_shrink)
        if plan is not None:
            _resize.resize2d_u8(a, out, *plan, n)
            return out
    acc = chk.acc_dtype(a.dtype)
    xi, xw = _tables(w, dw, interp, area_shrink)
    yi, yw = _tables(h, dh, interp, area_shrink)
    _resize.resize2d(a, out, xi.ravel(), xw.ravel().astype(acc), xi.shape[1], yi.ravel(),
                     yw.ravel().astype(acc), yi.shape[1], n)
    return out


def _resize_axis0(a, dsize, interp, out_dtype, n, area_shrink=None):
    """Resample axis 0 of an array viewed as (S, rest) rows."""
    s = a.shape[0]
    flat = a.reshape(s, -1)
    idx, w = resize_tables(s, dsize, interp, area_shrink)
    if interp is IT.nearest:
        return np.ascontiguousarray(flat[idx[:, 0]]).astype(out_dtype, copy=False)
    out = np.empty((dsize, flat.shape[1]), out_dtype)
    _resize.vpass(flat, out, idx.ravel(), w.ravel().astype(flat.dtype), idx.shape[1], n)
    return out


def resize_axis0_array(arr, size, interp=IT.linear):
    """Resample axis 0 of an array to `size` entries (a 1-D resize of every column).

    Parameters
    ----------
    arr : numpy.ndarray
        Array of at least one axis and a supported dtype; the other axes are kept.
    size : int
        New length of axis 0.
    interp : InterpolationType, optional
        As :func:`resize_array` (``area`` averages when shrinking).

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array of the dtype of `arr`.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import resize_axis0_array
    >>> resize_axis0_array(np.array([[0.0], [4.0]]), 4)[:, 0].tolist()
    [0.0, 1.0, 3.0, 4.0]
    """
    op = "resize"
    a = np.ascontiguousarray(arr)
    interp = chk.interpolation(interp, op)
    size = chk.sizes([size], 1, op, "size")[0]
    rows = a.reshape(a.shape[0], -1)
    n = chk.threads(size * rows.shape[1] * (1 if interp is IT.nearest else 4))
    acc = chk.acc_dtype(a.dtype)
    out = _resize_axis0(rows.astype(acc, copy=False), size, interp, a.dtype, n, size <= a.shape[0])
    return out.reshape((size,) + a.shape[1:])


def resize_array(arr, size, interp=IT.linear):
    """Resize a canonical image or volume.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` image or ``(D, H, W, C)`` volume of any supported dtype.
    size : sequence of int
        New spatial size in the canonical order: ``(H, W)`` or ``(D, H, W)``.
    interp : InterpolationType, optional
        ``nearest``, ``linear`` (default), ``area``, ``cubic`` or ``lanczos4``.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array of shape ``(*size, C)`` and the dtype of `arr`.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import resize_array
    >>> a = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    >>> resize_array(a, (2, 2))[..., 0]
    array([[ 3,  5],
           [11, 13]], dtype=uint8)
    """
    out = _resize.half_fast(arr, size, interp)
    if out is not None:
        return out
    op = "resize"
    a = chk.canonical(arr, op, (3, 4))
    interp = chk.interpolation(interp, op)
    size = chk.sizes(size, a.ndim - 1, op, "size")
    # An interpolated output costs several copied ones: 2 threads from about 64k outputs.
    n = chk.threads(math.prod(size) * a.shape[-1] * (1 if interp is IT.nearest else 4))
    if a.ndim == 3:
        return _resize_2d(a, size[0], size[1], interp, n)
    d, h, w, c = a.shape
    dd, dh, dw = size
    shrink = dd <= d and dh <= h and dw <= w
    if interp is IT.nearest:
        idx = [resize_tables(s, t, interp)[0][:, 0] for s, t in zip(a.shape[:3], size)]
        return np.ascontiguousarray(a[idx[0]][:, idx[1]][:, :, idx[2]])
    acc = chk.acc_dtype(a.dtype)
    # x then y on every slice (slices stacked as rows), then z over whole slices.
    xi, xw = resize_tables(w, dw, interp, shrink)
    yi, yw = resize_tables(h, dh, interp, shrink)
    tmp = np.empty((d * h, dw * c), acc)
    _resize.hpass(a.reshape(d * h, w, c), tmp, xi.ravel(), xw.ravel().astype(acc), xi.shape[1],
                  np.ones(d * h, np.uint8), n)
    yi_all = (yi[None] + h * np.arange(d, dtype=np.int32)[:, None, None]).astype(np.int32)
    yw_all = np.broadcast_to(yw, (d,) + yw.shape).astype(acc)
    tmp2 = np.empty((d * dh, dw * c), acc)
    _resize.vpass(tmp, tmp2, yi_all.ravel(), yw_all.ravel(), yi.shape[1], n)
    out = _resize_axis0(tmp2.reshape(d, dh * dw * c), dd, interp, a.dtype, n, shrink)
    return out.reshape(dd, dh, dw, c)
