"""Image-level geometric functions: PyECVL's forms (writing into ``dst``) and pythonic forms.

``ecvl.ResizeDim(src, dst, [w, h])`` and ``ecvl.resize_dim(img, [w, h])`` are two entry points
over the same array kernel (:mod:`ecvl.imgproc.geometric`). Sizes and points follow ECVL's
x-first order (``[w, h]``, ``[x, y]``). Spacings follow the geometry: a resize scales them, a
transpose swaps x and y, the rest keep them. Images whose canonical spatial axes are not in
``z, y, x`` order (e.g. ``"yxc"``) are handled by permuting around the kernel.
"""

import numpy as np

from . import _geomcheck as chk
from . import geometric as _g
from ..core.enums import BorderType as BT
from ..core.enums import InterpolationType as IT
from ..core.errors import EcvlTypeError, EcvlValueError
from ..core.image import Image
from ..core.layout import canonical_order

__all__ = [
    "ResizeDim", "resize_dim", "ResizeScale", "resize_scale", "Flip2D", "flip2d", "Mirror2D",
    "mirror2d", "flip", "Transpose", "transpose", "Rotate2D", "rotate2d", "rotate3d",
    "RotateFullImage2D", "rotate_full_image2d", "WarpAffine", "warp_affine", "CenterCrop",
    "center_crop", "Pad", "pad", "HConcat", "hconcat", "VConcat", "vconcat", "Stack", "stack",
]


class _View:
    """An image's canonical array with its spatial axes put in ``(z,) y, x`` order."""

    def __init__(self, img, op, volumes=True):
        if not isinstance(img, Image):
            raise EcvlTypeError(f"{op}: expected an ecvl.Image, got {type(img).__name__}")
        if img.IsEmpty():
            raise EcvlValueError(f"{op}: the source image is empty")
        self.img, self.op = img, op
        ch = img.channels_
        perm, cax = canonical_order(ch)
        self.letters = [ch[p] for p in perm if p != cax]  # canonical spatial letters
        want = ["y", "x"] if len(self.letters) == 2 else ["z", "y", "x"]
        if sorted(self.letters) != sorted(want) or (len(want) == 3 and not volumes):
            kind = "x, y" + (" and optionally z" if volumes else "")
            raise EcvlValueError(f"{op}: needs an image whose spatial axes are {kind}; got channels "
                                 f"{ch!r}")
        self.order = [self.letters.index(l) for l in want] + [len(self.letters)]
        self.arr = np.ascontiguousarray(img.canonical().transpose(self.order))

    def size(self, letter):
        return self.arr.shape["zyx"[4 - self.arr.ndim:].index(letter)]

    def result(self, arr, spacing_factor=None, swap_xy=False):
        """Wrap a result array (standard order) as an image like the source."""
        out = np.ascontiguousarray(arr.transpose(np.argsort(self.order)))
        sp = list(self.img.spacings_)
        ch = self.img.channels_
        if sp and spacing_factor:
            for letter, f in spacing_factor.items():
                sp[ch.index(letter)] *= f
        if sp and swap_xy:
            ix, iy = ch.index("x"), ch.index("y")
            sp[ix], sp[iy] = sp[iy], sp[ix]
        return self.img.new_like(out, spacings=sp if sp else None)


def _deliver(dst, result, op):
    if not isinstance(dst, Image):
        raise EcvlTypeError(f"{op}: dst must be an ecvl.Image (use Image.empty()), got "
                            f"{type(dst).__name__}")
    dst._assign(result)


def _xy_list(values, n, op, what):
    """ECVL x-first list -> canonical order (reversed)."""
    try:
        vals = list(values)
    except TypeError:
        raise EcvlValueError(f"{op}: {what} must be a list, got {values!r}") from None
    if len(vals) not in n:
        raise EcvlValueError(f"{op}: {what} must have {' or '.join(map(str, n))} values, got {vals}")
    return vals[::-1]


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


def ResizeDim(src, dst, newdims, interp=IT.linear):
    """PyECVL form of :func:`resize_dim`, writing into `dst`."""
    _deliver(dst, resize_dim(src, newdims, interp), "ResizeDim")


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


def ResizeScale(src, dst, scales, interp=IT.linear):
    """PyECVL form of :func:`resize_scale`, writing into `dst`."""
    _deliver(dst, resize_scale(src, scales, interp), "ResizeScale")


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
    v = _View(src, "flip")
    return v.result(_g.flip_axes_array(v.arr, axes))


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
    v = _View(src, "Flip2D")
    return v.result(_g.flip_array(v.arr))


def Flip2D(src, dst):
    """PyECVL form of :func:`flip2d`, writing into `dst`."""
    _deliver(dst, flip2d(src), "Flip2D")


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
    v = _View(src, "Mirror2D")
    return v.result(_g.mirror_array(v.arr))


def Mirror2D(src, dst):
    """PyECVL form of :func:`mirror2d`, writing into `dst`."""
    _deliver(dst, mirror2d(src), "Mirror2D")


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
    v = _View(src, "Transpose")
    return v.result(_g.transpose_array(v.arr), swap_xy=True)


def Transpose(src, dst):
    """PyECVL form of :func:`transpose`, writing into `dst`."""
    _deliver(dst, transpose(src), "Transpose")


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
    v = _View(src, "Rotate2D")
    return v.result(_g.rotate_array(v.arr, angle, center, scale, interp, border_type, border_value))


