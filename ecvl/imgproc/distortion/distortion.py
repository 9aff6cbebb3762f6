"""Random elastic, grid and optical (lens) distortions of canonical arrays.

Same algorithms and parameters as ECVL's, which port albumentations': each builds a pair
of sampling maps and resamples the image through :func:`~ecvl.imgproc.geometric.remap_array`.
The map builders are public so that a mask can be warped with exactly the maps used for its
image (with ``nearest`` interpolation).

Randomness: `seed` may be an int (reproducible), a :class:`numpy.random.Generator` (drawn
from) or None (fresh entropy).
"""

import numpy as np
from scipy import ndimage

from ..geometric import _geomcheck as chk
from ..geometric.warp import remap_array
from ...core.enums import BorderType as BT
from ...core.enums import InterpolationType as IT
from ...core.errors import EcvlValueError

__all__ = [
    "elastic_maps", "elastic_transform_array", "grid_distortion_maps", "grid_distortion_array",
    "optical_distortion_maps", "optical_distortion_array",
]


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _limits(value, op, what):
    """A ``[low, high]`` pair; a scalar ``v`` means ``[-v, v]``."""
    v = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
    if v.size == 1:
        v = np.array([-abs(v[0]), abs(v[0])])
    if v.size != 2 or not np.all(np.isfinite(v)) or v[0] > v[1]:
        raise EcvlValueError(f"{op}: {what} must be [low, high] with low <= high, got {value!r}")
    return float(v[0]), float(v[1])


def _gaussian_kernel(ksize, sigma):
    # cv2.getGaussianKernel for a float kernel.
    x = np.arange(ksize) - (ksize - 1) / 2.0
    k = np.exp(-x * x / (2.0 * sigma * sigma))
    return k / k.sum()


def elastic_maps(shape, alpha=34.0, sigma=4.0, seed=None):
    """Sampling maps of a random elastic deformation.

    Uniform noise in [-1, 1] per pixel and axis is smoothed by a 17x17 Gaussian of
    standard deviation `sigma` (borders reflected as ``BORDER_REFLECT_101``) and scaled
    by `alpha`; the maps are the pixel grid plus these displacements.

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
    """
    op = "elastic_transform"
    h, w = chk.sizes(shape, 2, op, "shape")
    if not np.isfinite(alpha):
        raise EcvlValueError(f"{op}: alpha must be finite, got {alpha!r}")
    if not np.isfinite(sigma) or sigma <= 0:
        raise EcvlValueError(f"{op}: sigma must be positive, got {sigma!r}")
    rng = _rng(seed)
    k = _gaussian_kernel(17, float(sigma))
    disp = []
    for _ in range(2):
        d = rng.random((h, w), dtype=np.float32) * 2 - 1
        for ax in (0, 1):
            d = ndimage.correlate1d(d, k, axis=ax, mode="mirror" if d.shape[ax] > 1 else "nearest")
        disp.append(d * np.float32(alpha))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return (xx + disp[0]).astype(np.float32), (yy + disp[1]).astype(np.float32)


def grid_distortion_maps(shape, num_steps=5, distort_limit=(-0.3, 0.3), seed=None):
    """Sampling maps of a random grid distortion.

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
    """
    op = "grid_distortion"
    h, w = chk.sizes(shape, 2, op, "shape")
    num_steps = chk.positive_int(num_steps, op, "num_steps")
    lo, hi = _limits(distort_limit, op, "distort_limit")
    rng = _rng(seed)
    xsteps = 1 + rng.uniform(lo, hi, num_steps + 1)
    ysteps = 1 + rng.uniform(lo, hi, num_steps + 1)

    def axis(n, steps):
        step = n // num_steps
        out = np.zeros(n, np.float32)
        prev = 0.0
        for i in range(num_steps + 1):
            start = i * step
            end = start + step
            if end > n or i == num_steps:
                end, cur = n, float(n)
            else:
                cur = prev + step * steps[i]
            if end > start:
                out[start:end] = np.linspace(prev, cur, end - start)
            prev = cur
        return out

    xx, yy = axis(w, xsteps), axis(h, ysteps)
    return np.ascontiguousarray(np.broadcast_to(xx, (h, w))), np.ascontiguousarray(
        np.broadcast_to(yy[:, None], (h, w)))


def optical_distortion_maps(shape, distort_limit=(-0.3, 0.3), shift_limit=(-0.1, 0.1), seed=None,
                            k=None, dx=None, dy=None):
    """Sampling maps of a barrel (k < 0) or pincushion (k > 0) lens distortion.

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
