# cython: language_level=3, boundscheck=False, wraparound=False
"""Packing Pillow's 4-byte RGB pixels into 3-byte ones, with the GIL released.

Pillow stores an RGB image as 4 bytes per pixel; decoding straight into a NumPy buffer of that
layout and packing it here keeps the whole read outside the interpreter lock, so loader threads
decode in parallel.
"""

from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memcpy


cdef inline void _pack_row(const uint8_t* s, uint8_t* d, Py_ssize_t w) noexcept nogil:
    cdef Py_ssize_t x
    cdef uint32_t v
    # One 4-byte move per pixel; its spare byte is overwritten by the next pixel, so the last
    # pixel is copied bytewise to stay inside the row (rows run on different threads).
    for x in range(w - 1):
        memcpy(&v, s + 4 * x, 4)
        memcpy(d + 3 * x, &v, 4)
    x = w - 1
    d[3 * x] = s[4 * x]
    d[3 * x + 1] = s[4 * x + 1]
    d[3 * x + 2] = s[4 * x + 2]


def rgbx_to_rgb(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] dst, int nthreads):
    """Copy the first three bytes of every 4-byte pixel of ``src`` into ``dst``."""
    cdef Py_ssize_t h = src.shape[0], w = src.shape[1], y
    if src.shape[2] != 4 or dst.shape[2] != 3 or dst.shape[0] != h or dst.shape[1] != w:
        raise ValueError(f"rgbx_to_rgb: shapes {tuple(src.shape)[:3]} and "
                         f"{tuple(dst.shape)[:3]} do not match")
    if h == 0 or w == 0:
        return
    if nthreads < 1:
        nthreads = 1
    with nogil:
        if nthreads == 1:
            for y in range(h):
                _pack_row(&src[y, 0, 0], &dst[y, 0, 0], w)
        else:
            for y in prange(h, num_threads=nthreads, schedule="static"):
                _pack_row(&src[y, 0, 0], &dst[y, 0, 0], w)
