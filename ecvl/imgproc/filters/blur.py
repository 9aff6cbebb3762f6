"""Gaussian and box blurs of canonical arrays, with OpenCV's kernel rules.

uint8 images (2-D) take an exact integer path: the Gaussian uses OpenCV's 8.8 fixed-point
kernels (so results equal OpenCV's ``GaussianBlur`` bit for bit) and the box filter sums whole
windows and rounds the mean to nearest. Other dtypes and volumes are filtered in floating point
by :func:`ecvl.imgproc.filters.linear.separable_filter_array`.
"""

import functools
import math

import numpy as np

from ...core.errors import EcvlValueError
from .._kernutil import (
    as_image_array,
    border_map,
    border_name,
    check_odd_size,
    constant_row,
    nthreads,
    per_axis,
    restore,
)
from . import _filters
from .linear import separable_filter_array

__all__ = ["average_blur_array", "gaussian_blur_array", "gaussian_kernel"]

# OpenCV's fixed kernels for small sizes when sigma <= 0 (getGaussianKernel)
_SMALL_GAUSSIAN = {
    1: [1.0],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
}
# OpenCV's 8-bit fixed-point path also has a fixed 9-tap kernel (in 1/256)
_SMALL_GAUSSIAN_Q8 = {9: [4, 13, 30, 51, 60, 51, 30, 13, 4]}


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
    return np.array(_gaussian_kernel(ksize, float(sigma)))


@functools.lru_cache(maxsize=64)
def _gaussian_kernel(ksize, sigma):
    if sigma <= 0 and ksize in _SMALL_GAUSSIAN:
        return tuple(_SMALL_GAUSSIAN[ksize])
    if sigma <= 0:
        sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8
    x = np.arange(ksize) - (ksize - 1) / 2.0
    k = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return tuple((k / k.sum()).tolist())


