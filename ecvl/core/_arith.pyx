# cython: language_level=3
"""Saturating element-wise kernels behind ecvl.core.arithmetic and ecvl.core.convert.

Inputs are validated by the Python callers (same length, C-contiguous, supported
types); the loops compute in double and round/clamp or wrap into the output type.
"""

from cython.parallel cimport prange
from libc.math cimport nearbyint, trunc
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t

ctypedef fused src_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    int32_t
    float
    double

ctypedef fused dst_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    int32_t
    float
    double

cdef enum:
    ADD = 0
    SUB = 1
    MUL = 2
    DIV = 3


cdef inline double _lo(dst_t* p) noexcept nogil:
    if dst_t is uint8_t or dst_t is uint16_t:
        return 0.0
    elif dst_t is int8_t:
        return -128.0
    elif dst_t is int16_t:
        return -32768.0
    elif dst_t is int32_t:
        return -2147483648.0
    else:
        return 0.0


cdef inline double _hi(dst_t* p) noexcept nogil:
    if dst_t is uint8_t:
        return 255.0
    elif dst_t is int8_t:
        return 127.0
    elif dst_t is uint16_t:
        return 65535.0
    elif dst_t is int16_t:
        return 32767.0
    elif dst_t is int32_t:
        return 2147483647.0
    else:
        return 0.0


cdef inline void _store(dst_t* out, Py_ssize_t i, double r, bint saturate, double lo, double hi) noexcept nogil:
    if dst_t is float or dst_t is double:
        out[i] = <dst_t>r
    else:
        if saturate:
            if r != r:
                r = 0.0
            r = nearbyint(r)
            if r < lo:
                r = lo
            elif r > hi:
                r = hi
            out[i] = <dst_t>r
        else:
            if r != r or r >= 9.2e18 or r <= -9.2e18:
                r = 0.0
            out[i] = <dst_t><int64_t>trunc(r)


cdef inline double _apply(double x, double y, int op, bint int_dst) noexcept nogil:
    if op == ADD:
        return x + y
    elif op == SUB:
        return x - y
    elif op == MUL:
        return x * y
    if int_dst and y == 0.0:
        return 0.0
    return x / y


def binop(const src_t[::1] a, const src_t[::1] b, dst_t[::1] out, int op, bint saturate, int nthreads):
    """out = a (op) b element-wise."""
    cdef Py_ssize_t i, n = out.shape[0]
    if n == 0:
        return
    cdef double lo = _lo(&out[0]), hi = _hi(&out[0])
    cdef bint int_dst = not (dst_t is float or dst_t is double)
    with nogil:
        for i in prange(n, num_threads=nthreads, schedule="static"):
            _store(&out[0], i, _apply(<double>a[i], <double>b[i], op, int_dst), saturate, lo, hi)


def binop_scalar(const src_t[::1] a, double s, dst_t[::1] out, int op, bint swap, bint saturate,
                 int nthreads):
    """out = a (op) s, or s (op) a when swap."""
    cdef Py_ssize_t i, n = out.shape[0]
    if n == 0:
        return
    cdef double lo = _lo(&out[0]), hi = _hi(&out[0])
    cdef bint int_dst = not (dst_t is float or dst_t is double)
    with nogil:
        if swap:
            for i in prange(n, num_threads=nthreads, schedule="static"):
                _store(&out[0], i, _apply(s, <double>a[i], op, int_dst), saturate, lo, hi)
        else:
            for i in prange(n, num_threads=nthreads, schedule="static"):
                _store(&out[0], i, _apply(<double>a[i], s, op, int_dst), saturate, lo, hi)


def cast(const src_t[::1] a, dst_t[::1] out, bint saturate, int nthreads):
    """out = saturate_cast(a) (or a C cast when not saturate)."""
    cdef Py_ssize_t i, n = out.shape[0]
    if n == 0:
        return
    cdef double lo = _lo(&out[0]), hi = _hi(&out[0])
    with nogil:
        for i in prange(n, num_threads=nthreads, schedule="static"):
            _store(&out[0], i, <double>a[i], saturate, lo, hi)
