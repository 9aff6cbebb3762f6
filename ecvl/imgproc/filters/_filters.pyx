# cython: language_level=3
"""Row-parallel drivers of the linear filters (the loops are in _rowkern.h)."""
import numpy as np
from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free
from libc.stdint cimport uint8_t, int16_t, uint16_t, uint32_t
from libc.stdlib cimport abs

include "../_include/_bands.pxi"

cdef extern from "_rowkern.h" nogil:
    int dh_sep_row(int tc, const char *src, Py_ssize_t rstride, char *dst, const Py_ssize_t *rows,
                   const void *ky, int nky, int ysym, const void *kx, int nkx, int xsym,
                   const Py_ssize_t *cmap, int ax, Py_ssize_t W, Py_ssize_t C, const char *cvrow,
                   double cvalv, void *buf, void *acc)
    int dh_f2d_row(int tc, const char *src, Py_ssize_t rstride, char *dst, const Py_ssize_t *rows,
                   const void *K, int kh, int kw, const Py_ssize_t *cmap, int ax, Py_ssize_t W,
                   Py_ssize_t C, const char *cvrow, double cval, void *pbuf, void *acc)


cdef void _check(object src, object dst, object rowmap, object cmap, Py_ssize_t kh, Py_ssize_t kw,
                 object cvrow) except *:
    if src.ndim != 3 or dst.shape != src.shape or dst.dtype != src.dtype:
        raise ValueError("row engine: src/dst must be (H, W, C) arrays of one shape and dtype")
    if not (src.flags.c_contiguous and dst.flags.c_contiguous and dst.flags.writeable):
        raise ValueError("row engine: src/dst must be C-contiguous (dst writeable)")
    if src.size == 0:
        raise ValueError("row engine: empty image")
    if rowmap.shape[0] != src.shape[0] + kh - 1 or cmap.shape[0] != src.shape[1] + kw - 1:
        raise ValueError("row engine: border maps do not match the image and kernel")
    if rowmap.size and (rowmap.max() >= src.shape[0] or rowmap.min() < -1):
        raise ValueError("row engine: row map out of range")
    if cmap.size and (cmap.max() >= src.shape[1] or cmap.min() < -1):
        raise ValueError("row engine: column map out of range")
    if cvrow.dtype != src.dtype or cvrow.size < src.shape[1] * src.shape[2] \
            or not cvrow.flags.c_contiguous:
        raise ValueError("row engine: constant row has the wrong size or dtype")


def sep_filter(src, dst, kx, ky, bint xsym, bint ysym, rowmap, cmap, int ax, cvrow,
               double cvalv, int tc, int nthreads):
    """dst = ky (vertical) then kx (horizontal) correlation of src; maps resolve the border."""
    acc_dt = np.float64 if tc in (4, 5, 7) else np.float32
    kx = np.ascontiguousarray(kx, dtype=acc_dt)
    ky = np.ascontiguousarray(ky, dtype=acc_dt)
    cdef Py_ssize_t nkx = kx.shape[0], nky = ky.shape[0]
    _check(src, dst, rowmap, cmap, nky, nkx, cvrow)
    if not (0 <= ax < nkx) or nkx < 1 or nky < 1:
        raise ValueError("sep_filter: bad kernel or anchor")
    cdef Py_ssize_t H = src.shape[0], W = src.shape[1], C = src.shape[2]
    cdef Py_ssize_t asz = np.dtype(acc_dt).itemsize
    cdef const unsigned char[:, ::1] s = src.reshape(H, -1).view(np.uint8)
    cdef unsigned char[:, ::1] d = dst.reshape(H, -1).view(np.uint8)
    cdef const Py_ssize_t[::1] rm = np.ascontiguousarray(rowmap, dtype=np.intp)
    cdef const Py_ssize_t[::1] cm = np.ascontiguousarray(cmap, dtype=np.intp)
    cdef const unsigned char[::1] cv = cvrow.reshape(-1).view(np.uint8)
    cdef const unsigned char[::1] kxb = kx.view(np.uint8)
    cdef const unsigned char[::1] kyb = ky.view(np.uint8)
    cdef Py_ssize_t bufn = (W + nkx - 1) * C, accn = W * C
    cdef int nt = max(1, min(nthreads, H))
    cdef char *work = <char *> malloc(<size_t>nt * (bufn + accn) * asz + 64)
    if work == NULL:
        raise MemoryError("sep_filter: cannot allocate row buffers")
    cdef Py_ssize_t y
    cdef int t
    cdef char *tb
    try:
        with nogil:
            for y in prange(H, num_threads=nt, schedule='dynamic', chunksize=8):
                t = threadid()
                tb = work + <Py_ssize_t>t * (bufn + accn) * asz
                dh_sep_row(tc, <const char *>&s[0, 0], s.shape[1], <char *>&d[y, 0], &rm[y],
                           <const void *>&kyb[0], <int>nky, ysym, <const void *>&kxb[0], <int>nkx,
                           xsym, &cm[0], ax, W, C, <const char *>&cv[0], cvalv, <void *>tb,
                           <void *>(tb + bufn * asz))
    finally:
        free(work)


