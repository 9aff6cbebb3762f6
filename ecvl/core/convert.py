"""Type conversion with saturation, copies and channel rearrangement."""

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _arith
from . import layout as _layout
from .enums import ColorType, DataType
from .errors import EcvlTypeError, EcvlValueError
from .image import Image

__all__ = [
    "saturate_cast",
    "ConvertTo",
    "convert_to",
    "CopyImage",
    "ShallowCopyImage",
    "RearrangeChannels",
    "rearrange_channels",
    "DropColorChannel",
    "drop_color_channel",
]


# Types the compiled kernels handle; int64 stays on the NumPy path (not exact in double).
KERNEL_TYPES = frozenset(np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32,
                                               np.float32, np.float64))


def _limits(dtype):
    info = np.iinfo(dtype)
    return info.min, info.max


def saturate_cast(array, dtype, saturate=True, out=None):
    """Convert `array` to `dtype` the way ECVL (and OpenCV) do.

    With saturation, values are rounded to the nearest integer (ties to even) and
    clamped to the range of an integer `dtype`; NaN becomes 0. Without saturation
    the conversion is a C cast: floats are truncated toward zero and integers wrap
    around. Conversions to float types are plain casts.

    Parameters
    ----------
    array : numpy.ndarray
        Input values.
    dtype : DataType or numpy dtype
        Target type.
    saturate : bool, optional
        Clamp to the target range (default) or wrap.
    out : numpy.ndarray, optional
        Destination of the target dtype and the same shape.

    Returns
    -------
    numpy.ndarray
        The converted values (`out` when given).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl import saturate_cast
    >>> saturate_cast(np.array([-3.0, 2.5, 3.5, 300.0]), np.uint8)
    array([  0,   2,   4, 255], dtype=uint8)
    >>> saturate_cast(np.array([300, -1]), np.uint8, saturate=False)
    array([ 44, 255], dtype=uint8)
    """
    dt = DataType.parse(dtype).numpy_dtype
    if dt is None:
        raise EcvlValueError("saturate_cast: target type DataType.none")
    a = np.asarray(array)
    if out is None:
        out = np.empty(a.shape, dt)
    if dt.kind == "f" or a.dtype == dt:
        np.copyto(out, a, casting="unsafe")
        return out
    if (a.dtype in KERNEL_TYPES and dt in KERNEL_TYPES and out.flags.c_contiguous and out.shape == a.shape
            and (saturate or a.dtype.kind != "f")):
        _arith.cast(np.ascontiguousarray(a).reshape(-1), out.reshape(-1), bool(saturate), get_num_threads())
        return out
    if a.dtype.kind == "f":
        if saturate:
            lo, hi = _limits(dt)
            # Clamping in float before the cast avoids undefined float->int overflow;
            # int64's limits are not exact in float64, hence the nextafter.
            r = np.rint(a if a.dtype.itemsize == 8 or dt.itemsize < 4 else a.astype(np.float64))
            r = np.nan_to_num(r, nan=0.0, posinf=float(hi), neginf=float(lo))
            if dt.itemsize == 8:
                # int64's maximum is not representable in float64: clip below it, then patch.
                top = r >= float(hi)
                np.clip(r, lo, np.nextafter(float(hi), 0), out=r)
                np.copyto(out, r, casting="unsafe")
                out[top] = hi
            else:
                np.clip(r, lo, hi, out=r)
                np.copyto(out, r, casting="unsafe")
        else:
            t = np.trunc(np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0))
            # Wrap through int64 the way a C cast of an in-range value would.
            big = np.abs(t) >= 2.0 ** 63
            if big.any():
                t = np.where(big, np.fmod(t, 2.0 ** 64), t)
                t = np.where(t >= 2.0 ** 63, t - 2.0 ** 64, t)
                t = np.where(t < -(2.0 ** 63), t + 2.0 ** 64, t)
            np.copyto(out, t.astype(np.int64), casting="unsafe")
        return out
    # integer -> integer
    if saturate and not np.can_cast(a.dtype, dt, casting="safe"):
        lo, hi = _limits(dt)
        slo, shi = _limits(a.dtype)
        if slo < lo or shi > hi:
            np.copyto(out, np.clip(a, max(lo, slo), min(hi, shi)), casting="unsafe")
            return out
    np.copyto(out, a, casting="unsafe")
    return out


