"""Image-level geometric functions: PyECVL's forms (writing into ``dst``) and pythonic forms.

``ecvl.ResizeDim(src, dst, [w, h])`` and ``ecvl.resize_dim(img, [w, h])`` are two entry points
over the same array kernel (:mod:`ecvl.imgproc.geometric`). Sizes and points follow ECVL's
x-first order (``[w, h]``, ``[x, y]``). Spacings follow the geometry: a resize scales them, a
transpose swaps x and y, the rest keep them. Images whose canonical spatial axes are not in
``z, y, x`` order (e.g. ``"yxc"``) are handled by permuting around the kernel.
"""

from .crop_concat_api import (
    CenterCrop,
    HConcat,
    Pad,
    RandomCrop,
    Stack,
    VConcat,
    center_crop,
    hconcat,
    pad,
    random_crop,
    stack,
    vconcat,
)
from .flip_api import Flip2D, Mirror2D, Transpose, flip, flip2d, mirror2d, transpose
from .resize_api import ResizeDim, ResizeScale, resize_dim, resize_scale
from .warp_api import (
    Rotate2D,
    RotateFullImage2D,
    WarpAffine,
    rotate2d,
    rotate3d,
    rotate_full_image2d,
    warp_affine,
)

__all__ = [
    "ResizeDim", "resize_dim", "ResizeScale", "resize_scale", "Flip2D", "flip2d", "Mirror2D",
    "mirror2d", "flip", "Transpose", "transpose", "Rotate2D", "rotate2d", "rotate3d",
    "RotateFullImage2D", "rotate_full_image2d", "WarpAffine", "warp_affine", "CenterCrop",
    "center_crop", "RandomCrop", "random_crop", "Pad", "pad", "HConcat", "hconcat", "VConcat", "vconcat", "Stack", "stack",
]
