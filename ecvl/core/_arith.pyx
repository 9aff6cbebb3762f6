# cython: language_level=3
"""Saturating element-wise kernels behind ecvl.core.arithmetic and ecvl.core.convert.

Inputs are validated by the Python callers (same length, C-contiguous, supported
types, an integer destination only with saturation). Integer operands are combined
exactly in int64 and clamped; anything involving a float goes through double and is
rounded half to even and clamped into an integer destination.
"""

from cython.parallel cimport prange
from libc.math cimport trunc
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

# Adding and subtracting 1.5 * 2**52 rounds a double of magnitude < 2**51 to the nearest
# integer, ties to even, in a way compilers vectorise (unlike a call to rint).
cdef extern from *:
    """
    #define ECVL_ROUNDER 6755399441055744.0
    """
    double ROUNDER "ECVL_ROUNDER"


# uint8 saturating add/sub in the idiom compilers turn into paddusb/psubusb (baseline x86-64
# has no 32-bit min/max, so the widened int form does not vectorise well).
cdef extern from *:
    """
    #include <stdint.h>
    #include <stddef.h>
    static void ecvl_addsat_u8(const uint8_t *a, const uint8_t *b, uint8_t *o, ptrdiff_t n)
    {
        ptrdiff_t i;
        for (i = 0; i < n; i++) {
            uint8_t s = (uint8_t)(a[i] + b[i]);
            o[i] = (uint8_t)(s | -(uint8_t)(s < a[i]));
        }
    }
    static void ecvl_subsat_u8(const uint8_t *a, const uint8_t *b, uint8_t *o, ptrdiff_t n)
    {
        ptrdiff_t i;
        for (i = 0; i < n; i++) {
            uint8_t s = (uint8_t)(a[i] - b[i]);
            o[i] = (uint8_t)(s & -(uint8_t)(s <= a[i]));
        }
    }
    static void ecvl_addsat_u8_k(const uint8_t *a, uint8_t k, uint8_t *o, ptrdiff_t n)
    {
        ptrdiff_t i;
        for (i = 0; i < n; i++) {
            uint8_t s = (uint8_t)(a[i] + k);
            o[i] = (uint8_t)(s | -(uint8_t)(s < a[i]));
        }
    }
    static void ecvl_subsat_u8_k(const uint8_t *a, uint8_t k, uint8_t *o, ptrdiff_t n)
    {
        ptrdiff_t i;
        for (i = 0; i < n; i++) {
            uint8_t s = (uint8_t)(a[i] - k);
            o[i] = (uint8_t)(s & -(uint8_t)(s <= a[i]));
        }
    }
    /* o = min(a * k, 255) for an integral k in [0, 255]: 16-bit products, which vectorise
     * (the generic loop widens every element to int64) */
    static void ecvl_mulsat_u8_k(const uint8_t *a, uint16_t k, uint8_t *o, ptrdiff_t n)
    {
        ptrdiff_t i;
        for (i = 0; i < n; i++) {
            const uint16_t p = (uint16_t)(a[i] * k);
            o[i] = (uint8_t)(p < 255 ? p : 255);
        }
    }
    """
    void ecvl_mulsat_u8_k(const uint8_t* a, uint16_t k, uint8_t* o, Py_ssize_t n) nogil
    void ecvl_addsat_u8_k(const uint8_t* a, uint8_t k, uint8_t* o, Py_ssize_t n) nogil
    void ecvl_subsat_u8_k(const uint8_t* a, uint8_t k, uint8_t* o, Py_ssize_t n) nogil
    void ecvl_addsat_u8(const uint8_t* a, const uint8_t* b, uint8_t* o, Py_ssize_t n) nogil
    void ecvl_subsat_u8(const uint8_t* a, const uint8_t* b, uint8_t* o, Py_ssize_t n) nogil


cdef inline double _lo(dst_t* tag) noexcept nogil:
    if dst_t is int8_t:
        return -128.0
    elif dst_t is int16_t:
        return -32768.0
    elif dst_t is int32_t:
        return -2147483648.0
    else:
        return 0.0


cdef inline double _hi(dst_t* tag) noexcept nogil:
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


cdef inline dst_t _from_double(double r, double lo, double hi, bint saturate, dst_t* tag) noexcept nogil:
    if dst_t is float or dst_t is double:
        return <dst_t>r
    else:
        if saturate:
            if r != r:
                r = 0.0
            if r < lo:
                r = lo
            if r > hi:
                r = hi
            r = (r + ROUNDER) - ROUNDER
            return <dst_t>r
        if r != r or r >= 9.2e18 or r <= -9.2e18:
            r = 0.0
        return <dst_t><int64_t>trunc(r)


