"""Thresholding: fixed, multi-level and Otsu (single and multi-level).

Array-level functions take canonical arrays (``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)``);
the PyECVL forms (``Threshold``, ``OtsuThreshold``...) and pythonic forms (``threshold``,
``otsu_threshold``...) take :class:`~ecvl.Image` objects and share the same code.
"""

import functools
import math

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.enums import ColorType, ThresholdingType
from ...core.errors import EcvlValueError
from .._kernutil import (
    apply_to_image,
    as_image_array,
    dtype_limits,
    image_canonical,
    nthreads,
    restore,
    saturate_cast,
)
from . import _threshold

__all__ = [
    "threshold_array",
    "multi_threshold_array",
    "otsu_threshold_array",
    "otsu_multi_threshold_array",
    "Threshold",
    "threshold",
    "MultiThreshold",
    "multi_threshold",
    "OtsuThreshold",
    "otsu_threshold",
    "OtsuMultiThreshold",
    "otsu_multi_threshold",
]


def _thresh_type(value, op):
    if isinstance(value, str):
        key = value.upper()
        if key in ThresholdingType.__members__:
            return ThresholdingType[key]
    try:
        return ThresholdingType(value)
    except ValueError:
        raise EcvlValueError(f"{op}: unknown threshold type {value!r} (BINARY or BINARY_INV)") \
            from None


def threshold_array(src, thresh, maxval, thresh_type=ThresholdingType.BINARY):
    """Binary threshold: ``maxval`` where ``src > thresh``, else 0 (swapped for BINARY_INV).

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array of any ecvl dtype.
    thresh : float
        Threshold; values strictly greater are foreground.
    maxval : float
        Foreground value, saturated to the dtype.
    thresh_type : ThresholdingType or str, optional
        ``BINARY`` (default) or ``BINARY_INV``.

    Returns
    -------
    numpy.ndarray
        Array of the input's shape and dtype holding 0 and ``maxval``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.thresholding import threshold_array
    >>> threshold_array(np.array([[10, 128, 200]], np.uint8), 127, 255).tolist()
    [[0, 255, 255]]
    """
    op = "Threshold"
    ttype = thresh_type if type(thresh_type) is ThresholdingType \
        else _thresh_type(thresh_type, op)
    a, squeeze = as_image_array(src, op)
    thresh = float(thresh)
    if thresh != thresh:
        raise EcvlValueError(f"{op}: threshold is NaN")
    if a.dtype == np.uint8 and 0 <= thresh < 255:
        # the common case without the general path's scalar conversions
        hi, lo = _u8_levels(float(maxval), ttype is ThresholdingType.BINARY_INV)
        return restore(_threshold.threshold_u8(a, math.floor(thresh), hi, lo,
                                               nthreads(a.size * _U8_COST)), squeeze)
    hi = saturate_cast(np.float64(maxval), a.dtype)
    lo = a.dtype.type(0)
    if ttype is ThresholdingType.BINARY_INV:
        hi, lo = lo, hi
    out = np.empty_like(a)
    if a.dtype.kind == "f":
        th = a.dtype.type(thresh)
        # float32: the largest float32 <= thresh keeps "x > thresh" exact
        if float(th) > thresh:
            th = np.nextafter(th, a.dtype.type(-np.inf))
    else:
        dmin, dmax = dtype_limits(a.dtype)
        if thresh < dmin:
            out.fill(hi)
            return restore(out, squeeze)
        if thresh >= dmax:
            out.fill(lo)
            return restore(out, squeeze)
        th = a.dtype.type(int(np.floor(thresh)))  # integer x > t  <=>  x > floor(t)
    _threshold.threshold(a.reshape(-1), out.reshape(-1), th, hi, lo, nthreads(a.size * 2))
    return restore(out, squeeze)


# element-operations charged per uint8 pixel when sizing the thread team
_U8_COST = 2


@functools.lru_cache(maxsize=64)
def _u8_levels(maxval, inverse):
    hi, lo = saturate_cast(np.float64(maxval), np.uint8), np.uint8(0)
    return (lo, hi) if inverse else (hi, lo)


