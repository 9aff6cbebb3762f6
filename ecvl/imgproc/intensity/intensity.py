"""Intensity point operations: normalisation, gamma, brightness/contrast.

The random ones live in :mod:`ecvl.imgproc.intensity.noise` and
:mod:`ecvl.imgproc.intensity.dropout`; the package re-exports all three. Integer results are
rounded and saturated to the dtype; float images are not clipped. "Full scale" is the dtype
maximum for integers and 1.0 for floats.
"""

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.errors import EcvlValueError
from .._kernutil import apply_to_image, as_image_array, nthreads, restore, saturate_cast
from ..thresholding import _threshold
from ._intensity_util import _finish, _full_scale, _per_channel, _wide

__all__ = [
    "normalize_array",
    "gamma_contrast_array",
    "brightness_contrast_array",
    "Normalize",
    "normalize",
    "GammaContrast",
    "gamma_contrast",
    "BrightnessContrast",
    "brightness_contrast",
]


def _point_op(a, f):
    """Apply the element-wise function `f` to `a`, saturating integer results.

    uint8 goes through a 256-entry look-up table of `f` (one compiled pass); other dtypes
    compute `f` in floating point.
    """
    if a.dtype == np.uint8:
        lut = saturate_cast(f(np.arange(256.0)), np.uint8)
        out = np.empty_like(a)
        _threshold.lut_u8(a.reshape(-1), out.reshape(-1), lut, nthreads())
        return out
    return _finish(f(_wide(a)), a)


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
    return restore(_point_op(a, lambda x: full * (np.clip(x, 0, None) / full) ** gamma), squeeze)


def brightness_contrast_array(src, alpha=1.0, beta=0.0):
    """Change intensities linearly to ``alpha * src + beta``.

    Brightness is ``beta``, contrast ``alpha``; the result is saturated for integer dtypes.

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
    return restore(_point_op(a, lambda x: alpha * x + beta), squeeze)



# ---------------------------------------------------------------- Image-level entry points
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
    return apply_to_image(src, "Normalize", normalize_array, mean, std)


Normalize = pyecvl_twin(normalize, "Normalize")


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
    return apply_to_image(src, "GammaContrast", gamma_contrast_array, gamma)


GammaContrast = pyecvl_twin(gamma_contrast, "GammaContrast")


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
    return apply_to_image(src, "BrightnessContrast", brightness_contrast_array, alpha, beta)


BrightnessContrast = pyecvl_twin(brightness_contrast, "BrightnessContrast")
