"""Construction and validation of :class:`~ecvl.core.image.Image` objects.

The functions here are bound as methods and classmethods in the class body of
:class:`~ecvl.core.image.Image` (``Image.fromarray``, ``Image.from_canonical``, ...); they take
the class or the instance as first argument and create instances through it.
"""

import copy as _copy

import numpy as np

from . import layout as _layout
from .enums import ColorType, DataType
from .errors import EcvlValueError
from .metadata import MetaData

__all__ = []


def empty(cls):
    """Return an empty image (no data), PyECVL's placeholder for a destination.

    Returns
    -------
    Image
        An image whose :meth:`IsEmpty` is True.


    Examples
    --------
    >>> import ecvl
    >>> ecvl.Image.empty().IsEmpty()
    True
    """
    return cls()


def fromarray(cls, array, channels, colortype=ColorType.none, spacings=None, meta=None, copy=True):
    """Make an image from an array whose axes follow `channels` (x-first rule).

    Parameters
    ----------
    array : array_like
        Data with ``array.shape == dims`` in the order of `channels`.
    channels : str
        Channels string, one letter per axis of `array`.
    colortype : ColorType, optional
        Colour type.
    spacings : sequence of float, optional
        Physical spacing per axis.
    meta : dict, optional
        Metadata.
    copy : bool, optional
        True (default, as PyECVL) copies the data into canonical storage; False
        wraps `array` without copying, so writes go both ways.


    Returns
    -------
    Image
        The new image.


    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = np.arange(24, dtype=np.uint8).reshape(4, 3, 2)    # x, y, c
    >>> img = ecvl.Image.fromarray(a, "xyc", ecvl.ColorType.none)
    >>> img.dims_, int(np.asarray(img)[3, 2, 1])
    ([4, 3, 2], 23)
    """
    arr = as_supported(array, "Image.fromarray", cls)
    _check_fromarray_axes(arr, channels)
    img = cls()
    if copy:
        perm, ch = _layout.canonical_order(channels)
        canon = arr.transpose(perm).copy(order="C")
        if ch is None:
            canon = canon[..., None]
        img._set_storage(canon, channels)
        img._owner = True
    else:
        img._data = arr
        img._channels = channels
    img.colortype_ = colortype
    img.spacings_ = spacings
    img.meta_ = wrap_meta(meta)
    return img


def _check_fromarray_axes(arr, channels):
    """Check `channels` against the array; a missing colour axis gets a how-to-fix message.

    PyECVL refuses such an array as well (ECVL's Image constructor throws "Number of
    dimensions must match number of channels"), the toolkit paper's Listing 5 notwithstanding.
    """
    _layout.check_channels(channels, None, "Image.fromarray: channels")
    missing = [k for k in "co" if k in channels]
    if len(channels) == arr.ndim + 1 and missing:
        axis = channels.index(missing[0])
        fixed = channels.replace(missing[0], "")
        add = "a[..., np.newaxis]" if axis == arr.ndim else f"np.expand_dims(a, {axis})"
        raise EcvlValueError(
            f"Image.fromarray: channels {channels!r} has {len(channels)} axes but the data has "
            f"{arr.ndim} (shape {arr.shape}): its {missing[0]!r} axis is missing. Add it with "
            f"{add} (shape {arr.shape[:axis] + (1,) + arr.shape[axis:]}), or give channels "
            f"{fixed!r}")
    _layout.check_channels(channels, arr.ndim, "Image.fromarray: channels")


