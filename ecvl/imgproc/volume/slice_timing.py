"""Slice timing correction of fMRI time series (ECVL's ``SliceTimingCorrection``).

The slices of one volume are acquired one after the other during the repetition time TR, so
each slice's time series is sampled at its own offset. The correction resamples every voxel's
series at the middle of the TR with a Hanning-windowed sinc kernel (7 samples wide, tabulated
at 1201 points and interpolated linearly), the weights renormalised where the kernel runs past
the ends of the series. This follows ECVL 1.0.3's ``cpu_hal_volproc.cpp`` (itself a port of
FSL's ``slicetimer``); the weights depend only on the slice, so each slice is one matrix
product over all its voxels.
"""

import math

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.errors import EcvlTypeError, EcvlValueError
from ...core.image import Image

__all__ = ["slice_timing_correction", "SliceTimingCorrection", "slice_timing_offsets"]

_HALF_WIDTH = 3      # kernel half-width in samples (ECVL: width 7)
_TABLE_SIZE = 1201   # tabulated kernel points


def _sinc_table():
    half_n = (_TABLE_SIZE - 1) / 2.0
    x = (np.arange(_TABLE_SIZE) - half_n) / half_n * _HALF_WIDTH
    with np.errstate(invalid="ignore", divide="ignore"):
        sinc = np.where(np.abs(x) < 1e-7, 1.0 - np.abs(x), np.sin(np.pi * x) / (np.pi * x))
    hann = np.where(np.abs(x) > _HALF_WIDTH, 0.0, 0.5 + 0.5 * np.cos(np.pi * x / _HALF_WIDTH))
    return sinc * hann


_TABLE = _sinc_table()


def _kernel(x):
    """Return the tabulated kernel at `x` (in samples), interpolated linearly; 0 off the table."""
    x = np.asarray(x, np.float64)
    half = (_TABLE_SIZE - 1) / 2.0
    dn = x / _HALF_WIDTH * half + half + 1.0
    n = np.floor(dn)
    frac = dn - n
    ok = (np.abs(x) <= _HALF_WIDTH) & (n >= 1) & (n <= _TABLE_SIZE - 1)
    n = np.where(ok, n, 1).astype(np.intp)
    return np.where(ok, _TABLE[n - 1] * (1.0 - frac) + _TABLE[n] * frac, 0.0)


def slice_timing_offsets(n_slices, odd=False, down=False):
    """Shift, in fractions of TR, at which each slice's series is resampled.

    Parameters
    ----------
    n_slices : int
        Number of slices (the z axis).
    odd : bool, optional
        Interleaved acquisition: slices 0, 2, 4, ... then 1, 3, 5, ...
    down : bool, optional
        Top-down acquisition (ignored with `odd`).

    Returns
    -------
    numpy.ndarray
        One offset per slice, in ``(-1, 1)``.

    Examples
    --------
    >>> from ecvl.imgproc.volume import slice_timing_offsets
    >>> slice_timing_offsets(4).tolist()
    [0.375, 0.125, -0.125, -0.375]
    """
    n = int(n_slices)
    recenter = (n / 2.0 - 0.5) / n
    s = np.arange(1, n + 1)
    if odd:
        steps = np.where(s % 2 == 0, math.ceil(n / 2.0) + (s - 1) // 2, (s - 1) // 2)
    elif down:
        steps = n - s
    else:
        steps = s - 1
    return recenter - steps / n


def _weights(n_volumes, offset):
    """Matrix ``W`` with ``out = W @ series`` for one slice (1-based times as ECVL)."""
    t = np.arange(1, n_volumes + 1, dtype=np.float64)
    index = t + offset
    ix0 = np.floor(index)
    x1 = t[None, :]
    w = _kernel(index[:, None] - x1)
    w[np.abs(ix0[:, None] - x1) > _HALF_WIDTH] = 0.0  # ECVL's window around floor(index)
    total = w.sum(axis=1)
    tiny = np.abs(total) <= 1e-9
    if tiny.any():
        # ECVL extrapolates from the nearest sample where the kernel vanishes; with shifts
        # below one TR every resampling point has a sample within one step, so this does not
        # happen, and the nearest in-range sample stands in for that rule
        near = np.clip(ix0[tiny], 1, n_volumes).astype(np.intp) - 1
        w[tiny] = 0.0
        w[np.flatnonzero(tiny), near] = 1.0
        total[tiny] = 1.0
    return w / total[:, None]


def slice_timing_correction(src, odd=False, down=False):
    """Resample every voxel's time series at the middle of the repetition time.

    Parameters
    ----------
    src : Image
        A time series of volumes with axes x, y, z and t (``"xyzt"`` in ECVL; here any
        order of those four) and one spacing per axis; the t spacing is the repetition time
        TR (0 means 3, as in ECVL).
    odd : bool, optional
        Slices were acquired interleaved, even-indexed ones first (0, 2, 4, ..., 1, 3, ...).
    down : bool, optional
        Slices were acquired from the top (last z) down; ignored with `odd`.

    Returns
    -------
    Image
        float32, with the dims, channels, spacings and metadata of `src`.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.ones((2, 2, 3, 5), np.float32)                    # x, y, z, t
    >>> img = ecvl.Image.fromarray(a, "xyzt", spacings=[1, 1, 2, 2.5])
    >>> out = ecvl.slice_timing_correction(img)
    >>> out.elemtype_.name, bool(np.allclose(np.asarray(out), 1))
    ('float32', True)
    """
    op = "SliceTimingCorrection"
    if not isinstance(src, Image):
        raise EcvlTypeError(f"{op}: src must be an ecvl.Image, got {type(src).__name__}")
    src._need_data(op)
    ch = src.channels_
    if sorted(ch) != sorted("xyzt"):
        raise EcvlValueError(f"{op}: src must have the axes x, y, z and t ('xyzt'), got "
                             f"channels {ch!r}")
    if len(src.spacings_) != len(ch):
        raise EcvlValueError(f"{op}: src needs one spacing per axis of {ch!r} (the t spacing is "
                             f"the repetition time), got spacings {src.spacings_}")
    data = src.to_numpy("xyzt").astype(np.float64)
    out = np.empty(data.shape, np.float32)
    for z, offset in enumerate(slice_timing_offsets(data.shape[2], odd, down)):
        out[:, :, z, :] = data[:, :, z, :] @ _weights(data.shape[3], offset).T
    # TR only scales the offsets' unit (one slice is TR / n_slices of a TR), so its value,
    # and ECVL's replacement of a zero TR by 3, do not change the result
    order = ["xyzt".index(k) for k in ch]
    return Image.fromarray(out.transpose(order), ch, src.colortype_, src.spacings_,
                           dict(src.meta_))


SliceTimingCorrection = pyecvl_twin(slice_timing_correction, "SliceTimingCorrection")
