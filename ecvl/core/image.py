"""The :class:`Image` class: an N-D NumPy array plus ECVL's layout and medical metadata."""

import copy as _copy

import numpy as np

from . import layout as _layout
from .enums import ColorType, DataType, Device
from .errors import EcvlError, EcvlValueError
from .metadata import MetaData

__all__ = ["Image"]


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
    C-contiguous array whose non-channel axes are reversed (``z, y, x``) and
    followed by one channel axis, e.g. ``(H, W, C)`` for 2-D images. The x-first
    public view is a transposed view of it, so both are free.

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
        self.meta_ = _wrap_meta(meta)

    # ------------------------------------------------------------------ construction
    @classmethod
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

    @classmethod
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
        arr = _as_supported(array, "Image.fromarray")
        _layout.check_channels(channels, arr.ndim, "Image.fromarray: channels")
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
        img.meta_ = _wrap_meta(meta)
        return img

    @classmethod
    def from_canonical(cls, array, channels="xyc", colortype=ColorType.none, spacings=None, meta=None):
        """Wrap a canonical array (e.g. ``(H, W, C)``) without copying.

        Parameters
        ----------
        array : numpy.ndarray
            Canonical data: non-channel axes reversed (``z, y, x``), then the channel
            axis. When `channels` has no ``c``/``o`` axis the trailing axis of size 1
            may be present or left out.
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
        arr = _as_supported(array, "Image.from_canonical")
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
        img.meta_ = _wrap_meta(meta)
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
        return Image.from_canonical(
            canonical, channels, self._colortype if colortype is None else colortype,
            spacings, _copy.deepcopy(self.meta_) if meta is None else meta)

    def _set_storage(self, canonical, channels):
        perm, ch = _layout.canonical_order(channels)
        if ch is None:
            canonical = canonical[..., 0]
        self._data = canonical.transpose(_layout.inverse(perm))
        self._channels = channels

    def _assign(self, other):
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
        ct = ColorType(value) if value is not None else ColorType.none
        need = ct.num_channels
        if need is not None and self._data is not None:
            have = self._data.shape[self._channels.index("c")] if "c" in self._channels else 1
            if have != need and not (ct is ColorType.GRAY and "c" not in self._channels):
                raise EcvlValueError(
                    f"colortype {ct.name} needs a 'c' axis of {need} channels; the image has "
                    f"channels {self._channels!r} with dims {self.dims_}")
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
                f"spacings {sp} must have one value per axis ({self._data.ndim} for {self._channels!r})")
        self._spacings = sp

    @property
    def dev_(self):
        """Device of the data (always ``Device.CPU``)."""
        return Device.CPU if self._data is not None else Device.NONE

    @staticmethod
    def _check_dev(dev):
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

    def IsEmpty(self):
        """Return True when the image holds no data."""
        return self._data is None

    is_empty = property(IsEmpty, doc="True when the image holds no data.")

    def IsOwner(self):
        """Return True when the image's memory is not borrowed from another array."""
        return self._data is not None and self._owner

    def Width(self):
        """Return the size of the x axis."""
        self._need_data("Image.Width")
        return self._axis_size("x")

    def Height(self):
        """Return the size of the y axis."""
        self._need_data("Image.Height")
        return self._axis_size("y")

    def Channels(self):
        """Return the size of the ``c`` axis, else of ``z``, else of ``o`` (1 if none)."""
        self._need_data("Image.Channels")
        for letter in "czo":
            if letter in self._channels:
                return self._axis_size(letter)
        return 1

    def GetMeta(self, key):
        """Return the :class:`MetaData` stored under `key` (KeyError if absent)."""
        return self.meta_[key]

    def SetMeta(self, key, value):
        """Store `value` under `key`; return True when the key is new."""
        new = key not in self.meta_
        self.meta_[key] = MetaData(value)
        return new

    def get_meta(self, key, default=None):
        """Return the plain value stored under `key`, or `default`."""
        m = self.meta_.get(key)
        return default if m is None else m.Get()

    def To(self, dev):
        """Move to a device; only ``Device.CPU`` is supported."""
        self._check_dev(dev)

    # ------------------------------------------------------------------ NumPy interop
    def _canonical_view(self):
        perm, ch = _layout.canonical_order(self._channels)
        v = self._data.transpose(perm)
        return v if ch is not None else v[..., None]

    def canonical(self):
        """Return the canonical array (``(H, W, C)`` for 2-D, ``(D, H, W, C)`` for volumes).

        Returns
        -------
        numpy.ndarray
            A zero-copy C-contiguous view when the storage is canonical (always for
            images ecvl made), otherwise a C-contiguous copy.
        """
        v = self._canonical_view() if self._data is not None else self._need_data("Image.canonical")
        return v if v.flags.c_contiguous else np.ascontiguousarray(v)

    def to_numpy(self, layout=None, copy=False):
        """Return the data as an array with axes in the order of `layout`.

        Parameters
        ----------
        layout : str, optional
            A permutation of ``channels_`` (e.g. ``"yxc"`` for plotting); default is
            the image's own order. A channels string without a ``c`` axis may be
            given with a trailing ``c`` to get a size-1 channel axis.
        copy : bool, optional
            Return a copy instead of a view.

        Returns
        -------
        numpy.ndarray
            A view (unless `copy`) of the data.

        Examples
        --------
        >>> import ecvl
        >>> img = ecvl.Image([5, 4, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
        >>> img.to_numpy("yxc").shape
        (4, 5, 3)
        """
        a = self._need_data("Image.to_numpy")
        if layout is not None and layout != self._channels:
            src = self._channels
            if len(layout) == len(src) + 1 and layout[-1] == "c" and "c" not in src:
                a, src = a[..., None], src + "c"
            if sorted(layout) != sorted(src):
                raise EcvlValueError(f"to_numpy: layout {layout!r} is not a permutation of {self._channels!r}")
            a = a.transpose([src.index(letter) for letter in layout])
        return a.copy() if copy else a

    def __array__(self, dtype=None, copy=None):
        a = self._need_data("numpy conversion")
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError("converting an Image to another dtype needs a copy")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __len__(self):
        return 0 if self._data is None else self._data.shape[0]

    # ------------------------------------------------------------------ views and copies
    def __getitem__(self, index):
        """Return a view of a region; `index` is a tuple of slices in ``channels_`` order.

        Integers select one plane but keep the axis (size 1). Steps scale the spacings.
        """
        a = self._need_data("Image slicing")
        if not isinstance(index, tuple):
            index = (index,)
        if len(index) > a.ndim:
            raise EcvlValueError(f"Image slicing: {len(index)} indices for {a.ndim} axes {self._channels!r}")
        slices = []
        for axis, ix in enumerate(index):
            if isinstance(ix, (int, np.integer)):
                n = a.shape[axis]
                if not -n <= ix < n:
                    raise EcvlValueError(f"Image slicing: index {ix} outside axis {self._channels[axis]!r} of size {n}")
                ix = int(ix) % n
                ix = slice(ix, ix + 1)
            elif not isinstance(ix, slice):
                raise EcvlValueError(f"Image slicing accepts slices and integers, got {type(ix).__name__}")
            slices.append(ix)
        view = a[tuple(slices)]
        if view.size == 0:
            raise EcvlValueError(f"Image slicing: {index} selects an empty region of dims {list(a.shape)}")
        out = Image()
        out._data = view
        out._channels = self._channels
        out._colortype = self._colortype
        if self._spacings:
            steps = [s.indices(n)[2] for s, n in zip(slices, a.shape)] + [1] * (a.ndim - len(slices))
            out._spacings = [sp * abs(st) for sp, st in zip(self._spacings, steps)]
        out.meta_ = self.meta_
        return out

    def __setitem__(self, index, value):
        view = self[index]
        view._data[...] = np.asarray(value) if not isinstance(value, Image) else value._data

    def crop(self, x, y, w, h):
        """Return a view of the ``w`` x ``h`` region whose top-left corner is (`x`, `y`).

        Parameters
        ----------
        x, y : int
            Top-left corner.
        w, h : int
            Width and height.

        Returns
        -------
        Image
            A view sharing memory with this image.
        """
        self._need_data("Image.crop")
        W, H = self.Width(), self.Height()
        if not (0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= W and y + h <= H):
            raise EcvlValueError(f"Image.crop: region x={x} y={y} w={w} h={h} is outside the {W}x{H} image")
        index = [slice(None)] * self.ndim
        index[self._channels.index("x")] = slice(x, x + w)
        index[self._channels.index("y")] = slice(y, y + h)
        return self[tuple(index)]

    def copy(self):
        """Return a deep copy (data in canonical storage, metadata copied)."""
        out = Image()
        if self._data is not None:
            canon = self._canonical_view().copy(order="C")
            out._set_storage(canon, self._channels)
            out._owner = True
        out._colortype = self._colortype
        out._spacings = list(self._spacings)
        out.meta_ = _copy.deepcopy(self.meta_)
        return out

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

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


def _wrap_meta(meta):
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise EcvlValueError(f"meta must be a dict, got {type(meta).__name__}")
    return {str(k): v if isinstance(v, MetaData) else MetaData(v) for k, v in meta.items()}


def _as_supported(array, what):
    if isinstance(array, Image):
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
