/* Memory-bound element-wise kernels and reductions, compiled with strict IEEE semantics
 * (no fast-math: NaN must propagate through relu/clamp/max exactly as in NumPy). */
#include <math.h>
#include "dh_kernels.h"

#define DH_PRAGMA(x) _Pragma(#x)

#define DH_UNARY(name, T, sfx, expr)                                                    \
    DH_CLONES static void name##_##sfx(const T *x, T *y, dh_int n, T p, T q) {          \
        (void)p; (void)q;                                                               \
        _Pragma("omp simd")                                                             \
        for (dh_int i = 0; i < n; i++) { const T v = x[i]; y[i] = (expr); }             \
    }
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
    DH_CLONES static void name##_##sfx(const T *a, dh_int as, const T *b, dh_int bs,    \
                                       T *z, dh_int n) {                                \
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
    }
#define DH_BIN_BOTH(name, OP) DH_BINARY(name, float, f32, OP) DH_BINARY(name, double, f64, OP)

DH_BIN_BOTH(add, +)
DH_BIN_BOTH(sub, -)
DH_BIN_BOTH(mul, *)
DH_BIN_BOTH(dvd, /)

const dh_binary_f32 dh_ew_binary_f32[DH_POW] = {add_f32, sub_f32, mul_f32, dvd_f32};
const dh_binary_f64 dh_ew_binary_f64[DH_POW] = {add_f64, sub_f64, mul_f64, dvd_f64};

/* Sums: blocks of 256 summed with vector lanes, block sums accumulated in double. The error
 * grows with n/256 + 256/lanes instead of n. */
#define DH_SUM(T, sfx)                                                                  \
    DH_CLONES double dh_sum_##sfx(const T *x, dh_int n) {                               \
        double total = 0.0;                                                             \
        for (dh_int i0 = 0; i0 < n; i0 += 256) {                                        \
            const dh_int i1 = n - i0 < 256 ? n : i0 + 256;                              \
            double s = 0.0;                                                             \
            _Pragma("omp simd reduction(+:s)")                                          \
            for (dh_int i = i0; i < i1; i++) s += (double)x[i];                         \
            total += s;                                                                 \
        }                                                                               \
        return total;                                                                   \
    }
DH_SUM(float, f32)
DH_SUM(double, f64)

/* Max/min: vector lanes keep the running extreme; a separate NaN count decides the result. */
#define DH_EXTREME(name, T, sfx, CMP)                                                   \
    DH_CLONES T dh_##name##_##sfx(const T *x, dh_int n) {                               \
        T m = x[0];                                                                     \
        int nan = 0;                                                                    \
        DH_PRAGMA(omp simd reduction(name:m) reduction(|:nan))                          \
        for (dh_int i = 0; i < n; i++) {                                                \
            const T v = x[i];                                                           \
            nan |= v != v;                                                              \
            m = v CMP m ? v : m;                                                        \
        }                                                                               \
        return nan ? (T)NAN : m;                                                        \
    }                                                                                   \
    dh_int dh_arg##name##_##sfx(const T *x, dh_int n) {                                 \
        const T m = dh_##name##_##sfx(x, n);                                            \
        if (m != m) {                                                                   \
            for (dh_int i = 0; i < n; i++) if (x[i] != x[i]) return i;                  \
        }                                                                               \
        for (dh_int i = 0; i < n; i++) if (x[i] == m) return i;                         \
        return 0;                                                                       \
    }                                                                                   \
    DH_CLONES void dh_acc##name##_##sfx(T *acc, const T *x, dh_int n) {                 \
        _Pragma("omp simd")                                                             \
        for (dh_int j = 0; j < n; j++) {                                                \
            const T v = x[j], a = acc[j];                                               \
            acc[j] = (v CMP a || v != v) && a == a ? v : a;                             \
        }                                                                               \
    }
DH_EXTREME(max, float, f32, >)
DH_EXTREME(max, double, f64, >)
DH_EXTREME(min, float, f32, <)
DH_EXTREME(min, double, f64, <)

#define DH_ACCSUM(T, sfx)                                                               \
    DH_CLONES void dh_accsum_##sfx(double *acc, const T *x, dh_int n) {                 \
        _Pragma("omp simd")                                                             \
        for (dh_int j = 0; j < n; j++) acc[j] += (double)x[j];                          \
    }
DH_ACCSUM(float, f32)
DH_ACCSUM(double, f64)
