# cython: language_level=3
"""Normalization kernels on ``A x C x L`` views with one statistic per ``C`` index.

Batch normalization uses ``N x C x spatial`` (statistics over batch and space per channel);
group and layer normalization use ``1 x (N * groups) x rest`` (one statistic per sample and
group). Sums are accumulated in double precision; the variance is computed in a second pass
around the mean (no cancellation).
"""

from cython.parallel cimport prange
from libc.math cimport sqrt

ctypedef fused real:
    float
    double


# Row sums in eight lanes of the input type, flushed to double every _BLOCK values: the lanes
# vectorise (one double accumulator is a chain of dependent adds, ~4 cycles per value), and
# the flush keeps float rounding from building up over long rows.
DEF _LANES = 8
DEF _BLOCK = 1024


cdef inline double _sum_dev(const real* p, Py_ssize_t n, real m, bint square) noexcept nogil:
    """``sum(p - m)`` or, with ``square``, ``sum((p - m)**2)`` over ``p[0:n]``."""
    cdef real acc[_LANES]
    cdef real d
    cdef Py_ssize_t i, j, b, end, n8 = n - n % _LANES
    cdef double s = 0
    for b in range(0, n8, _BLOCK):
        end = b + _BLOCK if b + _BLOCK < n8 else n8
        for j in range(_LANES):
            acc[j] = 0
        for i in range(b, end, _LANES):
            for j in range(_LANES):
                d = p[i + j] - m
                acc[j] = acc[j] + (d * d if square else d)
        for j in range(_LANES):
            s = s + acc[j]
    for i in range(n8, n):
        d = p[i] - m
        s = s + (d * d if square else d)
    return s


cdef inline void _sum_dy(const real* dy, const real* xh, Py_ssize_t n, double* s1,
                         double* s2) noexcept nogil:
    """``s1 += sum(dy)``, ``s2 += sum(dy * xh)`` over ``[0, n)``, in lanes as above."""
    cdef real a1[_LANES]
    cdef real a2[_LANES]
    cdef Py_ssize_t i, j, b, end, n8 = n - n % _LANES
    for b in range(0, n8, _BLOCK):
        end = b + _BLOCK if b + _BLOCK < n8 else n8
        for j in range(_LANES):
            a1[j] = 0
            a2[j] = 0
        for i in range(b, end, _LANES):
            for j in range(_LANES):
                a1[j] = a1[j] + dy[i + j]
                a2[j] = a2[j] + dy[i + j] * xh[i + j]
        for j in range(_LANES):
            s1[0] = s1[0] + a1[j]
            s2[0] = s2[0] + a2[j]
    for i in range(n8, n):
        s1[0] = s1[0] + dy[i]
        s2[0] = s2[0] + dy[i] * xh[i]


cdef void _check(real[:, :, ::1] x, Py_ssize_t nvec, str what) except *:
    if nvec != x.shape[1]:
        raise ValueError(f"{what}: {nvec} per-channel values for {x.shape[1]} channels")


def stats(real[:, :, ::1] x, real[::1] mean, real[::1] var, real[::1] invstd, double eps,
          int nt):
    """Per ``c``: ``mean``, biased ``var`` and ``invstd = 1 / sqrt(var + eps)`` over axes 0, 2."""
    _check(x, mean.shape[0], "stats")
    _check(x, var.shape[0], "stats")
    _check(x, invstd.shape[0], "stats")
    cdef Py_ssize_t A = x.shape[0], C = x.shape[1], L = x.shape[2], c, a
    cdef double s, m, d, cnt = <double>(A * L)
    if cnt == 0:
        raise ValueError("stats: empty reduction")
    cdef real* px = &x[0, 0, 0]
    with nogil:
        for c in prange(C, num_threads=nt, schedule='static'):
            s = 0
            for a in range(A):
                s = s + _sum_dev(px + (a * C + c) * L, L, <real>0, False)
            m = s / cnt
            # the mean rounded to the input type is subtracted; what that rounding leaves is
            # the mean of the deviations, removed exactly as in the two-pass formula
            d = 0
            s = 0
            for a in range(A):
                d = d + _sum_dev(px + (a * C + c) * L, L, <real>m, False)
                s = s + _sum_dev(px + (a * C + c) * L, L, <real>m, True)
            d = d / cnt
            s = s - cnt * d * d
            if s < 0:
                s = 0
            mean[c] = <real>m
            var[c] = <real>(s / cnt)
            invstd[c] = <real>(1.0 / sqrt(s / cnt + eps))


