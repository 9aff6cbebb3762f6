# cython: language_level=3
"""Threshold, look-up table and histogram kernels; Otsu searches on histograms."""
import numpy as np
from cython.parallel cimport prange, threadid
from libc.stdint cimport uint8_t, int8_t, uint16_t, int16_t, int32_t, int64_t
from libc.string cimport memset
from libc.stdlib cimport calloc, free

ctypedef fused T:
    uint8_t
    int8_t
    uint16_t
    int16_t
    int32_t
    int64_t
    float
    double

ctypedef fused U:
    uint8_t
    uint16_t

DEF BLOCK = 32768


cdef void _thr_block(const T *s, T *d, Py_ssize_t n, T th, T hi, T lo) noexcept nogil:
    # plain pointers and locals so the compiler sees a simple, vectorisable loop
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = hi if s[i] > th else lo


def threshold(const T[::1] src, T[::1] dst, T th, T hi, T lo, int nthreads):
    """dst[i] = hi if src[i] > th else lo."""
    cdef Py_ssize_t n = src.shape[0], nb, b
    if dst.shape[0] != n:
        raise ValueError("threshold: src/dst sizes differ")
    if n == 0:
        return
    cdef const T *sp = &src[0]
    cdef T *dp = &dst[0]
    nb = (n + BLOCK - 1) // BLOCK
    with nogil:
        for b in prange(nb, num_threads=max(1, nthreads), schedule='static'):
            _thr_block(sp + b * BLOCK, dp + b * BLOCK, min(n, (b + 1) * BLOCK) - b * BLOCK,
                       th, hi, lo)


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
        for b in prange(nb, num_threads=max(1, nthreads), schedule='static'):
            _lut_block(sp + b * BLOCK, dp + b * BLOCK, min(n, (b + 1) * BLOCK) - b * BLOCK, lp)


def histogram_int(const U[::1] src, int nthreads):
    """Histogram of uint8 (256 bins) or uint16 (65536 bins) data, from per-thread partials."""
    cdef int nbins = 65536
    if U is uint8_t:
        nbins = 256
    cdef Py_ssize_t n = src.shape[0], nb, b, i, e, k
    cdef int nt = max(1, min(nthreads, <int>((n + BLOCK - 1) // BLOCK)))
    cdef int64_t *part = <int64_t *> calloc(<size_t>nt * nbins, sizeof(int64_t))
    if part == NULL:
        raise MemoryError("histogram_int: out of memory")
    cdef int64_t *h
    out = np.zeros(nbins, np.int64)
    cdef int64_t[::1] o = out
    nb = (n + BLOCK - 1) // BLOCK
    try:
        with nogil:
            for b in prange(nb, num_threads=nt, schedule='static'):
                h = part + <Py_ssize_t>threadid() * nbins
                e = min(n, (b + 1) * BLOCK)
                for i in range(b * BLOCK, e):
                    h[<Py_ssize_t>src[i]] += 1
            for b in range(nt):
                for k in range(nbins):
                    o[k] += part[b * nbins + k]
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
    cdef Py_ssize_t n = hist.shape[0], i, t1, t2, t3
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
