/* Fused cells of the recurrent layers: one pass over a time step's rows applies the gate
 * non-linearities, the state update and the state write (forward), or every gate gradient
 * (backward). The GEMMs with the recurrent weights run between these passes (_rnn.pyx).
 *
 * Compiled with fast-math (without finite-math-only), as vmath.c, so that the `omp simd` loops
 * call libmvec's expf/tanhf; sigmoid is written as vmath.c's (DH_SIGMOID), so a fused layer
 * computes the activations the element-wise kernels compute.
 *
 * Layouts (row-major, one time step): gates `g` are [B, G*H] with the gates of a row side by
 * side (ONNX order: LSTM i, o, f, c; GRU z, r, h); states are [B, H]. `keep` is NULL or holds
 * one byte per row: 0 means the step does not run for that row (a masked or finished step):
 * its states are copied unchanged, its gate gradients are zero and the state gradient passes
 * through unchanged.
 */
#include <string.h>
#include "dh_kernels.h"
#include "dh_rnn.h"
#include "dh_mvec.h"

#define SIG_f32(v) DH_SIGMOID((v), expf(-fabsf(v)), 1.0f)
#define SIG_f64(v) DH_SIGMOID((v), exp(-fabs(v)), 1.0)
#define TANH_f32(v) tanhf(v)
#define TANH_f64(v) tanh(v)

#define DH_RNN_CELLS(T, sfx)                                                                  \
                                                                                              \
DH_ISA_INLINE void dh_lstm_fwd_##sfx##_impl(T *g, const T *c0, T *c1, T *tc, const T *h0,     \
                                            T *h1, const unsigned char *keep, dh_int B,       \
                                            dh_int H) {                                       \
    for (dh_int b = 0; b < B; b++) {                                                          \
        const T *cp = c0 + b * H, *hp = h0 + b * H;                                           \
        T *cn = c1 + b * H, *hn = h1 + b * H, *t = tc + b * H;                               \
        if (keep && !keep[b]) {                                                               \
            memcpy(cn, cp, (size_t)H * sizeof(T));                                            \
            memcpy(hn, hp, (size_t)H * sizeof(T));                                            \
            continue;                                                                         \
        }                                                                                     \
        T *gi = g + b * 4 * H, *go = gi + H, *gf = gi + 2 * H, *gc = gi + 3 * H;              \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T i = SIG_##sfx(gi[j]), o = SIG_##sfx(go[j]), f = SIG_##sfx(gf[j]);        \
            const T c = TANH_##sfx(gc[j]);                                                    \
            const T cc = f * cp[j] + i * c;                                                   \
            const T th = TANH_##sfx(cc);                                                      \
            gi[j] = i; go[j] = o; gf[j] = f; gc[j] = c;                                       \
            cn[j] = cc; t[j] = th; hn[j] = o * th;                                            \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_lstm_fwd_##sfx, (T *g, const T *c0, T *c1, T *tc, const T *h0, T *h1,        \
                                  const unsigned char *keep, dh_int B, dh_int H), (g, c0,     \
                                  c1, tc, h0, h1, keep, B, H))                                \
                                                                                              \
DH_ISA_INLINE void dh_lstm_bwd_##sfx##_impl(const T *g, const T *c0, const T *tc, T *dh,      \
                                            const T *dy, T *dc, T *dg, T *dh_prev,            \
                                            const unsigned char *keep, dh_int B, dh_int H) {  \
    for (dh_int b = 0; b < B; b++) {                                                          \
        T *d = dh + b * H, *dcr = dc + b * H, *dp = dh_prev + b * H;                          \
        T *di = dg + b * 4 * H, *dout = di + H, *df = di + 2 * H, *dcand = di + 3 * H;       \
        if (dy) {                                                                             \
            const T *y = dy + b * H;                                                          \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) d[j] += y[j];                                      \
        }                                                                                     \
        if (keep && !keep[b]) {                                                               \
            memset(di, 0, (size_t)(4 * H) * sizeof(T));                                       \
            memcpy(dp, d, (size_t)H * sizeof(T));                                             \
            continue;                                                                         \
        }                                                                                     \
        const T *gi = g + b * 4 * H, *go = gi + H, *gf = gi + 2 * H, *gc = gi + 3 * H;        \
        const T *cp = c0 + b * H, *t = tc + b * H;                                            \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T i = gi[j], o = go[j], f = gf[j], c = gc[j], th = t[j], dhj = d[j];        \
            const T dct = dhj * o * (1 - th * th) + dcr[j];                                   \
            dout[j] = dhj * th * o * (1 - o);                                                 \
            di[j] = dct * c * i * (1 - i);                                                    \
            df[j] = dct * cp[j] * f * (1 - f);                                                \
            dcand[j] = dct * i * (1 - c * c);                                                 \
            dcr[j] = dct * f;                                                                 \
            dp[j] = 0;                                                                        \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_lstm_bwd_##sfx, (const T *g, const T *c0, const T *tc, T *dh, const T *dy,   \
                                  T *dc, T *dg, T *dh_prev, const unsigned char *keep,        \
                                  dh_int B, dh_int H), (g, c0, tc, dh, dy, dc, dg, dh_prev,   \
                                  keep, B, H))                                                \
                                                                                              \
