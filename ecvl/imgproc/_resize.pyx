# cython: language_level=3
"""Row-parallel kernels for separable resampling, flips and transposes.

Arrays arrive validated and C-contiguous from :mod:`ecvl.imgproc.geometric`; index tables are
built there and are guaranteed in range, so the loops below never check bounds.
"""

from cython.parallel cimport prange, parallel
from libc.stdint cimport uint8_t, int8_t, uint16_t, int16_t, int32_t, int64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy

cdef extern from "_geommath.h" nogil:
    int geom_round(double v)
    int64_t geom_round64(double v)
    int64_t geom_floor(double v)

ctypedef fused pix_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    int32_t
    int64_t
    float
    double

ctypedef fused acc_t:
    float
    double


cdef inline double _clamp(double v, double lo, double hi) noexcept nogil:
    return lo if v < lo else (hi if v > hi else v)


cdef inline void _store(pix_t* p, double v) noexcept nogil:
    # Saturate, then round half to even (OpenCV's saturate_cast); NaN stores 0 or INT_MIN.
    if pix_t is float or pix_t is double:
        p[0] = <pix_t>v
    elif pix_t is uint8_t:
        p[0] = <uint8_t>geom_round(_clamp(v, 0.0, 255.0))
    elif pix_t is int8_t:
        p[0] = <int8_t>geom_round(_clamp(v, -128.0, 127.0))
    elif pix_t is uint16_t:
        p[0] = <uint16_t>geom_round(_clamp(v, 0.0, 65535.0))
    elif pix_t is int16_t:
        p[0] = <int16_t>geom_round(_clamp(v, -32768.0, 32767.0))
    elif pix_t is int32_t:
        p[0] = <int32_t>geom_round(_clamp(v, -2147483648.0, 2147483647.0))
    else:
        if v >= 9.223372036854775807e18:
            p[0] = <pix_t>0x7FFFFFFFFFFFFFFF
        elif v <= -9.223372036854775808e18:
            p[0] = <pix_t>(-0x7FFFFFFFFFFFFFFF - 1)
        else:
            p[0] = <pix_t>geom_round64(v)


def hpass(const pix_t[:, :, ::1] src, acc_t[:, ::1] tmp, const int32_t[::1] xofs,
          const acc_t[::1] xw, int ksize, const uint8_t[::1] rows, int nthreads):
    """tmp[y, dx*C + c] = sum_k xw[dx*K + k] * src[y, xofs[dx*K + k], c] for rows[y] != 0."""
    cdef Py_ssize_t h = src.shape[0], C = src.shape[2]
    cdef Py_ssize_t dw = tmp.shape[1] // C
    cdef Py_ssize_t y, dx, c, k
    cdef const pix_t* srow
    cdef const pix_t* p
    cdef acc_t* trow
    cdef acc_t s
    cdef acc_t w0, w1
    cdef const int32_t* ofs
    cdef const acc_t* wt
    with nogil:
        for y in prange(h, num_threads=nthreads, schedule='static'):
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


def vpass(const acc_t[:, ::1] tmp, pix_t[:, ::1] out, const int32_t[::1] yofs,
          const acc_t[::1] yw, int ksize, int nthreads):
    """out[dy, i] = saturate(sum_k yw[dy*K + k] * tmp[yofs[dy*K + k], i])."""
    cdef Py_ssize_t dh = out.shape[0], n = out.shape[1]
    cdef Py_ssize_t dy, i, k
    cdef acc_t* buf
    cdef const acc_t* t
    cdef acc_t w
    with nogil, parallel(num_threads=nthreads):
        buf = <acc_t*>malloc(n * sizeof(acc_t) + 1)
        for dy in prange(dh, schedule='static'):
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
                _store(&out[dy, i], buf[i])
        free(buf)


cdef void _hrow(const pix_t* srow, acc_t* trow, Py_ssize_t dw, Py_ssize_t C,
               const int32_t* xofs, const acc_t* xw, int ksize) noexcept nogil:
    """One row of the horizontal pass: trow[dx*C + c] = sum_k xw * srow[xofs*C + c]."""
    cdef Py_ssize_t dx, c, k, d
    cdef const pix_t* p
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


