# cython: language_level=3
"""Row-parallel inverse-mapping kernels: affine warps and arbitrary remaps.

Source coordinates are exact (double precision), as in OpenCV 5's ``warpAffine``: nearest
rounds them, linear and cubic weights are computed per pixel, Lanczos weights come from a
1/32-pixel table. Arguments arrive validated from :mod:`ecvl.imgproc.geometric`, or as plain
canonical arrays at the one-call entry :func:`affine_fast`.

uint8 bilinear warps are integer throughout: affine ones step their coordinates along each
output row in fixed point (one add per coordinate, as OpenCV's ``warpAffine`` does; see
``wpu8_affine_bits``), remaps round theirs to 1/2048 pixel; interiors are blended with 11-bit
weights, eight 1-channel pixels at a time with AVX2 or four with SSE4.1 where the CPU has them
(:func:`set_simd`). Tiles of rows go to threads dynamically; one-thread calls enter no OpenMP
region.
"""

cimport numpy as cnp
from cython.parallel cimport prange, parallel, threadid
from libc.stdint cimport uint8_t, int8_t, uint16_t, int16_t, int32_t, int64_t
from libc.stdlib cimport malloc, free

from ecvl.core.enums import BorderType as _BT
from ecvl.core.enums import InterpolationType as _IT
from ecvl._pixel cimport clamp, geom_floor, geom_round, geom_round64, pixel_t, store_sat
from ecvl.imgproc.geometric._geomfast cimport plain_array

cnp.import_array()

cdef object _LINEAR = _IT.linear
cdef object _AREA = _IT.area
# The borders affine_fast takes, in the order of their codes (B_CONSTANT ... B_REFLECT101).
cdef tuple _BORDERS = (_BT.BORDER_CONSTANT, _BT.BORDER_REPLICATE, _BT.BORDER_REFLECT,
                       _BT.BORDER_WRAP, _BT.BORDER_REFLECT_101)

cdef extern from "_warp_u8.h" nogil:
    Py_ssize_t wpu8_bilinear_row(const uint8_t* src, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t C,
                                 uint8_t* out, const double* X, const double* Y, Py_ssize_t n,
                                 Py_ssize_t* edge, const uint8_t* cval, int32_t* q, int simd)
    int wpu8_affine_bits(const double* m, Py_ssize_t dh, Py_ssize_t dw)
    Py_ssize_t wpu8_affine_row(const uint8_t* src, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t C,
                               uint8_t* out, const int32_t* adx, const int32_t* ady, int32_t ax,
                               int32_t ay, int shift, Py_ssize_t n, Py_ssize_t* edge,
                               const uint8_t* cval, int32_t* q, int simd)
    int wpu8_simd_level()

# Which vector paths uint8 bilinear interiors take: 0 none, 1 SSE4.1, 2 SSE4.1 and AVX2 (tests
# switch them off to check that the scalar path gives the same integers).
cdef int _simd = wpu8_simd_level()


def set_simd(bint enabled):
    """Enable (where the CPU has SSE4.1/AVX2) or disable the SIMD uint8 bilinear paths."""
    global _simd
    _simd = wpu8_simd_level() if enabled else 0
    return bool(_simd)


cdef enum:
    TAB = 32
    # border modes (values of ecvl.BorderType)
    B_CONSTANT = 0
    B_REPLICATE = 1
    B_REFLECT = 2
    B_WRAP = 3
    B_REFLECT101 = 4
    B_TRANSPARENT = 5

# |coordinate| clamp, in pixels, so that integer conversions never overflow.
cdef double MAXC = 1073741824.0


cdef inline Py_ssize_t _border(Py_ssize_t p, Py_ssize_t n, int mode) noexcept nogil:
    """Map an out-of-range index into [0, n) by the border rule; -1 means 'use the constant'."""
    cdef Py_ssize_t period
    if p >= 0 and p < n:
        return p
    if mode == B_REPLICATE:
        return 0 if p < 0 else n - 1
    if mode == B_WRAP:
        p = p % n
        return p + n if p < 0 else p
    if mode == B_REFLECT:
        period = 2 * n
        p = p % period
        if p < 0:
            p = p + period
        return period - 1 - p if p >= n else p
    if mode == B_REFLECT101:
        if n == 1:
            return 0
        period = 2 * n - 2
        p = p % period
        if p < 0:
            p = p + period
        return period - p if p >= n else p
    return -1