DH_ISA_INLINE void dh_gru_lbr_fwd_##sfx##_impl(T *g, T *e, const T *rbh, const T *h0, T *h1,  \
                                               const unsigned char *keep, dh_int B,           \
                                               dh_int H) {                                    \
    for (dh_int b = 0; b < B; b++) {                                                          \
        const T *hp = h0 + b * H;                                                             \
        T *hn = h1 + b * H;                                                                   \
        if (keep && !keep[b]) {                                                               \
            memcpy(hn, hp, (size_t)H * sizeof(T));                                            \
            continue;                                                                         \
        }                                                                                     \
        T *gz = g + b * 3 * H, *gr = gz + H, *gn = gz + 2 * H;                                \
        T *ez = e + b * 3 * H, *er = ez + H, *eh = ez + 2 * H;                                \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T z = SIG_##sfx(gz[j] + ez[j]), r = SIG_##sfx(gr[j] + er[j]);              \
            const T ehj = eh[j] + rbh[j];                                                     \
            const T n = TANH_##sfx(gn[j] + r * ehj);                                          \
            gz[j] = z; gr[j] = r; gn[j] = n; eh[j] = ehj;                                     \
            hn[j] = n + z * (hp[j] - n);                                                      \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_gru_lbr_fwd_##sfx, (T *g, T *e, const T *rbh, const T *h0, T *h1,            \
                                     const unsigned char *keep, dh_int B, dh_int H), (g, e,   \
                                     rbh, h0, h1, keep, B, H))                                \
                                                                                              \
DH_ISA_INLINE void dh_gru_lbr_bwd_##sfx##_impl(const T *g, const T *e, const T *h0, T *dh,    \
                                               const T *dy, T *dg, T *de, T *dh_prev,         \
                                               const unsigned char *keep, dh_int B,           \
                                               dh_int H) {                                    \
    for (dh_int b = 0; b < B; b++) {                                                          \
        T *d = dh + b * H, *dp = dh_prev + b * H;                                             \
        T *dz = dg + b * 3 * H, *dr = dz + H, *dn = dz + 2 * H;                               \
        T *dez = de + b * 3 * H, *der = dez + H, *deh = dez + 2 * H;                          \
        if (dy) {                                                                             \
            const T *y = dy + b * H;                                                          \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) d[j] += y[j];                                      \
        }                                                                                     \
        if (keep && !keep[b]) {                                                               \
            memset(dz, 0, (size_t)(3 * H) * sizeof(T));                                      \
            memset(dez, 0, (size_t)(3 * H) * sizeof(T));                                      \
            memcpy(dp, d, (size_t)H * sizeof(T));                                             \
            continue;                                                                         \
        }                                                                                     \
        const T *gz = g + b * 3 * H, *gr = gz + H, *gn = gz + 2 * H;                          \
        const T *eh = e + b * 3 * H + 2 * H, *hp = h0 + b * H;                                \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T z = gz[j], r = gr[j], n = gn[j], dhj = d[j];                              \
            const T dzj = dhj * (hp[j] - n) * z * (1 - z);                                    \
            const T dnj = dhj * (1 - z) * (1 - n * n);                                        \
            const T drj = dnj * eh[j] * r * (1 - r);                                          \
            dz[j] = dzj; dr[j] = drj; dn[j] = dnj;                                            \
            dez[j] = dzj; der[j] = drj; deh[j] = dnj * r;                                     \
            dp[j] = dhj * z;                                                                  \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_gru_lbr_bwd_##sfx, (const T *g, const T *e, const T *h0, T *dh,              \
                                     const T *dy, T *dg, T *de, T *dh_prev,                   \
                                     const unsigned char *keep, dh_int B, dh_int H), (g, e,   \
                                     h0, dh, dy, dg, de, dh_prev, keep, B, H))                \
                                                                                              \