@functools.lru_cache(maxsize=64)
def _gaussian_kernel_q8(ksize, sigma):
    """Return OpenCV's 8.8 fixed-point Gaussian kernel.

    The taps are rounded with error diffusion from the outside in, the centre tap taking
    what is left of 256.
    """
    if sigma <= 0 and ksize in _SMALL_GAUSSIAN_Q8:
        return np.array(_SMALL_GAUSSIAN_Q8[ksize], np.uint16)
    k = _gaussian_kernel(ksize, sigma)
    q = np.zeros(ksize, np.int64)
    err, total = 0.0, 0
    for i in range(ksize // 2):
        v = k[i] * 256.0 + err
        r = int(np.rint(v))  # OpenCV's cvRound: ties to even
        err = v - r
        q[i] = q[ksize - 1 - i] = r
        total += r
    q[ksize // 2] = 256 - 2 * total
    out = q.astype(np.uint16)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=64)
def _box_divider(n):
    """Return the integer divider of a box of `n` pixels, or None.

    The divider is (mul, add, shift) with ((s * mul + add) >> shift) == round_half_up(s / n)
    for every window sum 0 <= s <= 255 * n, all in uint32; None when no such triple exists.
    """
    s = np.arange(255 * n + 1, dtype=np.uint64)
    want = (s + n // 2) // n
    for shift in range(31, -1, -1):
        mul = ((1 << shift) + n - 1) // n
        add = (n // 2) * mul
        if 255 * n * mul + add >= 1 << 32:
            continue
        if np.array_equal((s * np.uint64(mul) + np.uint64(add)) >> np.uint64(shift), want):
            return mul, add, shift
    return None


@functools.lru_cache(maxsize=64)
def _box_divider16(n):
    """Return the 16-bit divider of a box of `n` pixels, or None.

    The divider is (mul, add, shift) with ((s + add) * mul) >> (16 + shift) ==
    round_half_up(s / n) for every window sum 0 <= s <= 255 * n, where s + add and mul fit
    16 bits (so the column sums of the kernel can too); None when no such triple exists.
    """
    if 255 * n + n // 2 >= 1 << 16:
        return None
    s = np.arange(255 * n + 1, dtype=np.uint64)
    want = (s + n // 2) // n
    for shift in range(15, -1, -1):
        mul = ((1 << (16 + shift)) + n - 1) // n
        if mul >= 1 << 16:
            continue
        if np.array_equal(((s + np.uint64(n // 2)) * np.uint64(mul)) >> np.uint64(16 + shift),
                          want):
            return mul, n // 2, shift
    return None


def _is_sym(k, anchor):
    return len(k) % 2 == 1 and anchor == len(k) // 2 and np.array_equal(k, k[::-1])


@functools.lru_cache(maxsize=64)
def _box_taps(nx, ny):
    """Read-only all-ones taps of a box filter (cached: small images feel every allocation)."""
    kx, ky = np.ones(nx, np.uint16), np.ones(ny, np.uint32)
    kx.flags.writeable = ky.flags.writeable = False
    return kx, ky


def _sep_u8(a, kx, ky, ax, ay, border, border_value, mul, add, shift, sym=None, div16=None):
    """Apply an integer separable filter to a contiguous (H, W, C) uint8 array (see _sepu8.h).

    ``sym`` holds the (x, y) symmetry flags when the caller knows them; ``div16`` the 16-bit
    form of the divider of a box (:func:`_box_divider16`).
    """
    H, W, C = a.shape
    nkx, nky = len(kx), len(ky)
    rows = border_map(H, ay, nky - 1 - ay, border)
    cols = border_map(W, ax, nkx - 1 - ax, border)
    out = np.empty_like(a)
    xsym, ysym = (_is_sym(kx, ax), _is_sym(ky, ay)) if sym is None else sym
    _filters.sep_u8(a, out, kx, ky, xsym, ysym, rows, cols, ax,
                    constant_row(np.uint8, W * C, border_value), mul, add, shift,
                    nthreads(a.size * (nkx + nky)), *(div16 or ()))
    return out


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
        Blurred array, same shape and dtype. 2-D uint8 images use OpenCV's 8.8 fixed-point
        arithmetic and equal its ``GaussianBlur`` exactly.

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
    specs = []
    for s, sg in zip(sizes, sigmas):
        if s is None or s == 0:
            if not sg or sg <= 0:
                raise EcvlValueError(f"{op}: kernel size and sigma cannot both be 0 (sigma={sigma!r})")
            s = _ksize_from_sigma(sg, a.dtype)
        if sg is None or sg < 0 or not math.isfinite(sg):
            raise EcvlValueError(f"{op}: sigma must be finite and >= 0, got {sigma!r}")
        specs.append((check_odd_size(s, op), float(sg)))
    if a.ndim == 3 and a.dtype == np.uint8:
        border = border_name(border, op)
        kx, ky = (_gaussian_kernel_q8(*spec) for spec in specs)
        out = _sep_u8(a, kx, ky, len(kx) // 2, len(ky) // 2, border, border_value,
                      1, 1 << 15, 16)
        return restore(out, squeeze)
    kernels = [np.array(_gaussian_kernel(*spec)) for spec in specs]
    out = separable_filter_array(a, *kernels, border=border, border_value=border_value)
    return restore(out, squeeze)


def _ksize_from_sigma(sigma, dtype):
    # OpenCV: 3 sigma each side for 8-bit, 4 sigma otherwise
    n = 3 if np.dtype(dtype) == np.uint8 else 4
    return max(1, int(round(sigma * n * 2 + 1)) | 1)


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
        Filtered array, same shape and dtype. For 2-D uint8 images each output is the window
        mean rounded to nearest (halves up), computed exactly in integers.

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
    sizes = [int(s) for s in sizes]
    if a.ndim == 3 and a.dtype == np.uint8 and sizes[0] <= 257 and sizes[0] * sizes[1] <= 4096:
        div = _box_divider(sizes[0] * sizes[1])
        if div is not None:
            border = border_name(border, op)
            nx, ny = sizes[0], sizes[1]
            # column sums in 16 bits where every sum fits (running sums from 3 rows up)
            div16 = _box_divider16(nx * ny) if ny >= 3 else None
            out = _sep_u8(a, *_box_taps(nx, ny), nx // 2, ny // 2, border, border_value,
                          *div, sym=(nx % 2 == 1, ny % 2 == 1), div16=div16)
            return restore(out, squeeze)
    kernels = [np.full(s, 1.0 / s) for s in sizes]
    out = separable_filter_array(a, *kernels, border=border, border_value=border_value,
                                 anchor=[s // 2 for s in sizes])
    return restore(out, squeeze)
