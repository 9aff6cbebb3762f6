"""Geometric operations on canonical arrays (``(H, W, C)`` images, ``(D, H, W, C)`` volumes).

These are the array-level kernels behind the Image functions (:func:`ecvl.ResizeDim`,
:func:`ecvl.Rotate2D`, ...): canonical array in, new C-contiguous canonical array out, every
supported dtype (uint8, int8, uint16, int16, int32, int64, float32, float64) and any number
of channels. Augmentations call them directly.

Array-level functions: :func:`resize_array`, :func:`flip_array`, :func:`mirror_array`,
:func:`flip_axes_array`, :func:`transpose_array`, :func:`rotate_array`,
:func:`rotate_full_array`, :func:`warp_affine_array`, :func:`remap_array`,
:func:`center_crop_array`, :func:`pad_array`, :func:`hconcat_arrays`, :func:`vconcat_arrays`,
:func:`stack_arrays` and :func:`rotation_matrix`.
"""

import numpy as np

from ...core.enums import BorderType as BT
from ...core.errors import EcvlValueError
from . import _flip
from . import _geomcheck as chk
from .resize import resize_array, resize_axis0_array, resize_tables
from .warp import remap_array, rotate_array, rotate_full_array, rotation_matrix, warp_affine_array

__all__ = [
    "resize_array", "resize_axis0_array", "resize_tables", "flip_array", "mirror_array", "flip_axes_array",
    "transpose_array", "rotate_array", "rotate_full_array", "rotation_matrix",
    "warp_affine_array", "remap_array", "center_crop_array", "pad_array", "hconcat_arrays",
    "vconcat_arrays", "stack_arrays",
]


def _byte_rows(a):
    """Return the rows of a C-contiguous canonical array as a 2-D uint8 view (no copy)."""
    rows = a.reshape(-1, a.shape[-2] * a.shape[-1])
    return rows if a.dtype.char == "B" else rows.view(np.uint8)


def flip_array(arr):
    """Flip a canonical image or volume upside down (reverse the y axis).

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` or ``(D, H, W, C)`` array.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import flip_array
    >>> flip_array(np.array([[1], [2]], np.uint8)[..., None])[..., 0]
    array([[2],
           [1]], dtype=uint8)
    """
    out = _flip.flip_fast(arr)
    if out is None:
        a = chk.canonical(arr, "flip", (3, 4))
        out = np.empty_like(a)
        _flip.flip_rows(_byte_rows(a), _byte_rows(out), a.shape[-3], chk.threads(a.size))
    return out


def mirror_array(arr):
    """Mirror a canonical image or volume left to right (reverse the x axis).

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` or ``(D, H, W, C)`` array.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import mirror_array
    >>> mirror_array(np.array([[1, 2, 3]], np.uint8)[..., None])[..., 0]
    array([[3, 2, 1]], dtype=uint8)
    """
    out = _flip.mirror_fast(arr)
    if out is None:
        a = chk.canonical(arr, "mirror", (3, 4))
        out = np.empty_like(a)
        _flip.mirror(_byte_rows(a), _byte_rows(out), a.shape[-1] * a.itemsize,
                     chk.threads(a.size))
    return out


def flip_axes_array(arr, axes):
    """Reverse any spatial axes of a canonical array, named by letter.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` or ``(D, H, W, C)`` array.
    axes : str or sequence of str
        Letters among ``'x'``, ``'y'`` and (volumes) ``'z'``.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import flip_axes_array
    >>> v = np.arange(8, dtype=np.int16).reshape(2, 2, 2, 1)
    >>> flip_axes_array(v, "z")[0, ..., 0]
    array([[4, 5],
           [6, 7]], dtype=int16)
    """
    a = chk.canonical(arr, "flip", (3, 4))
    letters = "zyx"[4 - a.ndim:]
    out = a
    mirrored = False
    for ax in axes:
        if ax not in letters:
            raise EcvlValueError(f"flip: axis {ax!r} is not one of {list(letters)} for shape {a.shape}")
        if ax == "x":
            mirrored = not mirrored
        else:
            out = np.flip(out, letters.index(ax))
    out = np.ascontiguousarray(out)
    return mirror_array(out) if mirrored else out


