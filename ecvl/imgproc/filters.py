"""Linear filters on canonical arrays: Gaussian and box blur, separable and 2-D correlation.

Borders default to OpenCV's ``reflect_101`` (``gfedcb|abcdefgh|gfedcba``). Integer images are
filtered in floating point and rounded to nearest with saturation, so results are within one
intensity level of OpenCV's fixed-point arithmetic.
"""

import math

import numpy as np

from ..core.errors import EcvlValueError
from . import _filters
from ._kernutil import (
    as_image_array,
    border_map,
    border_name,
    check_odd_size,
    constant_row,
    deliver,
    image_canonical,
    nthreads,
    per_axis,
    restore,
    saturate_cast,
    typecode,
)

__all__ = [
    "average_blur_array",
    "filter2d_array",
    "gaussian_blur_array",
    "gaussian_kernel",
    "separable_filter_array",
    "AverageBlur",
    "average_blur",
    "Filter2D",
    "filter2d",
    "GaussianBlur",
    "GaussianBlur2",
    "gaussian_blur",
    "SeparableFilter2D",
    "separable_filter2d",
]

# OpenCV's fixed kernels for small sizes when sigma <= 0 (getGaussianKernel)
_SMALL_GAUSSIAN = {
    1: [1.0],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
}


def gaussian_kernel(ksize, sigma=0.0):
    """Return the normalised 1-D Gaussian kernel OpenCV uses for ``(ksize, sigma)``.

    Parameters
    ----------
    ksize : int
        Odd kernel length.
    sigma : float, optional
        Standard deviation; ``<= 0`` derives it from ``ksize`` as
        ``0.3 * ((ksize - 1) * 0.5 - 1) + 0.8``.

    Returns
    -------
    numpy.ndarray
        float64 kernel of length ``ksize`` summing to 1.

    Examples
    --------
    >>> from ecvl.imgproc.filters import gaussian_kernel
    >>> gaussian_kernel(3).tolist()
    [0.25, 0.5, 0.25]
    """
    ksize = check_odd_size(ksize, "gaussian_kernel")
    if sigma <= 0 and ksize in _SMALL_GAUSSIAN:
        return np.array(_SMALL_GAUSSIAN[ksize])
    if sigma <= 0:
        sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8
    x = np.arange(ksize) - (ksize - 1) / 2.0
    k = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return k / k.sum()


def _ksize_from_sigma(sigma, dtype):
    # OpenCV: 3 sigma each side for 8-bit, 4 sigma otherwise
    n = 3 if np.dtype(dtype) == np.uint8 else 4
    return max(1, int(round(sigma * n * 2 + 1)) | 1)


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
                        cvrow, cvalv, typecode(a, "filter"), nthreads())
    return out


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


def gaussian_blur_array(src, ksize=0, sigma=0.0, border="reflect_101", border_value=0.0):
    """Gaussian blur of a canonical image or volume with OpenCV's kernel rules.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)`` array of any ecvl dtype.
    ksize : int or sequence of int, optional
        Odd kernel size per axis (x, y[, z]); 0 derives it from sigma.
    sigma : float or sequence of float, optional
        Standard deviation per axis (x, y[, z]); a single value applies to all axes, and 0 on
        an axis derives it from that axis' size. Size and sigma cannot both be 0.
    border : str or BorderType, optional
        Border mode (default ``reflect_101``).
    border_value : float, optional
        Value outside the image for ``constant``.

    Returns
    -------
    numpy.ndarray
        Blurred array, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.filters import gaussian_blur_array
    >>> img = np.zeros((7, 7), np.uint8); img[3, 3] = 255
    >>> int(gaussian_blur_array(img, 3)[3, 3])
    64
    """
    op = "GaussianBlur"
    a, squeeze = as_image_array(src, op)
    n = 3 if a.ndim == 4 else 2
    sizes = per_axis(ksize, n, op, "ksize")
    sigmas = per_axis(sigma, n, op, "sigma")
    kernels = []
    for s, sg in zip(sizes, sigmas):
        if s is None or s == 0:
            if not sg or sg <= 0:
                raise EcvlValueError(f"{op}: kernel size and sigma cannot both be 0 (sigma={sigma!r})")
            s = _ksize_from_sigma(sg, a.dtype)
        if sg is None or sg < 0 or not math.isfinite(sg):
            raise EcvlValueError(f"{op}: sigma must be finite and >= 0, got {sigma!r}")
        kernels.append(gaussian_kernel(check_odd_size(s, op), sg))
    out = separable_filter_array(a, *kernels, border=border, border_value=border_value)
    return restore(out, squeeze)