def filter2d(src, dst, kernel, rowmap, cmap, int ax, cvrow, double cval, int tc, int nthreads):
    """dst = 2-D correlation of src with kernel (kh, kw); maps resolve the border."""
    acc_dt = np.float64 if tc in (4, 5, 7) else np.float32
    kernel = np.ascontiguousarray(kernel, dtype=acc_dt)
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError("filter2d: kernel must be a non-empty 2-D array")
    cdef Py_ssize_t kh = kernel.shape[0], kw = kernel.shape[1]
    _check(src, dst, rowmap, cmap, kh, kw, cvrow)
    if not (0 <= ax < kw):
        raise ValueError("filter2d: bad anchor")
    cdef Py_ssize_t H = src.shape[0], W = src.shape[1], C = src.shape[2]
    cdef Py_ssize_t asz = np.dtype(acc_dt).itemsize
    cdef const unsigned char[:, ::1] s = src.reshape(H, -1).view(np.uint8)
    cdef unsigned char[:, ::1] d = dst.reshape(H, -1).view(np.uint8)
    cdef const Py_ssize_t[::1] rm = np.ascontiguousarray(rowmap, dtype=np.intp)
    cdef const Py_ssize_t[::1] cm = np.ascontiguousarray(cmap, dtype=np.intp)
    cdef const unsigned char[::1] cv = cvrow.reshape(-1).view(np.uint8)
    cdef const unsigned char[::1] kb = kernel.reshape(-1).view(np.uint8)
    cdef Py_ssize_t bufn = (W + kw - 1) * C, accn = W * C
    cdef int nt = max(1, min(nthreads, H))
    cdef char *work = <char *> malloc(<size_t>nt * (bufn + accn) * asz + 64)
    if work == NULL:
        raise MemoryError("filter2d: cannot allocate row buffers")
    cdef Py_ssize_t y
    cdef int t
    cdef char *tb
    try:
        with nogil:
            for y in prange(H, num_threads=nt, schedule='dynamic', chunksize=8):
                t = threadid()
                tb = work + <Py_ssize_t>t * (bufn + accn) * asz
                dh_f2d_row(tc, <const char *>&s[0, 0], s.shape[1], <char *>&d[y, 0], &rm[y],
                           <const void *>&kb[0], <int>kh, <int>kw, &cm[0], ax, W, C,
                           <const char *>&cv[0], cval, <void *>tb, <void *>(tb + bufn * asz))
    finally:
        free(work)


cdef extern from "_sepu8.h" nogil:
    Py_ssize_t su8_work_bytes(Py_ssize_t W, Py_ssize_t C, int nkx, int nky)
    void su8_block(const uint8_t *src, Py_ssize_t rstride, uint8_t *dst, Py_ssize_t dstride,
                   Py_ssize_t y0, Py_ssize_t y1, const Py_ssize_t *rowmap,
                   const Py_ssize_t *cmap, int ax, Py_ssize_t W, Py_ssize_t C,
                   const uint8_t *cvrow, uint8_t cval, const uint16_t *kx, int nkx, int xsym,
                   const uint32_t *ky, int nky, int ysym, int vbox, uint32_t mul, uint32_t add,
                   int shift, uint32_t mul16, uint32_t add16, int shift16, char *work)


