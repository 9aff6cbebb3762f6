"""Sampling maps of the elastic and grid distortions, built for per-call speed.

The algorithms are ECVL's (:mod:`ecvl.imgproc.distortion`); what differs is how the maps
are computed, because an augmentation builds new ones for every image:

* the pixel grid the displacements are added to is cached per size (read-only);
* the elastic field is smoothed in float32, both components together, and for smooth
  fields (``sigma >= 3``) on a grid coarser by ``step = 2``, in one compiled pass
  (``_fields.pyx``): the noise is drawn at every other pixel, smoothed with the same
  17-pixel Gaussian sampled at that step, rescaled so that the displacement of every pixel
  keeps its variance, and interpolated back (as the linear resize does). At a quarter cycle
  per pixel, the coarse grid's Nyquist limit, a Gaussian of ``sigma >= 3`` passes less than
  1e-4 of the amplitude, so the field keeps its character (spread and correlation length);
* the grid distortion's per-cell ramps are written without a Python loop over pixels.

With ``sigma < 3`` the elastic maps equal :func:`ecvl.imgproc.distortion.elastic_maps`
for the same seed; the grid maps always equal
:func:`ecvl.imgproc.distortion.grid_distortion_maps`.
"""

import threading

import numpy as np
from scipy import ndimage

from . import _fields

__all__ = ["elastic_maps", "grid_distortion_maps", "pixel_grid", "coarse_step"]

_KSIZE = 17  # ECVL's kernel: 17 taps whatever sigma
_HALF = _KSIZE // 2
_grids = {}
_grids_lock = threading.Lock()


def pixel_grid(h, w):
    """Read-only float32 ``(xx, yy)`` of shape ``(h, w)``, cached per size."""
    key = (h, w)
    g = _grids.get(key)
    if g is None:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        xx.flags.writeable = False
        yy.flags.writeable = False
        g = (xx, yy)
        with _grids_lock:
            if len(_grids) > 64:  # sizes seen by one pipeline are few; do not grow forever
                _grids.clear()
            _grids[key] = g
    return g


def coarse_step(sigma, h, w):
    """Grid step of the elastic field: 2 for smooth fields on images of 8 pixels or more
    per side, else 1. (Steps must divide the kernel's half-width; at 4 the five taps left
    no longer describe the truncated Gaussian and the field comes out too smooth.)"""
    return 2 if sigma >= 3 and min(h, w) >= 8 else 1


def _taps(sigma, step):
    x = np.arange(-_HALF, _HALF + 1, step, dtype=np.float64)
    k = np.exp(-x * x / (2.0 * sigma * sigma))
    return k / k.sum()


def _smooth(noise, k):
    """Correlate the two (n, h, w) fields with ``k`` along both spatial axes (reflect_101)."""
    for ax in (1, 2):
        if noise.shape[ax] > 1:
            noise = ndimage.correlate1d(noise, k, axis=ax, mode="mirror")
        # a single row/column: reflect_101 has nothing to reflect, the value stays
    return noise


def elastic_maps(hw, alpha, sigma, seed):
    """Maps ``(map_x, map_y)`` (float32 ``(H, W)``) of a random elastic deformation.

    Uniform noise in [-1, 1] per pixel and axis, smoothed by a 17-tap Gaussian of
    standard deviation ``sigma`` (borders reflected) and scaled by ``alpha``, added to the
    pixel grid; see the module notes for the coarse grid used when ``sigma >= 3``.

    Parameters
    ----------
    hw : tuple of int
        ``(H, W)``.
    alpha : float
        Displacement scale in pixels.
    sigma : float
        Smoothness (> 0).
    seed : int
        Seed of the noise.

    Returns
    -------
    map_x, map_y : numpy.ndarray

    Examples
    --------
    >>> from ecvl.augment.fields import elastic_maps
    >>> mx, my = elastic_maps((64, 48), alpha=40.0, sigma=5.0, seed=1)
    >>> mx.shape, mx.dtype.name
    ((64, 48), 'float32')
    """
    h, w = (int(v) for v in hw)
    if h < 1 or w < 1:
        raise ValueError(f"elastic_maps: size {tuple(hw)} must be positive")
    if not (np.isfinite(alpha) and np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"elastic_maps: alpha must be finite and sigma positive, got "
                         f"alpha={alpha!r}, sigma={sigma!r}")
    rng = np.random.default_rng(seed)
    step = coarse_step(sigma, h, w)
    xx, yy = pixel_grid(h, w)
    if step == 1:
        noise = rng.random((2, h, w), dtype=np.float32)
        noise *= 2
        noise -= 1
        d = _smooth(noise, _taps(sigma, 1).astype(np.float32))
        d *= np.float32(alpha)
        d[0] += xx
        d[1] += yy
        return d[0], d[1]
    hc, wc = -(-h // step), -(-w // step)
    noise = rng.random((2, hc, wc), dtype=np.float32)
    noise *= 2
    noise -= 1
    mx = np.empty((h, w), np.float32)
    my = np.empty((h, w), np.float32)
    # smoothing at the coarse step, variance match, alpha, bilinear upsampling and the
    # pixel grid in one pass (the sizes above are what the kernel checks)
    _fields.coarse_elastic_maps(noise, float(sigma), float(alpha), _HALF, mx, my)
    return mx, my


def _ramp(n, num_steps, steps):
    """One axis of the grid distortion, as ``grid_distortion_maps`` builds it."""
    step = n // num_steps
    out = np.empty(n, np.float32)
    prev = 0.0
    ramp = np.arange(n, dtype=np.float64)
    for i in range(num_steps + 1):
        start = i * step
        end = start + step
        if end > n or i == num_steps:
            end, cur = n, float(n)
        else:
            cur = prev + step * steps[i]
        m = end - start
        if m == 1:
            out[start] = prev
        elif m > 1:  # np.linspace(prev, cur, m), computed the way it computes it
            seg = ramp[:m] * ((cur - prev) / (m - 1)) + prev
            seg[-1] = cur
            out[start:end] = seg
        prev = cur
    return out


def grid_distortion_maps(hw, num_steps, distort_limit, seed):
    """Maps of a random grid distortion (see
    :func:`ecvl.imgproc.distortion.grid_distortion_maps`, same values for the same seed).

    Parameters
    ----------
    hw : tuple of int
        ``(H, W)``.
    num_steps : int
        Cells per axis.
    distort_limit : tuple of float
        ``(low, high)`` of the stretch of each cell.
    seed : int
        Seed.

    Returns
    -------
    map_x, map_y : numpy.ndarray
        float32 ``(H, W)``.
    """
    h, w = (int(v) for v in hw)
    lo, hi = (float(v) for v in distort_limit)
    rng = np.random.default_rng(seed)
    xsteps = 1 + rng.uniform(lo, hi, num_steps + 1)
    ysteps = 1 + rng.uniform(lo, hi, num_steps + 1)
    xs, ys = _ramp(w, num_steps, xsteps), _ramp(h, num_steps, ysteps)
    mx = np.empty((h, w), np.float32)
    my = np.empty((h, w), np.float32)
    mx[...] = xs
    my[...] = ys[:, None]
    return mx, my