cdef inline int64_t _fix(double v) noexcept nogil:
    return geom_round64(clamp(v, -MAXC * 1024.0, MAXC * 1024.0))


cdef inline void _weights(double f, int ksize, const double* wtab, double* w) noexcept nogil:
    """Interpolation weights of the taps around a sample at fraction f in [0, 1)."""
    cdef double A = -0.75
    cdef int q, k
    if ksize == 2:
        w[0] = 1.0 - f
        w[1] = f
    elif ksize == 4:
        w[0] = ((A * (f + 1) - 5 * A) * (f + 1) + 8 * A) * (f + 1) - 4 * A
        w[1] = ((A + 2) * f - (A + 3)) * f * f + 1
        w[2] = ((A + 2) * (1 - f) - (A + 3)) * (1 - f) * (1 - f) + 1
        w[3] = 1.0 - w[0] - w[1] - w[2]
    else:
        # Lanczos weights come from a 1/32-pixel table (8 sines per axis are too slow).
        q = geom_round(f * TAB)
        if q >= TAB:
            q = TAB - 1
        for k in range(8):
            w[k] = wtab[q * 8 + k]


cdef void _sample_row(const pixel_t[:, :, ::1] src, pixel_t* out, const double* X,
                      const double* Y, Py_ssize_t w, int ksize, const double* wtab,
                      int border, const double* bval) noexcept nogil:
    """Interpolate one output row at the source coordinates X, Y (pixels)."""
    cdef Py_ssize_t sh = src.shape[0], sw = src.shape[1], C = src.shape[2]
    cdef Py_ssize_t x, c, kx, ky, ix, iy, x0, y0, half
    cdef Py_ssize_t xi[8]
    cdef Py_ssize_t yi[8]
    cdef double wx[8]
    cdef double wy[8]
    cdef const pixel_t* p
    cdef const pixel_t* p1
    cdef double s, wyk, fx, fy, xf, yf
    cdef float f00, f01, f10, f11
    cdef bint outside
    cdef int64_t qx, qy
    cdef int32_t wx1, wy1, w00, w01, w10, w11
    half = ksize // 2 - 1
    for x in range(w):
        xf = X[x]
        yf = Y[x]
        if not (xf == xf and yf == yf):  # NaN: outside
            xf = -MAXC
            yf = -MAXC
        xf = clamp(xf, -MAXC, MAXC)
        yf = clamp(yf, -MAXC, MAXC)
        if ksize == 1:
            ix = <Py_ssize_t>geom_floor(xf + 0.5)
            iy = <Py_ssize_t>geom_floor(yf + 0.5)
            if ix >= 0 and ix < sw and iy >= 0 and iy < sh:
                p = &src[iy, ix, 0]
                for c in range(C):
                    out[x * C + c] = p[c]
                continue
            if border == B_TRANSPARENT:
                continue
            ix = _border(ix, sw, border)
            iy = _border(iy, sh, border)
            if ix < 0 or iy < 0:
                for c in range(C):
                    store_sat(&out[x * C + c], bval[c])
            else:
                p = &src[iy, ix, 0]
                for c in range(C):
                    out[x * C + c] = p[c]
            continue
        if ksize == 8:
            # Lanczos: the coordinate itself is quantised to 1/32 pixel, as OpenCV does.
            qx = geom_floor(xf * TAB + 0.5)
            qy = geom_floor(yf * TAB + 0.5)
            x0 = <Py_ssize_t>(qx >> 5) - half
            y0 = <Py_ssize_t>(qy >> 5) - half
            fx = (qx & (TAB - 1)) / <double>TAB
            fy = (qy & (TAB - 1)) / <double>TAB
        else:
            fx = <double>geom_floor(xf)
            fy = <double>geom_floor(yf)
            x0 = <Py_ssize_t>fx - half
            y0 = <Py_ssize_t>fy - half
            fx = xf - fx
            fy = yf - fy
        if x0 >= 0 and y0 >= 0 and x0 + ksize <= sw and y0 + ksize <= sh:
            if ksize == 2:
                p = &src[y0, x0, 0]
                p1 = &src[y0 + 1, x0, 0]
                if pixel_t is uint8_t:
                    # 11-bit fixed-point weights per axis: integer math, |error| < 0.07 level.
                    wx1 = geom_round(fx * 2048.0)
                    wy1 = geom_round(fy * 2048.0)
                    w00 = (2048 - wx1) * (2048 - wy1)
                    w01 = wx1 * (2048 - wy1)
                    w10 = (2048 - wx1) * wy1
                    w11 = wx1 * wy1
                    if C == 3:
                        out[3 * x] = <uint8_t>((w00 * p[0] + w01 * p[3] + w10 * p1[0]
                                                + w11 * p1[3] + (1 << 21)) >> 22)
                        out[3 * x + 1] = <uint8_t>((w00 * p[1] + w01 * p[4] + w10 * p1[1]
                                                    + w11 * p1[4] + (1 << 21)) >> 22)
                        out[3 * x + 2] = <uint8_t>((w00 * p[2] + w01 * p[5] + w10 * p1[2]
                                                    + w11 * p1[5] + (1 << 21)) >> 22)
                    else:
                        for c in range(C):
                            out[x * C + c] = <uint8_t>((w00 * p[c] + w01 * p[C + c] + w10 * p1[c]
                                                        + w11 * p1[C + c] + (1 << 21)) >> 22)
                    continue
                f00 = <float>((1.0 - fx) * (1.0 - fy))
                f01 = <float>(fx * (1.0 - fy))
                f10 = <float>((1.0 - fx) * fy)
                f11 = <float>(fx * fy)
                if (pixel_t is uint8_t or pixel_t is int8_t or pixel_t is uint16_t
                        or pixel_t is int16_t or pixel_t is float):
                    for c in range(C):
                        store_sat(&out[x * C + c], <double>(f00 * <float>p[c] + f01 * <float>p[C + c]
                                                            + f10 * <float>p1[c] + f11 * <float>p1[C + c]))
                else:
                    for c in range(C):
                        store_sat(&out[x * C + c],
                                  (1.0 - fy) * ((1.0 - fx) * <double>p[c] + fx * <double>p[C + c])
                                  + fy * ((1.0 - fx) * <double>p1[c] + fx * <double>p1[C + c]))
                continue
            _weights(fx, ksize, wtab, wx)
            _weights(fy, ksize, wtab, wy)
            for c in range(C):
                s = 0
                for ky in range(ksize):
                    p = &src[y0 + ky, x0, c]
                    wyk = 0
                    for kx in range(ksize):
                        wyk = wyk + wx[kx] * <double>p[kx * C]
                    s = s + wy[ky] * wyk
                store_sat(&out[x * C + c], s)
            continue
        # Near or past the edge: resolve every tap through the border rule.
        if border == B_TRANSPARENT:
            continue
        _weights(fx, ksize, wtab, wx)
        _weights(fy, ksize, wtab, wy)
        outside = True
        for kx in range(ksize):
            xi[kx] = _border(x0 + kx, sw, border)
            yi[kx] = _border(y0 + kx, sh, border)
        for ky in range(ksize):
            if yi[ky] < 0:
                continue
            for kx in range(ksize):
                if xi[kx] >= 0:
                    outside = False
        for c in range(C):
            if outside:
                store_sat(&out[x * C + c], bval[c])
                continue
            s = 0
            for ky in range(ksize):
                wyk = 0
                for kx in range(ksize):
                    if yi[ky] < 0 or xi[kx] < 0:
                        wyk = wyk + wx[kx] * bval[c]
                    else:
                        wyk = wyk + wx[kx] * <double>src[yi[ky], xi[kx], c]
                s = s + wy[ky] * wyk
            store_sat(&out[x * C + c], s)