def transpose_array(arr):
    """Swap the x and y axes of a canonical image or volume.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` or ``(D, H, W, C)`` array.

    Returns
    -------
    numpy.ndarray
        ``(W, H, C)`` (or ``(D, W, H, C)``), C-contiguous.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import transpose_array
    >>> transpose_array(np.arange(6, dtype=np.uint8).reshape(2, 3, 1))[..., 0]
    array([[0, 3],
           [1, 4],
           [2, 5]], dtype=uint8)
    """
    out = _flip.transpose_fast(arr)
    if out is not None:
        return out
    a = chk.canonical(arr, "transpose", (3, 4))
    if a.ndim == 4:
        return np.stack([transpose_array(s) for s in a])
    out = np.empty((a.shape[1], a.shape[0], a.shape[2]), a.dtype)
    _flip.transpose(_byte_rows(a), _byte_rows(out), a.shape[2] * a.itemsize, chk.threads(a.size))
    return out


def center_crop_array(arr, size):
    """Crop the centre of a canonical image or volume.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` or ``(D, H, W, C)`` array.
    size : sequence of int
        ``(h, w)`` (or ``(d, h, w)``), each no larger than the array. The crop starts at
        ``(H - h) // 2`` along each axis.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import center_crop_array
    >>> center_crop_array(np.arange(16, dtype=np.uint8).reshape(4, 4, 1), (2, 2))[..., 0]
    array([[ 5,  6],
           [ 9, 10]], dtype=uint8)
    """
    op = "center_crop"
    a = chk.canonical(arr, op, (3, 4))
    size = chk.sizes(size, a.ndim - 1, op, "size")
    if any(s > n for s, n in zip(size, a.shape)):
        raise EcvlValueError(f"{op}: crop size {size} is larger than the image {list(a.shape[:-1])}")
    sl = tuple(slice((n - s) // 2, (n - s) // 2 + s) for s, n in zip(size, a.shape))
    return np.ascontiguousarray(a[sl])


_NP_PAD = {BT.BORDER_REPLICATE: "edge", BT.BORDER_REFLECT: "symmetric", BT.BORDER_WRAP: "wrap",
           BT.BORDER_REFLECT_101: "reflect"}


def pad_array(arr, padding, border=BT.BORDER_CONSTANT, value=0):
    """Pad a canonical image (or every slice of a volume) with a border.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` or ``(D, H, W, C)`` array.
    padding : int or sequence of int
        One value (all sides), two (top/bottom, left/right) or four (top, bottom, left,
        right); volumes also accept six (front, back, top, bottom, left, right).
    border : BorderType, optional
        ``BORDER_CONSTANT`` (default), ``BORDER_REPLICATE``, ``BORDER_REFLECT``,
        ``BORDER_WRAP`` or ``BORDER_REFLECT_101``.
    value : float or sequence of float, optional
        Constant for ``BORDER_CONSTANT``: a scalar or one value per channel.

    Returns
    -------
    numpy.ndarray
        The padded array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import pad_array
    >>> pad_array(np.ones((1, 2, 1), np.uint8), [1, 0])[..., 0]
    array([[0, 0],
           [1, 1],
           [0, 0]], dtype=uint8)
    """
    op = "pad"
    a = chk.canonical(arr, op, (3, 4))
    border = chk.border(border, op, allow_transparent=False)
    p = [int(v) for v in np.atleast_1d(np.asarray(padding)).ravel()] if np.size(padding) else []
    if any(v < 0 for v in p) or len(p) not in (1, 2, 4, 6) or (len(p) == 6 and a.ndim != 4):
        raise EcvlValueError(f"{op}: padding must be 1, 2 or 4 non-negative values (6 for volumes), "
                             f"got {padding!r}")
    p = {1: lambda: p * 4, 2: lambda: [p[0], p[0], p[1], p[1]], 4: lambda: p, 6: lambda: p}[len(p)]()
    widths = [(p[i], p[i + 1]) for i in range(0, len(p), 2)]
    widths = [(0, 0)] * (a.ndim - 1 - len(widths)) + widths + [(0, 0)]
    if border is not BT.BORDER_CONSTANT:
        if border is not BT.BORDER_WRAP and any(
                w[0] + w[1] and n == 1 and border is BT.BORDER_REFLECT_101
                for w, n in zip(widths, a.shape)):
            raise EcvlValueError(f"{op}: BORDER_REFLECT_101 needs at least 2 pixels along padded axes")
        return np.ascontiguousarray(np.pad(a, widths, mode=_NP_PAD[border]))
    bval = chk.border_values(value, a.shape[-1], op)
    out = np.empty(tuple(n + w[0] + w[1] for n, w in zip(a.shape, widths)), a.dtype)
    info = np.iinfo(a.dtype) if a.dtype.kind in "iu" else None
    fill = np.clip(np.rint(bval), info.min, info.max) if info is not None else bval
    out[...] = fill.astype(a.dtype)
    out[tuple(slice(w[0], w[0] + n) for n, w in zip(a.shape, widths))] = a
    return out


def _concat(arrays, axis, op, what):
    arrs = [chk.canonical(a, op, (3, 4)) for a in arrays]
    if not arrs:
        raise EcvlValueError(f"{op}: needs at least one image")
    first = arrs[0]
    for i, a in enumerate(arrs[1:], 1):
        other = tuple(n for j, n in enumerate(a.shape) if j != axis % a.ndim)
        ref = tuple(n for j, n in enumerate(first.shape) if j != axis % first.ndim)
        if a.ndim != first.ndim or other != ref or a.dtype != first.dtype:
            raise EcvlValueError(f"{op}: image {i} has shape {a.shape} and dtype {a.dtype}; {what} "
                                 f"must match image 0 ({first.shape}, {first.dtype})")
    return np.concatenate(arrs, axis=axis)


def hconcat_arrays(arrays):
    """Join canonical images side by side (same height, channels and dtype).

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        Canonical ``(H, W_i, C)`` arrays.

    Returns
    -------
    numpy.ndarray
        ``(H, sum(W_i), C)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import hconcat_arrays
    >>> hconcat_arrays([np.zeros((2, 1, 3), np.uint8), np.ones((2, 2, 3), np.uint8)]).shape
    (2, 3, 3)
    """
    return _concat(arrays, -2, "hconcat", "rows, channels and dtype")


def vconcat_arrays(arrays):
    """Join canonical images one above the other (same width, channels and dtype).

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        Canonical ``(H_i, W, C)`` arrays.

    Returns
    -------
    numpy.ndarray
        ``(sum(H_i), W, C)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import vconcat_arrays
    >>> vconcat_arrays([np.zeros((1, 2, 1), np.uint8)] * 3).shape
    (3, 2, 1)
    """
    return _concat(arrays, -3, "vconcat", "columns, channels and dtype")


def stack_arrays(arrays):
    """Stack equally shaped canonical ``(H, W, C)`` images into a ``(D, H, W, C)`` volume.

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        Images of one shape and dtype.

    Returns
    -------
    numpy.ndarray
        The volume, slice ``i`` being ``arrays[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import stack_arrays
    >>> stack_arrays([np.zeros((2, 3, 1), np.uint8)] * 4).shape
    (4, 2, 3, 1)
    """
    arrs = [chk.canonical(a, "stack") for a in arrays]
    if not arrs:
        raise EcvlValueError("stack: needs at least one image")
    for i, a in enumerate(arrs):
        if a.shape != arrs[0].shape or a.dtype != arrs[0].dtype:
            raise EcvlValueError(f"stack: image {i} has shape {a.shape} and dtype {a.dtype}; every "
                                 f"image must match image 0 ({arrs[0].shape}, {arrs[0].dtype})")
    return np.stack(arrs)
