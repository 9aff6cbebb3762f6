"""Random elastic, grid and optical (lens) distortions of canonical arrays.

Same algorithms and parameters as ECVL's, which port albumentations': each builds a pair
of sampling maps and resamples the image through :func:`~ecvl.imgproc.geometric.remap_array`.
The map builders are public so that a mask can be warped with exactly the maps used for its
image (with ``nearest`` interpolation).

Randomness: `seed` may be an int (reproducible), a :class:`numpy.random.Generator` (drawn
from) or None (fresh entropy).

The maps are built for per-call speed, because an augmentation builds new ones for every
image (:mod:`ecvl.augment` uses these same functions):

* the pixel grid the displacements are added to is cached per size (read-only);
* the elastic field is smoothed in float32, both components together, and for smooth
  fields (``sigma >= 3``) on a grid coarser by ``step = 2``, in one compiled pass
  (``_fields.pyx``): the noise is drawn at every other pixel, smoothed with the same
  17-pixel Gaussian sampled at that step, rescaled so that the displacement of every pixel
  keeps its variance, and interpolated back (as the linear resize does). At a quarter cycle
  per pixel, the coarse grid's Nyquist limit, a Gaussian of ``sigma >= 3`` passes less than
  1e-4 of the amplitude, so the field keeps ECVL's character (spread and correlation
  length) without being the same values as the full-resolution field of the same seed;
  below ``sigma = 3`` it is that field;
* the grid distortion's per-cell ramps are written without a Python loop over pixels.
"""

import threading

import numpy as np
from scipy import ndimage

from ...core.enums import BorderType as BT
from ...core.enums import InterpolationType as IT
from ...core.errors import EcvlValueError
from ..geometric import _geomcheck as chk
from ..geometric.warp import remap_array
from . import _fields

__all__ = [
    "pixel_grid", "coarse_step", "elastic_maps", "elastic_transform_array",
    "grid_distortion_maps", "grid_distortion_array",
    "optical_distortion_maps", "optical_distortion_array",
]

_KSIZE = 17  # ECVL's kernel: 17 taps whatever sigma
_HALF = _KSIZE // 2
_grids = {}
_grids_lock = threading.Lock()


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _limits(value, op, what):
    """Return a ``[low, high]`` pair; a scalar ``v`` means ``[-v, v]``."""
    v = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
    if v.size == 1:
        v = np.array([-abs(v[0]), abs(v[0])])
    if v.size != 2 or not np.all(np.isfinite(v)) or v[0] > v[1]:
        raise EcvlValueError(f"{op}: {what} must be [low, high] with low <= high, got {value!r}")
    return float(v[0]), float(v[1])


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
    """Return the grid step of the elastic field.

    The step is 2 for smooth fields on images of 8 pixels or more per side, else 1. (Steps
    must divide the kernel's half-width; at 4 the five taps left no longer describe the
    truncated Gaussian and the field comes out too smooth.)
    """
    return 2 if sigma >= 3 and min(h, w) >= 8 else 1


def _taps(sigma):
    # cv2.getGaussianKernel's float kernel
    x = np.arange(-_HALF, _HALF + 1, dtype=np.float64)
    k = np.exp(-x * x / (2.0 * sigma * sigma))
    return k / k.sum()


