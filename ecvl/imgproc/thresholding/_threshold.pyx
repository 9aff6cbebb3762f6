# cython: language_level=3
"""Threshold, look-up table and histogram kernels; Otsu searches on histograms."""
import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange, threadid
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport calloc, free
from ecvl._pixel cimport pixel_t

cnp.import_array()

ctypedef fused U:
    uint8_t
    uint16_t

DEF BLOCK = 32768


cdef extern from "_threshold_c.h" nogil:
    void thr_u8(const uint8_t *s, uint8_t *d, Py_ssize_t n, uint8_t th, uint8_t hi, uint8_t lo)
    void thr_i8(const int8_t *s, int8_t *d, Py_ssize_t n, int8_t th, int8_t hi, int8_t lo)
    void thr_u16(const uint16_t *s, uint16_t *d, Py_ssize_t n, uint16_t th, uint16_t hi,
                 uint16_t lo)
    void thr_i16(const int16_t *s, int16_t *d, Py_ssize_t n, int16_t th, int16_t hi, int16_t lo)
    void thr_i32(const int32_t *s, int32_t *d, Py_ssize_t n, int32_t th, int32_t hi, int32_t lo)
    void thr_i64(const int64_t *s, int64_t *d, Py_ssize_t n, int64_t th, int64_t hi, int64_t lo)
    void thr_f32(const float *s, float *d, Py_ssize_t n, float th, float hi, float lo)
    void thr_f64(const double *s, double *d, Py_ssize_t n, double th, double hi, double lo)


cdef inline void _thr_block(const pixel_t *s, pixel_t *d, Py_ssize_t n, pixel_t th, pixel_t hi,
                            pixel_t lo) noexcept nogil:
    if pixel_t is uint8_t:
        thr_u8(s, d, n, th, hi, lo)
    elif pixel_t is int8_t:
        thr_i8(s, d, n, th, hi, lo)
    elif pixel_t is uint16_t:
        thr_u16(s, d, n, th, hi, lo)
    elif pixel_t is int16_t:
        thr_i16(s, d, n, th, hi, lo)
    elif pixel_t is int32_t:
        thr_i32(s, d, n, th, hi, lo)
    elif pixel_t is int64_t:
        thr_i64(s, d, n, th, hi, lo)
    elif pixel_t is float:
        thr_f32(s, d, n, th, hi, lo)
    else:
        thr_f64(s, d, n, th, hi, lo)


cdef void _thr_run(const pixel_t *sp, pixel_t *dp, Py_ssize_t n, pixel_t th, pixel_t hi,
                   pixel_t lo, int nthreads) noexcept nogil:
    cdef Py_ssize_t nb = (n + BLOCK - 1) // BLOCK, b
    if nthreads <= 1 or nb == 1:
        # no parallel region: waking the team costs more than a small image takes
        _thr_block(sp, dp, n, th, hi, lo)
        return
    for b in prange(nb, num_threads=nthreads, schedule='dynamic'):
        _thr_block(sp + b * BLOCK, dp + b * BLOCK, min(n, (b + 1) * BLOCK) - b * BLOCK, th, hi,
                   lo)


def threshold(const pixel_t[::1] src, pixel_t[::1] dst, pixel_t th, pixel_t hi, pixel_t lo, int nthreads):
    """dst[i] = hi if src[i] > th else lo."""
    cdef Py_ssize_t n = src.shape[0]
    if dst.shape[0] != n:
        raise ValueError("threshold: src/dst sizes differ")
    if n == 0:
        return
    with nogil:
        _thr_run(&src[0], &dst[0], n, th, hi, lo, nthreads)


def threshold_u8(cnp.ndarray src, uint8_t th, uint8_t hi, uint8_t lo, int nthreads):
    """A new array of src's shape: hi where src > th, else lo, for a C-contiguous uint8 src.

    One call from the ndarray to the result: on small images the buffer views, the
    fused-type dispatch and the separate allocation of ``threshold`` cost as much as the loop.
    """
    if cnp.PyArray_TYPE(src) != cnp.NPY_UINT8 or not cnp.PyArray_IS_C_CONTIGUOUS(src):
        raise ValueError("threshold_u8: src must be a C-contiguous uint8 array")
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(src), cnp.PyArray_DIMS(src),
                                             cnp.NPY_UINT8, 0)
    cdef const uint8_t *sp = <const uint8_t *>cnp.PyArray_DATA(src)
    cdef uint8_t *dp = <uint8_t *>cnp.PyArray_DATA(out)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(src)
    if n:
        with nogil:
            _thr_run(sp, dp, n, th, hi, lo, nthreads)
    return out


cdef void _lut_block(const uint8_t *s, uint8_t *d, Py_ssize_t n,
                     const uint8_t *lut) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = lut[s[i]]


def lut_u8(const uint8_t[::1] src, uint8_t[::1] dst, const uint8_t[::1] lut, int nthreads):
    """dst[i] = lut[src[i]] for uint8 data."""
    cdef Py_ssize_t n = src.shape[0], nb, b
    if dst.shape[0] != n or lut.shape[0] != 256:
        raise ValueError("lut_u8: bad sizes")
    if n == 0:
        return
    cdef const uint8_t *sp = &src[0]
    cdef uint8_t *dp = &dst[0]
    cdef const uint8_t *lp = &lut[0]
    nb = (n + BLOCK - 1) // BLOCK
    with nogil:
        for b in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            _lut_block(sp + b * BLOCK, dp + b * BLOCK, min(n, (b + 1) * BLOCK) - b * BLOCK, lp)


