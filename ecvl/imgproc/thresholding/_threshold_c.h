/* The binary threshold loop, d[i] = s[i] > th ? hi : lo, for every pixel type of an image.
 *
 * One branch-free body per type, compiled as the run-time ISA clones of dh_isa.h: the
 * compiler turns it into a compare and a blend over whole vectors (64 bytes under AVX-512),
 * where the Cython loop it replaces was compiled for the baseline's 16 bytes only. NaN is
 * never greater than th, so it takes lo. */
#ifndef ECVL_THRESHOLD_C_H
#define ECVL_THRESHOLD_C_H
#include <stddef.h>
#include <stdint.h>

#include "dh_isa.h"

#define THR_DEFINE(T, NAME)                                                                 \
    DH_ISA_INLINE void NAME##_impl(const T *s, T *d, ptrdiff_t n, T th, T hi, T lo)        \
    {                                                                                       \
        ptrdiff_t i;                                                                        \
        for (i = 0; i < n; i++)                                                             \
            d[i] = s[i] > th ? hi : lo;                                                     \
    }                                                                                       \
    DH_ISA_VOID(static, NAME, (const T *s, T *d, ptrdiff_t n, T th, T hi, T lo),           \
                (s, d, n, th, hi, lo))

THR_DEFINE(uint8_t, thr_u8)
THR_DEFINE(int8_t, thr_i8)
THR_DEFINE(uint16_t, thr_u16)
THR_DEFINE(int16_t, thr_i16)
THR_DEFINE(int32_t, thr_i32)
THR_DEFINE(int64_t, thr_i64)
THR_DEFINE(float, thr_f32)
THR_DEFINE(double, thr_f64)

#undef THR_DEFINE
#endif
