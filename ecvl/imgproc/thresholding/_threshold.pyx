# cython: language_level=3
"""Threshold, look-up table and histogram kernels; Otsu searches on histograms."""
import numpy as np
from cython.parallel cimport prange, threadid
from libc.stdint cimport uint8_t, uint16_t, int64_t, uint32_t
from libc.stdlib cimport calloc, free
from ecvl._pixel cimport pixel_t

ctypedef fused U:
    uint8_t
    uint16_t

DEF BLOCK = 32768


cdef void _thr_block(const pixel_t *s, pixel_t *d, Py_ssize_t n, pixel_t th, pixel_t hi,
                     pixel_t lo) noexcept nogil:
    # plain pointers and locals so the compiler sees a simple, vectorisable loop
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = hi if s[i] > th else lo


def threshold(const pixel_t[::1] src, pixel_t[::1] dst, pixel_t th, pixel_t hi, pixel_t lo, int nthreads):
    """dst[i] = hi if src[i] > th else lo."""
    cdef Py_ssize_t n = src.shape[0], nb, b
    if dst.shape[0] != n:
        raise ValueError("threshold: src/dst sizes differ")
    if n == 0:
        return
    cdef const pixel_t *sp = &src[0]
    cdef pixel_t *dp = &dst[0]
    nb = (n + BLOCK - 1) // BLOCK
    with nogil:
        for b in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
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