def _levels(n, minval, maxval, dtype):
    return saturate_cast(minval + (maxval - minval) * np.arange(n + 1) / n, dtype)


def multi_threshold_array(src, thresholds, minval=0, maxval=255):
    """Quantise into ``len(thresholds) + 1`` evenly spaced levels between minval and maxval.

    A value ``v`` gets level ``k``, the number of thresholds strictly below it: ``v <= t0`` maps
    to ``minval``, ``v > t_last`` to ``maxval`` and level ``k`` to
    ``minval + k * (maxval - minval) / len(thresholds)`` (rounded for integer dtypes).

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array of any ecvl dtype.
    thresholds : sequence of float
        Strictly increasing thresholds.
    minval, maxval : float, optional
        Lowest and highest output levels.

    Returns
    -------
    numpy.ndarray
        Quantised array, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.thresholding import multi_threshold_array
    >>> multi_threshold_array(np.array([[0, 60, 100, 250]], np.uint8), [50, 150]).tolist()
    [[0, 128, 128, 255]]
    """
    op = "MultiThreshold"
    a, squeeze = as_image_array(src, op)
    t = np.asarray(thresholds, dtype=np.float64).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise EcvlValueError(f"{op}: thresholds must be finite and strictly increasing, "
                             f"got {thresholds!r}")
    levels = _levels(t.size, float(minval), float(maxval), a.dtype)
    if a.dtype == np.uint8:
        lut = levels[np.searchsorted(t, np.arange(256), side="left")]
        out = np.empty_like(a)
        _threshold.lut_u8(a.reshape(-1), out.reshape(-1), np.ascontiguousarray(lut),
                          nthreads(a.size * 2))
    else:
        out = levels[np.searchsorted(t, a, side="left")]
    return restore(out, squeeze)


def _histogram(a, op):
    """Return (hist, bin value of each index) of a one-channel array.

    256 bins over the data range for dtypes other than uint8/uint16, whose histograms are
    exact.
    """
    if a.ndim != 3 and a.ndim != 4 or a.shape[-1] != 1:
        raise EcvlValueError(f"{op}: needs a single-channel (GRAY) image, got shape {a.shape}")
    flat = a.reshape(-1)
    if a.dtype in (np.uint8, np.uint16):
        return _threshold.histogram_int(flat, nthreads(flat.size * 2)), None  # bin index == value
    if a.dtype.kind == "f" and not np.all(np.isfinite(flat)):
        raise EcvlValueError(f"{op}: image contains NaN or infinity")
    lo, hi = float(flat.min()), float(flat.max())
    hist, edges = np.histogram(flat, bins=256, range=(lo, hi))
    return hist.astype(np.int64), (edges[:-1] + edges[1:]) / 2


def _result_value(v, dtype):
    return int(round(v)) if np.dtype(dtype).kind in "iu" else float(v)


def otsu_threshold_array(src):
    """Otsu's threshold of a one-channel array (maximal between-class variance).

    uint8 and uint16 use an exact histogram and give OpenCV's value; other dtypes use 256 bins
    over the data range and return the centre of the last bin of the lower class (as
    scikit-image does). Foreground is ``src > threshold``.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, 1)`` or ``(D, H, W, 1)`` array.

    Returns
    -------
    int or float
        The threshold (int for integer dtypes).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.thresholding import otsu_threshold_array
    >>> otsu_threshold_array(np.array([[10, 12, 200, 202]], np.uint8))
    12
    """
    a, _ = as_image_array(src, "OtsuThreshold")
    hist, values = _histogram(a, "OtsuThreshold")
    idx = _threshold.otsu_index(hist)
    return int(idx) if values is None else _result_value(values[idx], a.dtype)


