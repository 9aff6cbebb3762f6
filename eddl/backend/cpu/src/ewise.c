/* Memory-bound element-wise kernels and reductions, compiled with strict IEEE semantics
 * (no fast-math: NaN must propagate through relu/clamp/max exactly as in NumPy). */
#include <math.h>
#include "dh_kernels.h"


#define DH_UNARY(name, T, sfx, expr)                                                    \
    DH_ISA_INLINE void name##_##sfx##_impl(const T *x, T *y, dh_int n, T p, T q) {      \
        (void)p; (void)q;                                                               \
        _Pragma("omp simd")                                                             \
        for (dh_int i = 0; i < n; i++) { const T v = x[i]; y[i] = (expr); }             \
    }                                                                                   \
    DH_ISA_VOID(static, name##_##sfx, (const T *x, T *y, dh_int n, T p, T q), (x, y, n, p, q))
#define DH_BOTH(name, e) DH_UNARY(name, float, f32, e) DH_UNARY(name, double, f64, e)

/* Written so that a NaN input fails every comparison and passes through. */
DH_BOTH(relu, v <= 0 ? 0 : v)  /* -0 gives +0, as np.maximum(x, 0) */
/* min(max(v, lo), hi) like np.clip, so lo > hi gives hi. */
DH_BOTH(clamp, (v < p ? p : v) > q ? q : (v < p ? p : v))
DH_BOTH(absv, fabs(v))
DH_BOTH(neg, -v)
DH_BOTH(sqr, v * v)

const dh_unary_f32 dh_ew_unary_f32[DH_N_EW] = {relu_f32, clamp_f32, absv_f32, neg_f32, sqr_f32};
const dh_unary_f64 dh_ew_unary_f64[DH_N_EW] = {relu_f64, clamp_f64, absv_f64, neg_f64, sqr_f64};

#define DH_BINARY(name, T, sfx, OP)                                                     \
    DH_ISA_INLINE void name##_##sfx##_impl(const T *a, dh_int as, const T *b, dh_int bs, \
                                           T *z, dh_int n) {                            \
        if (as && bs) {                                                                 \
            _Pragma("omp simd")                                                         \
            for (dh_int i = 0; i < n; i++) z[i] = a[i] OP b[i];                         \
        } else if (bs) {                                                                \
            const T s = a[0];                                                           \
            _Pragma("omp simd")                                                         \
            for (dh_int i = 0; i < n; i++) z[i] = s OP b[i];                            \
        } else if (as) {                                                                \
            const T s = b[0];                                                           \
            _Pragma("omp simd")                                                         \
            for (dh_int i = 0; i < n; i++) z[i] = a[i] OP s;                            \
        } else {                                                                        \
            const T s = a[0] OP b[0];                                                   \
            for (dh_int i = 0; i < n; i++) z[i] = s;                                    \
        }                                                                               \
    }                                                                                   \
    DH_ISA_VOID(static, name##_##sfx, (const T *a, dh_int as, const T *b, dh_int bs,    \
                                       T *z, dh_int n), (a, as, b, bs, z, n))
#define DH_BIN_BOTH(name, OP) DH_BINARY(name, float, f32, OP) DH_BINARY(name, double, f64, OP)

DH_BIN_BOTH(add, +)
DH_BIN_BOTH(sub, -)
DH_BIN_BOTH(mul, *)
DH_BIN_BOTH(dvd, /)

const dh_binary_f32 dh_ew_binary_f32[DH_POW] = {add_f32, sub_f32, mul_f32, dvd_f32};
const dh_binary_f64 dh_ew_binary_f64[DH_POW] = {add_f64, sub_f64, mul_f64, dvd_f64};

/* Sums: blocks of DH_BLOCK summed in DH_LANES independent double accumulators (several vector
 * registers, so the adds pipeline instead of waiting on one register), block sums accumulated
 * in double. The rounding error grows with DH_BLOCK/DH_LANES + n/DH_BLOCK instead of n; for
 * float32 input, double accumulation leaves it far below the result's half ulp. */