cdef void _const_u8(Py_ssize_t C, int border, const double* bval,
                    uint8_t* cval) noexcept nogil:
    cdef Py_ssize_t i
    if border == B_CONSTANT and C <= 64:
        for i in range(C):
            store_sat(&cval[i], bval[i])


cdef void _sample(const pixel_t[:, :, ::1] src, pixel_t* out, const double* X, const double* Y,
                  Py_ssize_t w, int ksize, const double* wtab, int border, const double* bval,
                  Py_ssize_t* edge) noexcept nogil:
    """_sample_row, with uint8 bilinear interiors taken by the fixed-point row kernel."""
    cdef Py_ssize_t ne, i, x, C = src.shape[2]
    cdef uint8_t cval[64]
    if pixel_t is uint8_t:
        if ksize == 2:
            _const_u8(C, border, bval, cval)
            ne = wpu8_bilinear_row(&src[0, 0, 0], src.shape[0], src.shape[1], C, out, X, Y, w,
                                   edge, cval if border == B_CONSTANT and C <= 64 else NULL,
                                   <int32_t*>(edge + w), _simd)
            for i in range(ne):
                x = edge[i]
                _sample_row(src, out + x * C, X + x, Y + x, 1, ksize, wtab, border, bval)
            return
    _sample_row(src, out, X, Y, w, ksize, wtab, border, bval)


