# cython: language_level=3
"""The Cython vocabulary of ecvl's kernels, cimported by each of them: the pixel types an
image may hold, OpenCV's rounding and its saturating store.

``cimport``-ed as ``from ecvl._pixel cimport pixel_t, store_sat, ...``; everything here is
inline, so there is no compiled module behind it.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t

# Every dtype an ecvl image may hold (ecvl.imgproc's SUPPORTED_DTYPES).
ctypedef fused pixel_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    int32_t
    int64_t
    float
    double

# x86-64 without SSE4.1 has no floor/rint instructions, so floor() and rint() become libm
# calls; cvtsd2si rounds half to even in one instruction (OpenCV's cvRound does the same).
cdef extern from *:
    """
    #ifndef ECVL_PIXEL_ROUND_H
    #define ECVL_PIXEL_ROUND_H
    #include <math.h>
    #include <stdint.h>
    #if defined(__SSE2__) && defined(__x86_64__)
    #include <emmintrin.h>
    static inline int geom_round(double v) { return _mm_cvtsd_si32(_mm_set_sd(v)); }
    static inline int64_t geom_round64(double v) { return _mm_cvtsd_si64(_mm_set_sd(v)); }
    #else
    static inline int geom_round(double v) { return (int)lrint(v); }
    static inline int64_t geom_round64(double v) { return (int64_t)llrint(v); }
    #endif
    /* floor for |v| < 2^31 (callers clamp first). */
    static inline int64_t geom_floor(double v) { int64_t i = (int64_t)v; return i - (i > v); }
    #endif
    """
    int geom_round(double v) nogil
    int64_t geom_round64(double v) nogil
    int64_t geom_floor(double v) nogil


cdef inline double clamp(double v, double lo, double hi) noexcept nogil:
    return lo if v < lo else (hi if v > hi else v)


cdef inline uint8_t sat_u8(int v) noexcept nogil:
    return <uint8_t>(0 if v < 0 else (255 if v > 255 else v))


cdef inline void store_sat(pixel_t* p, double v) noexcept nogil:
    # Saturate, then round half to even (OpenCV's saturate_cast); NaN stores 0 or INT_MIN.
    if pixel_t is float or pixel_t is double:
        p[0] = <pixel_t>v
    elif pixel_t is uint8_t:
        p[0] = <uint8_t>geom_round(clamp(v, 0.0, 255.0))
    elif pixel_t is int8_t:
        p[0] = <int8_t>geom_round(clamp(v, -128.0, 127.0))
    elif pixel_t is uint16_t:
        p[0] = <uint16_t>geom_round(clamp(v, 0.0, 65535.0))
    elif pixel_t is int16_t:
        p[0] = <int16_t>geom_round(clamp(v, -32768.0, 32767.0))
    elif pixel_t is int32_t:
        p[0] = <int32_t>geom_round(clamp(v, -2147483648.0, 2147483647.0))
    else:
        if v >= 9.223372036854775807e18:
            p[0] = <pixel_t>0x7FFFFFFFFFFFFFFF
        elif v <= -9.223372036854775808e18:
            p[0] = <pixel_t>(-0x7FFFFFFFFFFFFFFF - 1)
        else:
            p[0] = <pixel_t>geom_round64(v)
