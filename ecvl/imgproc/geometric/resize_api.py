"""Image-level resizing: :func:`resize_dim`, :func:`resize_scale` and their PyECVL forms.

Spacings are scaled by ``old size / new size``; see :mod:`ecvl.imgproc.geometric.geometric_api`.
"""

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.enums import InterpolationType as IT
from ...core.errors import EcvlValueError
from . import _geomcheck as chk
from . import geometric as _g
from ._geomimage import _View, _xy_list

__all__ = [
    "resize_dim", "ResizeDim", "resize_scale", "ResizeScale",
]


def resize_dim(src, newdims, interp=IT.linear):
    """Resize an image (or volume) to new dimensions.

    Parameters
    ----------
    src : Image
        Source with spatial axes x, y (and z).
    newdims : sequence of int
        ``[w, h]``; for volumes ``[w, h, d]``; for a 2-D image with a ``c`` (or ``o``) axis,
        ``[w, h, c]`` also resamples that axis, as ECVL's ``Resize3D`` does: x and y first,
        then the third axis with the same interpolation.
    interp : InterpolationType, optional
        Interpolation (default ``linear``); see :func:`ecvl.imgproc.geometric.resize_array`.

    Returns
    -------
    Image
        The resized image; spacings are scaled by ``old size / new size``.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([64, 48, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.none)
    >>> ecvl.resize_dim(img, [32, 24]).dims_
    [32, 24, 3]
    >>> ecvl.resize_dim(img, [32, 24, 5]).dims_
    [32, 24, 5]
    """
    op = "ResizeDim"
    v = _View(src, op)
    spatial = v.arr.ndim - 1
    third = _third_axis(src, newdims, spatial, op)
    size = chk.sizes(_xy_list(newdims if third is None else list(newdims)[:2], (spatial,), op,
                              "newdims"), spatial, op, "newdims")
    interp = chk.interpolation(interp, op)
    out = _g.resize_array(v.arr, size, interp)
    letters = "zyx"[4 - v.arr.ndim:]
    factors = {l: v.arr.shape[i] / out.shape[i] for i, l in enumerate(letters)}
    if third is not None:
        letter, n = third
        c = out.shape[-1]
        if n != c:
            out = _resize_last_axis(out, n, interp)
            factors[letter] = c / n
    return v.result(out, factors)


def _third_axis(src, newdims, spatial, op):
    """``(letter, size)`` of the colour axis a third ``newdims`` value resizes, else None."""
    try:
        n = len(newdims)
    except TypeError:
        return None  # _xy_list names the error
    if spatial != 2 or n != 3:
        return None
    ch = src.channels_
    letter = "c" if "c" in ch else "o" if "o" in ch else None
    if letter is None or len(ch) != 3:
        raise EcvlValueError(
            f"{op}: newdims {list(newdims)} has a third value, which resizes the third axis of "
            f"an 'xy[co]' image, but channels {ch!r} have no such axis; give [w, h]")
    return letter, chk.sizes([list(newdims)[2]], 1, op, "newdims")[0]


def _resize_last_axis(arr, n, interp):
    """Resample the channel axis of a canonical ``(H, W, C)`` array to ``n`` values."""
    h, w, c = arr.shape
    planes = np.ascontiguousarray(np.moveaxis(arr, -1, 0).reshape(c, h * w))
    out = _g.resize_axis0_array(planes, n, interp)
    return np.ascontiguousarray(out.reshape(n, h, w).transpose(1, 2, 0))


ResizeDim = pyecvl_twin(resize_dim, "ResizeDim")


def resize_scale(src, scales, interp=IT.linear):
    """Resize an image by a factor per spatial axis.

    Parameters
    ----------
    src : Image
        Source image or volume.
    scales : sequence of float
        ``[sx, sy]`` (or ``[sx, sy, sz]``); each new size is ``round(size * s)``.
    interp : InterpolationType, optional
        Interpolation (default ``linear``).

    Returns
    -------
    Image
        The resized image.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([10, 8, 1], ecvl.DataType.float32, "xyc")
    >>> ecvl.resize_scale(img, [0.5, 2.0]).dims_
    [5, 16, 1]
    """
    op = "ResizeScale"
    v = _View(src, op)
    sc = _xy_list(scales, (v.arr.ndim - 1,), op, "scales")
    newdims = []
    for s, n in zip(sc, v.arr.shape):
        if not np.isfinite(s) or s <= 0 or round(n * s) < 1:
            raise EcvlValueError(f"{op}: scale {s!r} is not positive or gives an empty axis of {n}")
        newdims.append(int(round(n * s)))
    return resize_dim(src, newdims[::-1], interp)


ResizeScale = pyecvl_twin(resize_scale, "ResizeScale")