def from_canonical(cls, array, channels="xyc", colortype=ColorType.none, spacings=None, meta=None):
    """Wrap a canonical array (e.g. ``(H, W, C)``) without copying.

    Parameters
    ----------
    array : numpy.ndarray
        Canonical data: spatial axes in ``z, y, x`` order whatever order `channels`
        gives them (see :mod:`ecvl.core.layout`), then the channel axis. When
        `channels` has no ``c``/``o`` axis the trailing axis of size 1 may be present
        or left out.
    channels : str, optional
        Channels string of the image (default ``"xyc"``).
    colortype : ColorType, optional
        Colour type.
    spacings : sequence of float, optional
        Physical spacing per axis, in the order of `channels`.
    meta : dict, optional
        Metadata (wrapped, not copied).


    Returns
    -------
    Image
        An image sharing memory with `array` (unless its dtype had to be made
        native-endian).


    Examples
    --------
    >>> import ecvl, numpy as np
    >>> hwc = np.zeros((480, 640, 3), np.uint8)
    >>> img = ecvl.Image.from_canonical(hwc, "xyc", ecvl.ColorType.RGB)
    >>> img.dims_, np.shares_memory(img.canonical(), hwc)
    ([640, 480, 3], True)
    """
    arr = as_supported(array, "Image.from_canonical", cls)
    _layout.check_channels(channels, None, "Image.from_canonical: channels")
    perm, ch = _layout.canonical_order(channels)
    if ch is None and arr.ndim == len(channels):
        arr = arr[..., None]
    if arr.ndim != len(channels) + (ch is None):
        raise EcvlValueError(
            f"Image.from_canonical: array of shape {arr.shape} does not fit channels {channels!r}"
            f" (expected {len(channels) + (ch is None)} axes)"
        )
    if ch is None and arr.shape[-1] != 1:
        raise EcvlValueError(
            f"Image.from_canonical: channels {channels!r} has no c/o axis, so the last axis of "
            f"the canonical array must have size 1, got shape {arr.shape}"
        )
    img = cls()
    img._set_storage(arr, channels)
    img.colortype_ = colortype
    img.spacings_ = spacings
    img.meta_ = wrap_meta(meta)
    return img


def new_like(self, canonical, channels=None, colortype=None, spacings=None, meta=None):
    """Wrap a canonical array as an image carrying this image's attributes.

    Attributes not given are taken from `self`: channels, colortype, spacings
    (kept only when the number of axes is unchanged) and a copy of the metadata.


    Parameters
    ----------
    canonical : numpy.ndarray
        Canonical data of the new image.
    channels, colortype, spacings, meta : optional
        Overrides.


    Returns
    -------
    Image
        The new image, sharing memory with `canonical`.
    """
    channels = self._channels if channels is None else channels
    if spacings is None and len(channels) == len(self._spacings):
        spacings = self._spacings
    return type(self).from_canonical(
        canonical, channels, self._colortype if colortype is None else colortype,
        spacings, (_copy.deepcopy(self.meta_) if self.meta_ else {}) if meta is None else meta)


def set_storage(self, canonical, channels):
    perm, ch = _layout.canonical_order(channels)
    if ch is None:
        canonical = canonical[..., 0]
    self._data = canonical.transpose(_layout.inverse(perm))
    self._channels = channels


def assign(self, other):
    """Make this image hold `other`'s result (the ``dst`` of PyECVL-style functions).

    When this image already has the same dims, channels and type its memory is
    reused (so a ``dst`` that is a view into a larger image is written through);
    otherwise it is rebound to `other`'s data. Attributes are copied from `other`.
    """
    if other is self:
        return self
    if (self._data is not None and other._data is not None and self._data.shape == other._data.shape
            and self._channels == other._channels and self._data.dtype == other._data.dtype
            and self._data.flags.writeable):
        np.copyto(self._data, other._data)
    else:
        self._data = other._data
        self._owner = other._owner
        self._channels = other._channels
    self._colortype = other._colortype
    self._spacings = list(other._spacings)
    self.meta_ = other.meta_
    return self


def wrap_meta(meta):
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise EcvlValueError(f"meta must be a dict, got {type(meta).__name__}")
    return {str(k): v if isinstance(v, MetaData) else MetaData(v) for k, v in meta.items()}


_NATIVE = frozenset(np.dtype(t) for t in ("uint8", "int8", "uint16", "int16", "int32", "int64",
                                           "float32", "float64"))


def _image_base(cls):
    """``Image`` itself, from ``Image`` or any subclass of it."""
    return next(k for k in cls.__mro__ if "_need_data" in vars(k))


def as_supported(array, what, image_type=None):
    # the common case, checked first: every op wraps its result through here
    if type(array) is np.ndarray and array.dtype in _NATIVE and array.ndim and array.size:
        return array
    # The Image class comes from the caller (the classmethods get it, or a subclass, as
    # `cls`): image.py imports this module, so importing it back here would be a cycle.
    if image_type is not None and isinstance(array, _image_base(image_type)):
        array = array._need_data(what)
    arr = np.asarray(array)
    if arr.ndim == 0:
        raise EcvlValueError(f"{what}: expected an array with at least one axis, got a scalar")
    if arr.dtype == np.bool_:
        raise EcvlValueError(f"{what}: boolean arrays are not images; convert with .astype(np.uint8)")
    DataType.from_numpy(arr.dtype.newbyteorder("="))
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.size == 0:
        raise EcvlValueError(f"{what}: array of shape {arr.shape} has no elements")
    return arr