def otsu_multi_threshold_array(src, n_thresholds=2):
    """Compute multi-level Otsu thresholds.

    ``n_thresholds`` values split the histogram into classes of maximal between-class
    variance (exhaustive search, as scikit-image's ``threshold_multiotsu``).

    Parameters
    ----------
    src : numpy.ndarray
        One-channel canonical array.
    n_thresholds : int, optional
        Number of thresholds, 1 to 3 (the search is exhaustive over 256 bins, so its cost grows
        as ``256 ** n_thresholds``).

    Returns
    -------
    list
        Increasing thresholds; class ``k`` holds values in ``(t[k-1], t[k]]``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.thresholding import otsu_multi_threshold_array
    >>> otsu_multi_threshold_array(np.array([[0, 1, 100, 101, 200, 201]], np.uint8))
    [1, 101]
    """
    op = "OtsuMultiThreshold"
    if isinstance(n_thresholds, bool) or int(n_thresholds) != n_thresholds \
            or not 1 <= n_thresholds <= 3:
        raise EcvlValueError(f"{op}: n_thresholds must be an integer in 1..3, got {n_thresholds!r}")
    a, _ = as_image_array(src, op)
    hist, values = _histogram(a, op)
    if a.dtype == np.uint16:  # keep the exhaustive search tractable: 256 bins over the range
        nz = np.flatnonzero(hist)
        lo, hi = int(nz[0]), int(nz[-1])
        hist, edges = np.histogram(a.reshape(-1), bins=256, range=(lo, hi + 1))
        hist = hist.astype(np.int64)
        values = np.floor(edges[1:] - 1e-9)
    if np.count_nonzero(hist) <= n_thresholds:
        raise EcvlValueError(f"{op}: the image has too few distinct values for "
                             f"{n_thresholds} thresholds")
    idx = _threshold.multiotsu_indices(hist, int(n_thresholds))
    return [int(i) if values is None else _result_value(values[i], a.dtype) for i in idx]


# ---------------------------------------------------------------- Image-level entry points
def threshold(src, thresh, maxval, thresh_type=ThresholdingType.BINARY):
    """Threshold an :class:`~ecvl.Image`; see :func:`threshold_array`.

    Parameters
    ----------
    src : Image
        Source image.
    thresh, maxval, thresh_type
        As for :func:`threshold_array`.

    Returns
    -------
    Image
        New image with the source's layout and attributes.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[10], [200]], np.uint8), "xy", ecvl.ColorType.GRAY)
    >>> np.asarray(ecvl.threshold(img, 100, 1)).ravel().tolist()
    [0, 1]
    """
    return apply_to_image(src, "Threshold", threshold_array, thresh, maxval, thresh_type)


Threshold = pyecvl_twin(threshold, "Threshold")


def multi_threshold(src, thresholds, minval=0, maxval=255):
    """Multi-level threshold of an :class:`~ecvl.Image`; see :func:`multi_threshold_array`.

    Parameters
    ----------
    src : Image
        Source image.
    thresholds, minval, maxval
        As for :func:`multi_threshold_array`.

    Returns
    -------
    Image
        Quantised image.
    """
    return apply_to_image(src, "MultiThreshold", multi_threshold_array, thresholds, minval, maxval)


MultiThreshold = pyecvl_twin(multi_threshold, "MultiThreshold")


def _gray(src, op):
    a = image_canonical(src, op)
    if src.colortype_ not in (ColorType.GRAY, ColorType.none) or a.shape[-1] != 1:
        raise EcvlValueError(f"{op}: needs a GRAY image with one channel, got "
                             f"{src.colortype_.name} with {a.shape[-1]} channels")
    return a


def otsu_threshold(src):
    """Otsu threshold of a GRAY :class:`~ecvl.Image`; see :func:`otsu_threshold_array`.

    Parameters
    ----------
    src : Image
        One-channel image.

    Returns
    -------
    int or float
        The threshold.
    """
    return otsu_threshold_array(_gray(src, "OtsuThreshold"))


def otsu_multi_threshold(src, n_thresholds=2):
    """Multi-level Otsu of a GRAY :class:`~ecvl.Image`; see :func:`otsu_multi_threshold_array`.

    Parameters
    ----------
    src : Image
        One-channel image.
    n_thresholds : int, optional
        Number of thresholds.

    Returns
    -------
    list
        The thresholds.
    """
    return otsu_multi_threshold_array(_gray(src, "OtsuMultiThreshold"), n_thresholds)


OtsuThreshold = otsu_threshold
OtsuMultiThreshold = otsu_multi_threshold