cdef inline dst_t _from_int(int64_t v, int64_t lo, int64_t hi, dst_t* tag) noexcept nogil:
    if dst_t is float or dst_t is double:
        return <dst_t>v
    else:
        if v < lo:
            v = lo
        if v > hi:
            v = hi
        return <dst_t>v


cdef inline dst_t _from_i32(int v, int lo, int hi, dst_t* tag) noexcept nogil:
    if dst_t is float or dst_t is double:
        return <dst_t>v
    else:
        if v < lo:
            v = lo
        if v > hi:
            v = hi
        return <dst_t>v


# Work is split into chunks run by the threads; each chunk is a plain loop over pointers,
# which the C compiler vectorises (a prange loop body on its own is not).
cdef enum:
    CHUNK = 32768


cdef void _int_range(const src_t* a, const src_t* b, dst_t* o, Py_ssize_t n, int op,
                     double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    cdef int lo32 = <int>lo if lo > -2147483648.0 else -2147483647 - 1
    cdef int hi32 = <int>hi if hi < 2147483647.0 else 2147483647
    cdef int64_t lo64 = <int64_t>lo, hi64 = <int64_t>hi
    if dst_t is float or dst_t is double:
        lo32, hi32 = -2147483647 - 1, 2147483647
        lo64, hi64 = -9223372036854775807 - 1, 9223372036854775807
    if src_t is int32_t:
        if op == ADD:
            for i in range(n):
                o[i] = _from_int(<int64_t>a[i] + <int64_t>b[i], lo64, hi64, o)
        elif op == SUB:
            for i in range(n):
                o[i] = _from_int(<int64_t>a[i] - <int64_t>b[i], lo64, hi64, o)
        else:
            for i in range(n):
                o[i] = _from_int(<int64_t>a[i] * <int64_t>b[i], lo64, hi64, o)
    elif src_t is float or src_t is double:
        pass
    elif src_t is uint8_t and dst_t is uint8_t and op == ADD:
        ecvl_addsat_u8(a, b, o, n)
    elif src_t is uint8_t and dst_t is uint8_t and op == SUB:
        ecvl_subsat_u8(a, b, o, n)
    else:
        if op == ADD:
            for i in range(n):
                o[i] = _from_i32(<int>a[i] + <int>b[i], lo32, hi32, o)
        elif op == SUB:
            for i in range(n):
                o[i] = _from_i32(<int>a[i] - <int>b[i], lo32, hi32, o)
        else:
            for i in range(n):
                o[i] = _from_double(<double>a[i] * <double>b[i], lo, hi, True, o)


cdef void _float_range(const src_t* a, const src_t* b, dst_t* o, Py_ssize_t n, int op,
                       double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint int_dst = not (dst_t is float or dst_t is double)
    if op == ADD:
        for i in range(n):
            o[i] = _from_double(<double>a[i] + <double>b[i], lo, hi, True, o)
    elif op == SUB:
        for i in range(n):
            o[i] = _from_double(<double>a[i] - <double>b[i], lo, hi, True, o)
    elif op == MUL:
        for i in range(n):
            o[i] = _from_double(<double>a[i] * <double>b[i], lo, hi, True, o)
    else:
        for i in range(n):
            if int_dst and <double>b[i] == 0.0:
                o[i] = _from_double(0.0, lo, hi, True, o)
            else:
                o[i] = _from_double(<double>a[i] / <double>b[i], lo, hi, True, o)


def binop(const src_t[::1] a, const src_t[::1] b, dst_t[::1] out, int op, int nthreads):
    """out = a (op) b element-wise, saturated to the output type."""
    cdef Py_ssize_t c, start, m, n = out.shape[0]
    if n == 0:
        return
    cdef dst_t* o = &out[0]
    cdef const src_t* pa = &a[0]
    cdef const src_t* pb = &b[0]
    cdef double lo = _lo(o), hi = _hi(o)
    cdef Py_ssize_t nchunks = (n + CHUNK - 1) // CHUNK
    cdef bint use_float = (src_t is float or src_t is double) or op == DIV
    with nogil:
        for c in prange(nchunks, num_threads=nthreads, schedule="static"):
            start = c * CHUNK
            m = n - start if n - start < CHUNK else CHUNK
            if use_float:
                _float_range(pa + start, pb + start, o + start, m, op, lo, hi)
            else:
                _int_range(pa + start, pb + start, o + start, m, op, lo, hi)


cdef void _scalar_range(const src_t* a, double s, dst_t* o, Py_ssize_t n, int op, bint swap,
                        double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t ilo = <int64_t>lo, ihi = <int64_t>hi, si = <int64_t>s
    cdef bint int_dst = not (dst_t is float or dst_t is double)
    cdef bint exact = (not (src_t is float or src_t is double) and <double>si == s
                       and -2147483648.0 <= s <= 2147483647.0)
    cdef double x
    if not int_dst:
        ilo, ihi = -9223372036854775807 - 1, 9223372036854775807
    if src_t is uint8_t and dst_t is uint8_t:
        # a + k saturates like a - (-k); |k| >= 255 saturates like |k| = 255.
        if exact and (op == ADD or (op == SUB and not swap)):
            if op == SUB:
                si = -si
            if si >= 0:
                ecvl_addsat_u8_k(a, <uint8_t>(si if si < 255 else 255), o, n)
            else:
                ecvl_subsat_u8_k(a, <uint8_t>(-si if -si < 255 else 255), o, n)
            return
        if op == MUL and exact and 0 <= si <= 255:
            ecvl_mulsat_u8_k(a, <uint16_t>si, o, n)
            return
    if op == ADD and exact:
        for i in range(n):
            o[i] = _from_int(<int64_t>a[i] + si, ilo, ihi, o)
    elif op == SUB and exact and not swap:
        for i in range(n):
            o[i] = _from_int(<int64_t>a[i] - si, ilo, ihi, o)
    elif op == SUB and exact:
        for i in range(n):
            o[i] = _from_int(si - <int64_t>a[i], ilo, ihi, o)
    elif op == MUL and exact:
        for i in range(n):
            o[i] = _from_int(<int64_t>a[i] * si, ilo, ihi, o)
    elif op == ADD:
        for i in range(n):
            o[i] = _from_double(<double>a[i] + s, lo, hi, True, o)
    elif op == SUB and not swap:
        for i in range(n):
            o[i] = _from_double(<double>a[i] - s, lo, hi, True, o)
    elif op == SUB:
        for i in range(n):
            o[i] = _from_double(s - <double>a[i], lo, hi, True, o)
    elif op == MUL:
        for i in range(n):
            o[i] = _from_double(<double>a[i] * s, lo, hi, True, o)
    elif op == DIV and not swap:
        for i in range(n):
            if int_dst and s == 0.0:
                o[i] = _from_double(0.0, lo, hi, True, o)
            else:
                o[i] = _from_double(<double>a[i] / s, lo, hi, True, o)
    else:
        for i in range(n):
            x = <double>a[i]
            if int_dst and x == 0.0:
                o[i] = _from_double(0.0, lo, hi, True, o)
            else:
                o[i] = _from_double(s / x, lo, hi, True, o)


def binop_scalar(const src_t[::1] a, double s, dst_t[::1] out, int op, bint swap, int nthreads):
    """out = a (op) s, or s (op) a when swap, saturated to the output type."""
    cdef Py_ssize_t c, start, m, n = out.shape[0]
    if n == 0:
        return
    cdef dst_t* o = &out[0]
    cdef const src_t* pa = &a[0]
    cdef double lo = _lo(o), hi = _hi(o)
    cdef Py_ssize_t nchunks = (n + CHUNK - 1) // CHUNK
    with nogil:
        for c in prange(nchunks, num_threads=nthreads, schedule="static"):
            start = c * CHUNK
            m = n - start if n - start < CHUNK else CHUNK
            _scalar_range(pa + start, s, o + start, m, op, swap, lo, hi)


cdef void _cast_range(const src_t* a, dst_t* o, Py_ssize_t n, bint saturate,
                      double lo, double hi) noexcept nogil:
    cdef Py_ssize_t i
    cdef int64_t ilo = <int64_t>lo, ihi = <int64_t>hi
    if dst_t is float or dst_t is double:
        ilo, ihi = -9223372036854775807 - 1, 9223372036854775807
    if src_t is float or src_t is double:
        for i in range(n):
            o[i] = _from_double(<double>a[i], lo, hi, saturate, o)
    elif saturate:
        for i in range(n):
            o[i] = _from_int(<int64_t>a[i], ilo, ihi, o)
    else:
        for i in range(n):
            o[i] = <dst_t>a[i]


def cast(const src_t[::1] a, dst_t[::1] out, bint saturate, int nthreads):
    """out = saturate_cast(a) (or a C cast when not saturate)."""
    cdef Py_ssize_t c, start, m, n = out.shape[0]
    if n == 0:
        return
    cdef dst_t* o = &out[0]
    cdef const src_t* pa = &a[0]
    cdef double lo = _lo(o), hi = _hi(o)
    cdef Py_ssize_t nchunks = (n + CHUNK - 1) // CHUNK
    with nogil:
        for c in prange(nchunks, num_threads=nthreads, schedule="static"):
            start = c * CHUNK
            m = n - start if n - start < CHUNK else CHUNK
            _cast_range(pa + start, o + start, m, saturate, lo, hi)
