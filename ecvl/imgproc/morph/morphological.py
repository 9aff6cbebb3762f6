"""Grey-level mathematical morphology: erosion, dilation and the operations built on them.

Structuring elements are 0/1 masks (``structuring_element`` builds OpenCV's rect, cross and
ellipse shapes). uint8 images run a vector kernel that reduces each distinct row pattern of the
element horizontally once per source row, then over the element's rows; other dtypes run
rectangles as two 1-D min/max passes and any other mask as a sweep over its rows. As in
OpenCV, the anchor is not mirrored for dilation, and the default border is a constant that
never wins (the dtype's maximum for erosion, minimum for dilation), so the image
edge does not erode or grow the result.
"""

import functools

import numpy as np

from ...core._twins import pyecvl_twin
from ...core.enums import MorphType
from ...core.errors import EcvlValueError
from .._kernutil import (
    as_image_array,
    border_map,
    border_name,
    constant_row,
    deliver,
    dtype_limits,
    image_canonical,
    nthreads,
    restore,
    typecode,
)
from . import _morphology

__all__ = [
    "structuring_element",
    "erode_array",
    "dilate_array",
    "morphology_array",
    "Morphology",
    "morphology",
]

_SHAPES = ("rect", "cross", "ellipse")


def structuring_element(shape, ksize, anchor=None):
    """Build a 2-D structuring element like OpenCV's ``getStructuringElement``.

    Parameters
    ----------
    shape : {"rect", "cross", "ellipse"}
        Shape of the element.
    ksize : int or (int, int)
        Size ``(width, height)``; one int for a square.
    anchor : (int, int), optional
        Centre of the cross ``(x, y)``; default the middle.

    Returns
    -------
    numpy.ndarray
        uint8 mask of shape ``(height, width)``.

    Examples
    --------
    >>> from ecvl.imgproc.morph import structuring_element
    >>> structuring_element("cross", 3).tolist()
    [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    """
    shape = str(getattr(shape, "name", shape)).lower().replace("morph_", "")
    if shape not in _SHAPES:
        raise EcvlValueError(f"structuring_element: shape must be one of {_SHAPES}, got {shape!r}")
    w, h = (ksize, ksize) if np.isscalar(ksize) else ksize
    if int(w) != w or int(h) != h or w < 1 or h < 1:
        raise EcvlValueError(f"structuring_element: ksize must be positive integers, got {ksize!r}")
    w, h = int(w), int(h)
    ax, ay = (w // 2, h // 2) if anchor is None else anchor
    se = np.zeros((h, w), np.uint8)
    if shape == "rect":
        se[:] = 1
    elif shape == "cross":
        se[ay, :] = 1
        se[:, ax] = 1
    else:
        r, c = h // 2, w // 2
        inv_r2 = 1.0 / (r * r) if r else 0.0
        for i in range(h):
            dy = i - r
            if abs(dy) <= r:
                dx = int(np.rint(c * np.sqrt((r * r - dy * dy) * inv_r2)))
                se[i, max(c - dx, 0):min(c + dx + 1, w)] = 1
    return se


def _kernel(kernel, op, ndim):
    k = np.asarray(kernel)
    if k.size <= 4096 and (k.dtype == bool or k.dtype.kind in "iuf"):
        # small elements are validated once and cached by content
        return _cached_kernel(k.shape, k.dtype.str, k.tobytes(), op, ndim)
    return _make_kernel(k, op, ndim)


@functools.lru_cache(maxsize=64)
def _cached_kernel(shape, dtype, data, op, ndim):
    k = _make_kernel(np.frombuffer(data, dtype).reshape(shape), op, ndim)
    k.flags.writeable = False
    return k


def _make_kernel(k, op, ndim):
    if k.dtype == bool or k.dtype.kind in "iuf":
        k = (k != 0).astype(np.uint8)
    else:
        raise EcvlValueError(f"{op}: structuring element must be a numeric or bool array")
    if k.ndim == 2 and ndim == 4:
        k = k[None]
    if k.ndim != ndim - 1 or k.size == 0 or not k.any():
        raise EcvlValueError(f"{op}: structuring element must be a non-empty {ndim - 1}-D mask "
                             f"with at least one nonzero, got shape {k.shape}")
    return np.ascontiguousarray(k)


def _one_pass(a, se, is_max, anchor, border, border_value):
    """One erosion/dilation of a (H, W, C) or (D, H, W, C) contiguous array."""
    if a.ndim == 4:
        kd = se.shape[0]
        az = kd // 2 if anchor is None or len(anchor) < 3 else int(anchor[2])
        zmap = border_map(a.shape[0], az, kd - 1 - az, border)
        anc2 = None if anchor is None else anchor[:2]
        planes = [dz for dz in range(kd) if se[dz].any()]
        res = np.empty_like(a)
        for z in range(a.shape[0]):
            out = None
            for dz in planes:
                sz = zmap[z + dz]
                if sz < 0:
                    plane = np.full_like(a[0], _neutral(a.dtype, is_max)
                                         if border_value is None else border_value)
                else:
                    plane = _one_pass(a[sz], se[dz], is_max, anc2, border, border_value)
                out = plane if out is None else (np.maximum(out, plane) if is_max
                                                 else np.minimum(out, plane))
            res[z] = out
        return res
    kh, kw = se.shape
    ax, ay = (kw // 2, kh // 2) if anchor is None else (int(anchor[0]), int(anchor[1]))
    if not (0 <= ax < kw and 0 <= ay < kh):
        raise EcvlValueError(f"Morphology: anchor {anchor!r} outside the {kw}x{kh} element")
    H, W, C = a.shape
    rows = border_map(H, ay, kh - 1 - ay, border)
    cols = border_map(W, ax, kw - 1 - ax, border)
    out = np.empty_like(a)
    if a.dtype == np.uint8 and kh <= _MAX_U8_KERNEL and kw <= _MAX_U8_KERNEL:
        cval = (0 if is_max else 255) if border_value is None else _u8_value(border_value)
        _morphology.morph_u8(a, out, se, rows, cols, ax, cval, is_max,
                             nthreads(a.size * _U8_COST))
        return out
    value = _neutral(a.dtype, is_max) if border_value is None else border_value
    _morphology.erode_dilate(a, out, se, bool(se.all()), is_max, rows, cols, ax,
                             constant_row(a.dtype, W * C, value), typecode(a, "Morphology"),
                             nthreads(a.size * (kh + kw)))
    return out


# element-operations charged per uint8 pixel when sizing the thread team: below about 1M
# pixels the vector kernel finishes before a second thread pays for waking it
_U8_COST = 8
# the largest element (rows and columns) of the uint8 kernel
_MAX_U8_KERNEL = _morphology.MAX_U8_KERNEL


def _u8_value(value):
    return int(constant_row(np.uint8, 1, value)[0])


def _neutral(dtype, is_max):
    lo, hi = dtype_limits(dtype)
    return lo if is_max else hi


def _apply(src, kernel, is_max, anchor, iterations, border, border_value, op):
    a, squeeze = as_image_array(src, op)
    se = _kernel(kernel, op, a.ndim)
    border = border_name(border, op)
    if border == "wrap":
        raise EcvlValueError(f"{op}: BORDER_WRAP is not supported by morphology")
    if isinstance(iterations, bool) or int(iterations) != iterations or iterations < 0:
        raise EcvlValueError(f"{op}: iterations must be a non-negative integer, got {iterations!r}")
    out = a.copy() if iterations == 0 else a
    for _ in range(int(iterations)):
        out = _one_pass(out, se, is_max, anchor, border, border_value)
    return out, squeeze


def erode_array(src, kernel, anchor=None, iterations=1, border="constant", border_value=None):
    """Grey-level erosion (minimum over the structuring element).

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)`` array of any ecvl dtype.
    kernel : array_like
        0/1 structuring element, 2-D ``(kh, kw)`` (3-D ``(kd, kh, kw)`` allowed for volumes).
    anchor : sequence of int, optional
        Element ``(x, y[, z])`` aligned with the output pixel; default the centre.
    iterations : int, optional
        Number of times the erosion is applied.
    border : str or BorderType, optional
        ``constant`` (default), ``replicate``, ``reflect`` or ``reflect_101``.
    border_value : float, optional
        Constant outside the image; default the dtype maximum (no effect).

    Returns
    -------
    numpy.ndarray
        Eroded array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.morph import erode_array
    >>> erode_array(np.array([[0, 9, 9, 9, 0]], np.uint8), np.ones((1, 3))).tolist()
    [[0, 0, 9, 0, 0]]
    """
    out, squeeze = _apply(src, kernel, False, anchor, iterations, border, border_value, "Erode")
    return restore(out, squeeze)


def dilate_array(src, kernel, anchor=None, iterations=1, border="constant", border_value=None):
    """Grey-level dilation (maximum over the structuring element); see :func:`erode_array`.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    kernel : array_like
        0/1 structuring element.
    anchor, iterations, border, border_value : optional
        As for :func:`erode_array` (the default border value is the dtype minimum).

    Returns
    -------
    numpy.ndarray
        Dilated array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.morph import dilate_array
    >>> dilate_array(np.array([[0, 0, 9, 0, 0]], np.uint8), np.ones((1, 3))).tolist()
    [[0, 9, 9, 9, 0]]
    """
    out, squeeze = _apply(src, kernel, True, anchor, iterations, border, border_value, "Dilate")
    return restore(out, squeeze)


def _morph_type(op):
    if isinstance(op, str):
        key = op.upper()
        key = key if key.startswith("MORPH_") else "MORPH_" + key
        if key in MorphType.__members__:
            return MorphType[key]
    try:
        return MorphType(op)
    except ValueError:
        raise EcvlValueError(f"Morphology: unknown operation {op!r}") from None


def _sat_sub(x, y):
    if x.dtype.kind == "f":
        return x - y
    lo, hi = dtype_limits(x.dtype)
    return np.clip(x.astype(np.int64) - y, lo, hi).astype(x.dtype)


def morphology_array(src, op, kernel, anchor=None, iterations=1, border="constant",
                     border_value=None):
    """Morphological operation by name or :class:`~ecvl.MorphType`.

    ``open`` = dilate(erode), ``close`` = erode(dilate), ``gradient`` = dilate - erode,
    ``tophat`` = src - open, ``blackhat`` = close - src (saturating for integers), and
    ``hitmiss`` on binary images with a kernel of 1 (must be set), -1 (must be clear) and
    0 (ignored). `iterations` repeats each erosion/dilation, as OpenCV does.

    Parameters
    ----------
    src : numpy.ndarray
        Canonical array.
    op : MorphType or str
        ``erode``, ``dilate``, ``open``, ``close``, ``gradient``, ``tophat``, ``blackhat`` or
        ``hitmiss`` (with or without the ``MORPH_`` prefix).
    kernel : array_like
        Structuring element.
    anchor, iterations, border, border_value : optional
        As for :func:`erode_array`.

    Returns
    -------
    numpy.ndarray
        Result, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.morph import morphology_array
    >>> img = np.array([[0, 0, 9, 0, 0]], np.uint8)
    >>> morphology_array(img, "open", np.ones((1, 3))).tolist()
    [[0, 0, 0, 0, 0]]
    """
    mt = _morph_type(op)
    kw = dict(anchor=anchor, iterations=iterations, border=border, border_value=border_value)
    if mt is MorphType.MORPH_ERODE:
        return erode_array(src, kernel, **kw)
    if mt is MorphType.MORPH_DILATE:
        return dilate_array(src, kernel, **kw)
    if mt is MorphType.MORPH_HITMISS:
        return _hit_or_miss(src, kernel, anchor, border)
    a, squeeze = as_image_array(src, "Morphology")
    if mt is MorphType.MORPH_OPEN:
        out = dilate_array(erode_array(a, kernel, **kw), kernel, **kw)
    elif mt is MorphType.MORPH_CLOSE:
        out = erode_array(dilate_array(a, kernel, **kw), kernel, **kw)
    elif mt is MorphType.MORPH_GRADIENT:
        out = _sat_sub(dilate_array(a, kernel, **kw), erode_array(a, kernel, **kw))
    elif mt is MorphType.MORPH_TOPHAT:
        out = _sat_sub(a, dilate_array(erode_array(a, kernel, **kw), kernel, **kw))
    else:
        out = _sat_sub(erode_array(dilate_array(a, kernel, **kw), kernel, **kw), a)
    return restore(out, squeeze)


def _hit_or_miss(src, kernel, anchor, border):
    op = "Morphology(HITMISS)"
    a, squeeze = as_image_array(src, op, allow_volume=False)
    if a.dtype != np.uint8:
        raise EcvlValueError(f"{op}: needs a binary uint8 image, got {a.dtype}")
    k = np.asarray(kernel)
    if k.ndim != 2 or not np.isin(k, (-1, 0, 1)).all():
        raise EcvlValueError(f"{op}: kernel must be 2-D with values -1, 0 and 1")
    fg = (a != 0).astype(np.uint8)
    hit = erode_array(fg, k == 1, anchor=anchor, border=border) if (k == 1).any() \
        else np.ones_like(fg)
    miss = erode_array(1 - fg, k == -1, anchor=anchor, border=border) if (k == -1).any() \
        else np.ones_like(fg)
    return restore((hit & miss) * np.uint8(255), squeeze)


def morphology(src, op, kernel, anchor=None, iterations=1, border_type="constant",
               border_value=None):
    """Morphological operation on an :class:`~ecvl.Image`; see :func:`morphology_array`.

    Parameters
    ----------
    src : Image
        Source image.
    op : MorphType or str
        Operation.
    kernel : Image or array_like
        Structuring element; an Image is read through its canonical ``(h, w)`` plane.
    anchor : sequence of int, optional
        ``[x, y]``; ``[-1, -1]`` or None is the centre.
    iterations, border_type, border_value : optional
        As for :func:`erode_array`.

    Returns
    -------
    Image
        The result.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.eye(5, dtype=np.uint8) * 255, "xy", ecvl.ColorType.GRAY)
    >>> k = ecvl.structuring_element("rect", 3)
    >>> int(np.asarray(ecvl.morphology(img, ecvl.MorphType.MORPH_DILATE, k)).sum() // 255)
    19
    """
    a = image_canonical(src, "Morphology")
    k = _kernel_from_image(kernel)
    if anchor is not None and all(int(v) < 0 for v in anchor):
        anchor = None
    return deliver(src, morphology_array(a, op, k, anchor, iterations, border_type, border_value))


def _kernel_from_image(kernel):
    from ...core.image import Image

    if isinstance(kernel, Image):
        k = kernel.canonical()
        return k[..., 0] if k.shape[-1] == 1 else k
    return kernel


Morphology = pyecvl_twin(morphology, "Morphology")
