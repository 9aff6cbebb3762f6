"""The :class:`Image` class: an N-D NumPy array plus ECVL's layout and medical metadata.

This module holds the class, its constructor and attributes; the methods for each other job
are written in their own modules and bound in the class body:

* ``_image_construct``: ``empty``, ``fromarray``, ``from_canonical``,
  ``new_like`` and the input validation they share;
* ``_image_numpy``: NumPy interop (``canonical``, ``to_numpy``,
  ``__array__``), views (slicing, ``crop``) and copies;
* ``_image_pyecvl``: PyECVL's accessors (``IsEmpty``, ``Width``, ``GetMeta``, ...).
"""

import numpy as np

from . import _image_construct as _build
from . import _image_numpy as _interop
from . import _image_pyecvl as _pyecvl
from . import layout as _layout
from .enums import ColorType, DataType, Device
from .errors import EcvlError, EcvlValueError

__all__ = ["Image"]

# Private helpers other code may have imported from here
_wrap_meta = _build.wrap_meta
_as_supported = _build.as_supported


class Image:
    """A dense image, volume or raw N-D array with ECVL's layout and metadata.

    .. warning::

       **Axis order is x-first.** As in PyECVL, the NumPy view of an image has
       its axes in the order of the image's channels string, so
       ``np.asarray(img).shape == tuple(img.dims_)``. A 640x480 RGB ``"xyc"``
       image gives an array of shape ``(640, 480, 3)``, indexed ``a[x, y, c]``,
       **not** the ``(480, 640, 3)`` that OpenCV, Pillow, Matplotlib and
       scikit-image use. For those libraries ask for the ``"yxc"`` layout
       explicitly: ``img.to_numpy("yxc")`` (a zero-copy view) or
       ``img.canonical()``.

    Storage: images ecvl creates keep their data in the *canonical* layout, a
    C-contiguous array whose non-channel axes are reversed, the spatial ones in
    ``z, y, x`` order whatever order the channels string gives them, and followed
    by one channel axis: ``(H, W, C)`` for every 2-D image (``"xyc"``, ``"yxc"``,
    ``"cxy"``, ...), the layout every kernel reads. The public view is a
    transposed view of it, so both are free.

    Parameters
    ----------
    dims : sequence of int, optional
        Size of each axis, in the order of `channels`. Without arguments the image
        is empty (see :meth:`empty`).
    elemtype : DataType or numpy dtype, optional
        Element type (default ``DataType.uint8``).
    channels : str, optional
        One letter per axis: ``x``, ``y``, ``z`` spatial, ``c`` colour, ``o`` other
        (e.g. one plane per class), ``t`` time. Default: ``"xyc"`` truncated to
        ``len(dims)``.
    colortype : ColorType, optional
        Colour interpretation of the ``c`` axis (default ``ColorType.none``).
    spacings : sequence of float, optional
        Physical size (mm) of one step along each axis; empty when unknown.
    dev : Device, optional
        Only ``Device.CPU`` is supported.
    meta : dict, optional
        Metadata, key -> :class:`MetaData` (plain values are wrapped).

    Attributes
    ----------
    dims_, channels_, elemtype_, colortype_, spacings_, meta_, dev_
        PyECVL's attribute names; pythonic aliases are ``dims``/``shape``,
        ``channels``, ``dtype``, ``colortype``, ``spacings`` and ``meta``.

    Notes
    -----
    The data is zero-initialised (PyECVL leaves it uninitialised).

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image([4, 3, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> np.asarray(img).shape            # x first
    (4, 3, 3)
    >>> img.to_numpy("yxc").shape        # rows first, for plotting
    (3, 4, 3)
    >>> img.canonical().shape            # the storage layout, (H, W, C)
    (3, 4, 3)
    """

    __array_priority__ = 20  # so ndarray + Image defers to Image.__radd__

    def __init__(self, dims=None, elemtype=DataType.uint8, channels=None, colortype=ColorType.none,
                 spacings=None, dev=Device.CPU, meta=None):
        self._data = None
        self._owner = False
        self._channels = ""
        self._colortype = ColorType.none
        self._spacings = []
        self.meta_ = {}
        self._check_dev(dev)
        if dims is None:
            if channels:
                raise EcvlValueError("Image: channels given without dims")
            return
        dims = [int(d) for d in dims]
        if not dims or any(d <= 0 for d in dims):
            raise EcvlValueError(f"Image: dims must be a non-empty list of positive sizes, got {dims}")
        if channels is None:
            if len(dims) > 4:
                raise EcvlValueError(f"Image: give a channels string for {len(dims)}-D dims {dims}")
            channels = ("x", "xy", "xyc", "xyzc")[len(dims) - 1]
        _layout.check_channels(channels, len(dims), "Image: channels")
        dt = DataType.parse(elemtype)
        if dt is DataType.none:
            raise EcvlValueError("Image: elemtype DataType.none is only valid for empty images")
        perm, ch = _layout.canonical_order(channels)
        canon_shape = [dims[p] for p in perm] + ([] if ch is not None else [1])
        storage = np.zeros(canon_shape, dtype=dt.numpy_dtype)
        self._set_storage(storage, channels)
        self._owner = True
        self.colortype_ = colortype
        self.spacings_ = spacings
        self.meta_ = _build.wrap_meta(meta)

    # ------------------------------------------------------------------ construction
    empty = classmethod(_build.empty)
    fromarray = classmethod(_build.fromarray)
    from_canonical = classmethod(_build.from_canonical)
    new_like = _build.new_like
    _set_storage = _build.set_storage
    _assign = _build.assign

    # ------------------------------------------------------------------ attributes
    def _need_data(self, what):
        if self._data is None:
            raise EcvlError(f"{what}: the image is empty")
        return self._data

    @property
    def dims_(self):
        """Size of each axis, in the order of ``channels_`` (a new list)."""
        return [] if self._data is None else list(self._data.shape)

    @property
    def channels_(self):
        """Channels string, one letter per axis (``""`` when empty)."""
        return self._channels

    @channels_.setter
    def channels_(self, value):
        if self._data is None:
            raise EcvlError("cannot set channels_ of an empty image")
        _layout.check_channels(value, self._data.ndim, "channels_")
        self._channels = value

    @property
    def elemtype_(self):
        """Element type (:class:`DataType`)."""
        return DataType.none if self._data is None else DataType.from_numpy(self._data.dtype)

    @property
    def elemsize_(self):
        """Bytes per element."""
        return 0 if self._data is None else self._data.itemsize

    @property
    def strides_(self):
        """Byte strides of the public (x-first) view."""
        return [] if self._data is None else list(self._data.strides)

    @property
    def datasize_(self):
        """Total bytes of data."""
        return 0 if self._data is None else self._data.nbytes

    @property
    def contiguous_(self):
        """True when the data is one contiguous block in canonical order."""
        return self._data is not None and self._canonical_view().flags.c_contiguous

    @property
    def colortype_(self):
        """Colour type (:class:`ColorType`)."""
        return self._colortype

    @colortype_.setter
    def colortype_(self, value):
        ct = value if type(value) is ColorType else (
            ColorType(value) if value is not None else ColorType.none)
        need = ct.num_channels
        if need is not None and self._data is not None:
            have = self._data.shape[self._channels.index("c")] if "c" in self._channels else 1
            if have != need and not (ct is ColorType.GRAY and "c" not in self._channels):
                raise EcvlValueError(
                    f"colortype {ct.name} needs a 'c' axis of {need} channels; the image has "
                    f"channels {self._channels!r} with dims {self.dims_} (a single-channel "
                    "image is ColorType.GRAY or ColorType.none)")
        self._colortype = ct

    @property
    def spacings_(self):
        """Physical size of one step along each axis (list, empty when unknown)."""
        return self._spacings

    @spacings_.setter
    def spacings_(self, value):
        if value is None:
            self._spacings = []
            return
        sp = [float(s) for s in value]
        if sp and self._data is not None and len(sp) != self._data.ndim:
            raise EcvlValueError(
                f"spacings {sp} must have one value per axis ({self._data.ndim} for "
                f"{self._channels!r}), or be empty when unknown")
        self._spacings = sp

    @property
    def dev_(self):
        """Device of the data (always ``Device.CPU``)."""
        return Device.CPU if self._data is not None else Device.NONE

    @staticmethod
    def _check_dev(dev):
        if dev is Device.CPU:
            return
        if Device(dev) not in (Device.CPU, Device.NONE):
            raise EcvlValueError(f"device {Device(dev).name} is not supported; ecvl images live on the CPU")

    # pythonic aliases
    dims = dims_
    channels = channels_
    colortype = colortype_
    spacings = spacings_

    @property
    def meta(self):
        """Metadata dict (same object as ``meta_``)."""
        return self.meta_

    @property
    def shape(self):
        """Shape of the public view, ``tuple(dims_)``."""
        return () if self._data is None else self._data.shape

    @property
    def dtype(self):
        """NumPy dtype of the data (``None`` when empty)."""
        return None if self._data is None else self._data.dtype

    @property
    def ndim(self):
        """Number of axes."""
        return 0 if self._data is None else self._data.ndim

    @property
    def size(self):
        """Number of elements."""
        return 0 if self._data is None else self._data.size

    @property
    def data(self):
        """Zero-copy NumPy view in the public (x-first) layout."""
        return self._need_data("Image.data")

    def _axis_size(self, letter):
        return self._data.shape[self._channels.index(letter)] if letter in self._channels else 1

    @property
    def width(self):
        """Size of the x axis."""
        return self.Width()

    @property
    def height(self):
        """Size of the y axis."""
        return self.Height()

    @property
    def depth(self):
        """Size of the z axis (1 when there is none)."""
        self._need_data("Image.depth")
        return self._axis_size("z")

    @property
    def num_channels(self):
        """Size of the channel axis, as :meth:`Channels`."""
        return self.Channels()

    # ------------------------------------------------------------------ PyECVL accessors
    IsEmpty = _pyecvl.IsEmpty
    is_empty = property(IsEmpty, doc="True when the image holds no data.")
    IsOwner = _pyecvl.IsOwner
    Width = _pyecvl.Width
    Height = _pyecvl.Height
    Channels = _pyecvl.Channels
    GetMeta = _pyecvl.GetMeta
    SetMeta = _pyecvl.SetMeta
    get_meta = _pyecvl.get_meta
    To = _pyecvl.To

    # ------------------------------------------------------------------ NumPy interop
    _canonical_view = _interop.canonical_view
    canonical = _interop.canonical
    to_numpy = _interop.to_numpy
    __array__ = _interop.__array__
    __len__ = _interop.__len__

    # ------------------------------------------------------------------ views and copies
    __getitem__ = _interop.__getitem__
    __setitem__ = _interop.__setitem__
    crop = _interop.crop
    copy = _interop.copy
    __copy__ = copy
    __deepcopy__ = _interop.__deepcopy__

    def __reduce__(self):
        if self._data is None:
            return (Image, ())
        return (_rebuild, (self.canonical().copy(), self._channels, int(self._colortype),
                           list(self._spacings), self.meta_))

    def __repr__(self):
        if self._data is None:
            return "Image(empty)"
        return (f"Image(dims={self.dims_}, channels={self._channels!r}, elemtype={self.elemtype_.name}, "
                f"colortype={self._colortype.name}" + (f", spacings={self._spacings}" if self._spacings else "") + ")")


def _rebuild(canonical, channels, colortype, spacings, meta):
    return Image.from_canonical(canonical, channels, ColorType(colortype), spacings or None, meta)