def sep_u8(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] dst, kx, ky, bint xsym, bint ysym,
           rowmap, cmap, int ax, const uint8_t[::1] cvrow, uint32_t mul, uint32_t add,
           int shift, int nthreads, uint32_t mul16=0, uint32_t add16=0, int shift16=0):
    """Exact integer separable filter of uint8 (H, W, C): see _sepu8.h for the arithmetic.

    ``mul16`` (not 0): the caller's 16-bit form of the divider for all-ones vertical taps,
    ``((s + add16) * mul16) >> (16 + shift16)``, equal to the 32-bit one for every sum.
    """
    cdef const uint16_t[::1] kxv = np.ascontiguousarray(kx, dtype=np.uint16)
    cdef const uint32_t[::1] kyv = np.ascontiguousarray(ky, dtype=np.uint32)
    cdef Py_ssize_t H = src.shape[0], W = src.shape[1], C = src.shape[2]
    cdef int nkx = kxv.shape[0], nky = kyv.shape[0]
    if dst.shape[0] != H or dst.shape[1] != W or dst.shape[2] != C or H * W * C == 0:
        raise ValueError("sep_u8: src/dst must be non-empty arrays of one shape")
    if nkx < 1 or nky < 1 or not (0 <= ax < nkx) or not (0 <= shift < 32):
        raise ValueError("sep_u8: bad kernel, anchor or shift")
    # plain loops, not NumPy reductions: small images feel every call's fixed cost
    cdef unsigned long long sx = 0, sy = 0
    cdef int j
    cdef int vbox = nky >= 3
    for j in range(nkx):
        sx += kxv[j]
    for j in range(nky):
        sy += kyv[j]
        vbox = vbox and kyv[j] == 1
    if 255 * sx > 65535 or sy >= 2 ** 32 or int(255 * sx * sy) * int(mul) + int(add) >= 2 ** 32:
        raise ValueError("sep_u8: kernel sums overflow the integer accumulators")
    if mul16 and not (vbox and mul16 < 65536 and 0 <= shift16 < 16
                      and 255 * sx * sy + add16 < 65536):
        raise ValueError("sep_u8: a 16-bit divider needs all-ones vertical taps (3 or more) "
                         "and sums, mul16 and sum + add16 below 2^16")
    cdef const Py_ssize_t[::1] rm = np.ascontiguousarray(rowmap, dtype=np.intp)
    cdef const Py_ssize_t[::1] cm = np.ascontiguousarray(cmap, dtype=np.intp)
    check_maps(rm, cm, H, W, nky, nkx, "sep_u8")
    if cvrow.shape[0] < W * C:
        raise ValueError("sep_u8: constant row too short")
    # vbox (all-ones vertical taps): running column sums, one pass per row whatever the height
    cdef BandPlan bp
    band_plan(&bp, H, nthreads, su8_work_bytes(W, C, nkx, nky), 0, 0, "sep_u8")
    cdef Py_ssize_t t
    try:
        with nogil:
            for t in prange(bp.nband, num_threads=bp.nt, schedule='dynamic', chunksize=1):
                su8_block(&src[0, 0, 0], W * C, &dst[0, 0, 0], W * C, H * t // bp.nband,
                          H * (t + 1) // bp.nband, &rm[0], &cm[0], ax, W, C, &cvrow[0],
                          cvrow[0], &kxv[0], nkx, xsym, &kyv[0], nky, ysym, vbox, mul, add,
                          shift, mul16, add16, shift16, bp.work + threadid() * bp.wb)
    finally:
        free(bp.raw)


cdef extern from "_f2du8.h" nogil:
    Py_ssize_t f2d_work_bytes(Py_ssize_t W, Py_ssize_t C, int kh, int kw)
    void f2d_block(const uint8_t *src, Py_ssize_t rstride, uint8_t *dst, Py_ssize_t dstride,
                   Py_ssize_t y0, Py_ssize_t y1, const Py_ssize_t *rowmap,
                   const Py_ssize_t *cmap, int ax, Py_ssize_t W, Py_ssize_t C,
                   const uint8_t *cvrow, uint8_t cval, const int16_t *K, int kh, int kw,
                   char *work)


def filter2d_u8(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] dst, const int16_t[:, ::1] K,
                const Py_ssize_t[::1] rowmap, const Py_ssize_t[::1] cmap, int ax, uint8_t cval,
                int nthreads):
    """Exact integer 2-D correlation of uint8 (H, W, C) with a small integer kernel whose
    absolute taps sum to at most 128 (see _f2du8.h); cval fills the constant border."""
    cdef Py_ssize_t H = src.shape[0], W = src.shape[1], C = src.shape[2]
    cdef int kh = <int>K.shape[0], kw = <int>K.shape[1], i, j
    cdef long total = 0
    if dst.shape[0] != H or dst.shape[1] != W or dst.shape[2] != C or H * W * C == 0:
        raise ValueError("filter2d_u8: src/dst must be non-empty arrays of one shape")
    if kh < 1 or kw < 1 or not (0 <= ax < kw):
        raise ValueError("filter2d_u8: empty kernel or anchor out of range")
    for i in range(kh):
        for j in range(kw):
            total += abs(K[i, j])
    if total * 255 > 32767:
        raise ValueError("filter2d_u8: kernel too large for 16-bit sums")
    check_maps(rowmap, cmap, H, W, kh, kw, "filter2d_u8")
    cdef Py_ssize_t rowlen = W * C
    cdef BandPlan bp
    band_plan(&bp, H, nthreads, f2d_work_bytes(W, C, kh, kw), rowlen, cval, "filter2d_u8")
    cdef Py_ssize_t t
    try:
        with nogil:
            if bp.nt == 1:
                f2d_block(&src[0, 0, 0], rowlen, &dst[0, 0, 0], rowlen, 0, H, &rowmap[0],
                          &cmap[0], ax, W, C, bp.cvrow, cval, &K[0, 0], kh, kw, bp.work)
            else:
                for t in prange(bp.nband, num_threads=bp.nt, schedule='dynamic', chunksize=1):
                    f2d_block(&src[0, 0, 0], rowlen, &dst[0, 0, 0], rowlen, H * t // bp.nband,
                              H * (t + 1) // bp.nband, &rowmap[0], &cmap[0], ax, W, C, bp.cvrow,
                              cval, &K[0, 0], kh, kw, bp.work + threadid() * bp.wb)
    finally:
        free(bp.raw)