def resize2d(const pix_t[:, :, ::1] src, pix_t[:, :, ::1] out, const int32_t[::1] xofs,
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
    cdef pix_t* o
    with nogil, parallel(num_threads=nthreads):
        bufs = <acc_t*>malloc((ky + 1) * n * sizeof(acc_t))
        rowid = <Py_ssize_t*>malloc(ky * sizeof(Py_ssize_t))
        acc = bufs + ky * n
        for j in range(ky):
            rowid[j] = -1
        for dy in prange(dh, schedule='static'):
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
                _store(&o[i], acc[i])
        free(rowid)
        free(bufs)


cdef extern from "_resize_u8.h" nogil:
    void rsu8_hrow(const uint8_t* s, int32_t* t, Py_ssize_t dw, Py_ssize_t C, const int32_t* o,
                   const int32_t* w, int K)
    void rsu8_vrow(const int32_t* const* rows, const int32_t* w, int K, uint8_t* out,
                   int32_t* acc, Py_ssize_t n, int shift)
    void rsu8_half_row(const uint8_t* a, const uint8_t* b, uint8_t* o, uint16_t* v,
                       Py_ssize_t dw, Py_ssize_t C)


def resize2d_u8(const uint8_t[:, :, ::1] src, uint8_t[:, :, ::1] out, const int32_t[::1] xofs,
                const int32_t[::1] xw, int kx, const int32_t[::1] yofs, const int32_t[::1] yw,
                int ky, int shift, int nthreads):
    """Fixed-point uint8 resize: int32 horizontal rows cached per thread as in resize2d.

    `xofs` holds source offsets premultiplied by the channel count; `xw` and `yw` are integer
    weights and `shift` the total number of fraction bits of their product.
    """
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t n = dw * C
    cdef Py_ssize_t dy, j, k, sy, slot
    cdef int32_t* bufs
    cdef const int32_t** rows
    cdef Py_ssize_t* rowid
    with nogil, parallel(num_threads=nthreads):
        bufs = <int32_t*>malloc((ky + 1) * n * sizeof(int32_t))
        rowid = <Py_ssize_t*>malloc(ky * sizeof(Py_ssize_t))
        rows = <const int32_t**>malloc(ky * sizeof(int32_t*))
        for j in range(ky):
            rowid[j] = -1
        for dy in prange(dh, schedule='static'):
            for k in range(ky):
                sy = yofs[dy * ky + k]
                slot = sy % ky
                if rowid[slot] != sy:
                    rsu8_hrow(&src[sy, 0, 0], bufs + slot * n, dw, C, &xofs[0], &xw[0], kx)
                    rowid[slot] = sy
                rows[k] = bufs + slot * n
            rsu8_vrow(rows, &yw[dy * ky], ky, &out[dy, 0, 0], bufs + ky * n, n, shift)
        free(<void*>rows)
        free(rowid)
        free(bufs)


def half2x2(const pix_t[:, :, ::1] src, pix_t[:, :, ::1] out, int nthreads):
    """Exact 2x2 box average (the shape of bilinear and area resize at an exact factor of 2)."""
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t dy, dx, c, rs = src.shape[1] * C
    cdef const pix_t* a
    cdef pix_t* o
    cdef int32_t s
    cdef uint16_t* v
    if pix_t is uint8_t:
        with nogil, parallel(num_threads=nthreads):
            v = <uint16_t*>malloc(2 * dw * C * sizeof(uint16_t) + 2)
            for dy in prange(dh, schedule='static'):
                rsu8_half_row(&src[2 * dy, 0, 0], &src[2 * dy + 1, 0, 0], &out[dy, 0, 0], v,
                              dw, C)
            free(v)
    else:
        with nogil:
            for dy in prange(dh, num_threads=nthreads, schedule='static'):
                a = &src[2 * dy, 0, 0]
                o = &out[dy, 0, 0]
                if pix_t is uint16_t or pix_t is int8_t or pix_t is int16_t:
                    for dx in range(dw):
                        for c in range(C):
                            s = (<int32_t>a[2 * dx * C + c] + <int32_t>a[(2 * dx + 1) * C + c]
                                 + <int32_t>a[rs + 2 * dx * C + c]
                                 + <int32_t>a[rs + (2 * dx + 1) * C + c])
                            o[dx * C + c] = <pix_t>((s + 2) >> 2)
                else:
                    for dx in range(dw):
                        for c in range(C):
                            _store(&o[dx * C + c],
                                   0.25 * (<double>a[2 * dx * C + c]
                                           + <double>a[(2 * dx + 1) * C + c]
                                           + <double>a[rs + 2 * dx * C + c]
                                           + <double>a[rs + (2 * dx + 1) * C + c]))


def gather2d(const pix_t[:, :, ::1] src, pix_t[:, :, ::1] out, const int32_t[::1] yofs,
             const int32_t[::1] xofs, int nthreads):
    """out[dy, dx, :] = src[yofs[dy], xofs[dx], :] (nearest-neighbour resampling)."""
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1], C = out.shape[2]
    cdef Py_ssize_t dy, dx, c
    cdef const pix_t* srow
    cdef pix_t* o
    with nogil:
        for dy in prange(dh, num_threads=nthreads, schedule='static'):
            srow = &src[yofs[dy], 0, 0]
            o = &out[dy, 0, 0]
            if C == 1:
                for dx in range(dw):
                    o[dx] = srow[xofs[dx]]
            else:
                for dx in range(dw):
                    for c in range(C):
                        o[dx * C + c] = srow[xofs[dx] * C + c]


cdef extern from "_transpose.h" nogil:
    void tr_band(const uint8_t* src, uint8_t* out, Py_ssize_t h, Py_ssize_t w, Py_ssize_t psz,
                 Py_ssize_t x0, Py_ssize_t x1)
    void mirror_row3(const uint8_t* s, uint8_t* o, Py_ssize_t w)
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
    cdef Py_ssize_t h = src.shape[0], w = src.shape[1] // psz
    cdef Py_ssize_t y, x
    cdef const uint8_t* s
    cdef uint8_t* o
    cdef int wide = 4 if psz == 3 else (8 if psz < 8 else 16)
    with nogil:
        for y in prange(h, num_threads=nthreads, schedule='static'):
            s = &src[y, 0]
            o = &out[y, 0]
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
                mirror_row3(s, o, w)
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


def transpose(const uint8_t[:, ::1] src, uint8_t[:, ::1] out, Py_ssize_t psz, int nthreads):
    """out[x, y] = src[y, x] for pixels of psz bytes (rows given as bytes), in tiles.

    Threads take bands of 32 source columns, i.e. 32 whole output rows each.
    """
    cdef Py_ssize_t h = src.shape[0], w = src.shape[1] // psz
    cdef Py_ssize_t nb = (w + 31) // 32
    cdef Py_ssize_t b, x1
    with nogil:
        for b in prange(nb, num_threads=nthreads, schedule='static'):
            x1 = 32 * b + 32 if 32 * b + 32 < w else w
            tr_band(&src[0, 0], &out[0, 0], h, w, psz, 32 * b, x1)
