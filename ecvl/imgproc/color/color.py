"""Colour-space conversion between GRAY, RGB, BGR, RGBA, HSV and YCbCr.

Conventions (those of OpenCV, so results can be compared with it):

* GRAY = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601); uint8 uses OpenCV's 14-bit fixed point.
* HSV: for uint8, H in [0, 180) (degrees / 2) and S, V in [0, 255]; for float images H is in
  degrees [0, 360), S in [0, 1] and V in the input's scale. Other dtypes are not supported.
* YCbCr stores Y, Cb, Cr in that order (OpenCV's ``YCrCb`` swaps the chroma planes); chroma
  is offset by 128 (uint8), 32768 (uint16), 0.5 (float) or 0 (signed integers).
* RGBA gets an opaque alpha (dtype maximum, 1.0 for floats); converting away drops alpha.
"""

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.enums import ColorType
from ...core.errors import EcvlValueError
from .._kernutil import (
    as_image_array,
    deliver,
    image_canonical,
    nthreads,
    saturate_cast,
)
from . import _color

__all__ = ["change_color_space_array", "ChangeColorSpace", "change_color_space"]

_ORDER = {ColorType.RGB: (0, 1, 2), ColorType.BGR: (2, 1, 0), ColorType.RGBA: (0, 1, 2)}
_NCH = {ColorType.GRAY: 1, ColorType.RGB: 3, ColorType.BGR: 3, ColorType.RGBA: 4,
        ColorType.HSV: 3, ColorType.YCbCr: 3}


def _ctype(value, op):
    if isinstance(value, str) and value in ColorType.__members__:
        return ColorType[value]
    try:
        ct = ColorType(value)
    except ValueError:
        raise EcvlValueError(f"{op}: unknown colour type {value!r}") from None
    if ct is ColorType.none:
        raise EcvlValueError(f"{op}: colour type 'none' has no colour interpretation")
    return ct


def _chroma_delta(dtype):
    return {np.dtype(np.uint8): 128.0, np.dtype(np.uint16): 32768.0}.get(
        np.dtype(dtype), 0.5 if np.dtype(dtype).kind == "f" else 0.0)


def _opaque(dtype):
    dtype = np.dtype(dtype)
    return dtype.type(1) if dtype.kind == "f" else np.iinfo(dtype).max


def _shuffle(pix, idx, fill=0):
    out = np.empty((pix.shape[0], len(idx)), pix.dtype)
    _color.shuffle(pix, out, list(idx), pix.dtype.type(fill), nthreads(pix.size * 4))
    return out


def _float_work(pix):
    return pix if pix.dtype.kind == "f" else pix.astype(np.float64)


def _to_rgb(pix, ct, op):
    """(pixels, (ri, gi, bi)) in which the R, G, B planes can be read."""
    if ct in _ORDER:
        return pix, _ORDER[ct]
    if ct is ColorType.GRAY:
        return _shuffle(pix, (0, 0, 0)), (0, 1, 2)
    out = np.empty((pix.shape[0], 3), pix.dtype)
    if ct is ColorType.HSV:
        if pix.dtype == np.uint8:
            _color.hsv_to_rgb_u8(pix, out, 0, 1, 2, nthreads(pix.size * 4))
        else:
            _check_hsv_dtype(pix.dtype, op)
            out[:] = _hsv_to_rgb_float(pix)
        return out, (0, 1, 2)
    # YCbCr
    if pix.dtype == np.uint8:
        _color.ycbcr_to_rgb_u8(pix, out, 0, 1, 2, nthreads(pix.size * 4))
        return out, (0, 1, 2)
    f = _float_work(pix)
    d = _chroma_delta(pix.dtype)
    y, cb, cr = f[:, 0], f[:, 1] - d, f[:, 2] - d
    rgb = np.stack([y + 1.403 * cr, y - 0.714 * cr - 0.344 * cb, y + 1.773 * cb], axis=1)
    return saturate_cast(rgb, pix.dtype), (0, 1, 2)


def _check_hsv_dtype(dtype, op):
    if np.dtype(dtype) not in (np.uint8, np.float32, np.float64):
        raise EcvlValueError(f"{op}: HSV is defined for uint8, float32 and float64 images, "
                             f"not {np.dtype(dtype)}")


