"""Linear rescaling of intensities, PyECVL's ``ScaleTo`` and ``ScaleFromTo``.

Both keep the element type of the source, as ECVL does (``cpu_hal_imgproc.cpp``,
``ScaleToStruct`` and ``ScaleFromToStruct``): the value ``x * a + b`` is computed in double
and stored with ECVL's ``saturate_cast``, which clamps to the type's range and then truncates
toward zero. (The augmentations ``AugScaleTo``/``AugScaleFromTo`` instead switch an integer
image to float32 when the new range does not fit its type.)
"""

import numbers

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.convert import saturate_cast
from ...core.errors import EcvlValueError
from .._kernutil import apply_to_image

__all__ = ["scale_to_array", "scale_from_to_array", "ScaleTo", "scale_to", "ScaleFromTo",
           "scale_from_to"]


def _finite(op, **values):
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)) \
                or not np.isfinite(v):
            raise EcvlValueError(f"{op}: {name} must be a finite number, got {v!r}")
    return [float(v) for v in values.values()]


def _store(values, dtype):
    """ECVL's saturate_cast into ``dtype``: clamp, then truncate toward zero."""
    if dtype.kind == "f":
        return values.astype(dtype)
    return saturate_cast(np.trunc(values), dtype)


def _linear(a, a_scale, b):
    return _store(a.astype(np.float64) * a_scale + b, a.dtype)


def scale_to_array(src, new_min, new_max):
    """Map the array's ``[min, max]`` linearly onto ``[new_min, new_max]``, keeping its dtype.

    Parameters
    ----------
    src : numpy.ndarray
        Any array of a supported dtype.
    new_min, new_max : float
        The new range.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; integer results are clamped and truncated toward zero. A
        constant array maps to `new_min` (ECVL divides by zero there).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import scale_to_array
    >>> scale_to_array(np.array([10, 20, 30], np.uint8), 0, 100).tolist()
    [0, 50, 100]
    """
    new_min, new_max = _finite("ScaleTo", new_min=new_min, new_max=new_max)
    a = np.asarray(src)
    lo, hi = float(a.min()), float(a.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise EcvlValueError(f"ScaleTo: the image holds non-finite values (min {lo}, max {hi})")
    if hi == lo:
        return _store(np.full(a.shape, new_min), a.dtype)
    k = (new_max - new_min) / (hi - lo)
    return _linear(a, k, new_max - k * hi)


def scale_from_to_array(src, old_min, old_max, new_min, new_max):
    """Clamp to ``[old_min, old_max]``, then map that range linearly onto ``[new_min, new_max]``.

    Parameters
    ----------
    src : numpy.ndarray
        Any array of a supported dtype.
    old_min, old_max : float
        The source range (different values); values outside it are clamped first, e.g. a CT
        window.
    new_min, new_max : float
        The new range.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; integer results are clamped and truncated toward zero.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.intensity import scale_from_to_array
    >>> scale_from_to_array(np.array([-1000, 40, 400], np.int16), -160, 240, 0, 255).tolist()
    [0, 127, 255]
    """
    op = "ScaleFromTo"
    old_min, old_max, new_min, new_max = _finite(op, old_min=old_min, old_max=old_max,
                                                 new_min=new_min, new_max=new_max)
    if old_min == old_max:
        raise EcvlValueError(f"{op}: old_min and old_max must differ, both are {old_min}")
    a = np.asarray(src)
    # the clamp bounds are first stored in the source type, as ECVL does
    lo, hi = sorted(_store(np.array([old_min, old_max]), a.dtype))
    k = (new_max - new_min) / (old_max - old_min)
    return _linear(np.clip(a, lo, hi), k, new_max - k * old_max)


def scale_to(src, new_min, new_max):
    """Rescaled copy of an :class:`~ecvl.Image`; see :func:`scale_to_array`.

    Parameters
    ----------
    src : Image
        Source image.
    new_min, new_max : float
        The new range of the values.

    Returns
    -------
    Image
        Same type and attributes as `src`.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[2.0, 4.0, 6.0]]), "xy")
    >>> np.asarray(ecvl.scale_to(img, 0, 1)).tolist()
    [[0.0, 0.5, 1.0]]
    """
    return apply_to_image(src, "ScaleTo", scale_to_array, new_min, new_max)


ScaleTo = pyecvl_twin(scale_to, "ScaleTo")


def scale_from_to(src, old_min, old_max, new_min, new_max):
    """Window and rescale an :class:`~ecvl.Image`; see :func:`scale_from_to_array`.

    Parameters
    ----------
    src : Image
        Source image.
    old_min, old_max : float
        Source range; values outside it are clamped first.
    new_min, new_max : float
        The new range.

    Returns
    -------
    Image
        Same type and attributes as `src`.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[0.0, 5.0, 20.0]]), "xy")
    >>> np.asarray(ecvl.scale_from_to(img, 0, 10, -1, 1)).tolist()
    [[-1.0, 0.0, 1.0]]
    """
    return apply_to_image(src, "ScaleFromTo", scale_from_to_array, old_min, old_max, new_min,
                          new_max)


ScaleFromTo = pyecvl_twin(scale_from_to, "ScaleFromTo")
