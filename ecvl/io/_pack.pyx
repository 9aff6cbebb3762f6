# cython: language_level=3, boundscheck=False, wraparound=False
"""Packing Pillow's 4-byte RGB pixels into 3-byte ones, with the GIL released.

Pillow stores an RGB image as 4 bytes per pixel; decoding straight into a NumPy buffer of that
layout and packing it here keeps the whole read outside the interpreter lock, so loader threads
decode in parallel.
"""

from cython.parallel cimport prange
from libc.stdint cimport uint8_t

cdef extern from "_pack.h" nogil:
    void pack_row(const uint8_t* s, uint8_t* d, Py_ssize_t w, int simd)
    int pack_has_ssse3()

# whether rows are packed with SSSE3 shuffles; tests switch it off to compare
cdef int _simd = 1 if pack_has_ssse3() else 0


def set_simd(bint enabled):
    """Enable (where the CPU has SSSE3) or disable the SIMD packing; returns the new state."""
    global _simd
    _simd = 1 if enabled and pack_has_ssse3() else 0
    return bool(_simd)


def rgbx_to_rgb(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] dst, int nthreads):
    """Copy the first three bytes of every 4-byte pixel of ``src`` into ``dst``."""
    cdef Py_ssize_t h = src.shape[0], w = src.shape[1], y
    cdef int simd = _simd
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
                pack_row(&src[y, 0, 0], &dst[y, 0, 0], w, simd)
        else:
            for y in prange(h, num_threads=nthreads, schedule="static"):
                pack_row(&src[y, 0, 0], &dst[y, 0, 0], w, simd)
