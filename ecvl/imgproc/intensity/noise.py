"""Additive noise: Gaussian, Laplace, Poisson, and salt-and-pepper.

Random operations take ``rng``: a :class:`numpy.random.Generator`, an int seed (same seed, same
result) or None for fresh entropy. Integer results are rounded and saturated to the dtype;
float images are not clipped. "Full scale" is the dtype maximum for integers and 1.0 for floats.
"""

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.errors import EcvlValueError
from .._kernutil import apply_to_image, as_image_array, deliver, image_canonical, restore
from ._intensity_util import _finish, _full_scale, _rng, _wide

__all__ = [
    "gaussian_noise_array",
    "additive_laplace_noise_array",
    "additive_poisson_noise_array",
    "salt_pepper_array",
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
]


def _add_noise(src, op, name, value, rng, draw):
    """Add ``draw(generator, shape)`` to `src` once the noise parameter `value` is checked >= 0."""
    if not np.isfinite(value) or value < 0:
        raise EcvlValueError(f"{op}: {name} must be >= 0, got {value!r}")
    g = _rng(rng)
    a, squeeze = as_image_array(src, op)
    return restore(_finish(_wide(a) + draw(g, a.shape), a), squeeze)


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
    >>> from ecvl.imgproc.intensity.noise import gaussian_noise_array
    >>> img = np.full((4, 4), 100, np.uint8)
    >>> bool((gaussian_noise_array(img, 5, rng=0) == gaussian_noise_array(img, 5, rng=0)).all())
    True
    """
    return _add_noise(src, "GaussianNoise", "std_dev", std_dev, rng,
                      lambda g, shp: g.normal(mean, std_dev, shp))


def additive_laplace_noise_array(src, std_dev, rng=None):
    """Add zero-mean Laplace noise of standard deviation ``std_dev`` to every element.

    The Laplace scale is ``std_dev / sqrt(2)``.

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
    return _add_noise(src, "AdditiveLaplaceNoise", "std_dev", std_dev, rng,
                      lambda g, shp: g.laplace(0.0, std_dev / np.sqrt(2.0), shp))


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
    return _add_noise(src, "AdditivePoissonNoise", "lambda", lam, rng,
                      lambda g, shp: g.poisson(lam, shp))


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
    >>> from ecvl.imgproc.intensity.noise import salt_pepper_array
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



# ---------------------------------------------------------------- Image-level entry points
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
    return apply_to_image(src, "GaussianNoise", gaussian_noise_array, std_dev, mean, rng)


GaussianNoise = pyecvl_twin(gaussian_noise, "GaussianNoise", renamed={"seed": "rng"})


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
    return apply_to_image(src, "AdditiveLaplaceNoise", additive_laplace_noise_array, std_dev, rng)


AdditiveLaplaceNoise = pyecvl_twin(additive_laplace_noise, "AdditiveLaplaceNoise",
                                    renamed={"seed": "rng"})


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
    return apply_to_image(src, "AdditivePoissonNoise", additive_poisson_noise_array, lam, rng)


AdditivePoissonNoise = pyecvl_twin(additive_poisson_noise, "AdditivePoissonNoise",
                                    renamed={"lambda_": "lam", "seed": "rng"})


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
    return apply_to_image(src, "SaltAndPepper", salt_pepper_array, p, salt, pepper, per_channel, rng)


def _salt_pepper_pyecvl(name, salt, pepper, summary):
    """Build PyECVL's ``name(src, dst, p, per_channel=False, seed=None)`` over :func:`salt_pepper_array`."""

    def pyecvl(src, dst, p, per_channel=False, seed=None):
        deliver(src, salt_pepper_array(image_canonical(src, "SaltAndPepper"), p, salt, pepper,
                                       per_channel, seed), dst)

    pyecvl.__name__ = pyecvl.__qualname__ = name
    pyecvl.__doc__ = f"""PyECVL ``{name}``: {summary}.

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
    return pyecvl


Salt = _salt_pepper_pyecvl("Salt", True, False,
                           "pixels set to full scale with probability ``p``, into ``dst``")
Pepper = _salt_pepper_pyecvl("Pepper", False, True, "pixels set to 0 with probability ``p``, into ``dst``")
SaltAndPepper = _salt_pepper_pyecvl("SaltAndPepper", True, True,
                                    "salt or pepper (equal odds) with probability ``p``")
