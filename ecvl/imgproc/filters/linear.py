"""Array-level linear filtering: separable and 2-D correlation of canonical arrays.

Borders default to OpenCV's ``reflect_101`` (``gfedcb|abcdefgh|gfedcba``). Integer images are
filtered in floating point and rounded to nearest with saturation, so results are within one
intensity level of OpenCV's fixed-point arithmetic; a uint8 image filtered by a 2-D kernel of
integer taps whose absolute values sum to at most 128 (sharpening, Laplacian, Sobel-like) takes
an exact integer path and equals OpenCV's ``filter2D``. The blurs built on these kernels are in
:mod:`ecvl.imgproc.filters.blur`; the Image-level forms in :mod:`ecvl.imgproc.filters`.
"""

import numpy as np

from ...core.errors import EcvlValueError
from .._kernutil import (
    as_image_array,
    border_map,
    border_name,
    constant_row,
    nthreads,
    restore,
    saturate_cast,
    typecode,
)
from . import _filters

__all__ = ["filter2d_array", "separable_filter_array"]


def _out_work(src, dtype, op):
    """(work array, output dtype): filters run in the work dtype, cast to the output at the end."""
    if dtype is None:
        return src, src.dtype
    dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    typecode(np.empty(0, dtype), op)
    if dtype == src.dtype:
        return src, dtype
    wide = np.float64 if dtype in (np.int32, np.int64, np.float64) or src.dtype.itemsize > 2 \
        else np.float32
    return src.astype(wide), dtype


def _sep_2d(a, kx, ky, ax, ay, border, cval, sym):
    """Separable correlation of a (H, W, C) contiguous array; anchor (ax, ay)."""
    H, W, C = a.shape
    nkx, nky = len(kx), len(ky)
    rows = border_map(H, ay, nky - 1 - ay, border)
    cols = border_map(W, ax, nkx - 1 - ax, border)
    cvrow = constant_row(a.dtype, W * C, cval)
    cvalv = float(cvrow[0]) * float(np.sum(ky))
    out = np.empty_like(a)
    _filters.sep_filter(a, out, kx, ky, sym and _is_sym(kx), sym and _is_sym(ky), rows, cols, ax,
                        cvrow, cvalv, typecode(a, "filter"), nthreads(a.size * (nkx + nky)))
    return out


# element-operations charged per uint8 pixel when sizing the thread team of the integer path
_U8_COST = 32


def _small_int_kernel(k):
    """Return the kernel as int16 when its taps are integers with absolute sum <= 128.

    uint8 sums then fit 16 bits and are exact (as they are in OpenCV's float arithmetic);
    None otherwise.
    """
    if k.size > 4096 or not np.array_equal(k, np.round(k)) or np.abs(k).sum() > 128:
        return None
    return k.astype(np.int16)


def _is_sym(k):
    k = np.asarray(k)
    return len(k) % 2 == 1 and np.array_equal(k, k[::-1])


