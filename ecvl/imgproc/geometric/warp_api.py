"""Image-level rotations and affine warps, pythonic and PyECVL forms.

Points and sizes are x-first (``[x, y]``, ``[w, h]``); see :mod:`ecvl.imgproc.geometric.geometric_api`.
"""

from ...core._twins import pyecvl_twin
from ...core.enums import BorderType as BT
from ...core.enums import InterpolationType as IT
from ...core.errors import EcvlValueError
from . import geometric as _g
from ._geomimage import _apply, _View, _xy_list

__all__ = [
    "rotate2d", "Rotate2D", "rotate3d", "rotate_full_image2d", "RotateFullImage2D",
    "warp_affine", "WarpAffine",
]


def rotate2d(src, angle, center=None, scale=1.0, interp=IT.linear,
             border_type=BT.BORDER_CONSTANT, border_value=0):
    """Rotate an image clockwise by `angle` degrees, keeping its size.

    Parameters
    ----------
    src : Image
        Source image (volumes: every z slice).
    angle : float
        Degrees, clockwise.
    center : sequence of float, optional
        ``[x, y]``; default the middle of the pixel grid ``[(w-1)/2, (h-1)/2]``.
    scale : float, optional
        Isotropic scale factor.
    interp : InterpolationType, optional
        Interpolation (default ``linear``).
    border_type : BorderType, optional
        Border rule for pixels coming from outside (default constant).
    border_value : float or sequence of float, optional
        Constant for ``BORDER_CONSTANT`` (default 0).

    Returns
    -------
    Image
        The rotated image.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([40, 30, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> ecvl.rotate2d(img, 60).dims_
    [40, 30, 3]
    """
    return _apply(src, "Rotate2D", _g.rotate_array, angle, center, scale, interp, border_type,
                  border_value)


Rotate2D = pyecvl_twin(rotate2d, "Rotate2D")


def rotate3d(src, angle, axis="z", center=None, scale=1.0, interp=IT.linear,
             border_type=BT.BORDER_CONSTANT, border_value=0):
    """Rotate a volume clockwise about one of its axes, keeping its size.

    Parameters
    ----------
    src : Image
        Source volume (x, y, z axes).
    angle : float
        Degrees.
    axis : {'z', 'y', 'x'}, optional
        Rotation axis; see :func:`ecvl.imgproc.geometric.rotate_array`.
    center, scale, interp, border_type, border_value
        As in :func:`rotate2d`; `center` is given in the rotation plane.

    Returns
    -------
    Image
        The rotated volume.
    """
    v = _View(src, "rotate3d")
    if v.arr.ndim != 4:
        raise EcvlValueError(f"rotate3d: needs a volume with a z axis, got channels {src.channels_!r}")
    return v.result(_g.rotate_array(v.arr, angle, center, scale, interp, border_type, border_value,
                                    axis))


def rotate_full_image2d(src, angle, scale=1.0, interp=IT.linear, border_type=BT.BORDER_CONSTANT,
                        border_value=0):
    """Rotate clockwise about the centre, enlarging the image to hold all of it.

    Parameters
    ----------
    src : Image
        Source image.
    angle, scale, interp, border_type, border_value
        As in :func:`rotate2d`.

    Returns
    -------
    Image
        The rotated image, dims grown to the rotated bounding box.
    """
    return _apply(src, "RotateFullImage2D", _g.rotate_full_array, angle, scale, interp, border_type,
                  border_value)


RotateFullImage2D = pyecvl_twin(rotate_full_image2d, "RotateFullImage2D")


def warp_affine(src, matrix, dsize=None, interp=IT.linear, border_type=BT.BORDER_CONSTANT,
                border_value=0):
    """Apply a 2x3 affine transform (source ``[x, y]`` -> destination) to an image.

    Parameters
    ----------
    src : Image
        Source 2-D image.
    matrix : array_like
        2x3 forward matrix, as for ``cv2.warpAffine``.
    dsize : sequence of int, optional
        Output ``[w, h]``; default the source size.
    interp, border_type, border_value
        As in :func:`rotate2d`.

    Returns
    -------
    Image
        The warped image.
    """
    op = "WarpAffine"
    v = _View(src, op, volumes=False)
    size = None if dsize is None else _xy_list(dsize, (2,), op, "dsize")
    return v.result(_g.warp_affine_array(v.arr, matrix, size, interp, border_type, border_value))


WarpAffine = pyecvl_twin(warp_affine, "WarpAffine")