DH_ISA_INLINE void dh_gru_zr_fwd_##sfx##_impl(T *g, T *e, const T *h0,                        \
                                              const unsigned char *keep, dh_int B,            \
                                              dh_int H) {                                     \
    for (dh_int b = 0; b < B; b++) {                                                          \
        T *gz = g + b * 3 * H, *gr = gz + H, *er = e + b * H;                                 \
        const T *hp = h0 + b * H;                                                             \
        if (keep && !keep[b]) {                                                               \
            /* r h = 0: the product for the candidate then costs nothing meaningful */        \
            memset(er, 0, (size_t)H * sizeof(T));                                             \
            continue;                                                                         \
        }                                                                                     \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T z = SIG_##sfx(gz[j]), r = SIG_##sfx(gr[j]);                               \
            gz[j] = z; gr[j] = r; er[j] = r * hp[j];                                          \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_gru_zr_fwd_##sfx, (T *g, T *e, const T *h0, const unsigned char *keep,       \
                                    dh_int B, dh_int H), (g, e, h0, keep, B, H))              \
                                                                                              \
DH_ISA_INLINE void dh_gru_n_fwd_##sfx##_impl(T *g, const T *h0, T *h1,                        \
                                             const unsigned char *keep, dh_int B, dh_int H) { \
    for (dh_int b = 0; b < B; b++) {                                                          \
        const T *hp = h0 + b * H;                                                             \
        T *hn = h1 + b * H;                                                                   \
        if (keep && !keep[b]) {                                                               \
            memcpy(hn, hp, (size_t)H * sizeof(T));                                            \
            continue;                                                                         \
        }                                                                                     \
        const T *gz = g + b * 3 * H;                                                          \
        T *gn = g + b * 3 * H + 2 * H;                                                        \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T n = TANH_##sfx(gn[j]);                                                    \
            gn[j] = n;                                                                        \
            hn[j] = n + gz[j] * (hp[j] - n);                                                  \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_gru_n_fwd_##sfx, (T *g, const T *h0, T *h1, const unsigned char *keep,       \
                                   dh_int B, dh_int H), (g, h0, h1, keep, B, H))              \
                                                                                              \
DH_ISA_INLINE void dh_gru_n_bwd_##sfx##_impl(const T *g, const T *h0, T *dh, const T *dy,     \
                                             T *dg, const unsigned char *keep, dh_int B,      \
                                             dh_int H) {                                      \
    for (dh_int b = 0; b < B; b++) {                                                          \
        T *d = dh + b * H, *dz = dg + b * 3 * H, *dn = dz + 2 * H;                            \
        if (dy) {                                                                             \
            const T *y = dy + b * H;                                                          \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) d[j] += y[j];                                      \
        }                                                                                     \
        if (keep && !keep[b]) {                                                               \
            memset(dz, 0, (size_t)(3 * H) * sizeof(T));                                       \
            continue;                                                                         \
        }                                                                                     \
        const T *gz = g + b * 3 * H, *gn = gz + 2 * H, *hp = h0 + b * H;                      \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T z = gz[j], n = gn[j], dhj = d[j];                                         \
            dz[j] = dhj * (hp[j] - n) * z * (1 - z);                                          \
            dn[j] = dhj * (1 - z) * (1 - n * n);                                              \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_gru_n_bwd_##sfx, (const T *g, const T *h0, T *dh, const T *dy, T *dg,        \
                                   const unsigned char *keep, dh_int B, dh_int H), (g, h0,    \
                                   dh, dy, dg, keep, B, H))                                   \
                                                                                              \
