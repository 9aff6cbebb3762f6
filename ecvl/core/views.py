"""PyECVL's typed element views (``View_uint8(img)[x, y, c]``), kept for ported scripts."""

import numpy as np

from .errors import EcvlTypeError
from .image import Image

__all__ = ["View_uint8", "View_int8", "View_uint16", "View_int16", "View_int32", "View_int64",
           "View_float32", "View_float64"]


class _View:
    """Get and set single elements of an image by coordinates in ``channels_`` order.

    Parameters
    ----------
    img : Image
        Image whose element type matches the view's.
    """

    _dtype = None

    def __init__(self, img):
        if not isinstance(img, Image):
            raise EcvlTypeError(f"{type(self).__name__} needs an Image, got {type(img).__name__}")
        a = img._need_data(type(self).__name__)
        if a.dtype != self._dtype:
            raise EcvlTypeError(f"{type(self).__name__} needs a {self._dtype} image, got {a.dtype}")
        self._array = a

    @staticmethod
    def _index(coords):
        return tuple(int(c) for c in (coords if isinstance(coords, (list, tuple)) else (coords,)))

    def __getitem__(self, coords):
        return self._array[self._index(coords)].item()

    def __setitem__(self, coords, value):
        self._array[self._index(coords)] = value


def _make(name, dtype):
    cls = type(name, (_View,), {"_dtype": np.dtype(dtype), "__module__": __name__})
    cls.__doc__ = f"Element view of a {np.dtype(dtype).name} image: ``v[x, y, c]`` gets or sets one value."
    return cls


View_uint8 = _make("View_uint8", np.uint8)
View_int8 = _make("View_int8", np.int8)
View_uint16 = _make("View_uint16", np.uint16)
View_int16 = _make("View_int16", np.int16)
View_int32 = _make("View_int32", np.int32)
View_int64 = _make("View_int64", np.int64)
View_float32 = _make("View_float32", np.float32)
View_float64 = _make("View_float64", np.float64)