def convert_to(img, dtype, saturate=True):
    """Return a copy of `img` converted to `dtype` (pythonic :func:`ConvertTo`).

    Parameters
    ----------
    img : Image
        Source image.
    dtype : DataType or numpy dtype
        Target type.
    saturate : bool, optional
        Round and clamp (default) or C-cast.

    Returns
    -------
    Image
        The converted image in canonical storage.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[-1.0], [300.0]]), "xy")
    >>> np.asarray(ecvl.convert_to(img, ecvl.DataType.uint8)).ravel().tolist()
    [0, 255]
    """
    canon = img._canonical_view() if not img.IsEmpty() else img.canonical()
    return img.new_like(saturate_cast(canon, dtype, saturate))


def ConvertTo(src, dst, dtype, saturate=True):
    """Convert `src` to `dtype` into `dst` (PyECVL form; `dst` may be `src`).

    Parameters
    ----------
    src : Image
        Source image.
    dst : Image
        Destination, rebuilt to hold the result.
    dtype : DataType
        Target type.
    saturate : bool, optional
        Round and clamp (default) or C-cast.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.array([[1.6]]), "xy")
    >>> ecvl.ConvertTo(img, img, ecvl.DataType.int16)
    >>> img.elemtype_, int(np.asarray(img)[0, 0])
    (<DataType.int16: 1>, 2)
    """
    res = convert_to(src, dtype, saturate)
    dst._data = None  # a type change never writes through into dst's old memory
    dst._assign(res)


def _image_method_convert(self, dtype, saturate=True):
    ConvertTo(self, self, dtype, saturate)


Image.ConvertTo = _image_method_convert
Image.ConvertTo.__doc__ = "Convert this image to `dtype` in place (see :func:`ecvl.ConvertTo`)."


def _astype(self, dtype, saturate=True):
    return convert_to(self, dtype, saturate)


Image.astype = _astype
Image.astype.__doc__ = "Return a copy converted to `dtype` with saturation (see :func:`ecvl.convert_to`)."


def CopyImage(src, dst, new_type=None):
    """Deep-copy `src` into `dst`, optionally changing the type.

    Parameters
    ----------
    src : Image
        Source image.
    dst : Image
        Destination. When it is a view with the same dims, channels and type,
        the data is written into its memory; otherwise it is rebuilt.
    new_type : DataType, optional
        Element type of the copy (default: that of `dst` if it has data, else of `src`).

    Examples
    --------
    >>> import ecvl
    >>> src = ecvl.Image([2, 2], ecvl.DataType.uint8, "xy")
    >>> dst = ecvl.Image.empty()
    >>> ecvl.CopyImage(src, dst, ecvl.DataType.float32)
    >>> dst.elemtype_
    <DataType.float32: 4>
    """
    dt = DataType.parse(new_type)
    if dt is DataType.none:
        dt = dst.elemtype_ if not dst.IsEmpty() else src.elemtype_
    res = convert_to(src, dt, saturate=True) if dt != src.elemtype_ else src.copy()
    dst._assign(res)


def ShallowCopyImage(src, dst):
    """Make `dst` share `src`'s data and attributes (no copy).

    Parameters
    ----------
    src : Image
        Source image.
    dst : Image
        Image that becomes an alias of `src`.
    """
    dst._data = src._data
    dst._owner = False
    dst._channels = src._channels
    dst._colortype = src._colortype
    dst._spacings = list(src._spacings)
    dst.meta_ = src.meta_