#define DH_BLOCK 2048
#define DH_LANES 16
#define DH_SUM(T, sfx)                                                                  \
    DH_ISA_INLINE double dh_sum_##sfx##_impl(const T *x, dh_int n) {                    \
        double total = 0.0, acc[DH_LANES];                                              \
        dh_int i0 = 0;                                                                  \
        for (; i0 + DH_BLOCK <= n; i0 += DH_BLOCK) {                                    \
            for (int j = 0; j < DH_LANES; j++) acc[j] = 0.0;                            \
            for (dh_int i = i0; i < i0 + DH_BLOCK; i += DH_LANES) {                     \
                _Pragma("omp simd")                                                     \
                for (int j = 0; j < DH_LANES; j++) acc[j] += (double)x[i + j];          \
            }                                                                           \
            double s = 0.0;                                                             \
            for (int j = 0; j < DH_LANES; j++) s += acc[j];                             \
            total += s;                                                                 \
        }                                                                               \
        double s = 0.0;                                                                 \
        for (dh_int i = i0; i < n; i++) s += (double)x[i];                              \
        return total + s;                                                               \
    }                                                                                   \
    DH_ISA_FN(, double, dh_sum_##sfx, (const T *x, dh_int n), (x, n))
DH_SUM(double, f64)

/* float32: leaves of 8 elements summed in float32 lanes (32 lanes = 4 AVX2 registers, as NumPy's
 * pairwise sum does at its leaves), every leaf sum then added into double lanes. A leaf adds at
 * most 7 * 2^-24 * sum(|x_leaf|) of error; everything above it is double, so the result is as
 * accurate as NumPy's pairwise float32 sum and usually within half an ulp, at the memory speed
 * of a float32 sum (converting every element to double costs twice the vector work). */
#define DH_FL 32
DH_ISA_INLINE double dh_sum_f32_impl(const float *x, dh_int n) {
    double dacc[DH_FL];
    float facc[DH_FL];
    dh_int i = 0;
    for (int j = 0; j < DH_FL; j++) dacc[j] = 0.0;
    for (; i + 8 * DH_FL <= n; i += 8 * DH_FL) {
        _Pragma("omp simd")
        for (int j = 0; j < DH_FL; j++) facc[j] = x[i + j];
        for (int k = 1; k < 8; k++) {
            _Pragma("omp simd")
            for (int j = 0; j < DH_FL; j++) facc[j] += x[i + k * DH_FL + j];
        }
        _Pragma("omp simd")
        for (int j = 0; j < DH_FL; j++) dacc[j] += (double)facc[j];
    }
    double s = 0.0;
    for (int j = 0; j < DH_FL; j++) s += dacc[j];
    for (; i < n; i++) s += (double)x[i];
    return s;
}
DH_ISA_FN(, double, dh_sum_f32, (const float *x, dh_int n), (x, n))

/* Max/min: DH_XLANES running extremes (independent vector registers) and a NaN flag. */
#define DH_XLANES 32
#define DH_EXTREME(name, T, sfx, CMP)                                                   \
    DH_ISA_INLINE T dh_##name##_##sfx##_impl(const T *x, dh_int n) {                    \
        T acc[DH_XLANES], m = x[0];                                                     \
        int nan = 0;                                                                    \
        dh_int i = 0;                                                                   \
        for (int j = 0; j < DH_XLANES; j++) acc[j] = x[0];                              \
        for (; i + DH_XLANES <= n; i += DH_XLANES) {                                    \
            _Pragma("omp simd reduction(|:nan)")                                        \
            for (int j = 0; j < DH_XLANES; j++) {                                       \
                const T v = x[i + j];                                                   \
                nan |= v != v;                                                          \
                acc[j] = v CMP acc[j] ? v : acc[j];                                     \
            }                                                                           \
        }                                                                               \
        for (; i < n; i++) {                                                            \
            const T v = x[i];                                                           \
            nan |= v != v;                                                              \
            m = v CMP m ? v : m;                                                        \
        }                                                                               \
        for (int j = 0; j < DH_XLANES; j++) m = acc[j] CMP m ? acc[j] : m;              \
        return nan ? (T)NAN : m;                                                        \
    }                                                                                   \
    DH_ISA_FN(, T, dh_##name##_##sfx, (const T *x, dh_int n), (x, n))                   \
    dh_int dh_arg##name##_##sfx(const T *x, dh_int n) {                                 \
        const T m = dh_##name##_##sfx(x, n);                                            \
        if (m != m) {                                                                   \
            for (dh_int i = 0; i < n; i++) if (x[i] != x[i]) return i;                  \
        }                                                                               \
        for (dh_int i = 0; i < n; i++) if (x[i] == m) return i;                         \
        return 0;                                                                       \
    }                                                                                   \
    DH_ISA_INLINE void dh_acc##name##_##sfx##_impl(T *acc, const T *x, dh_int n) {      \
        _Pragma("omp simd")                                                             \
        for (dh_int j = 0; j < n; j++) {                                                \
            const T v = x[j], a = acc[j];                                               \
            acc[j] = (v CMP a || v != v) && a == a ? v : a;                             \
        }                                                                               \
    }                                                                                   \
    DH_ISA_VOID(, dh_acc##name##_##sfx, (T *acc, const T *x, dh_int n), (acc, x, n))
DH_EXTREME(max, float, f32, >)
DH_EXTREME(max, double, f64, >)
DH_EXTREME(min, float, f32, <)
DH_EXTREME(min, double, f64, <)

#define DH_ACCSUM(T, sfx)                                                               \
    DH_ISA_INLINE void dh_accsum_##sfx##_impl(double *acc, const T *x, dh_int n) {      \
        _Pragma("omp simd")                                                             \
        for (dh_int j = 0; j < n; j++) acc[j] += (double)x[j];                          \
    }                                                                                   \
    DH_ISA_VOID(, dh_accsum_##sfx, (double *acc, const T *x, dh_int n), (acc, x, n))
DH_ACCSUM(float, f32)
DH_ACCSUM(double, f64)
