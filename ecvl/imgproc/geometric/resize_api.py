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
        ``[w, h]`` or, for volumes, ``[w, h, d]``.
    interp : InterpolationType, optional
        Interpolation (default ``linear``); see :func:`ecvl.imgproc.geometric.resize_array`.

    Returns
    -------
    Image
        The resized image; spacings are scaled by ``old size / new size``.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([64, 48, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> ecvl.resize_dim(img, [32, 24]).dims_
    [32, 24, 3]
    """
    op = "ResizeDim"
    v = _View(src, op)
    size = chk.sizes(_xy_list(newdims, (v.arr.ndim - 1,), op, "newdims"), v.arr.ndim - 1, op,
                     "newdims")
    out = _g.resize_array(v.arr, size, chk.interpolation(interp, op))
    letters = "zyx"[4 - v.arr.ndim:]
    return v.result(out, {l: v.arr.shape[i] / out.shape[i] for i, l in enumerate(letters)})


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
