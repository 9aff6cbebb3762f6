# cython: language_level=3
"""Compiled part of the coarse elastic field (see ``distortion.py``, which validates inputs)."""

from libc.math cimport exp
from libc.stdlib cimport malloc, free


cdef inline Py_ssize_t _reflect101(Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    if n == 1:
        return 0
    while i < 0 or i >= n:
        if i < 0:
            i = -i
        if i >= n:
            i = 2 * n - 2 - i
    return i


cdef inline void _blend(const float *a, const float *b, float *out, Py_ssize_t n,
                        float f) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = a[i] + (b[i] - a[i]) * f


cdef void _correlate_x(const float *src, float *dst, Py_ssize_t n, const float *k,
                       Py_ssize_t r) noexcept nogil:
    """dst[i] = sum_j k[j] src[reflect101(i + j - r)] along one row."""
    cdef Py_ssize_t i, j
    cdef float acc
    for i in range(n):
        dst[i] = 0
    for j in range(2 * r + 1):  # interior: independent, vectorisable accumulations
        for i in range(r, n - r):
            dst[i] = dst[i] + k[j] * src[i + j - r]
    for i in range(n):
        if i < r or i >= n - r:
            acc = 0
            for j in range(2 * r + 1):
                acc = acc + k[j] * src[_reflect101(i + j - r, n)]
            dst[i] = acc


cdef void _correlate_y(const float *src, float *dst, Py_ssize_t rows, Py_ssize_t cols,
                       const float *k, Py_ssize_t r, float gain) noexcept nogil:
    """Correlate the columns of a (rows, cols) plane, whole rows at a time, times gain."""
    cdef Py_ssize_t y, j, x
    cdef const float *row
    cdef float *out
    cdef float kj
    for y in range(rows):
        out = dst + y * cols
        for x in range(cols):
            out[x] = 0
        for j in range(2 * r + 1):
            row = src + _reflect101(y + j - r, rows) * cols
            kj = k[j] * gain
            for x in range(cols):
                out[x] = out[x] + kj * row[x]


def coarse_elastic_maps(const float[:, :, ::1] noise, double sigma, double alpha, int half,
                        float[:, ::1] map_x, float[:, ::1] map_y):
    """Smooth the two coarse noise fields and write the full-size maps.

    ``noise`` is ``(2, hc, wc)``, drawn at every other pixel. The fields are correlated
    with the Gaussian of ``sigma`` sampled at even offsets ``-half..half`` (borders
    reflect_101), rescaled to the full-resolution kernel's variance, multiplied by
    ``alpha``, upsampled by 2 bilinearly (centres aligned, edges replicated) and added to
    the pixel grid.
    """
    cdef Py_ssize_t hc = noise.shape[1], wc = noise.shape[2]
    cdef Py_ssize_t h = map_x.shape[0], w = map_x.shape[1]
    if noise.shape[0] != 2 or map_y.shape[0] != h or map_y.shape[1] != w:
        raise ValueError("coarse_elastic_maps: bad shapes")
    if h > 2 * hc or w > 2 * wc or h < 2 * hc - 1 or w < 2 * wc - 1 or half < 0 or sigma <= 0:
        raise ValueError("coarse_elastic_maps: maps do not match the coarse grid")
    cdef Py_ssize_t nt = half // 2 * 2 + 1  # taps at even offsets
    cdef Py_ssize_t r = nt // 2
    cdef Py_ssize_t n = 2 * hc * wc
    cdef double *k = <double *> malloc(nt * sizeof(double))
    cdef float *kf = <float *> malloc(nt * sizeof(float))
    cdef float *tmp = <float *> malloc(n * sizeof(float))
    cdef float *sm = <float *> malloc(n * sizeof(float))
    cdef float *vrow = <float *> malloc(2 * wc * sizeof(float))
    cdef float *cfx = <float *> malloc(w * sizeof(float))
    cdef Py_ssize_t *cx0 = <Py_ssize_t *> malloc(w * sizeof(Py_ssize_t))
    cdef Py_ssize_t *cx1 = <Py_ssize_t *> malloc(w * sizeof(Py_ssize_t))
    if (k == NULL or kf == NULL or tmp == NULL or sm == NULL or vrow == NULL or cfx == NULL
            or cx0 == NULL or cx1 == NULL):
        free(k)
        free(kf)
        free(tmp)
        free(sm)
        free(vrow)
        free(cfx)
        free(cx0)
        free(cx1)
        raise MemoryError("coarse_elastic_maps: out of memory")
    cdef Py_ssize_t c, y, x, j, y0, y1, x0, x1
    cdef double s, s2c, s2f, gain, v
    cdef float g, fy, fx
    with nogil:
        s = 0.0
        s2c = 0.0
        for j in range(nt):
            v = exp(-(2.0 * (j - r)) * (2.0 * (j - r)) / (2.0 * sigma * sigma))
            k[j] = v
            s = s + v
        for j in range(nt):
            k[j] = k[j] / s
            s2c = s2c + k[j] * k[j]
        # the full-resolution kernel (every offset in -half..half) for the variance match
        s = 0.0
        s2f = 0.0
        for j in range(-half, half + 1):
            s = s + exp(-j * j / (2.0 * sigma * sigma))
        for j in range(-half, half + 1):
            v = exp(-j * j / (2.0 * sigma * sigma)) / s
            s2f = s2f + v * v
        gain = alpha * s2f / s2c
        for j in range(nt):
            kf[j] = <float> k[j]
        # along x, then along y with the gain
        for c in range(2):
            for y in range(hc):
                _correlate_x(&noise[c, y, 0], tmp + (c * hc + y) * wc, wc, kf, r)
            _correlate_y(tmp + c * hc * wc, sm + c * hc * wc, hc, wc, kf, r, <float> gain)
        # upsample by 2: output pixel i samples the coarse grid at i / 2 - 0.25 (edges
        # replicated); rows are blended first (vectorisable), then columns gathered
        for x in range(w):
            g = x * 0.5 - 0.25
            x0 = 0 if g < 0 else <Py_ssize_t> g
            cx0[x] = x0
            cx1[x] = x0 + 1 if x0 + 1 < wc else wc - 1
            cfx[x] = 0 if g < 0 else g - x0
        for y in range(h):
            g = y * 0.5 - 0.25
            y0 = 0 if g < 0 else <Py_ssize_t> g
            fy = 0 if g < 0 else g - y0
            y1 = y0 + 1 if y0 + 1 < hc else hc - 1
            for c in range(2):
                _blend(sm + (c * hc + y0) * wc, sm + (c * hc + y1) * wc, vrow + c * wc, wc, fy)
            for x in range(w):
                x0 = cx0[x]
                x1 = cx1[x]
                fx = cfx[x]
                map_x[y, x] = x + vrow[x0] + (vrow[x1] - vrow[x0]) * fx
                map_y[y, x] = y + vrow[wc + x0] + (vrow[wc + x1] - vrow[wc + x0]) * fx
    free(k)
    free(kf)
    free(tmp)
    free(sm)
    free(vrow)
    free(cfx)
    free(cx0)
    free(cx1)
