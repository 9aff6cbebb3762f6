/* Vector-math declarations shared by the fast-math kernel files (vmath.c, rnn_cell.c). */
#ifndef DH_MVEC_H
#define DH_MVEC_H
#include <math.h>

/* glibc declares the libmvec variants only when __FAST_MATH__ is defined, which
 * -fno-finite-math-only turns off; declare them here (same attribute glibc uses). Only when
 * the build found libmvec (DH_HAVE_MVEC) and only the functions the running glibc exports:
 * exp, log, sin, cos and pow since 2.22, the others since 2.35. Elsewhere the loops call the
 * scalar libm functions (correct, slower). */
#if DH_HAVE_MVEC && defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 22))
#define DH_SIMD __attribute__((__simd__("notinbranch")))
DH_SIMD float expf(float); DH_SIMD double exp(double);
DH_SIMD float logf(float); DH_SIMD double log(double);
DH_SIMD float sinf(float); DH_SIMD double sin(double);
DH_SIMD float cosf(float); DH_SIMD double cos(double);
DH_SIMD float powf(float, float); DH_SIMD double pow(double, double);
#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 35
DH_SIMD float log2f(float); DH_SIMD double log2(double);
DH_SIMD float log10f(float); DH_SIMD double log10(double);
DH_SIMD float tanf(float); DH_SIMD double tan(double);
DH_SIMD float asinf(float); DH_SIMD double asin(double);
DH_SIMD float acosf(float); DH_SIMD double acos(double);
DH_SIMD float atanf(float); DH_SIMD double atan(double);
DH_SIMD float sinhf(float); DH_SIMD double sinh(double);
DH_SIMD float coshf(float); DH_SIMD double cosh(double);
DH_SIMD float tanhf(float); DH_SIMD double tanh(double);
#endif
#endif

/* With e = exp(-|v|) <= 1 nothing overflows: sigmoid(v) = 1/(1+e) for v >= 0 and e/(1+e)
 * for v < 0, which keeps full relative accuracy down to the subnormal results. */
#define DH_SIGMOID(v, e, one) ((v) >= 0 ? (one) / ((one) + (e)) : (e) / ((one) + (e)))

#endif
