"""Intensity operations: normalisation, gamma, brightness/contrast, noise and dropout.

Random operations take ``rng``: a :class:`numpy.random.Generator`, an int seed (same seed, same
result) or None for fresh entropy. Integer results are rounded and saturated to the dtype;
float images are not clipped. "Full scale" is the dtype maximum for integers and 1.0 for floats.
"""

import numpy as np

from ..core.errors import EcvlValueError
from . import _threshold
from ._kernutil import (
    as_image_array,
    deliver,
    image_canonical,
    nthreads,
    restore,
    saturate_cast,
)

__all__ = [
    "normalize_array",
    "gamma_contrast_array",
    "brightness_contrast_array",
    "gaussian_noise_array",
    "additive_laplace_noise_array",
    "additive_poisson_noise_array",
    "salt_pepper_array",
    "coarse_dropout_array",
    "Normalize",
    "normalize",
    "GammaContrast",
    "gamma_contrast",
    "BrightnessContrast",
    "brightness_contrast",
    "GaussianNoise",
    "gaussian_noise",
    "AdditiveLaplaceNoise",
    "additive_laplace_noise",
    "AdditivePoissonNoise",
    "additive_poisson_noise",
    "Salt",
    "Pepper",
    "SaltAndPepper",
    "salt_pepper",
    "CoarseDropout",
    "coarse_dropout",
]


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _full_scale(dtype):
    return 1.0 if np.dtype(dtype).kind == "f" else float(np.iinfo(dtype).max)


def _wide(a):
    return a.astype(np.float64) if a.dtype != np.float32 else a


def _finish(values, like):
    return saturate_cast(values, like.dtype) if like.dtype.kind != "f" else \
        values.astype(like.dtype, copy=False)


def _per_channel(value, nch, op, name):
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.size not in (1, nch):
        raise EcvlValueError(f"{op}: {name} needs 1 or {nch} values, got {value!r}")
    return v


def normalize_array(src, mean, std):
    """``(src - mean) / std`` with scalars or one value per channel.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    mean, std : float or sequence of float
        Statistics; ``std`` must be nonzero.

    Returns
    -------
    numpy.ndarray
        float32 result (float64 for float64 input).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import normalize_array
    >>> normalize_array(np.array([[[2.0, 4.0]]]), [1, 2], [1, 2]).tolist()
    [[[1.0, 1.0]]]
    """
    op = "Normalize"
    a, squeeze = as_image_array(src, op)
    m = _per_channel(mean, a.shape[-1], op, "mean")
    s = _per_channel(std, a.shape[-1], op, "std")
    if np.any(s == 0) or not np.all(np.isfinite(s)) or not np.all(np.isfinite(m)):
        raise EcvlValueError(f"{op}: std must be finite and nonzero, got {std!r}")
    dt = np.float64 if a.dtype == np.float64 else np.float32
    out = ((a.astype(dt) - m.astype(dt)) / s.astype(dt)).astype(dt)
    return restore(out, squeeze)


def gamma_contrast_array(src, gamma):
    """Gamma correction ``full * (src / full) ** gamma`` ("full" = full scale).

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array (negative values are clipped to 0 first).
    gamma : float
        Positive exponent.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import gamma_contrast_array
    >>> gamma_contrast_array(np.array([[0, 64, 255]], np.uint8), 0.5).tolist()
    [[0, 128, 255]]
    """
    op = "GammaContrast"
    if not np.isfinite(gamma) or gamma <= 0:
        raise EcvlValueError(f"{op}: gamma must be positive, got {gamma!r}")
    a, squeeze = as_image_array(src, op)
    full = _full_scale(a.dtype)
    if a.dtype == np.uint8:
        lut = saturate_cast(full * (np.arange(256) / full) ** gamma, np.uint8)
        out = np.empty_like(a)
        _threshold.lut_u8(a.reshape(-1), out.reshape(-1), lut, nthreads())
    else:
        out = _finish(full * (np.clip(_wide(a), 0, None) / full) ** gamma, a)
    return restore(out, squeeze)