def rearrange_channels(img, channels, dtype=None):
    """Return `img` with its axes permuted to `channels` (e.g. ``"xyc"`` -> ``"cxy"``).

    Spacings are permuted with the axes. The result is canonical: a zero-copy view
    when the canonical layout does not change (``"xyc"`` <-> ``"cxy"``), else a copy.

    Parameters
    ----------
    img : Image
        Source image.
    channels : str
        A permutation of ``img.channels_``.
    dtype : DataType, optional
        Convert to this type too.

    Returns
    -------
    Image
        The rearranged image.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([5, 4, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> ecvl.rearrange_channels(img, "cxy").dims_
    [3, 5, 4]
    """
    src = img._need_data("RearrangeChannels")
    _layout.check_channels(channels, src.ndim, "RearrangeChannels: channels")
    if sorted(channels) != sorted(img.channels_):
        raise EcvlValueError(f"RearrangeChannels: {channels!r} is not a permutation of {img.channels_!r}")
    order = [img.channels_.index(letter) for letter in channels]
    public = src.transpose(order)
    perm, ch = _layout.canonical_order(channels)
    canon = public.transpose(perm)
    if ch is None:
        canon = canon[..., None]
    if not canon.flags.c_contiguous:
        canon = np.ascontiguousarray(canon)
    spacings = [img.spacings_[i] for i in order] if img.spacings_ else None
    out = img.new_like(canon, channels=channels, spacings=spacings)
    if dtype is not None and DataType.parse(dtype) not in (DataType.none, out.elemtype_):
        out = convert_to(out, dtype)
    return out


def RearrangeChannels(src, dst, channels, new_type=None):
    """Permute the axes of `src` into `dst` (PyECVL form; `dst` may be `src`).

    Parameters
    ----------
    src : Image
        Source image.
    dst : Image
        Destination.
    channels : str
        New channels string, a permutation of ``src.channels_``.
    new_type : DataType, optional
        Convert to this type too.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([5, 4, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> ecvl.RearrangeChannels(img, img, "yxc")
    >>> img.dims_
    [4, 5, 3]
    """
    res = rearrange_channels(src, channels, new_type)
    if dst is src or dst._channels != res._channels:
        dst._data = None
    dst._assign(res)


def drop_color_channel(img):
    """Return a GRAY image without its ``c`` axis (a view sharing its memory).

    As ECVL's ``DropColorChannel`` (``imgproc.cpp``): the ``c`` axis, its spacing and its
    colour type go (the result is ``ColorType.none``); an image without a ``c`` axis comes back
    as a view unchanged.

    Parameters
    ----------
    img : Image
        A ``ColorType.GRAY`` image (so its ``c`` axis, if any, has size 1).

    Returns
    -------
    Image
        A view of `img`'s data with one axis fewer.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([5, 4, 1], ecvl.DataType.uint8, "xyc", ecvl.ColorType.GRAY)
    >>> out = ecvl.drop_color_channel(img)
    >>> out.dims_, out.channels_, out.colortype_.name
    ([5, 4], 'xy', 'none')
    """
    op = "DropColorChannel"
    if not isinstance(img, Image):
        raise EcvlTypeError(f"{op}: expected an ecvl.Image, got {type(img).__name__}")
    data = img._need_data(op)
    if img.colortype_ is not ColorType.GRAY:
        raise EcvlValueError(f"{op}: the colour axis can only be dropped from a GRAY image, got "
                             f"colortype {img.colortype_.name} (set colortype_ = ColorType.GRAY "
                             "for a single-channel image of another kind)")
    ch = img.channels_
    out = Image()
    out._owner = False
    out.meta_ = img.meta_
    if "c" not in ch:
        out._data, out._channels = data, ch
        out._colortype, out._spacings = img.colortype_, list(img.spacings_)
        return out
    k = ch.index("c")
    if len(ch) == 1:
        raise EcvlValueError(f"{op}: the image has no axis besides 'c' (dims {img.dims_})")
    out._data, out._channels = data[(slice(None),) * k + (0,)], ch[:k] + ch[k + 1:]
    out._spacings = [s for i, s in enumerate(img.spacings_) if i != k]
    return out


def DropColorChannel(src):
    """Remove the ``c`` axis of a GRAY image in place (PyECVL form of :func:`drop_color_channel`).

    Parameters
    ----------
    src : Image
        A ``ColorType.GRAY`` image; afterwards it has one axis fewer and ``ColorType.none``.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([5, 4, 1], ecvl.DataType.uint8, "xyc", ecvl.ColorType.GRAY)
    >>> ecvl.DropColorChannel(img)
    >>> img.dims_, img.channels_
    ([5, 4], 'xy')
    """
    res = drop_color_channel(src)
    owner = src.IsOwner()
    src._data, src._channels = res._data, res._channels
    src._colortype, src._spacings = res._colortype, res._spacings
    src._owner = owner  # the same memory as before, so the same ownership