def Rotate2D(src, dst, angle, center=None, scale=1.0, interp=IT.linear,
             border_type=BT.BORDER_CONSTANT, border_value=0):
    """PyECVL form of :func:`rotate2d`, writing into `dst`."""
    _deliver(dst, rotate2d(src, angle, center, scale, interp, border_type, border_value), "Rotate2D")


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
    v = _View(src, "RotateFullImage2D")
    return v.result(_g.rotate_full_array(v.arr, angle, scale, interp, border_type, border_value))


def RotateFullImage2D(src, dst, angle, scale=1.0, interp=IT.linear,
                      border_type=BT.BORDER_CONSTANT, border_value=0):
    """PyECVL form of :func:`rotate_full_image2d`, writing into `dst`."""
    _deliver(dst, rotate_full_image2d(src, angle, scale, interp, border_type, border_value),
             "RotateFullImage2D")


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


def WarpAffine(src, dst, matrix, dsize=None, interp=IT.linear, border_type=BT.BORDER_CONSTANT,
               border_value=0):
    """PyECVL-style form of :func:`warp_affine`, writing into `dst`."""
    _deliver(dst, warp_affine(src, matrix, dsize, interp, border_type, border_value), "WarpAffine")


def center_crop(src, size):
    """Crop the centre of an image.

    Parameters
    ----------
    src : Image
        Source image or volume.
    size : sequence of int
        ``[w, h]`` (volumes: ``[w, h, d]``), no larger than the image.

    Returns
    -------
    Image
        The cropped image.
    """
    op = "CenterCrop"
    v = _View(src, op)
    return v.result(_g.center_crop_array(v.arr, _xy_list(size, (v.arr.ndim - 1,), op, "size")))


def CenterCrop(src, dst, size):
    """PyECVL form of :func:`center_crop`, writing into `dst`."""
    _deliver(dst, center_crop(src, size), "CenterCrop")


def pad(src, padding, border_type=BT.BORDER_CONSTANT, border_value=0):
    """Pad an image with a border.

    Parameters
    ----------
    src : Image
        Source image (volumes: every slice, or six values front/back/top/bottom/left/right).
    padding : int or sequence of int
        1 value (all sides), 2 (top/bottom, left/right) or 4 (top, bottom, left, right).
    border_type : BorderType, optional
        Border rule (default constant).
    border_value : float or sequence of float, optional
        Constant for ``BORDER_CONSTANT``.

    Returns
    -------
    Image
        The padded image.
    """
    v = _View(src, "Pad")
    return v.result(_g.pad_array(v.arr, padding, border_type, border_value))


def Pad(src, dst, padding, border_type=BT.BORDER_CONSTANT, border_value=0):
    """PyECVL form of :func:`pad`, writing into `dst`."""
    _deliver(dst, pad(src, padding, border_type, border_value), "Pad")


def _join(src_list, op, fn, spacing=None):
    try:
        imgs = list(src_list)
    except TypeError:
        raise EcvlTypeError(f"{op}: expected a list of images, got {type(src_list).__name__}") from None
    if not imgs:
        raise EcvlValueError(f"{op}: needs at least one image")
    views = [_View(im, op, volumes=op != "Stack") for im in imgs]
    for i, v in enumerate(views):
        if v.img.channels_ != views[0].img.channels_:
            raise EcvlValueError(f"{op}: image {i} has channels {v.img.channels_!r}, image 0 has "
                                 f"{views[0].img.channels_!r}")
    return views[0], fn([v.arr for v in views])


def hconcat(src_list):
    """Join images side by side (equal height); see :func:`~ecvl.imgproc.geometric.hconcat_arrays`.

    Parameters
    ----------
    src_list : sequence of Image
        Images with the same height, channels string, channels and dtype.

    Returns
    -------
    Image
        The joined image, with the first image's attributes.
    """
    v, out = _join(src_list, "HConcat", _g.hconcat_arrays)
    return v.result(out)


def HConcat(src_list, dst):
    """PyECVL form of :func:`hconcat`, writing into `dst`."""
    _deliver(dst, hconcat(src_list), "HConcat")


def vconcat(src_list):
    """Join images one above the other (equal width).

    Parameters
    ----------
    src_list : sequence of Image
        Images with the same width, channels string, channels and dtype.

    Returns
    -------
    Image
        The joined image, with the first image's attributes.
    """
    v, out = _join(src_list, "VConcat", _g.vconcat_arrays)
    return v.result(out)


def VConcat(src_list, dst):
    """PyECVL form of :func:`vconcat`, writing into `dst`."""
    _deliver(dst, vconcat(src_list), "VConcat")


def stack(src_list):
    """Stack equally shaped 2-D images into a volume along a new z axis.

    Parameters
    ----------
    src_list : sequence of Image
        2-D images with one channels string, shape and dtype.

    Returns
    -------
    Image
        ``"xyzc"`` volume (z spacing 1 when the images have spacings).
    """
    v, out = _join(src_list, "Stack", _g.stack_arrays)
    img = v.img
    sp = list(img.spacings_)
    ch = img.channels_
    spacings = None
    if sp and "c" in ch:
        spacings = [sp[ch.index("x")], sp[ch.index("y")], 1.0, sp[ch.index("c")]]
    return Image.from_canonical(out, "xyzc", img.colortype_, spacings, dict(img.meta_))


def Stack(src_list, dst):
    """PyECVL form of :func:`stack`, writing into `dst`."""
    _deliver(dst, stack(src_list), "Stack")