cdef void _hist_u8(const uint8_t *s, Py_ssize_t n, uint32_t *h) noexcept nogil:
    # four interleaved tables: runs of equal pixels do not serialise on one counter
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        h[s[i]] += 1
        h[256 + s[i + 1]] += 1
        h[512 + s[i + 2]] += 1
        h[768 + s[i + 3]] += 1
        i += 4
    while i < n:
        h[s[i]] += 1
        i += 1


def histogram_int(const U[::1] src, int nthreads):
    """Histogram of uint8 (256 bins) or uint16 (65536 bins) data, from per-thread partials."""
    cdef int nbins = 65536, ntab = 1
    if U is uint8_t:
        nbins = 256
        ntab = 4
    cdef Py_ssize_t n = src.shape[0], nb, b, i, e, k
    cdef int nt = max(1, min(nthreads, <int>((n + BLOCK - 1) // BLOCK)))
    cdef Py_ssize_t per = <Py_ssize_t>nbins * ntab
    cdef uint32_t *part = <uint32_t *> calloc(<size_t>nt * per, sizeof(uint32_t))
    if part == NULL:
        raise MemoryError("histogram_int: out of memory")
    cdef uint32_t *h
    out = np.zeros(nbins, np.int64)
    cdef int64_t[::1] o = out
    # uint32 partials, merged after every 2^31 pixels so no counter can wrap
    nb = (n + BLOCK - 1) // BLOCK
    cdef Py_ssize_t flush = (<Py_ssize_t>1 << 31) // BLOCK
    cdef Py_ssize_t b0, b1
    try:
        with nogil:
            b0 = 0
            while b0 < nb:
                b1 = min(nb, b0 + flush)
                for b in prange(b0, b1, num_threads=nt, schedule='dynamic'):
                    h = part + <Py_ssize_t>threadid() * per
                    e = min(n, (b + 1) * BLOCK)
                    if U is uint8_t:
                        _hist_u8(&src[b * BLOCK], e - b * BLOCK, h)
                    else:
                        for i in range(b * BLOCK, e):
                            h[<Py_ssize_t>src[i]] += 1
                for b in range(nt * ntab):
                    for k in range(nbins):
                        o[k] += part[b * nbins + k]
                        part[b * nbins + k] = 0
                b0 = b1
    finally:
        free(part)
    return out


def otsu_index(const int64_t[::1] hist):
    """OpenCV's single-threshold Otsu search: last bin index of the lower class."""
    cdef Py_ssize_t n = hist.shape[0], i
    cdef double total = 0, mu = 0, q1 = 0, mu1 = 0, q2, mu2, p, sigma, best = 0
    cdef Py_ssize_t best_i = 0
    for i in range(n):
        total += hist[i]
    if total <= 0:
        return 0
    for i in range(n):
        mu += i * (hist[i] / total)
    for i in range(n):
        p = hist[i] / total
        mu1 *= q1
        q1 += p
        q2 = 1.0 - q1
        if min(q1, q2) < 1.1920928955078125e-07 or max(q1, q2) > 1.0 - 1.1920928955078125e-07:
            continue
        mu1 = (mu1 + i * p) / q1
        mu2 = (mu - q1 * mu1) / q2
        sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2)
        if sigma > best:
            best = sigma
            best_i = i
    return best_i


cdef double _seg(const double *P, const double *S, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    # between-class term of bins a..b (inclusive): S^2 / P
    cdef double w = P[b + 1] - P[a], m = S[b + 1] - S[a]
    return m * m / w if w > 0 else 0.0


def multiotsu_indices(const int64_t[::1] hist, int nthresh):
    """Exhaustive multi-level Otsu on a histogram: ``nthresh`` last-bin indices of the lower
    classes, maximising the between-class variance (sum of S_k^2 / P_k)."""
    cdef Py_ssize_t n = hist.shape[0], i
    if nthresh < 1 or nthresh >= n:
        raise ValueError("multiotsu: bad number of thresholds")
    P_arr = np.zeros(n + 1)
    S_arr = np.zeros(n + 1)
    P_arr[1:] = np.cumsum(hist)
    S_arr[1:] = np.cumsum(np.arange(n) * np.asarray(hist, dtype=np.float64))
    cdef double[::1] P = P_arr, S = S_arr
    cdef double v, best = -1
    best_t = np.zeros(nthresh, np.intp)
    cur_t = np.zeros(nthresh, np.intp)
    cdef Py_ssize_t[::1] bt = best_t, ct = cur_t
    # iterate all increasing tuples with an explicit odometer (no recursion)
    cdef int k
    for k in range(nthresh):
        ct[k] = k
    with nogil:
        while True:
            v = _seg(&P[0], &S[0], 0, ct[0])
            for k in range(1, nthresh):
                v = v + _seg(&P[0], &S[0], ct[k - 1] + 1, ct[k])
            v = v + _seg(&P[0], &S[0], ct[nthresh - 1] + 1, n - 1)
            if v > best:
                best = v
                for k in range(nthresh):
                    bt[k] = ct[k]
            k = nthresh - 1
            while k >= 0 and ct[k] == n - 1 - (nthresh - k):
                k = k - 1
            if k < 0:
                break
            ct[k] = ct[k] + 1
            for i in range(k + 1, nthresh):
                ct[i] = ct[i - 1] + 1
    return [int(x) for x in best_t]