def elastic_maps(shape, alpha=34.0, sigma=4.0, seed=None):
    """Return the sampling maps of a random elastic deformation.

    Uniform noise in [-1, 1] per pixel and axis is smoothed by a 17x17 Gaussian of
    standard deviation `sigma` (borders reflected as ``BORDER_REFLECT_101``) and scaled
    by `alpha`; the maps are the pixel grid plus these displacements. From ``sigma = 3``
    the field is computed on a grid of every other pixel with the same statistics (see
    the module notes).

    Parameters
    ----------
    shape : sequence of int
        ``(H, W)`` of the image.
    alpha : float, optional
        Displacement scale in pixels.
    sigma : float, optional
        Smoothness of the field (> 0).
    seed : int, numpy.random.Generator or None, optional
        Randomness source.

    Returns
    -------
    map_x, map_y : numpy.ndarray
        float32 ``(H, W)`` source coordinates.

    Examples
    --------
    >>> from ecvl.imgproc.distortion import elastic_maps
    >>> mx, my = elastic_maps((64, 48), alpha=40.0, sigma=5.0, seed=1)
    >>> mx.shape, mx.dtype.name
    ((64, 48), 'float32')
    """
    op = "elastic_transform"
    h, w = chk.sizes(shape, 2, op, "shape")
    if not np.isfinite(alpha):
        raise EcvlValueError(f"{op}: alpha must be finite, got {alpha!r}")
    if not np.isfinite(sigma) or sigma <= 0:
        raise EcvlValueError(f"{op}: sigma must be positive, got {sigma!r}")
    rng = _rng(seed)
    step = coarse_step(sigma, h, w)
    if step == 1:
        noise = rng.random((2, h, w), dtype=np.float32)
        noise *= 2
        noise -= 1
        k = _taps(float(sigma))
        for ax in (1, 2):
            if noise.shape[ax] > 1:
                noise = ndimage.correlate1d(noise, k, axis=ax, mode="mirror")
            # a single row/column: reflect_101 has nothing to reflect, the value stays
        noise *= np.float32(alpha)
        xx, yy = pixel_grid(h, w)
        noise[0] += xx
        noise[1] += yy
        return noise[0], noise[1]
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
    """Return one axis of the grid distortion.

    Cell ``i`` spans ``n // num_steps`` pixels (the last one what is left) and its
    coordinates run linearly over ``step * steps[i]``.
    """
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


def grid_distortion_maps(shape, num_steps=5, distort_limit=(-0.3, 0.3), seed=None):
    """Return the sampling maps of a random grid distortion.

    The image is cut into `num_steps` cells per axis; each cell is stretched by a factor
    ``1 + u``, ``u`` uniform in `distort_limit`, and the coordinates are linearly
    interpolated inside the cells (the last cell absorbs the rounding).

    Parameters
    ----------
    shape : sequence of int
        ``(H, W)`` of the image.
    num_steps : int, optional
        Grid cells per axis.
    distort_limit : float or sequence of float, optional
        Range of ``u``; a scalar ``v`` means ``[-v, v]``.
    seed : int, numpy.random.Generator or None, optional
        Randomness source.

    Returns
    -------
    map_x, map_y : numpy.ndarray
        float32 ``(H, W)`` source coordinates.

    Examples
    --------
    >>> from ecvl.imgproc.distortion import grid_distortion_maps
    >>> mx, my = grid_distortion_maps((20, 30), num_steps=4, seed=0)
    >>> float(mx[0, 0]), float(mx[0, -1]), mx.shape
    (0.0, 30.0, (20, 30))
    """
    op = "grid_distortion"
    h, w = chk.sizes(shape, 2, op, "shape")
    num_steps = chk.positive_int(num_steps, op, "num_steps")
    lo, hi = _limits(distort_limit, op, "distort_limit")
    rng = _rng(seed)
    xsteps = 1 + rng.uniform(lo, hi, num_steps + 1)
    ysteps = 1 + rng.uniform(lo, hi, num_steps + 1)
    xs, ys = _ramp(w, num_steps, xsteps), _ramp(h, num_steps, ysteps)
    mx = np.empty((h, w), np.float32)
    my = np.empty((h, w), np.float32)
    mx[...] = xs
    my[...] = ys[:, None]
    return mx, my


