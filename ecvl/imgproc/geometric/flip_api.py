"""Image-level flips, mirrors and transposes, pythonic and PyECVL forms.

A transpose swaps the x and y spacings; flips keep them. See :mod:`ecvl.imgproc.geometric.geometric_api`.
"""

from ...core._twins import pyecvl_twin
from . import geometric as _g
from ._geomimage import _apply

__all__ = [
    "flip", "flip2d", "Flip2D", "mirror2d", "Mirror2D", "transpose", "Transpose",
]


def flip(src, axes):
    """Reverse the image along the named spatial axes (``'x'``, ``'y'``, ``'z'``).

    Parameters
    ----------
    src : Image
        Source image or volume.
    axes : str or sequence of str
        Axis letters, e.g. ``"z"`` or ``"xy"``.

    Returns
    -------
    Image
        The flipped image.

    Examples
    --------
    >>> import ecvl
    >>> vol = ecvl.Image([4, 4, 3], ecvl.DataType.int16, "xyz")
    >>> ecvl.flip(vol, "z").dims_
    [4, 4, 3]
    """
    return _apply(src, "flip", _g.flip_axes_array, axes)


def flip2d(src):
    """Flip an image upside down (ECVL's ``Flip2D``, a vertical flip).

    Parameters
    ----------
    src : Image
        Source image (volumes: every slice).

    Returns
    -------
    Image
        The flipped image.
    """
    return _apply(src, "Flip2D", _g.flip_array)


Flip2D = pyecvl_twin(flip2d, "Flip2D")


def mirror2d(src):
    """Mirror an image left to right (ECVL's ``Mirror2D``, a horizontal flip).

    Parameters
    ----------
    src : Image
        Source image (volumes: every slice).

    Returns
    -------
    Image
        The mirrored image.
    """
    return _apply(src, "Mirror2D", _g.mirror_array)


Mirror2D = pyecvl_twin(mirror2d, "Mirror2D")


def transpose(src):
    """Swap the x and y axes of an image (spacings swapped too).

    Parameters
    ----------
    src : Image
        Source image or volume.

    Returns
    -------
    Image
        The transposed image, dims ``[h, w, ...]``.
    """
    return _apply(src, "Transpose", _g.transpose_array, swap_xy=True)


Transpose = pyecvl_twin(transpose, "Transpose")
