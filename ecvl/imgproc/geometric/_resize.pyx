# cython: language_level=3
"""Row-parallel kernels for separable resampling (flips and transposes are in ``_flip``).

Arrays arrive validated and C-contiguous from :mod:`ecvl.imgproc.geometric`; index tables are
built there and are guaranteed in range, so the loops below never check bounds.

Rows are handed to threads in small dynamic chunks: on a shared machine a thread that loses
its core leaves the remaining rows to the others instead of holding up the whole call (the
row-cached resizes use chunks of 64 output rows, so a chunk recomputes at most ky - 1 rows).
The uint8 paths have SSE4.1/AVX2 versions chosen at run time (see :func:`set_simd`).
"""

cimport numpy as cnp
from cython.parallel cimport prange, parallel
from libc.stdint cimport uint8_t, int8_t, uint16_t, int16_t, int32_t
from libc.stdlib cimport malloc, free

from ecvl.core.enums import InterpolationType as _IT
from ecvl.imgproc.geometric._geomcheck import GRAIN, threads as _threads
from ecvl._pixel cimport pixel_t, store_sat
from ecvl.imgproc.geometric._geomfast cimport plain_array

cnp.import_array()

# Outputs below this many elements (weighted by their cost) run on the calling thread
# (_geomcheck.threads's rule, without its call).
cdef Py_ssize_t _SERIAL = 2 * GRAIN
# Interpolations whose exact halving is the 2x2 box average.
cdef object _LINEAR = _IT.linear
cdef object _AREA = _IT.area

ctypedef fused acc_t:
    float
    double


def hpass(const pixel_t[:, :, ::1] src, acc_t[:, ::1] tmp, const int32_t[::1] xofs,
          const acc_t[::1] xw, int ksize, const uint8_t[::1] rows, int nthreads):
    """tmp[y, dx*C + c] = sum_k xw[dx*K + k] * src[y, xofs[dx*K + k], c] for rows[y] != 0."""
    cdef Py_ssize_t h = src.shape[0], C = src.shape[2]
    cdef Py_ssize_t dw = tmp.shape[1] // C
    cdef Py_ssize_t y, dx, c, k
    cdef const pixel_t* srow
    cdef const pixel_t* p
    cdef acc_t* trow
    cdef acc_t s
    cdef acc_t w0, w1
    cdef const int32_t* ofs
    cdef const acc_t* wt
    with nogil:
        for y in prange(h, num_threads=nthreads, schedule='dynamic', chunksize=16):
            if rows[y] == 0:
                continue
            srow = &src[y, 0, 0]
            trow = &tmp[y, 0]
            if ksize == 2:
                for dx in range(dw):
                    w0 = xw[2 * dx]
                    w1 = xw[2 * dx + 1]
                    p = srow + xofs[2 * dx] * C
                    k = (xofs[2 * dx + 1] - xofs[2 * dx]) * C
                    for c in range(C):
                        trow[dx * C + c] = w0 * <acc_t>p[c] + w1 * <acc_t>p[c + k]
            else:
                for dx in range(dw):
                    ofs = &xofs[dx * ksize]
                    wt = &xw[dx * ksize]
                    for c in range(C):
                        s = 0
                        for k in range(ksize):
                            s = s + wt[k] * <acc_t>srow[ofs[k] * C + c]
                        trow[dx * C + c] = s


def vpass(const acc_t[:, ::1] tmp, pixel_t[:, ::1] out, const int32_t[::1] yofs,
          const acc_t[::1] yw, int ksize, int nthreads):
    """out[dy, i] = saturate(sum_k yw[dy*K + k] * tmp[yofs[dy*K + k], i])."""
    cdef Py_ssize_t dh = out.shape[0], n = out.shape[1]
    cdef Py_ssize_t dy, i, k
    cdef acc_t* buf
    cdef const acc_t* t
    cdef acc_t w
    with nogil, parallel(num_threads=nthreads):
        buf = <acc_t*>malloc(n * sizeof(acc_t) + 1)
        for dy in prange(dh, schedule='dynamic', chunksize=16):
            t = &tmp[yofs[dy * ksize], 0]
            w = yw[dy * ksize]
            for i in range(n):
                buf[i] = w * t[i]
            for k in range(1, ksize):
                t = &tmp[yofs[dy * ksize + k], 0]
                w = yw[dy * ksize + k]
                if w != 0:
                    for i in range(n):
                        buf[i] = buf[i] + w * t[i]
            for i in range(n):
                store_sat(&out[dy, i], buf[i])
        free(buf)


