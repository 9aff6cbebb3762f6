/* Transcendental kernels. This file alone is compiled with fast-math (without finite-math-only,
 * so inf and NaN keep their meaning): that is what lets GCC replace the scalar libm calls of a
 * `omp simd` loop by glibc's vector math library (libmvec). */
#include <math.h>
#include "dh_kernels.h"

#include "dh_mvec.h"

#define DH_UNARY(name, T, sfx, expr)                                                    \
    DH_ISA_INLINE void name##_##sfx##_impl(const T *x, T *y, dh_int n, T p, T q) {      \
        (void)p; (void)q;                                                               \
        _Pragma("omp simd")                                                             \
        for (dh_int i = 0; i < n; i++) { const T v = x[i]; y[i] = (expr); }             \
    }                                                                                   \
    DH_ISA_VOID(static, name##_##sfx, (const T *x, T *y, dh_int n, T p, T q), (x, y, n, p, q))

#define DH_BOTH(name, ef, ed) DH_UNARY(name, float, f32, ef) DH_UNARY(name, double, f64, ed)

DH_BOTH(vexp, expf(v), exp(v))
DH_BOTH(vlog, logf(v), log(v))
DH_BOTH(vlog2, log2f(v), log2(v))
DH_BOTH(vlog10, log10f(v), log10(v))
DH_BOTH(vsin, sinf(v), sin(v))
DH_BOTH(vcos, cosf(v), cos(v))
DH_BOTH(vtan, tanf(v), tan(v))
DH_BOTH(vasin, asinf(v), asin(v))
DH_BOTH(vacos, acosf(v), acos(v))
DH_BOTH(vatan, atanf(v), atan(v))
DH_BOTH(vsinh, sinhf(v), sinh(v))
DH_BOTH(vcosh, coshf(v), cosh(v))
DH_BOTH(vtanh, tanhf(v), tanh(v))
DH_BOTH(vsigmoid, DH_SIGMOID(v, expf(-fabsf(v)), 1.0f), DH_SIGMOID(v, exp(-fabs(v)), 1.0))
DH_BOTH(vpows, powf(v, p), pow(v, p))
DH_BOTH(vsqrt, sqrtf(v), sqrt(v))

#define DH_TABLE(sfx)                                                                   \
    {vexp_##sfx, vlog_##sfx, vlog2_##sfx, vlog10_##sfx, vsin_##sfx, vcos_##sfx,         \
     vtan_##sfx, vasin_##sfx, vacos_##sfx, vatan_##sfx, vsinh_##sfx, vcosh_##sfx,        \
     vtanh_##sfx, vsigmoid_##sfx, vpows_##sfx, vsqrt_##sfx}

const dh_unary_f32 dh_vm_unary_f32[DH_N_VM] = DH_TABLE(f32);
const dh_unary_f64 dh_vm_unary_f64[DH_N_VM] = DH_TABLE(f64);

#define DH_POWFN(T, sfx, fn)                                                            \
    DH_ISA_INLINE void dh_pow_##sfx##_impl(const T *a, dh_int as, const T *b, dh_int bs, \
                                           T *z, dh_int n) {                            \
        if (as && bs) {                                                                 \
            _Pragma("omp simd")                                                         \
            for (dh_int i = 0; i < n; i++) z[i] = fn(a[i], b[i]);                       \
        } else if (bs) {                                                                \
            const T s = a[0];                                                           \
            _Pragma("omp simd")                                                         \
            for (dh_int i = 0; i < n; i++) z[i] = fn(s, b[i]);                          \
        } else if (as) {                                                                \
            const T s = b[0];                                                           \
            _Pragma("omp simd")                                                         \
            for (dh_int i = 0; i < n; i++) z[i] = fn(a[i], s);                          \
        } else {                                                                        \
            const T s = fn(a[0], b[0]);                                                 \
            for (dh_int i = 0; i < n; i++) z[i] = s;                                    \
        }                                                                               \
    }                                                                                   \
    DH_ISA_VOID(, dh_pow_##sfx, (const T *a, dh_int as, const T *b, dh_int bs, T *z,    \
                                 dh_int n), (a, as, b, bs, z, n))

DH_POWFN(float, f32, powf)
DH_POWFN(double, f64, pow)