def brightness_contrast_array(src, alpha=1.0, beta=0.0):
    """Linear intensity change ``alpha * src + beta`` (brightness = ``beta``, contrast =
    ``alpha``), saturated for integer dtypes.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    alpha : float, optional
        Gain.
    beta : float, optional
        Offset.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import brightness_contrast_array
    >>> brightness_contrast_array(np.array([[100, 200]], np.uint8), 1.5, 10).tolist()
    [[160, 255]]
    """
    a, squeeze = as_image_array(src, "BrightnessContrast")
    if not (np.isfinite(alpha) and np.isfinite(beta)):
        raise EcvlValueError(f"BrightnessContrast: alpha and beta must be finite, got "
                             f"{alpha!r}, {beta!r}")
    if a.dtype == np.uint8:
        lut = saturate_cast(alpha * np.arange(256.0) + beta, np.uint8)
        out = np.empty_like(a)
        _threshold.lut_u8(a.reshape(-1), out.reshape(-1), lut, nthreads())
    else:
        out = _finish(_wide(a) * alpha + beta, a)
    return restore(out, squeeze)


def _add_noise(src, op, draw):
    a, squeeze = as_image_array(src, op)
    noise = draw(a.shape)
    return restore(_finish(_wide(a) + noise, a), squeeze)


def gaussian_noise_array(src, std_dev, mean=0.0, rng=None):
    """Add independent normal noise ``N(mean, std_dev**2)`` to every element.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    std_dev : float
        Standard deviation (>= 0), in intensity units.
    mean : float, optional
        Mean of the noise.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    numpy.ndarray
        Noisy array, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import gaussian_noise_array
    >>> img = np.full((4, 4), 100, np.uint8)
    >>> bool((gaussian_noise_array(img, 5, rng=0) == gaussian_noise_array(img, 5, rng=0)).all())
    True
    """
    if not np.isfinite(std_dev) or std_dev < 0:
        raise EcvlValueError(f"GaussianNoise: std_dev must be >= 0, got {std_dev!r}")
    g = _rng(rng)
    return _add_noise(src, "GaussianNoise", lambda shp: g.normal(mean, std_dev, shp))


def additive_laplace_noise_array(src, std_dev, rng=None):
    """Add zero-mean Laplace noise of standard deviation ``std_dev`` (scale
    ``std_dev / sqrt(2)``) to every element.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    std_dev : float
        Standard deviation (>= 0).
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    numpy.ndarray
        Noisy array.
    """
    if not np.isfinite(std_dev) or std_dev < 0:
        raise EcvlValueError(f"AdditiveLaplaceNoise: std_dev must be >= 0, got {std_dev!r}")
    g = _rng(rng)
    return _add_noise(src, "AdditiveLaplaceNoise",
                      lambda shp: g.laplace(0.0, std_dev / np.sqrt(2.0), shp))


def additive_poisson_noise_array(src, lam, rng=None):
    """Add Poisson-distributed noise ``Poisson(lam)`` (mean ``lam``) to every element.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    lam : float
        Rate (>= 0).
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    numpy.ndarray
        Noisy array.
    """
    if not np.isfinite(lam) or lam < 0:
        raise EcvlValueError(f"AdditivePoissonNoise: lambda must be >= 0, got {lam!r}")
    g = _rng(rng)
    return _add_noise(src, "AdditivePoissonNoise", lambda shp: g.poisson(lam, shp))


def salt_pepper_array(src, p, salt=True, pepper=True, per_channel=False, rng=None):
    """Set a fraction ``p`` of pixels to full scale (salt) and/or 0 (pepper).

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    p : float
        Probability that a pixel (or element, with `per_channel`) is hit, in [0, 1].
    salt, pepper : bool, optional
        Which values may be written; with both, each hit is salt or pepper with equal odds.
    per_channel : bool, optional
        Decide for every channel separately instead of for whole pixels.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    numpy.ndarray
        Noisy copy.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import salt_pepper_array
    >>> out = salt_pepper_array(np.full((50, 50), 128, np.uint8), 0.2, pepper=False, rng=1)
    >>> sorted(set(out.ravel().tolist()))
    [128, 255]
    """
    op = "SaltAndPepper"
    if not 0 <= p <= 1:
        raise EcvlValueError(f"{op}: p must be in [0, 1], got {p!r}")
    if not (salt or pepper):
        raise EcvlValueError(f"{op}: at least one of salt and pepper must be True")
    a, squeeze = as_image_array(src, op)
    g = _rng(rng)
    shape = a.shape if per_channel else a.shape[:-1] + (1,)
    hit = g.random(shape) < p
    out = a.copy()
    full = a.dtype.type(_full_scale(a.dtype))
    if salt and pepper:
        white = g.random(shape) < 0.5
        np.copyto(out, full, where=np.broadcast_to(hit & white, a.shape))
        np.copyto(out, a.dtype.type(0), where=np.broadcast_to(hit & ~white, a.shape))
    else:
        np.copyto(out, full if salt else a.dtype.type(0), where=np.broadcast_to(hit, a.shape))
    return restore(out, squeeze)