cdef void _hrow(const pixel_t* srow, acc_t* trow, Py_ssize_t dw, Py_ssize_t C,
                const int32_t* xofs, const acc_t* xw, int ksize) noexcept nogil:
    """One row of the horizontal pass: trow[dx*C + c] = sum_k xw * srow[xofs*C + c]."""
    cdef Py_ssize_t dx, c, k, d
    cdef const pixel_t* p
    cdef acc_t s, w0, w1
    if ksize == 2 and C == 3:
        for dx in range(dw):
            w0 = xw[2 * dx]
            w1 = xw[2 * dx + 1]
            p = srow + xofs[2 * dx] * 3
            d = (xofs[2 * dx + 1] - xofs[2 * dx]) * 3
            trow[3 * dx] = w0 * <acc_t>p[0] + w1 * <acc_t>p[d]
            trow[3 * dx + 1] = w0 * <acc_t>p[1] + w1 * <acc_t>p[d + 1]
            trow[3 * dx + 2] = w0 * <acc_t>p[2] + w1 * <acc_t>p[d + 2]
    elif ksize == 2:
        for dx in range(dw):
            w0 = xw[2 * dx]
            w1 = xw[2 * dx + 1]
            p = srow + xofs[2 * dx] * C
            d = (xofs[2 * dx + 1] - xofs[2 * dx]) * C
            for c in range(C):
                trow[dx * C + c] = w0 * <acc_t>p[c] + w1 * <acc_t>p[c + d]
    else:
        for dx in range(dw):
            for c in range(C):
                s = 0
                for k in range(ksize):
                    s = s + xw[dx * ksize + k] * <acc_t>srow[xofs[dx * ksize + k] * C + c]
                trow[dx * C + c] = s


def resize2d(const pixel_t[:, :, ::1] src, pixel_t[:, :, ::1] out, const int32_t[::1] xofs,
             const acc_t[::1] xw, int kx, const int32_t[::1] yofs, const acc_t[::1] yw, int ky,
             int nthreads):
    """Separable resize with the horizontal pass of each needed source row kept per thread.

    The taps of one output row are consecutive source rows, so slot ``sy % ky`` of the
    per-thread row cache never collides within a row and neighbouring output rows reuse rows.
    """
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t n = dw * C
    cdef Py_ssize_t dy, i, j, k, sy, slot
    cdef acc_t* bufs
    cdef acc_t* acc
    cdef Py_ssize_t* rowid
    cdef const acc_t* t
    cdef acc_t w
    cdef pixel_t* o
    with nogil, parallel(num_threads=nthreads):
        bufs = <acc_t*>malloc((ky + 1) * n * sizeof(acc_t))
        rowid = <Py_ssize_t*>malloc(ky * sizeof(Py_ssize_t))
        acc = bufs + ky * n
        for j in range(ky):
            rowid[j] = -1
        for dy in prange(dh, schedule='dynamic', chunksize=64):
            for k in range(ky):
                sy = yofs[dy * ky + k]
                slot = sy % ky
                if rowid[slot] != sy:
                    _hrow(&src[sy, 0, 0], bufs + slot * n, dw, C, &xofs[0], &xw[0], kx)
                    rowid[slot] = sy
            t = bufs + (yofs[dy * ky] % ky) * n
            w = yw[dy * ky]
            for i in range(n):
                acc[i] = w * t[i]
            for k in range(1, ky):
                w = yw[dy * ky + k]
                if w != 0:
                    t = bufs + (yofs[dy * ky + k] % ky) * n
                    for i in range(n):
                        acc[i] = acc[i] + w * t[i]
            o = &out[dy, 0, 0]
            for i in range(n):
                store_sat(&o[i], acc[i])
        free(rowid)
        free(bufs)