include "_warp_affine_u8.pxi"


def warp_affine(const pixel_t[:, :, ::1] src, pixel_t[:, :, ::1] out, const double[::1] m,
                int ksize, const double[::1] wtab, int border, const double[::1] bval,
                int nthreads):
    """out[y, x] = src(m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]) (m maps dst -> src).

    The output is walked in tiles of TH x TW pixels. uint8 bilinear warps step their
    coordinates in fixed point (_affine_u8) unless they are too large for 32 bits.
    """
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1]
    cdef Py_ssize_t nty = (dh + TH - 1) // TH, ntx = (dw + TW - 1) // TW
    cdef Py_ssize_t ty, bx, tx, y, x, y1, x1, n
    cdef double* X
    cdef double* Y
    cdef Py_ssize_t* edge
    cdef double x0, y0
    cdef int64_t qx0, qy0
    cdef int fb
    if pixel_t is uint8_t:
        if ksize == 2:
            fb = wpu8_affine_bits(&m[0], dh, dw)
            if fb:
                _affine_u8(src, &out[0, 0, 0], dh, dw, &m[0], fb, border, &bval[0], nthreads)
                return
    with nogil, parallel(num_threads=nthreads):
        X = <double*>malloc((2 * TW + 2) * sizeof(double) + TW * (sizeof(Py_ssize_t) + 8))
        Y = X + TW + 1
        edge = <Py_ssize_t*>(Y + TW + 1)
        for ty in prange(nty, schedule='dynamic', chunksize=1):
            y1 = (ty + 1) * TH if (ty + 1) * TH < dh else dh
            for bx in range(ntx):
                tx = bx * TW
                x1 = tx + TW if tx + TW < dw else dw
                n = x1 - tx
                for y in range(ty * TH, y1):
                    x0 = m[1] * y + m[2]
                    y0 = m[4] * y + m[5]
                    if ksize == 8:
                        # OpenCV's 1/1024-pixel fixed-point sum, floored to the 1/32 table grid.
                        qx0 = _fix(x0 * 1024.0) + 16
                        qy0 = _fix(y0 * 1024.0) + 16
                        for x in range(n):
                            X[x] = ((qx0 + _fix(m[0] * (x + tx) * 1024.0)) >> 5) / <double>TAB
                            Y[x] = ((qy0 + _fix(m[3] * (x + tx) * 1024.0)) >> 5) / <double>TAB
                    else:
                        for x in range(n):
                            X[x] = m[0] * (x + tx) + x0
                            Y[x] = m[3] * (x + tx) + y0
                    _sample(src, &out[y, tx, 0], X, Y, n, ksize, &wtab[0], border, &bval[0], edge)
        free(X)


def remap(const pixel_t[:, :, ::1] src, pixel_t[:, :, ::1] out, const float[:, ::1] mapx,
          const float[:, ::1] mapy, int ksize, const double[::1] wtab, int border,
          const double[::1] bval, int nthreads):
    """out[y, x] = src(mapx[y, x], mapy[y, x]) with interpolation and border rule."""
    cdef Py_ssize_t dh = out.shape[0], dw = out.shape[1]
    cdef Py_ssize_t y, x
    cdef double* X
    cdef double* Y
    cdef Py_ssize_t* edge
    with nogil, parallel(num_threads=nthreads):
        X = <double*>malloc((2 * dw + 2) * sizeof(double) + dw * (sizeof(Py_ssize_t) + 8))
        Y = X + dw + 1
        edge = <Py_ssize_t*>(Y + dw + 1)
        for y in prange(dh, schedule='dynamic', chunksize=8):
            for x in range(dw):
                X[x] = mapx[y, x]
                Y[x] = mapy[y, x]
            _sample(src, &out[y, 0, 0], X, Y, dw, ksize, &wtab[0], border, &bval[0], edge)
        free(X)