def separable_filter_array(src, kernel_x, kernel_y, kernel_z=None, dtype=None,
                           border="reflect_101", border_value=0.0, anchor=None):
    """Correlate a canonical array with one 1-D kernel per spatial axis.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)`` array of any ecvl dtype.
    kernel_x, kernel_y : sequence of float
        Kernels along x (columns) and y (rows).
    kernel_z : sequence of float, optional
        Kernel along z for volumes (identity when omitted).
    dtype : numpy dtype or DataType, optional
        Output dtype (default: the input's); integers are rounded and saturated.
    border : str or BorderType, optional
        ``constant``, ``replicate``, ``reflect``, ``reflect_101`` (default) or ``wrap``.
    border_value : float, optional
        Value outside the image for ``constant``.
    anchor : sequence of int, optional
        Kernel element aligned with the output pixel, x first; default the centres.

    Returns
    -------
    numpy.ndarray
        Filtered array of the input's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.filters import separable_filter_array
    >>> img = np.zeros((5, 5), np.float32); img[2, 2] = 9
    >>> separable_filter_array(img, [1/3] * 3, [1/3] * 3)[1:4, 1:4].round(3).tolist()[1]
    [1.0, 1.0, 1.0]
    """
    op = "SeparableFilter2D"
    a, squeeze = as_image_array(src, op)
    border = border_name(border, op)
    kernels = [np.asarray(k, dtype=np.float64).ravel() for k in (kernel_x, kernel_y)]
    if a.ndim == 4:
        kernels.append(np.asarray([1.0] if kernel_z is None else kernel_z, np.float64).ravel())
    for k in kernels:
        if k.size == 0 or not np.all(np.isfinite(k)):
            raise EcvlValueError(f"{op}: kernels must be non-empty and finite, got {k!r}")
    anchors = [len(k) // 2 for k in kernels] if anchor is None else list(anchor)
    if len(anchors) != len(kernels) or any(
            not (0 <= int(p) < len(k)) for p, k in zip(anchors, kernels)):
        raise EcvlValueError(f"{op}: anchor {anchor!r} outside the kernels")
    work, out_dtype = _out_work(a, dtype, op)
    sym = all(p == len(k) // 2 for p, k in zip(anchors, kernels))
    if work.ndim == 3:
        out = _sep_2d(work, kernels[0], kernels[1], anchors[0], anchors[1], border,
                      border_value, sym)
    else:
        D, H, W, C = work.shape
        if len(kernels[2]) > 1:
            flat = work.reshape(D, H * W, C)
            work = _sep_2d(flat, [1.0], kernels[2], 0, anchors[2], border, border_value,
                           sym).reshape(D, H, W, C)
        out = np.empty_like(work)
        for z in range(D):
            out[z] = _sep_2d(work[z], kernels[0], kernels[1], anchors[0], anchors[1], border,
                             border_value, sym)
    if out.dtype != out_dtype:
        out = saturate_cast(out, out_dtype)
    return restore(out, squeeze)


def filter2d_array(src, kernel, dtype=None, border="reflect_101", border_value=0.0, anchor=None):
    """Correlate each channel of a canonical 2-D image with a 2-D kernel (OpenCV ``filter2D``).

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` array of any ecvl dtype.
    kernel : array_like
        ``(kh, kw)`` float kernel, rows along y.
    dtype : numpy dtype or DataType, optional
        Output dtype (default: the input's).
    border, border_value : optional
        As for :func:`gaussian_blur_array`.
    anchor : sequence of int, optional
        ``(x, y)`` kernel element aligned with the output pixel; default the centre.

    Returns
    -------
    numpy.ndarray
        Filtered array.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.filters import filter2d_array
    >>> img = np.arange(9, dtype=np.float64).reshape(3, 3)
    >>> filter2d_array(img, [[0, 0, 0], [0, 0, 1], [0, 0, 0]], border="replicate")[0].tolist()
    [1.0, 2.0, 2.0]
    """
    op = "Filter2D"
    a, squeeze = as_image_array(src, op, allow_volume=False)
    border = border_name(border, op)
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or k.size == 0 or not np.all(np.isfinite(k)):
        raise EcvlValueError(f"{op}: kernel must be a non-empty finite 2-D array, got shape {k.shape}")
    kh, kw = k.shape
    ax, ay = (kw // 2, kh // 2) if anchor is None else (int(anchor[0]), int(anchor[1]))
    if not (0 <= ax < kw and 0 <= ay < kh):
        raise EcvlValueError(f"{op}: anchor {anchor!r} outside the {kw}x{kh} kernel")
    work, out_dtype = _out_work(a, dtype, op)
    H, W, C = work.shape
    rows = border_map(H, ay, kh - 1 - ay, border)
    cols = border_map(W, ax, kw - 1 - ax, border)
    cvrow = constant_row(work.dtype, W * C, border_value)
    out = np.empty_like(work)
    if work.dtype == np.uint8 and out_dtype == np.uint8:
        ki = _small_int_kernel(k)
        if ki is not None:
            _filters.filter2d_u8(work, out, ki, rows, cols, ax, int(cvrow[0]),
                                 nthreads(work.size * _U8_COST))
            return restore(out, squeeze)
    _filters.filter2d(work, out, k, rows, cols, ax, cvrow, float(cvrow[0]), typecode(work, op),
                      nthreads(work.size * (kh + kw)))
    if out.dtype != out_dtype:
        out = saturate_cast(out, out_dtype)
    return restore(out, squeeze)