DH_ISA_INLINE void dh_gru_zr_bwd_##sfx##_impl(const T *g, const T *h0, const T *dh,           \
                                              const T *drh, T *dg, T *dh_prev,                \
                                              const unsigned char *keep, dh_int B,            \
                                              dh_int H) {                                     \
    for (dh_int b = 0; b < B; b++) {                                                          \
        const T *d = dh + b * H;                                                              \
        T *dp = dh_prev + b * H, *dr = dg + b * 3 * H + H;                                    \
        if (keep && !keep[b]) {                                                               \
            memcpy(dp, d, (size_t)H * sizeof(T));                                             \
            continue;                                                                         \
        }                                                                                     \
        const T *gz = g + b * 3 * H, *gr = gz + H, *hp = h0 + b * H, *q = drh + b * H;       \
        _Pragma("omp simd")                                                                   \
        for (dh_int j = 0; j < H; j++) {                                                      \
            const T r = gr[j];                                                                \
            dr[j] = q[j] * hp[j] * r * (1 - r);                                               \
            dp[j] = q[j] * r + d[j] * gz[j];                                                  \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_gru_zr_bwd_##sfx, (const T *g, const T *h0, const T *dh, const T *drh,       \
                                    T *dg, T *dh_prev, const unsigned char *keep, dh_int B,   \
                                    dh_int H), (g, h0, dh, drh, dg, dh_prev, keep, B, H))     \
                                                                                              \
DH_ISA_INLINE void dh_rnn_fwd_##sfx##_impl(T *g, const T *h0, T *h1, int act,                 \
                                           const unsigned char *keep, dh_int B, dh_int H) {   \
    for (dh_int b = 0; b < B; b++) {                                                          \
        const T *hp = h0 + b * H;                                                             \
        T *a = g + b * H, *hn = h1 + b * H;                                                   \
        if (keep && !keep[b]) {                                                               \
            memcpy(hn, hp, (size_t)H * sizeof(T));                                            \
            continue;                                                                         \
        }                                                                                     \
        switch (act) {                                                                        \
        case DH_RNN_TANH:                                                                     \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) a[j] = TANH_##sfx(a[j]);                           \
            break;                                                                            \
        case DH_RNN_SIGMOID:                                                                  \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) a[j] = SIG_##sfx(a[j]);                            \
            break;                                                                            \
        case DH_RNN_RELU:                                                                     \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) a[j] = a[j] < 0 ? 0 : a[j];                       \
            break;                                                                            \
        case DH_RNN_HARD_SIGMOID:                                                             \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) {                                                  \
                const T v = (T)0.2 * a[j] + (T)0.5;                                           \
                a[j] = v < 0 ? 0 : (v > 1 ? 1 : v);                                           \
            }                                                                                 \
            break;                                                                            \
        default:                                                                              \
            break;                                                                            \
        }                                                                                     \
        memcpy(hn, a, (size_t)H * sizeof(T));                                                 \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_rnn_fwd_##sfx, (T *g, const T *h0, T *h1, int act,                           \
                                 const unsigned char *keep, dh_int B, dh_int H), (g, h0, h1,  \
                                 act, keep, B, H))                                            \
                                                                                              \
DH_ISA_INLINE void dh_rnn_bwd_##sfx##_impl(const T *g, T *dh, const T *dy, T *dg,             \
                                           T *dh_prev, int act, const unsigned char *keep,    \
                                           dh_int B, dh_int H) {                              \
    for (dh_int b = 0; b < B; b++) {                                                          \
        T *d = dh + b * H, *da = dg + b * H, *dp = dh_prev + b * H;                           \
        const T *y = g + b * H;                                                               \
        if (dy) {                                                                             \
            const T *u = dy + b * H;                                                          \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) d[j] += u[j];                                      \
        }                                                                                     \
        if (keep && !keep[b]) {                                                               \
            memset(da, 0, (size_t)H * sizeof(T));                                             \
            memcpy(dp, d, (size_t)H * sizeof(T));                                             \
            continue;                                                                         \
        }                                                                                     \
        switch (act) {                                                                        \
        case DH_RNN_TANH:                                                                     \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) da[j] = d[j] * (1 - y[j] * y[j]);                 \
            break;                                                                            \
        case DH_RNN_SIGMOID:                                                                  \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) da[j] = d[j] * y[j] * (1 - y[j]);                 \
            break;                                                                            \
        case DH_RNN_RELU:                                                                     \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++) da[j] = y[j] > 0 ? d[j] : 0;                       \
            break;                                                                            \
        case DH_RNN_HARD_SIGMOID:                                                             \
            /* the slope is 0.2 strictly inside the linear part */                           \
            _Pragma("omp simd")                                                               \
            for (dh_int j = 0; j < H; j++)                                                    \
                da[j] = (y[j] > 0 && y[j] < 1) ? (T)0.2 * d[j] : 0;                          \
            break;                                                                            \
        default:                                                                              \
            memcpy(da, d, (size_t)H * sizeof(T));                                             \
            break;                                                                            \
        }                                                                                     \
        memset(dp, 0, (size_t)H * sizeof(T));                                                 \
    }                                                                                         \
}                                                                                             \
DH_ISA_VOID(, dh_rnn_bwd_##sfx, (const T *g, T *dh, const T *dy, T *dg, T *dh_prev, int act,  \
                                 const unsigned char *keep, dh_int B, dh_int H), (g, dh, dy,  \
                                 dg, dh_prev, act, keep, B, H))

DH_RNN_CELLS(float, f32)
DH_RNN_CELLS(double, f64)