def coarse_dropout_array(src, p, drop_size, per_channel=False, rng=None):
    """Zero rectangles: the image is tiled into cells of ``drop_size`` times its width and
    height, and each cell is dropped with probability ``p``.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, C)`` (or ``(D, H, W, C)``, cells spanning all slices) array.
    p : float
        Drop probability of a cell, in [0, 1].
    drop_size : float
        Cell size as a fraction of the image side, in (0, 1].
    per_channel : bool, optional
        Drop each channel's cells independently.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    numpy.ndarray
        Copy with the dropped cells set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import coarse_dropout_array
    >>> int(coarse_dropout_array(np.ones((8, 8), np.uint8), 1.0, 0.5).sum())
    0
    """
    op = "CoarseDropout"
    if not 0 <= p <= 1:
        raise EcvlValueError(f"{op}: p must be in [0, 1], got {p!r}")
    if not 0 < drop_size <= 1:
        raise EcvlValueError(f"{op}: drop_size must be in (0, 1], got {drop_size!r}")
    a, squeeze = as_image_array(src, op)
    H, W = a.shape[-3], a.shape[-2]
    sy, sx = max(1, int(round(drop_size * H))), max(1, int(round(drop_size * W)))
    cells = (-(-H // sy), -(-W // sx), a.shape[-1] if per_channel else 1)
    keep = _rng(rng).random(cells) >= p
    mask = np.repeat(np.repeat(keep, sy, axis=0), sx, axis=1)[:H, :W]
    return restore(a * mask.astype(a.dtype), squeeze)


# ---------------------------------------------------------------- Image-level entry points
def _img(src, op, fn, *args, **kw):
    return deliver(src, fn(image_canonical(src, op), *args, **kw))


def normalize(src, mean, std):
    """Normalised copy of an :class:`~ecvl.Image`; see :func:`normalize_array`.

    Parameters
    ----------
    src : Image
        Source image.
    mean, std : float or sequence of float
        Scalars or one value per channel.

    Returns
    -------
    Image
        float32 (or float64) image.
    """
    return _img(src, "Normalize", normalize_array, mean, std)


def Normalize(src, dst, mean, std):
    """PyECVL ``Normalize`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    mean, std : float or sequence of float
        Statistics.
    """
    deliver(src, normalize_array(image_canonical(src, "Normalize"), mean, std), dst)


def gamma_contrast(src, gamma):
    """Gamma-corrected copy of an :class:`~ecvl.Image`; see :func:`gamma_contrast_array`.

    Parameters
    ----------
    src : Image
        Source image.
    gamma : float
        Exponent.

    Returns
    -------
    Image
        Result.
    """
    return _img(src, "GammaContrast", gamma_contrast_array, gamma)


def GammaContrast(src, dst, gamma):
    """PyECVL ``GammaContrast`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    gamma : float
        Exponent.
    """
    deliver(src, gamma_contrast_array(image_canonical(src, "GammaContrast"), gamma), dst)


def brightness_contrast(src, alpha=1.0, beta=0.0):
    """``alpha * src + beta`` of an :class:`~ecvl.Image`; see :func:`brightness_contrast_array`.

    Parameters
    ----------
    src : Image
        Source image.
    alpha, beta : float, optional
        Gain and offset.

    Returns
    -------
    Image
        Result.
    """
    return _img(src, "BrightnessContrast", brightness_contrast_array, alpha, beta)


def BrightnessContrast(src, dst, alpha=1.0, beta=0.0):
    """PyECVL-style form of :func:`brightness_contrast` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    alpha, beta : float, optional
        Gain and offset.
    """
    deliver(src, brightness_contrast_array(image_canonical(src, "BrightnessContrast"), alpha,
                                           beta), dst)


def gaussian_noise(src, std_dev, mean=0.0, rng=None):
    """Copy of an :class:`~ecvl.Image` with normal noise; see :func:`gaussian_noise_array`.

    Parameters
    ----------
    src : Image
        Source image.
    std_dev, mean : float
        Noise parameters.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    Image
        Noisy image.
    """
    return _img(src, "GaussianNoise", gaussian_noise_array, std_dev, mean, rng)


def GaussianNoise(src, dst, std_dev, mean=0.0, seed=None):
    """PyECVL-style form of :func:`gaussian_noise` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    std_dev, mean : float
        Noise parameters.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    deliver(src, gaussian_noise_array(image_canonical(src, "GaussianNoise"), std_dev, mean,
                                      seed), dst)


def additive_laplace_noise(src, std_dev, rng=None):
    """Copy with Laplace noise; see :func:`additive_laplace_noise_array`.

    Parameters
    ----------
    src : Image
        Source image.
    std_dev : float
        Standard deviation.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    Image
        Noisy image.
    """
    return _img(src, "AdditiveLaplaceNoise", additive_laplace_noise_array, std_dev, rng)


def AdditiveLaplaceNoise(src, dst, std_dev, seed=None):
    """PyECVL ``AdditiveLaplaceNoise`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    std_dev : float
        Standard deviation.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    deliver(src, additive_laplace_noise_array(image_canonical(src, "AdditiveLaplaceNoise"),
                                              std_dev, seed), dst)


def additive_poisson_noise(src, lam, rng=None):
    """Copy with Poisson noise; see :func:`additive_poisson_noise_array`.

    Parameters
    ----------
    src : Image
        Source image.
    lam : float
        Rate.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    Image
        Noisy image.
    """
    return _img(src, "AdditivePoissonNoise", additive_poisson_noise_array, lam, rng)


def AdditivePoissonNoise(src, dst, lambda_, seed=None):
    """PyECVL ``AdditivePoissonNoise`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    lambda_ : float
        Rate.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    deliver(src, additive_poisson_noise_array(image_canonical(src, "AdditivePoissonNoise"),
                                              lambda_, seed), dst)


def salt_pepper(src, p, salt=True, pepper=True, per_channel=False, rng=None):
    """Copy with salt and/or pepper noise; see :func:`salt_pepper_array`.

    Parameters
    ----------
    src : Image
        Source image.
    p : float
        Probability of a hit.
    salt, pepper, per_channel : bool, optional
        Kind of noise and whether channels are decided separately.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    Image
        Noisy image.
    """
    return _img(src, "SaltAndPepper", salt_pepper_array, p, salt, pepper, per_channel, rng)


def _sp(src, dst, p, per_channel, seed, salt, pepper):
    deliver(src, salt_pepper_array(image_canonical(src, "SaltAndPepper"), p, salt, pepper,
                                   per_channel, seed), dst)


def Salt(src, dst, p, per_channel=False, seed=None):
    """PyECVL ``Salt``: pixels set to full scale with probability ``p``, into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    p : float
        Probability.
    per_channel : bool, optional
        Decide per channel.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    _sp(src, dst, p, per_channel, seed, True, False)


def Pepper(src, dst, p, per_channel=False, seed=None):
    """PyECVL ``Pepper``: pixels set to 0 with probability ``p``, into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    p : float
        Probability.
    per_channel : bool, optional
        Decide per channel.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    _sp(src, dst, p, per_channel, seed, False, True)


def SaltAndPepper(src, dst, p, per_channel=False, seed=None):
    """PyECVL ``SaltAndPepper``: salt or pepper (equal odds) with probability ``p``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    p : float
        Probability.
    per_channel : bool, optional
        Decide per channel.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    _sp(src, dst, p, per_channel, seed, True, True)


def coarse_dropout(src, p, drop_size, per_channel=False, rng=None):
    """Copy with dropped rectangles; see :func:`coarse_dropout_array`.

    Parameters
    ----------
    src : Image
        Source image.
    p, drop_size : float
        Drop probability and cell size (fraction of the image side).
    per_channel : bool, optional
        Drop channels independently.
    rng : numpy.random.Generator or int, optional
        Random source or seed.

    Returns
    -------
    Image
        Result.
    """
    return _img(src, "CoarseDropout", coarse_dropout_array, p, drop_size, per_channel, rng)


def CoarseDropout(src, dst, p, drop_size, per_channel=False, seed=None):
    """PyECVL ``CoarseDropout`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    p, drop_size : float
        Drop probability and cell size.
    per_channel : bool, optional
        Drop channels independently.
    seed : int or numpy.random.Generator, optional
        Random seed.
    """
    deliver(src, coarse_dropout_array(image_canonical(src, "CoarseDropout"), p, drop_size,
                                      bool(per_channel), seed), dst)