def optical_distortion_maps(shape, distort_limit=(-0.3, 0.3), shift_limit=(-0.1, 0.1), seed=None,
                            k=None, dx=None, dy=None):
    """Return the sampling maps of a barrel (k < 0) or pincushion (k > 0) lens distortion.

    A camera of focal lengths ``f = (W, H)`` and principal point ``c = (W/2 + dx, H/2 + dy)``
    with radial coefficients ``k1 = k2 = k``: destination pixel ``u`` samples the source at
    ``c + f * p * (1 + k r^2 + k r^4)`` where ``p = (u - c') / f``, ``r = |p|`` and ``c'`` is
    the centre of the pixel grid (the map ``cv2.initUndistortRectifyMap`` builds without a
    new camera matrix, which albumentations and ECVL use).

    Parameters
    ----------
    shape : sequence of int
        ``(H, W)`` of the image.
    distort_limit : float or sequence of float, optional
        Range of ``k``.
    shift_limit : float or sequence of float, optional
        Range of the principal-point shift, as a fraction of the width (``dx``) and
        height (``dy``).
    seed : int, numpy.random.Generator or None, optional
        Randomness source.
    k, dx, dy : float, optional
        Fixed values (``dx``, ``dy`` in pixels) instead of random draws.

    Returns
    -------
    map_x, map_y : numpy.ndarray
        float32 ``(H, W)`` source coordinates.
    """
    op = "optical_distortion"
    h, w = chk.sizes(shape, 2, op, "shape")
    dlo, dhi = _limits(distort_limit, op, "distort_limit")
    slo, shi = _limits(shift_limit, op, "shift_limit")
    rng = _rng(seed)
    k = rng.uniform(dlo, dhi) if k is None else float(k)
    dx = rng.uniform(slo, shi) * w if dx is None else float(dx)
    dy = rng.uniform(slo, shi) * h if dy is None else float(dy)
    fx, fy = float(w), float(h)
    cx, cy = w * 0.5 + dx, h * 0.5 + dy
    # The output camera keeps the focal lengths but is centred on the pixel grid, as
    # cv2.initUndistortRectifyMap does without a new camera matrix.
    x = (np.arange(w, dtype=np.float64) - (w - 1) * 0.5) / fx
    y = (np.arange(h, dtype=np.float64) - (h - 1) * 0.5) / fy
    r2 = x[None, :] ** 2 + y[:, None] ** 2
    kr = 1 + k * r2 + k * r2 * r2
    return ((fx * x[None, :] * kr + cx).astype(np.float32),
            (fy * y[:, None] * kr + cy).astype(np.float32))


def _apply(arr, op, maps_fn, interp, border, value):
    a = chk.canonical(arr, op)
    mx, my = maps_fn(a.shape[:2])
    return remap_array(a, mx, my, interp, border, value)


def elastic_transform_array(arr, alpha=34.0, sigma=4.0, interp=IT.linear,
                            border=BT.BORDER_REFLECT_101, value=0, seed=None):
    """Random elastic deformation of a canonical ``(H, W, C)`` image.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical image, any supported dtype.
    alpha, sigma, seed
        As in :func:`elastic_maps`.
    interp : InterpolationType, optional
        Interpolation (``nearest`` for label masks).
    border : BorderType, optional
        Border rule (default ``BORDER_REFLECT_101``).
    value : float or sequence of float, optional
        Constant for ``BORDER_CONSTANT``.

    Returns
    -------
    numpy.ndarray
        The deformed image.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.distortion import elastic_transform_array
    >>> elastic_transform_array(np.zeros((32, 32, 1), np.uint8), seed=0).shape
    (32, 32, 1)
    """
    return _apply(arr, "elastic_transform", lambda s: elastic_maps(s, alpha, sigma, seed), interp,
                  border, value)


def grid_distortion_array(arr, num_steps=5, distort_limit=(-0.3, 0.3), interp=IT.linear,
                          border=BT.BORDER_REFLECT_101, value=0, seed=None):
    """Random grid distortion of a canonical ``(H, W, C)`` image.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical image.
    num_steps, distort_limit, seed
        As in :func:`grid_distortion_maps`.
    interp, border, value
        As in :func:`elastic_transform_array`.

    Returns
    -------
    numpy.ndarray
        The distorted image.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.distortion import grid_distortion_array
    >>> grid_distortion_array(np.zeros((20, 30, 3), np.float32), seed=1).shape
    (20, 30, 3)
    """
    return _apply(arr, "grid_distortion",
                  lambda s: grid_distortion_maps(s, num_steps, distort_limit, seed), interp, border,
                  value)


def optical_distortion_array(arr, distort_limit=(-0.3, 0.3), shift_limit=(-0.1, 0.1),
                             interp=IT.linear, border=BT.BORDER_REFLECT_101, value=0, seed=None):
    """Random lens (barrel/pincushion) distortion of a canonical ``(H, W, C)`` image.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical image.
    distort_limit, shift_limit, seed
        As in :func:`optical_distortion_maps`.
    interp, border, value
        As in :func:`elastic_transform_array`.

    Returns
    -------
    numpy.ndarray
        The distorted image.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.distortion import optical_distortion_array
    >>> optical_distortion_array(np.zeros((20, 30, 1), np.int16), seed=2).dtype
    dtype('int16')
    """
    return _apply(arr, "optical_distortion",
                  lambda s: optical_distortion_maps(s, distort_limit, shift_limit, seed), interp,
                  border, value)
