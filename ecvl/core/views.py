"""PyECVL's typed views (``View_uint8(img)[x, y, c]``), kept for ported scripts.

As in ECVL (``View<DT>`` derives from ``Image`` and borrows the source's memory), a view is an
:class:`~ecvl.core.image.Image`: every Image method and function works on it, ``IsOwner()`` is
False, and writes go to the viewed image. On top of that, indexing it with one coordinate
per axis gets or sets one element.
"""

import numpy as np

from ._image_numpy import __getitem__ as _image_getitem
from .errors import EcvlTypeError, EcvlValueError
from .image import Image

__all__ = ["View_uint8", "View_int8", "View_uint16", "View_int16", "View_int32", "View_int64",
           "View_float32", "View_float64"]


class _View(Image):
    """An Image borrowing the memory of another one, with typed element access.

    Parameters
    ----------
    img : Image, optional
        Image whose element type matches the view's. Without it the view is empty.
    """

    _dtype = None

    def __init__(self, img=None):
        super().__init__()
        if img is None:
            return
        name = type(self).__name__
        if not isinstance(img, Image):
            raise EcvlTypeError(f"{name} needs an Image, got {type(img).__name__}")
        a = img._need_data(name)
        if a.dtype != self._dtype:
            raise EcvlTypeError(f"{name} needs a {self._dtype} image, got {a.dtype}")
        self._data = a
        self._owner = False
        self._channels = img._channels
        self._colortype = img._colortype
        self._spacings = list(img._spacings)
        self.meta_ = img.meta_

    def _element(self, coords):
        if isinstance(coords, list):
            coords = tuple(coords)
        if not isinstance(coords, tuple):
            coords = (coords,)
        if len(coords) == self.ndim and all(isinstance(c, (int, np.integer)) for c in coords):
            return tuple(int(c) for c in coords)
        return None

    def __getitem__(self, coords):
        """One element for one integer per axis (``v[x, y, c]``); otherwise a sliced view."""
        index = self._element(coords)
        if index is None:
            return _image_getitem(self, coords)
        return self._data[index].item()

    def __setitem__(self, coords, value):
        index = self._element(coords)
        if index is None:
            Image.__setitem__(self, coords, value)
        else:
            self._data[index] = value

    def _assign(self, other):
        # A view cannot be re-pointed at new memory, so a result of another shape or type
        # than the viewed data is refused, as ECVL refuses a non-owning destination.
        if other is not self and (self._data is None or other._data is None
                                  or self._data.shape != other._data.shape
                                  or self._data.dtype != other._data.dtype
                                  or self._channels != other._channels):
            raise EcvlValueError(
                f"{type(self).__name__}: a view only takes a result of its own dims "
                f"{self.dims_}, channels {self._channels!r} and type {self.dtype}; got dims "
                f"{other.dims_}, channels {other._channels!r} and type {other.dtype}")
        return Image._assign(self, other)

    def new_like(self, canonical, channels=None, colortype=None, spacings=None, meta=None):
        """Results computed from a view are ordinary (owning) images."""
        return Image.new_like(_as_image(self), canonical, channels, colortype, spacings, meta)

    def copy(self):
        """Return a deep copy, an ordinary (owning) :class:`Image`."""
        return _as_image(self).copy()

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()


def _as_image(view):
    """Return a plain Image sharing the view's memory and attributes."""
    out = Image()
    out._data, out._owner, out._channels = view._data, False, view._channels
    out._colortype, out._spacings, out.meta_ = view._colortype, view._spacings, view.meta_
    return out


def _make(name, dtype):
    cls = type(name, (_View,), {"_dtype": np.dtype(dtype), "__module__": __name__})
    cls.__doc__ = f"""View of a {np.dtype(dtype).name} image: an :class:`Image` sharing its memory.

    ``v[x, y, c]`` (one integer per axis, in ``channels_`` order) gets or sets one value;
    every Image method works, and ``IsOwner()`` is False.

    Parameters
    ----------
    img : Image, optional
        A {np.dtype(dtype).name} image (without it the view is empty).

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([3, 2, 1], ecvl.DataType.{np.dtype(dtype).name}, "xyc")
    >>> v = ecvl.{name}(img)
    >>> v[2, 1, 0] = 7
    >>> v[2, 1, 0] == 7, v.IsOwner(), v.Width()
    (True, False, 3)
    """
    return cls


View_uint8 = _make("View_uint8", np.uint8)
View_int8 = _make("View_int8", np.int8)
View_uint16 = _make("View_uint16", np.uint16)
View_int16 = _make("View_int16", np.int16)
View_int32 = _make("View_int32", np.int32)
View_int64 = _make("View_int64", np.int64)
View_float32 = _make("View_float32", np.float32)
View_float64 = _make("View_float64", np.float64)