def average_blur_array(src, ksize=3, border="reflect_101", border_value=0.0):
    """Box (mean) filter of a canonical image or volume.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)`` array of any ecvl dtype.
    ksize : int or sequence of int, optional
        Positive window size per axis (x, y[, z]); even sizes are allowed and anchored like
        OpenCV's ``blur`` (at ``size // 2``).
    border, border_value : optional
        As for :func:`gaussian_blur_array`.

    Returns
    -------
    numpy.ndarray
        Filtered array, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.filters import average_blur_array
    >>> average_blur_array(np.arange(9, dtype=np.float32).reshape(3, 3), 3)[1, 1]
    np.float32(4.0)
    """
    op = "AverageBlur"
    a, squeeze = as_image_array(src, op)
    n = 3 if a.ndim == 4 else 2
    sizes = per_axis(ksize, n, op, "ksize")
    for s in sizes:
        if isinstance(s, bool) or int(s) != s or s < 1:
            raise EcvlValueError(f"{op}: kernel size must be a positive integer, got {ksize!r}")
    kernels = [np.full(int(s), 1.0 / int(s)) for s in sizes]
    out = separable_filter_array(a, *kernels, border=border, border_value=border_value,
                                 anchor=[int(s) // 2 for s in sizes])
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
    _filters.filter2d(work, out, k, rows, cols, ax, cvrow, float(cvrow[0]), typecode(work, op),
                      nthreads())
    if out.dtype != out_dtype:
        out = saturate_cast(out, out_dtype)
    return restore(out, squeeze)


# ---------------------------------------------------------------- Image-level entry points
def _kernel_array(ker):
    from ..core.image import Image

    if isinstance(ker, Image):
        k = ker.canonical()
        if k.ndim != 3 or k.shape[-1] != 1:
            raise EcvlValueError(f"Filter2D: the kernel image must be 2-D with one channel, "
                                 f"got dims {ker.dims_}")
        return k[:, :, 0]
    return ker


def _out_dtype(dtype):
    from ..core.enums import DataType

    dt = DataType.parse(dtype)
    return None if dt is DataType.none else dt.numpy_dtype


def gaussian_blur(src, sigma, ksize=0, border_type="reflect_101"):
    """Gaussian blur of an :class:`~ecvl.Image` (all spatial axes of a volume).

    Parameters
    ----------
    src : Image
        Source image or volume.
    sigma : float or sequence of float
        Standard deviation, one value or one per axis (x, y[, z]).
    ksize : int or sequence of int, optional
        Odd kernel sizes; 0 derives them from sigma (OpenCV rules).
    border_type : str or BorderType, optional
        Border mode (default ``reflect_101``).

    Returns
    -------
    Image
        Blurred image.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> img = ecvl.Image.fromarray(np.full((8, 8, 3), 7, np.uint8), "xyc", ecvl.ColorType.RGB)
    >>> int(np.asarray(ecvl.gaussian_blur(img, 1.5)).max())
    7
    """
    a = image_canonical(src, "GaussianBlur")
    return deliver(src, gaussian_blur_array(a, ksize, sigma, border_type))


def GaussianBlur(src, dst, sizeX, sizeY, sigmaX, sigmaY=0):
    """PyECVL ``GaussianBlur``: 2-D blur with odd sizes (0 = from sigma) written into ``dst``;
    ``sigmaY = 0`` means ``sigmaX``. Volumes are blurred slice by slice.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    sizeX, sizeY : int
        Odd kernel sizes, or 0 to derive them from the sigmas.
    sigmaX, sigmaY : float
        Standard deviations (0 derives them from the sizes).
    """
    a = image_canonical(src, "GaussianBlur")
    sy = sigmaY if sigmaY and sigmaY > 0 else sigmaX
    sizes, sigmas = [sizeX, sizeY], [sigmaX, sy]
    if a.ndim == 4:
        sizes, sigmas = sizes + [1], sigmas + [0]
    deliver(src, gaussian_blur_array(a, sizes, sigmas), dst)


def GaussianBlur2(src, dst, sigma):
    """PyECVL ``GaussianBlur`` overload taking only sigma (sizes derived from it).

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    sigma : float
        Standard deviation along x and y.
    """
    GaussianBlur(src, dst, 0, 0, sigma, sigma)


def average_blur(src, ksize=3, border_type="reflect_101"):
    """Box blur of an :class:`~ecvl.Image`; see :func:`average_blur_array`.

    Parameters
    ----------
    src : Image
        Source image.
    ksize : int or sequence of int, optional
        Window size per axis (x, y[, z]).
    border_type : str or BorderType, optional
        Border mode.

    Returns
    -------
    Image
        Filtered image.
    """
    a = image_canonical(src, "AverageBlur")
    return deliver(src, average_blur_array(a, ksize, border_type))


def AverageBlur(src, dst, size):
    """PyECVL-style box blur into ``dst`` with a ``size`` x ``size`` window (2-D).

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    size : int
        Window size.
    """
    a = image_canonical(src, "AverageBlur")
    sizes = [size, size] + ([1] if a.ndim == 4 else [])
    deliver(src, average_blur_array(a, sizes), dst)


def filter2d(src, kernel, dtype=None, border_type="reflect_101"):
    """2-D correlation of an :class:`~ecvl.Image` with a kernel; see :func:`filter2d_array`.

    Parameters
    ----------
    src : Image
        Source image (2-D).
    kernel : Image or array_like
        Kernel; an Image is read through its canonical ``(h, w)`` plane.
    dtype : DataType or numpy dtype, optional
        Output type (default: the source's).
    border_type : str or BorderType, optional
        Border mode.

    Returns
    -------
    Image
        Filtered image.
    """
    a = image_canonical(src, "Filter2D")
    return deliver(src, filter2d_array(a, _kernel_array(kernel), _out_dtype(dtype), border_type))


def Filter2D(src, dst, ker, type=None):  # noqa: A002 - PyECVL's parameter name
    """PyECVL ``Filter2D`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    ker : Image or array_like
        Kernel.
    type : DataType, optional
        Output type (``DataType.none``: the source's).
    """
    result = filter2d(src, ker, type)
    deliver(result, result.canonical(), dst)


def separable_filter2d(src, kernel_x, kernel_y, dtype=None, border_type="reflect_101"):
    """Separable correlation of an :class:`~ecvl.Image`; see :func:`separable_filter_array`.

    Parameters
    ----------
    src : Image
        Source image.
    kernel_x, kernel_y : sequence of float
        Kernels along x and y.
    dtype : DataType or numpy dtype, optional
        Output type.
    border_type : str or BorderType, optional
        Border mode.

    Returns
    -------
    Image
        Filtered image.
    """
    a = image_canonical(src, "SeparableFilter2D")
    return deliver(src, separable_filter_array(a, kernel_x, kernel_y, dtype=_out_dtype(dtype),
                                               border=border_type))


def SeparableFilter2D(src, dst, kerX, kerY, type=None):  # noqa: A002
    """PyECVL ``SeparableFilter2D`` writing into ``dst``.

    Parameters
    ----------
    src, dst : Image
        Source and destination.
    kerX, kerY : sequence of float
        Kernels along x and y.
    type : DataType, optional
        Output type.
    """
    result = separable_filter2d(src, kerX, kerY, type)
    deliver(result, result.canonical(), dst)