cdef extern from "_resize_u8.h" nogil:
    void rsu8_hrow(const uint8_t* s, int32_t* t, Py_ssize_t dw, Py_ssize_t C, const int32_t* o,
                   const int32_t* w, int K)
    void rsu8_vrow(const int32_t* const* rows, const int32_t* w, int K, uint8_t* out,
                   int32_t* acc, Py_ssize_t n, int shift)
    void rsu8_half_row(const uint8_t* a, const uint8_t* b, uint8_t* o, uint16_t* v,
                       Py_ssize_t dw, Py_ssize_t C)
    void rsu8_hrow2(const uint8_t* s, int32_t* t, Py_ssize_t dw, Py_ssize_t C, const int32_t* o,
                    const int32_t* w, int K, const int32_t* of, const int32_t* wp, Py_ssize_t lim,
                    int avx2)
    int rsu8_cpu_sse41()
    int rsu8_cpu_avx2()
    void rsu8_half_row2(const uint8_t* a, const uint8_t* b, uint8_t* o, uint16_t* v,
                        Py_ssize_t dw, Py_ssize_t C, int simd)

# Whether the SIMD paths (uint8 horizontal pass, exact halving) run; tests switch them off to
# check that the scalar paths give the same bytes.
cdef int _simd = 1 if rsu8_cpu_sse41() else 0
cdef int _avx2 = 1 if _simd and rsu8_cpu_avx2() else 0


def set_simd(bint enabled):
    """Enable (where the CPU has SSE4.1) or disable the SIMD paths; returns the new state."""
    global _simd, _avx2
    _simd = 1 if enabled and rsu8_cpu_sse41() else 0
    _avx2 = 1 if _simd and rsu8_cpu_avx2() else 0
    return bool(_simd)


def resize2d_u8(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] out, const int32_t[::1] xofs,
                const int32_t[::1] xw, int kx, const int32_t[::1] yofs, const int32_t[::1] yw,
                int ky, int shift, const int32_t[::1] xfirst, const int32_t[::1] xpair,
                Py_ssize_t lim, int nthreads):
    """Fixed-point uint8 resize: int32 horizontal rows cached per thread as in resize2d.

    `xofs` holds source offsets premultiplied by the channel count; `xw` and `yw` are integer
    weights and `shift` the total number of fraction bits of their product. The first `lim`
    outputs of each row (0 without SSE4.1) take the SIMD pass, which needs consecutive taps:
    `xfirst[dx]` is ``xofs[dx*kx]`` and `xpair` the weights as packed int16 pairs.
    """
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t n = dw * C
    cdef Py_ssize_t dy, j, k, sy, slot
    cdef int32_t* bufs
    cdef const int32_t** rows
    cdef Py_ssize_t* rowid
    if not _simd:
        lim = 0
    with nogil, parallel(num_threads=nthreads):
        bufs = <int32_t*>malloc((ky + 1) * n * sizeof(int32_t))
        rowid = <Py_ssize_t*>malloc(ky * sizeof(Py_ssize_t))
        rows = <const int32_t**>malloc(ky * sizeof(int32_t*))
        for j in range(ky):
            rowid[j] = -1
        for dy in prange(dh, schedule='dynamic', chunksize=64):
            for k in range(ky):
                sy = yofs[dy * ky + k]
                slot = sy % ky
                if rowid[slot] != sy:
                    rsu8_hrow2(&src[sy, 0, 0], bufs + slot * n, dw, C, &xofs[0], &xw[0], kx,
                               &xfirst[0], &xpair[0], lim, _avx2)
                    rowid[slot] = sy
                rows[k] = bufs + slot * n
            rsu8_vrow(rows, &yw[dy * ky], ky, &out[dy, 0, 0], bufs + ky * n, n, shift)
        free(<void*>rows)
        free(rowid)
        free(bufs)


def half2x2(const pixel_t[:, :, ::1] src, pixel_t[:, :, ::1] out, int nthreads):
    """Exact 2x2 box average (the shape of bilinear and area resize at an exact factor of 2)."""
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t dy, dx, c, rs = src.shape[1] * C
    cdef const pixel_t* a
    cdef pixel_t* o
    cdef int32_t s
    if src.shape[0] < 2 * dh or src.shape[1] < 2 * dw or src.shape[2] != C:
        raise ValueError(f"half2x2: a {src.shape[0]} x {src.shape[1]} x {src.shape[2]} source "
                         f"does not cover a {dh} x {dw} x {C} output twice")
    if pixel_t is uint8_t:
        _half_u8(&src[0, 0, 0], &out[0, 0, 0], dh, dw, C, rs, nthreads)
    else:
        with nogil:
            for dy in prange(dh, num_threads=nthreads, schedule='dynamic', chunksize=16):
                a = &src[2 * dy, 0, 0]
                o = &out[dy, 0, 0]
                if pixel_t is uint16_t or pixel_t is int8_t or pixel_t is int16_t:
                    for dx in range(dw):
                        for c in range(C):
                            s = (<int32_t>a[2 * dx * C + c] + <int32_t>a[(2 * dx + 1) * C + c]
                                 + <int32_t>a[rs + 2 * dx * C + c]
                                 + <int32_t>a[rs + (2 * dx + 1) * C + c])
                            o[dx * C + c] = <pixel_t>((s + 2) >> 2)
                else:
                    for dx in range(dw):
                        for c in range(C):
                            store_sat(&o[dx * C + c],
                                      0.25 * (<double>a[2 * dx * C + c]
                                              + <double>a[(2 * dx + 1) * C + c]
                                              + <double>a[rs + 2 * dx * C + c]
                                              + <double>a[rs + (2 * dx + 1) * C + c]))