def affine(real[:, :, ::1] x, real[:, :, ::1] y, real[::1] scale, real[::1] shift, int nt):
    """``y[a, c, l] = x[a, c, l] * scale[c] + shift[c]`` (``y`` may be ``x``)."""
    _check(x, scale.shape[0], "affine")
    _check(x, shift.shape[0], "affine")
    if x.shape[0] != y.shape[0] or x.shape[1] != y.shape[1] or x.shape[2] != y.shape[2]:
        raise ValueError("affine: x and y shapes differ")
    cdef Py_ssize_t A = x.shape[0], C = x.shape[1], L = x.shape[2], t, l, c
    cdef real sc, sh
    with nogil:
        for t in prange(A * C, num_threads=nt, schedule='static'):
            c = t % C
            sc = scale[c]
            sh = shift[c]
            for l in range(L):
                y[t // C, c, l] = x[t // C, c, l] * sc + sh


def backward(real[:, :, ::1] xhat, real[:, :, ::1] dy, real[::1] gamma, real[::1] invstd,
             real[:, :, ::1] dx, real[::1] sum_dy, real[::1] sum_dy_xhat, bint acc, int nt):
    """Gradient through ``y = gamma * xhat`` with ``xhat`` normalized by batch statistics.

    ``sum_dy`` and ``sum_dy_xhat`` receive the per-``c`` sums (the shift and scale gradients);
    ``dx (=|+=) gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))``. ``dx`` may be
    empty (0 samples) when no input gradient is needed.
    """
    for v, n in ((gamma, "gamma"), (invstd, "invstd"), (sum_dy, "sum_dy"),
                 (sum_dy_xhat, "sum_dy_xhat")):
        _check(xhat, v.shape[0], n)
    if (xhat.shape[0] != dy.shape[0] or xhat.shape[1] != dy.shape[1]
            or xhat.shape[2] != dy.shape[2]):
        raise ValueError("backward: xhat and dy shapes differ")
    cdef bint want_dx = dx.shape[0] != 0
    if want_dx and (dx.shape[0] != dy.shape[0] or dx.shape[1] != dy.shape[1]
                    or dx.shape[2] != dy.shape[2]):
        raise ValueError("backward: dx and dy shapes differ")
    cdef Py_ssize_t A = xhat.shape[0], C = xhat.shape[1], L = xhat.shape[2], c, a, l
    cdef double s1, s2, k, m1, m2, cnt = <double>(A * L)
    if cnt == 0:
        raise ValueError("backward: empty reduction")
    cdef real* pdy = &dy[0, 0, 0]
    cdef real* pxh = &xhat[0, 0, 0]
    with nogil:
        for c in prange(C, num_threads=nt, schedule='static'):
            s1 = 0
            s2 = 0
            for a in range(A):
                _sum_dy(pdy + (a * C + c) * L, pxh + (a * C + c) * L, L, &s1, &s2)
            sum_dy[c] = <real>s1
            sum_dy_xhat[c] = <real>s2
            if want_dx:
                k = gamma[c] * invstd[c]
                m1 = s1 / cnt
                m2 = s2 / cnt
                for a in range(A):
                    for l in range(L):
                        if acc:
                            dx[a, c, l] += <real>(k * (dy[a, c, l] - m1 - xhat[a, c, l] * m2))
                        else:
                            dx[a, c, l] = <real>(k * (dy[a, c, l] - m1 - xhat[a, c, l] * m2))
