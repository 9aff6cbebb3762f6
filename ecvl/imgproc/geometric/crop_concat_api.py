"""Image-level crops, padding, concatenation and stacking, pythonic and PyECVL forms.

See :mod:`ecvl.imgproc.geometric.geometric_api`.
"""

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.enums import BorderType as BT
from ...core.errors import EcvlTypeError, EcvlValueError
from ...core.image import Image
from . import geometric as _g
from ._geomimage import _apply, _View, _xy_list

__all__ = [
    "center_crop", "CenterCrop", "random_crop", "RandomCrop", "pad", "Pad", "hconcat", "HConcat", "vconcat", "VConcat",
    "stack", "Stack",
]


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


CenterCrop = pyecvl_twin(center_crop, "CenterCrop")


def random_crop(src, size, pad_if_needed=False, border_type=BT.BORDER_CONSTANT, border_value=0,
                rng=None):
    """Crop a ``w`` x ``h`` region at a random position.

    As ECVL's ``RandomCrop`` (``cpu_hal_imgproc.cpp``): when `pad_if_needed` and the image is
    narrower than ``w`` (shorter than ``h``), it is first padded by the missing amount on
    *both* sides, left and right (top and bottom); the corner is then drawn uniformly among
    all positions where the crop fits.

    Parameters
    ----------
    src : Image
        A 2-D image (x, y and a colour axis, in any order).
    size : sequence of int
        ``[w, h]``.
    pad_if_needed : bool, optional
        Pad an image smaller than `size` instead of refusing it.
    border_type : BorderType, optional
        Border rule of that padding (default constant).
    border_value : float or sequence of float, optional
        Constant for ``BORDER_CONSTANT``.
    rng : numpy.random.Generator or int, optional
        Random source or seed (PyECVL's ``seed``); None draws a fresh position each call.

    Returns
    -------
    Image
        The ``[w, h]`` crop, a copy.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([10, 8, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> ecvl.random_crop(img, [4, 3], rng=0).dims_
    [4, 3, 3]
    >>> ecvl.random_crop(img, [12, 8], pad_if_needed=True, rng=0).dims_
    [12, 8, 3]
    """
    op = "RandomCrop"
    v = _View(src, op, volumes=False)
    w, h = _xy_list(size, (2,), op, "size")[::-1]
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in (w, h)):
        raise EcvlValueError(f"{op}: size must be two positive ints [w, h], got {size!r}")
    arr = v.arr
    if pad_if_needed:
        if arr.shape[1] < w:
            arr = _g.pad_array(arr, [0, w - arr.shape[1]], border_type, border_value)
        if arr.shape[0] < h:
            arr = _g.pad_array(arr, [h - arr.shape[0], 0], border_type, border_value)
    H, W = arr.shape[:2]
    if w > W or h > H:
        raise EcvlValueError(f"{op}: size [w, h] = [{w}, {h}] is larger than the {W}x{H} "
                             "image; crop at most its size or pass pad_if_needed=True")
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    x0 = int(g.integers(0, W - w, endpoint=True))
    y0 = int(g.integers(0, H - h, endpoint=True))
    return v.result(arr[y0:y0 + h, x0:x0 + w])


RandomCrop = pyecvl_twin(random_crop, "RandomCrop", renamed={"seed": "rng"})


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
    return _apply(src, "Pad", _g.pad_array, padding, border_type, border_value)


Pad = pyecvl_twin(pad, "Pad")


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


HConcat = pyecvl_twin(hconcat, "HConcat")


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


VConcat = pyecvl_twin(vconcat, "VConcat")


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


Stack = pyecvl_twin(stack, "Stack")