cdef int _half_u8(const uint8_t* src, uint8_t* out, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t C,
                  Py_ssize_t rs, int nthreads) except -1:
    """half2x2 of uint8 rows rs bytes apart (the output's are dw * C)."""
    cdef Py_ssize_t dy, n = dw * C
    cdef uint16_t* v
    if nthreads <= 1:  # no OpenMP team: its start-up shows on small images
        v = <uint16_t*>malloc(2 * n * sizeof(uint16_t) + 2)
        if v == NULL:
            raise MemoryError("resize: out of memory for a row buffer")
        with nogil:
            for dy in range(dh):
                rsu8_half_row2(src + 2 * dy * rs, src + (2 * dy + 1) * rs, out + dy * n, v, dw, C,
                               _simd + _avx2)
        free(v)
        return 0
    with nogil, parallel(num_threads=nthreads):
        v = <uint16_t*>malloc(2 * n * sizeof(uint16_t) + 2)
        for dy in prange(dh, schedule='dynamic', chunksize=16):
            rsu8_half_row2(src + 2 * dy * rs, src + (2 * dy + 1) * rs, out + dy * n, v, dw, C,
                           _simd + _avx2)
        free(v)
    return 0


def half_fast(arr, size, interp):
    """``resize_array(arr, size, interp)`` when it halves a plain canonical uint8 ``(H, W, C)``
    image (``linear`` or ``area``; `size` a tuple or list of two ints), else None.

    The one-call entry of the commonest small-image resize: see ``_geomfast.pxd``.
    """
    if interp is not _LINEAR and interp is not _AREA:
        return None
    if (type(size) is not tuple and type(size) is not list) or len(size) != 2:
        return None
    if not plain_array(arr, 3, 3):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>arr
    cdef object ho = size[0], wo = size[1]
    if cnp.PyArray_TYPE(a) != cnp.NPY_UINT8 or type(ho) is not int or type(wo) is not int:
        return None
    cdef Py_ssize_t h = cnp.PyArray_DIM(a, 0), w = cnp.PyArray_DIM(a, 1)
    if not (0 < ho <= h and 0 < wo <= w):
        return None
    cdef cnp.npy_intp dims[3]
    dims[0] = ho
    dims[1] = wo
    dims[2] = cnp.PyArray_DIM(a, 2)
    if h != 2 * dims[0] or w != 2 * dims[1]:
        return None
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(3, dims, cnp.NPY_UINT8, 0)
    # resize_array's thread rule: an interpolated output costs about four copied ones
    cdef Py_ssize_t work = 4 * dims[0] * dims[1] * dims[2]
    _half_u8(<const uint8_t*>cnp.PyArray_DATA(a), <uint8_t*>cnp.PyArray_DATA(out), dims[0],
             dims[1], dims[2], w * dims[2], 1 if work < _SERIAL else _threads(work))
    return out


def gather2d(const pixel_t[:, :, ::1] src, pixel_t[:, :, ::1] out, const int32_t[::1] yofs,
             const int32_t[::1] xofs, int nthreads):
    """out[dy, dx, :] = src[yofs[dy], xofs[dx], :] (nearest-neighbour resampling)."""
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t dy, dx, c
    cdef const pixel_t* srow
    cdef pixel_t* o
    with nogil:
        for dy in prange(dh, num_threads=nthreads, schedule='dynamic', chunksize=16):
            srow = &src[yofs[dy], 0, 0]
            o = &out[dy, 0, 0]
            if C == 1:
                for dx in range(dw):
                    o[dx] = srow[xofs[dx]]
            else:
                for dx in range(dw):
                    for c in range(C):
                        o[dx * C + c] = srow[xofs[dx] * C + c]
