"""Conversion between what users pass (Images or arrays) and canonical arrays.

Augmentations compute on canonical arrays with a trailing channel axis: ``(H, W, C)`` for
images and ``(D, H, W, C)`` for volumes. A 2-D NumPy array ``(H, W)`` is accepted and
given back 2-D.
"""

import numpy as np

_SUPPORTED = frozenset("uint8 int8 uint16 int16 int32 int64 float32 float64".split())


def _image_class():
    from ..core.image import Image

    return Image


def _canon(x, what):
    Image = _image_class()
    if isinstance(x, Image):
        if x.IsEmpty():
            raise ValueError(f"augmentation: the {what} image is empty")
        a = x.canonical()
        if a.ndim not in (3, 4):
            raise ValueError(f"augmentation: {what} with channels {x.channels_!r} is neither "
                             "a 2-D image nor a volume")

        def back(arr, src=x):
            return src.new_like(arr)
        return a, back
    if not isinstance(x, np.ndarray):
        raise TypeError(f"augmentation: {what} must be an ecvl.Image or a numpy array, "
                        f"got {type(x).__name__}")
    if x.dtype.name not in _SUPPORTED:
        raise TypeError(f"augmentation: {what} dtype {x.dtype} is not supported (use uint8, "
                        "int8, uint16, int16, int32, int64, float32 or float64)")
    if x.ndim == 2:
        return x[:, :, None], (lambda arr: arr[:, :, 0])
    if x.ndim in (3, 4):
        return x, (lambda arr: arr)
    raise ValueError(f"augmentation: {what} array must be (H, W), (H, W, C) or (D, H, W, C), "
                     f"got shape {x.shape}")


def unpack(image, gt):
    """Return ``(image_array, gt_array_or_None, restore)``.

    ``restore(image_array, gt_array)`` converts results back to the caller's types.
    """
    a, back_a = _canon(image, "image")
    if any(s == 0 for s in a.shape):
        raise ValueError(f"augmentation: image of shape {a.shape} is empty")
    if gt is None:
        return a, None, lambda x, g: (back_a(x), None)
    g, back_g = _canon(gt, "ground truth")
    if g.shape[:-1] != a.shape[:-1]:
        raise ValueError(f"augmentation: ground truth spatial shape {g.shape[:-1]} differs "
                         f"from the image's {a.shape[:-1]}")
    return a, g, lambda x, y: (back_a(x), back_g(y))


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
