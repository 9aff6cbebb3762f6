# cython: language_level=3
"""Row-parallel drivers of the linear filters (the loops are in _rowkern.h)."""
import numpy as np
from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free

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
    cdef Py_ssize_t isz = src.dtype.itemsize, asz = np.dtype(acc_dt).itemsize
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
            for y in prange(H, num_threads=nt, schedule='static'):
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
            for y in prange(H, num_threads=nt, schedule='static'):
                t = threadid()
                tb = work + <Py_ssize_t>t * (bufn + accn) * asz
                dh_f2d_row(tc, <const char *>&s[0, 0], s.shape[1], <char *>&d[y, 0], &rm[y],
                           <const void *>&kb[0], <int>kh, <int>kw, &cm[0], ax, W, C,
                           <const char *>&cv[0], cval, <void *>tb, <void *>(tb + bufn * asz))
    finally:
        free(work)
