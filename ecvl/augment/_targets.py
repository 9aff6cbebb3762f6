"""Conversion between what users pass (Images or arrays) and canonical arrays.

Augmentations compute on canonical arrays with a trailing channel axis: ``(H, W, C)`` for
images and ``(D, H, W, C)`` for volumes. A 2-D NumPy array ``(H, W)`` is accepted and
given back 2-D. An Image's canonical array has its spatial axes in ``z, y, x`` order
whatever order it declares (:mod:`ecvl.core.layout`), so "up", "left" and "x" mean the same
for every layout.

Images carry spacings (the physical size of a pixel along each axis). A
:class:`Geometry` follows them through a pipeline: resampling scales them by
``old size / new size``, a transpose swaps x and y, crops and same-size warps keep them.
"""

import numpy as np

_SUPPORTED = frozenset("uint8 int8 uint16 int16 int32 int64 float32 float64".split())
_NATIVE = frozenset(np.dtype(n) for n in _SUPPORTED)
_Image = None


def _image_class():
    global _Image
    if _Image is None:  # imported late: ecvl.core imports this package's parent
        from ..core.image import Image

        _Image = Image
    return _Image


class Geometry:
    """Spacings of the image and of its ground truth along the canonical spatial axes.

    ``None`` entries stand for data without spacings (plain arrays, or Images whose
    spacings are unknown); they are left alone.
    """

    __slots__ = ("spacings",)

    def __init__(self, spacings):
        self.spacings = [None if s is None else list(s) for s in spacings]

    def resampled(self, in_shape, out_shape):
        """Spatial axes resampled from ``in_shape`` to ``out_shape`` (canonical shapes)."""
        n = len(in_shape) - 1
        for sp in self.spacings:
            if sp is not None:
                for i in range(n):
                    sp[i] *= in_shape[i] / out_shape[i]

    def swap_xy(self):
        """Record that the x and y axes were exchanged: swap the x and y spacings."""
        for sp in self.spacings:
            if sp is not None:
                sp[-1], sp[-2] = sp[-2], sp[-1]


def _canon(x, what):
    Image = _image_class()
    if isinstance(x, Image):
        from .._kernels import CanonicalImage

        if x.IsEmpty():
            raise ValueError(f"augmentation: the {what} image is empty")
        c = CanonicalImage(x, f"augmentation: {what}", exc=ValueError)

        def back(arr, spacings, c=c):
            return c.result(arr, spacings=spacings, contiguous=False)
        return c.arr, c.spacings(), back
    if not isinstance(x, np.ndarray):
        raise TypeError(f"augmentation: {what} must be an ecvl.Image or a numpy array, "
                        f"got {type(x).__name__}")
    if x.dtype not in _NATIVE and x.dtype.name not in _SUPPORTED:
        raise TypeError(f"augmentation: {what} dtype {x.dtype} is not supported (use uint8, "
                        "int8, uint16, int16, int32, int64, float32 or float64)")
    if x.ndim == 2:
        return x[:, :, None], None, (lambda arr, sp: arr[:, :, 0])
    if x.ndim in (3, 4):
        return x, None, (lambda arr, sp: arr)
    raise ValueError(f"augmentation: {what} array must be (H, W), (H, W, C) or (D, H, W, C), "
                     f"got shape {x.shape}")


def unpack(image, gt):
    """Return ``(image_array, gt_array_or_None, geometry_or_None, restore)``.

    ``restore(image_array, gt_array, geometry)`` converts results back to the caller's
    types, with the spacings the geometry arrived at.
    """
    a, sa, back_a = _canon(image, "image")
    if any(s == 0 for s in a.shape):
        raise ValueError(f"augmentation: image of shape {a.shape} is empty")
    if gt is None:
        geo = None if sa is None else Geometry([sa])
        return a, None, geo, lambda x, g, geo: (back_a(x, geo and geo.spacings[0]), None)
    g, sg, back_g = _canon(gt, "ground truth")
    if g.shape[:-1] != a.shape[:-1]:
        raise ValueError(f"augmentation: ground truth spatial shape {g.shape[:-1]} differs "
                         f"from the image's {a.shape[:-1]}")
    geo = None if sa is None and sg is None else Geometry([sa, sg])
    return a, g, geo, lambda x, y, geo: (back_a(x, geo and geo.spacings[0]),
                                          back_g(y, geo and geo.spacings[1]))


def assign(dst, result):
    """Write ``result`` into ``dst`` (PyECVL in-place ``Apply``)."""
    Image = _image_class()
    if isinstance(dst, Image):
        dst._assign(result)
    elif isinstance(dst, np.ndarray):
        if dst.shape != result.shape or dst.dtype != result.dtype:
            raise ValueError(f"Apply: cannot write a {result.dtype}{list(result.shape)} result "
                             f"into the {dst.dtype}{list(dst.shape)} input array in place; use "
                             "apply(), which returns a new array")
        dst[...] = result
    else:  # pragma: no cover - unpack already rejected it
        raise TypeError(type(dst).__name__)
