/* Rounding helpers for the geometric kernels.
 *
 * x86-64 without SSE4.1 has no floor/rint instructions, so floor() and rint() become libm
 * calls; cvtsd2si rounds half to even in one instruction (OpenCV's cvRound does the same).
 */
#ifndef ECVL_GEOMMATH_H
#define ECVL_GEOMMATH_H
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