def _hsv_to_rgb_float(pix):
    h = (pix[:, 0] / 60.0) % 6.0
    s, v = pix[:, 1], pix[:, 2]
    sector = np.floor(h).astype(np.int64) % 6
    f = h - np.floor(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    cols = np.stack([v, q, p, t], axis=1)
    # (r, g, b) per sector: (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q)
    choice = np.array([[0, 3, 2], [1, 0, 2], [2, 0, 3], [2, 1, 0], [3, 2, 0], [0, 2, 1]])
    return np.take_along_axis(cols, choice[sector], axis=1).astype(pix.dtype)


def _rgb_to_hsv_float(pix, ri, gi, bi):
    r, g, b = pix[:, ri], pix[:, gi], pix[:, bi]
    v = np.maximum(np.maximum(r, g), b)
    diff = v - np.minimum(np.minimum(r, g), b)
    safe = np.where(diff > 0, diff, 1)
    s = np.where(v > 0, diff / np.where(v > 0, v, 1), 0)
    h = np.where(v == r, (g - b) / safe * 60.0,
                 np.where(v == g, 120.0 + (b - r) / safe * 60.0, 240.0 + (r - g) / safe * 60.0))
    h = np.where(diff > 0, h, 0.0)
    h = np.where(h < 0, h + 360.0, h)
    return np.stack([h, s, v], axis=1).astype(pix.dtype)


def _from_rgb(pix, idx, ct, op):
    ri, gi, bi = idx
    n = pix.shape[0]
    if ct in (ColorType.RGB, ColorType.BGR):
        return _shuffle(pix, [idx[k] for k in _ORDER[ct]])
    if ct is ColorType.RGBA:
        return _shuffle(pix, (ri, gi, bi, -1), _opaque(pix.dtype))
    if ct is ColorType.GRAY:
        if pix.dtype == np.uint8:
            out = np.empty(n, np.uint8)
            _color.rgb_to_gray_u8(pix, out, ri, gi, bi, nthreads(pix.size * 4))
            return out[:, None]
        f = _float_work(pix)
        gray = 0.299 * f[:, ri] + 0.587 * f[:, gi] + 0.114 * f[:, bi]
        return saturate_cast(gray, pix.dtype)[:, None]
    if ct is ColorType.HSV:
        _check_hsv_dtype(pix.dtype, op)
        if pix.dtype == np.uint8:
            out = np.empty((n, 3), np.uint8)
            _color.rgb_to_hsv_u8(pix, out, ri, gi, bi, nthreads(pix.size * 4))
            return out
        return _rgb_to_hsv_float(pix, ri, gi, bi)
    # YCbCr
    if pix.dtype == np.uint8:
        out = np.empty((n, 3), np.uint8)
        _color.rgb_to_ycbcr_u8(pix, out, ri, gi, bi, nthreads(pix.size * 4))
        return out
    f = _float_work(pix)
    d = _chroma_delta(pix.dtype)
    y = 0.299 * f[:, ri] + 0.587 * f[:, gi] + 0.114 * f[:, bi]
    ycc = np.stack([y, (f[:, bi] - y) * 0.564 + d, (f[:, ri] - y) * 0.713 + d], axis=1)
    return saturate_cast(ycc, pix.dtype)


def change_color_space_array(src, from_type, to_type):
    """Convert a canonical array between colour types.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W, C)`` or ``(D, H, W, C)`` array (``(H, W)`` for GRAY) whose channel count
        matches `from_type`.
    from_type, to_type : ColorType or str
        GRAY, RGB, BGR, RGBA, HSV or YCbCr.

    Returns
    -------
    numpy.ndarray
        Converted array with the channel count of `to_type` (a copy when the types match).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.color import change_color_space_array
    >>> px = np.array([[[255, 0, 0]]], np.uint8)
    >>> change_color_space_array(px, "RGB", "BGR").tolist()
    [[[0, 0, 255]]]
    >>> change_color_space_array(px, "RGB", "GRAY").tolist()
    [[[76]]]
    """
    op = "ChangeColorSpace"
    src_t, dst_t = _ctype(from_type, op), _ctype(to_type, op)
    a, _ = as_image_array(src, op)
    if a.shape[-1] != _NCH[src_t]:
        raise EcvlValueError(f"{op}: a {src_t.name} image needs {_NCH[src_t]} channels, "
                             f"got {a.shape[-1]}")
    if src_t is dst_t:
        return a.copy()
    pix = a.reshape(-1, a.shape[-1])
    rgb, idx = _to_rgb(pix, src_t, op)
    out = _from_rgb(rgb, idx, dst_t, op)
    return np.ascontiguousarray(out).reshape(a.shape[:-1] + (out.shape[-1],))


def change_color_space(src, new_type):
    """Return `src` converted to colour type `new_type`.

    Parameters
    ----------
    src : Image
        Image with a colour type other than ``none`` and a matching channel count.
    new_type : ColorType
        Target colour type.

    Returns
    -------
    Image
        Converted image (same layout; the channel axis takes the new channel count).

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.zeros((4, 3, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
    >>> ecvl.change_color_space(img, ecvl.ColorType.GRAY).dims_
    [4, 3, 1]
    """
    op = "ChangeColorSpace"
    a = image_canonical(src, op)
    if src.colortype_ is ColorType.none:
        raise EcvlValueError(f"{op}: the source image has colour type 'none'")
    new_type = _ctype(new_type, op)
    out = change_color_space_array(a, src.colortype_, new_type)
    channels = src.channels_
    if "c" not in channels and out.shape[-1] != 1:
        channels = channels + "c"  # a GRAY "xy" image gains a colour axis
    return deliver(src, out, colortype=new_type) if channels == src.channels_ else \
        src.new_like(out, channels=channels, colortype=new_type)


ChangeColorSpace = pyecvl_twin(change_color_space, "ChangeColorSpace")
