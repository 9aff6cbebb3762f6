# cython: language_level=3
"""Byte-cell kernels of flips, mirrors and transposes: pixels are opaque ``psz``-byte cells.

Arrays arrive validated and C-contiguous from :mod:`ecvl.imgproc.geometric`, viewed as rows of
bytes, or plain canonical arrays reach the ``*_fast`` entries directly (see ``_geomfast.pxd``).
Rows go to threads in small dynamic chunks (see ``_resize``).
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdint cimport uint8_t
from libc.string cimport memcpy

from ecvl.imgproc.geometric._geomfast cimport plain_array
from ecvl.imgproc.geometric._geomcheck import GRAIN, threads as _threads

cnp.import_array()

# Outputs below this many elements run on the calling thread (_geomcheck.threads's rule,
# without its call).
cdef Py_ssize_t _SERIAL = 2 * GRAIN


cdef int _nthreads(Py_ssize_t work) except -1:
    return 1 if work < _SERIAL else _threads(work)

cdef extern from "_transpose.h" nogil:
    int tr_cpu_ssse3()

# Whether the 3-byte mirror uses SSSE3 shuffles; tests switch it off to compare.
cdef int _simd = 1 if tr_cpu_ssse3() else 0


def set_simd(bint enabled):
    """Enable (where the CPU has SSSE3) or disable the SIMD mirror; returns the new state."""
    global _simd
    _simd = 1 if enabled and tr_cpu_ssse3() else 0
    return bool(_simd)


cdef extern from "_transpose.h" nogil:
    void tr_band(const uint8_t* src, uint8_t* out, Py_ssize_t h, Py_ssize_t w, Py_ssize_t psz,
                 Py_ssize_t x0, Py_ssize_t x1)
    Py_ssize_t tr_tile(Py_ssize_t psz)
    void mirror_row3(const uint8_t* s, uint8_t* o, Py_ssize_t w, int simd)
    void mirror_row1(const uint8_t* s, uint8_t* o, Py_ssize_t w)


cdef inline void _copy_wide(uint8_t* o, const uint8_t* s, int n) noexcept nogil:
    # Fixed-size memcpy compiles to single moves; n is 4, 8 or 16.
    if n == 4:
        memcpy(o, s, 4)
    elif n == 8:
        memcpy(o, s, 8)
    else:
        memcpy(o, s, 16)


def mirror(const uint8_t[:, ::1] src, uint8_t[:, ::1] out, Py_ssize_t psz, int nthreads):
    """Reverse the order of the psz-byte pixels of every row (rows given as bytes)."""
    if (psz <= 0 or src.shape[1] % psz or out.shape[0] != src.shape[0]
            or out.shape[1] != src.shape[1]):
        raise ValueError(f"mirror: rows of {src.shape[1]} bytes are not whole {psz}-byte pixels "
                         f"or do not fit an output of {out.shape[0]} x {out.shape[1]}")
    if src.shape[0] and src.shape[1]:
        _mirror(&src[0, 0], &out[0, 0], src.shape[0], src.shape[1] // psz, psz, nthreads)


cdef void _mirror(const uint8_t* src, uint8_t* out, Py_ssize_t h, Py_ssize_t w, Py_ssize_t psz,
                  int nthreads) noexcept nogil:
    cdef Py_ssize_t y, rs = w * psz
    cdef int wide = 4 if psz == 3 else (8 if psz < 8 else 16)
    if nthreads <= 1:  # starting even a one-thread OpenMP team costs small images dearly
        for y in range(h):
            _mirror_row(src + y * rs, out + y * rs, w, psz, wide)
        return
    for y in prange(h, num_threads=nthreads, schedule='dynamic', chunksize=16):
        _mirror_row(src + y * rs, out + y * rs, w, psz, wide)


cdef inline void _mirror_row(const uint8_t* s, uint8_t* o, Py_ssize_t w, Py_ssize_t psz,
                             int wide) noexcept nogil:
    cdef Py_ssize_t x
    if psz == 1:
        mirror_row1(s, o, w)
    elif psz == 2:
        for x in range(w):
            memcpy(o + 2 * x, s + 2 * (w - 1 - x), 2)
    elif psz == 4:
        for x in range(w):
            memcpy(o + 4 * x, s + 4 * (w - 1 - x), 4)
    elif psz == 8:
        for x in range(w):
            memcpy(o + 8 * x, s + 8 * (w - 1 - x), 8)
    elif psz == 3 and w > 2:
        mirror_row3(s, o, w, _simd)
    elif psz < 16 and w > 2:
        # Copy `wide` bytes per pixel: the spill past the pixel lands on the next
        # output pixel, which is written afterwards; the read spill stays inside the
        # following source pixel. First and last pixels are copied exactly.
        memcpy(o, s + psz * (w - 1), psz)
        for x in range(1, w - 1):
            _copy_wide(o + psz * x, s + psz * (w - 1 - x), wide)
        memcpy(o + psz * (w - 1), s, psz)
    else:
        for x in range(w):
            memcpy(o + psz * x, s + psz * (w - 1 - x), psz)


def flip_rows(const uint8_t[:, ::1] src, uint8_t[:, ::1] out, Py_ssize_t h, int nthreads):
    """Reverse the order of the rows within each block of `h` rows (rows given as bytes)."""
    cdef Py_ssize_t n = src.shape[0], nb = src.shape[1]
    if h <= 0 or n % h or out.shape[0] != n or out.shape[1] != nb:
        raise ValueError(f"flip_rows: {n} rows of {nb} bytes do not form blocks of {h} rows "
                         f"or do not fit an output of {out.shape[0]} x {out.shape[1]}")
    if n and nb:
        _flip_rows(&src[0, 0], &out[0, 0], n, nb, h, nthreads)


cdef void _flip_rows(const uint8_t* s, uint8_t* o, Py_ssize_t n, Py_ssize_t nb, Py_ssize_t h,
                     int nthreads) noexcept nogil:
    cdef Py_ssize_t r, b, i
    if nthreads <= 1:
        # Walking block by block avoids a division per row, which costs as much as
        # copying a short row.
        for b in range(n // h):
            for i in range(h):
                memcpy(o + (b * h + h - 1 - i) * nb, s + (b * h + i) * nb, nb)
        return
    for r in prange(n, num_threads=nthreads, schedule='dynamic', chunksize=16):
        memcpy(o + ((r // h) * h + h - 1 - r % h) * nb, s + r * nb, nb)


def transpose(const uint8_t[:, ::1] src, uint8_t[:, ::1] out, Py_ssize_t psz, int nthreads):
    """out[x, y] = src[y, x] for pixels of psz bytes (rows given as bytes), in tiles."""
    cdef Py_ssize_t h = src.shape[0], w = src.shape[1] // psz if psz > 0 else 0
    if psz <= 0 or src.shape[1] % psz or out.shape[0] != w or out.shape[1] != h * psz:
        raise ValueError(f"transpose: {h} rows of {src.shape[1]} bytes are not whole {psz}-byte "
                         f"pixels or do not fit an output of {out.shape[0]} x {out.shape[1]}")
    if h and w:
        with nogil:
            _transpose(&src[0, 0], &out[0, 0], h, w, psz, nthreads)


cdef void _transpose(const uint8_t* src, uint8_t* out, Py_ssize_t h, Py_ssize_t w,
                     Py_ssize_t psz, int nthreads) noexcept nogil:
    # Threads take bands of tb source columns, i.e. tb whole output rows each.
    cdef Py_ssize_t tb = tr_tile(psz)
    cdef Py_ssize_t nb = (w + tb - 1) // tb
    cdef Py_ssize_t b, x1
    if nthreads <= 1:
        for b in range(nb):
            x1 = tb * b + tb if tb * b + tb < w else w
            tr_band(src, out, h, w, psz, tb * b, x1)
        return
    for b in prange(nb, num_threads=nthreads, schedule='dynamic', chunksize=1):
        x1 = tb * b + tb if tb * b + tb < w else w
        tr_band(src, out, h, w, psz, tb * b, x1)


# ---- one-call entries: the whole op for a plain canonical array, or None --------------------

cdef inline Py_ssize_t _pixel_bytes(cnp.ndarray a) noexcept:
    return cnp.PyArray_DIM(a, cnp.PyArray_NDIM(a) - 1) * cnp.PyArray_ITEMSIZE(a)


def flip_fast(arr):
    """``flip_array(arr)`` for a plain canonical ``(H, W, C)`` or ``(D, H, W, C)`` array."""
    if not plain_array(arr, 3, 4):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>arr
    cdef int nd = cnp.PyArray_NDIM(a)
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(nd, cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)
    cdef Py_ssize_t h = cnp.PyArray_DIM(a, nd - 3)
    cdef Py_ssize_t nb = cnp.PyArray_DIM(a, nd - 2) * _pixel_bytes(a)
    cdef Py_ssize_t size = cnp.PyArray_SIZE(a)
    cdef int nt = _nthreads(size)
    with nogil:
        _flip_rows(<const uint8_t*>cnp.PyArray_DATA(a), <uint8_t*>cnp.PyArray_DATA(out),
                   cnp.PyArray_NBYTES(a) // nb, nb, h, nt)
    return out


def mirror_fast(arr):
    """``mirror_array(arr)`` for a plain canonical ``(H, W, C)`` or ``(D, H, W, C)`` array."""
    if not plain_array(arr, 3, 4):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>arr
    cdef int nd = cnp.PyArray_NDIM(a)
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(nd, cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)
    cdef Py_ssize_t w = cnp.PyArray_DIM(a, nd - 2), psz = _pixel_bytes(a)
    cdef Py_ssize_t size = cnp.PyArray_SIZE(a)
    cdef int nt = _nthreads(size)
    with nogil:
        _mirror(<const uint8_t*>cnp.PyArray_DATA(a), <uint8_t*>cnp.PyArray_DATA(out),
                cnp.PyArray_NBYTES(a) // (w * psz), w, psz, nt)
    return out


def transpose_fast(arr):
    """``transpose_array(arr)`` for a plain canonical ``(H, W, C)`` array."""
    if not plain_array(arr, 3, 3):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>arr
    cdef cnp.npy_intp dims[3]
    dims[0] = cnp.PyArray_DIM(a, 1)
    dims[1] = cnp.PyArray_DIM(a, 0)
    dims[2] = cnp.PyArray_DIM(a, 2)
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(3, dims, cnp.PyArray_TYPE(a), 0)
    cdef Py_ssize_t size = cnp.PyArray_SIZE(a), psz = _pixel_bytes(a)
    cdef int nt = _nthreads(size)
    with nogil:
        _transpose(<const uint8_t*>cnp.PyArray_DATA(a), <uint8_t*>cnp.PyArray_DATA(out),
                   dims[1], dims[0], psz, nt)
    return out
