# cython: language_level=3
"""Row-parallel driver of grey-level erosion/dilation (the loops are in _rowkern.h)."""
import numpy as np
from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free
from libc.string cimport memcmp
from libc.stdint cimport uint8_t, int32_t

include "../_include/_bands.pxi"

cdef extern from "_rowkern.h" nogil:
    int dh_morph_row(int tc, const char *src, Py_ssize_t rstride, char *dst,
                     const Py_ssize_t *rows, const uint8_t *se, const int32_t *grp, int is_rect,
                     int kh, int kw,
                     const Py_ssize_t *cmap, int ax, Py_ssize_t W, Py_ssize_t C,
                     const char *cvrow, int is_max, void *buf)


def erode_dilate(src, dst, se, bint is_rect, bint is_max, rowmap, cmap, int ax, cvrow, int tc,
                 int nthreads):
    """One erosion (is_max False) or dilation of src by the 0/1 mask se into dst."""
    se = np.ascontiguousarray(se, dtype=np.uint8)
    if se.ndim != 2 or not se.any():
        raise ValueError("morphology: structuring element must be 2-D with a nonzero element")
    cdef Py_ssize_t kh = se.shape[0], kw = se.shape[1]
    if src.ndim != 3 or dst.shape != src.shape or dst.dtype != src.dtype or src.size == 0:
        raise ValueError("morphology: src/dst must be non-empty (H, W, C) arrays alike")
    if not (src.flags.c_contiguous and dst.flags.c_contiguous and dst.flags.writeable):
        raise ValueError("morphology: src/dst must be C-contiguous (dst writeable)")
    cdef const Py_ssize_t[::1] rm = np.ascontiguousarray(rowmap, dtype=np.intp)
    cdef const Py_ssize_t[::1] cm = np.ascontiguousarray(cmap, dtype=np.intp)
    if rm.shape[0] != src.shape[0] + kh - 1 or cm.shape[0] != src.shape[1] + kw - 1:
        raise ValueError("morphology: border maps do not match the image and kernel")
    if not (map_in_range(rm, src.shape[0]) and map_in_range(cm, src.shape[1]) and 0 <= ax < kw):
        raise ValueError("morphology: border map or anchor out of range")
    if cvrow.dtype != src.dtype or cvrow.size < src.shape[1] * src.shape[2]:
        raise ValueError("morphology: constant row has the wrong size or dtype")
    cdef Py_ssize_t H = src.shape[0], W = src.shape[1], C = src.shape[2]
    cdef Py_ssize_t isz = src.dtype.itemsize
    cdef const unsigned char[:, ::1] s = src.reshape(H, -1).view(np.uint8)
    cdef unsigned char[:, ::1] d = dst.reshape(H, -1).view(np.uint8)
    cdef const unsigned char[::1] cv = np.ascontiguousarray(cvrow).reshape(-1).view(np.uint8)
    cdef const uint8_t[::1] seb = se.reshape(-1)
    # rows with one pattern share their horizontal pass: grp[i] = first row like row i
    grp_arr = np.empty(kh, np.int32)
    cdef int32_t[::1] grp = grp_arr
    cdef Py_ssize_t i, i0
    for i in range(kh):
        grp[i] = i
        for i0 in range(i):
            if grp[i0] == i0 and memcmp(&seb[i * kw], &seb[i0 * kw], kw) == 0:
                grp[i] = <int32_t>i0
                break
    cdef Py_ssize_t bufn = (W + kw - 1) * C * isz
    cdef int nt = max(1, min(nthreads, H))
    cdef char *work = <char *> malloc(<size_t>nt * bufn + 64)
    if work == NULL:
        raise MemoryError("morphology: cannot allocate row buffers")
    cdef Py_ssize_t y
    try:
        with nogil:
            for y in prange(H, num_threads=nt, schedule='dynamic', chunksize=8):
                dh_morph_row(tc, <const char *>&s[0, 0], s.shape[1], <char *>&d[y, 0], &rm[y],
                             &seb[0], &grp[0], is_rect, <int>kh, <int>kw, &cm[0], ax, W, C,
                             <const char *>&cv[0], is_max, <void *>(work + threadid() * bufn))
    finally:
        free(work)


cdef extern from "_morphu8.h" nogil:
    Py_ssize_t mu8_work_bytes(Py_ssize_t W, Py_ssize_t C, int kh, int kw)
    void mu8_block(const uint8_t *src, Py_ssize_t rstride, uint8_t *dst, Py_ssize_t dstride,
                   Py_ssize_t y0, Py_ssize_t y1, const Py_ssize_t *rowmap, const Py_ssize_t *cmap,
                   int ax, Py_ssize_t W, Py_ssize_t C, const uint8_t *cvrow, uint8_t cval,
                   const uint8_t *se, int kh, int kw, int is_max, char *work)
    int MU8_MAXK

MAX_U8_KERNEL = MU8_MAXK


def morph_u8(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] dst, const uint8_t[:, ::1] se,
             const Py_ssize_t[::1] rowmap, const Py_ssize_t[::1] cmap, int ax, uint8_t cval,
             bint is_max, int nthreads):
    """One erosion (is_max False) or dilation of uint8 src by the 0/1 mask se into dst, in
    bands of rows (see _morphu8.h); cval fills the constant border."""
    cdef Py_ssize_t H = src.shape[0], W = src.shape[1], C = src.shape[2]
    cdef int kh = <int>se.shape[0], kw = <int>se.shape[1]
    if dst.shape[0] != H or dst.shape[1] != W or dst.shape[2] != C or H * W * C == 0:
        raise ValueError("morphology: src/dst must be non-empty arrays of one shape")
    if not (1 <= kh <= MU8_MAXK and 1 <= kw <= MU8_MAXK and 0 <= ax < kw):
        raise ValueError("morphology: structuring element too large or anchor out of range")
    check_maps(rowmap, cmap, H, W, kh, kw, "morphology")
    cdef Py_ssize_t rowlen = W * C
    cdef BandPlan bp
    band_plan(&bp, H, nthreads, mu8_work_bytes(W, C, kh, kw), rowlen, cval, "morphology")
    cdef Py_ssize_t t
    try:
        with nogil:
            if bp.nt == 1:
                mu8_block(&src[0, 0, 0], rowlen, &dst[0, 0, 0], rowlen, 0, H, &rowmap[0],
                          &cmap[0], ax, W, C, bp.cvrow, cval, &se[0, 0], kh, kw, is_max,
                          bp.work)
            else:
                for t in prange(bp.nband, num_threads=bp.nt, schedule='dynamic', chunksize=1):
                    mu8_block(&src[0, 0, 0], rowlen, &dst[0, 0, 0], rowlen, H * t // bp.nband,
                              H * (t + 1) // bp.nband, &rowmap[0], &cmap[0], ax, W, C,
                              bp.cvrow, cval, &se[0, 0], kh, kw, is_max,
                              bp.work + threadid() * bp.wb)
    finally:
        free(bp.raw)
