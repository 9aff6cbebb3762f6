/* Row kernels shared by the linear filters and the morphology of ecvl.imgproc.
 *
 * Every engine computes ONE output row of a (H, W, C) image from a handful of input rows whose
 * indices the caller resolved through its border map (-1 = constant border, read from `cvrow`).
 * The innermost loops are plain strided-free loops so the compiler vectorises them; on x86-64
 * GCC builds an AVX2 clone beside the baseline one and picks at load time (ifunc), so the wheel
 * still runs on CPUs without AVX2.
 *
 * Type codes: 0 u8, 1 i8, 2 u16, 3 i16, 4 i32, 5 i64, 6 f32, 7 f64.  Linear filters accumulate in
 * float for the 8/16-bit types and float32, in double for i32, i64 and f64.
 */
#ifndef DH_ROWKERN_H
#define DH_ROWKERN_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#include "dh_isa.h"
#if DH_ISA_HAVE_CLONES
/* fp-contract lets the multiply-adds fuse in the FMA clones (ISO C modes turn contraction off
 * by default) */
#pragma GCC optimize("fp-contract=fast")
#endif
#define DH_CLONES DH_ISA_CLONES

typedef ptrdiff_t dh_ssize;

/* ---- element-wise row primitives ------------------------------------------------------------ */
#define DH_DEF_PRIMS(SUF, T, A)                                                                     \
static DH_CLONES void dh_vset_##SUF(A *restrict a, const T *restrict s, A k, dh_ssize n) {          \
    for (dh_ssize i = 0; i < n; i++) a[i] = k * (A)s[i];                                            \
}                                                                                                   \
static DH_CLONES void dh_vacc_##SUF(A *restrict a, const T *restrict s, A k, dh_ssize n) {          \
    for (dh_ssize i = 0; i < n; i++) a[i] += k * (A)s[i];                                           \
}                                                                                                   \
static DH_CLONES void dh_vsym_##SUF(A *restrict a, const T *restrict s1, const T *restrict s2,      \
                                    A k, dh_ssize n) {                                              \
    for (dh_ssize i = 0; i < n; i++) a[i] += k * ((A)s1[i] + (A)s2[i]);                             \
}                                                                                                   \
static DH_CLONES void dh_vmin_##SUF(T *restrict a, const T *restrict s, dh_ssize n) {               \
    for (dh_ssize i = 0; i < n; i++) a[i] = s[i] < a[i] ? s[i] : a[i];                              \
}                                                                                                   \
static DH_CLONES void dh_vmax_##SUF(T *restrict a, const T *restrict s, dh_ssize n) {               \
    for (dh_ssize i = 0; i < n; i++) a[i] = s[i] > a[i] ? s[i] : a[i];                              \
}

/* a = min/max(a, s0 .. s{m-1}) for m <= 4 in one sweep: one store per element instead of m. */
#define DH_RED_LOOP(OP, M)                                                                          \
    for (dh_ssize i = 0; i < n; i++) {                                                              \
        T v = a[i];                                                                                 \
        v = s0[i] OP v ? s0[i] : v;                                                                 \
        if ((M) > 1) v = s1[i] OP v ? s1[i] : v;                                                    \
        if ((M) > 2) v = s2[i] OP v ? s2[i] : v;                                                    \
        if ((M) > 3) v = s3[i] OP v ? s3[i] : v;                                                    \
        a[i] = v;                                                                                   \
    }
#define DH_DEF_RED(SUF, T_)                                                                         \
static DH_CLONES void dh_red4_##SUF(T_ *restrict a, const T_ *restrict s0, const T_ *restrict s1,   \
                                    const T_ *restrict s2, const T_ *restrict s3, int m,            \
                                    int is_max, dh_ssize n) {                                       \
    typedef T_ T;                                                                                   \
    if (is_max) {                                                                                   \
        if (m == 1) DH_RED_LOOP(>, 1) else if (m == 2) DH_RED_LOOP(>, 2)                            \
        else if (m == 3) DH_RED_LOOP(>, 3) else DH_RED_LOOP(>, 4)                                   \
    } else {                                                                                        \
        if (m == 1) DH_RED_LOOP(<, 1) else if (m == 2) DH_RED_LOOP(<, 2)                            \
        else if (m == 3) DH_RED_LOOP(<, 3) else DH_RED_LOOP(<, 4)                                   \
    }                                                                                               \
}                                                                                                   \
/* a = min/max(a, srcs[0..m-1]), four sources a sweep */                                            \
static void dh_reduce_##SUF(T_ *a, const T_ *const *srcs, int m, int is_max, dh_ssize n) {          \
    for (int g = 0; g < m; g += 4) {                                                                \
        int k = m - g < 4 ? m - g : 4;                                                              \
        dh_red4_##SUF(a, srcs[g], srcs[g + (k > 1)], srcs[g + 2 * (k > 2)], srcs[g + 3 * (k > 3)],  \
                      k, is_max, n);                                                                \
    }                                                                                               \
}
DH_DEF_RED(u8, uint8_t)
DH_DEF_RED(i8, int8_t)
DH_DEF_RED(u16, uint16_t)
DH_DEF_RED(i16, int16_t)
DH_DEF_RED(i32, int32_t)
DH_DEF_RED(i64, int64_t)
DH_DEF_RED(f32, float)
DH_DEF_RED(f64, double)

DH_DEF_PRIMS(u8, uint8_t, float)
DH_DEF_PRIMS(i8, int8_t, float)
DH_DEF_PRIMS(u16, uint16_t, float)
DH_DEF_PRIMS(i16, int16_t, float)
DH_DEF_PRIMS(i32, int32_t, double)
DH_DEF_PRIMS(i64, int64_t, double)
DH_DEF_PRIMS(f32, float, float)
DH_DEF_PRIMS(f64, double, double)

/* Round half up and saturate (NaN -> LO); the 8/16-bit casts go through int32 so they
 * vectorise. The clamps are written "v > lo ? v : lo", the operand order of maxps/minps: the
 * other order is not an IEEE min/max and GCC leaves the loop scalar and branchy. */
#define DH_DEF_STORE_SMALL(SUF, T, LO, HI)                                                          \
static DH_CLONES void dh_store_##SUF(T *restrict d, const float *restrict s, dh_ssize n) {          \
    for (dh_ssize i = 0; i < n; i++) {                                                              \
        float v = s[i] - (float)(LO) + 0.5f;                                                        \
        v = v > 0.0f ? v : 0.0f;                                                                    \
        v = v < (float)((HI) - (LO)) ? v : (float)((HI) - (LO));                                    \
        d[i] = (T)((int32_t)v + (int32_t)(LO));                                                     \
    }                                                                                               \
}
DH_DEF_STORE_SMALL(u8, uint8_t, 0, 255)
DH_DEF_STORE_SMALL(i8, int8_t, -128, 127)
DH_DEF_STORE_SMALL(u16, uint16_t, 0, 65535)
DH_DEF_STORE_SMALL(i16, int16_t, -32768, 32767)

static DH_CLONES void dh_store_i32(int32_t *restrict d, const double *restrict s, dh_ssize n) {
    for (dh_ssize i = 0; i < n; i++) {
        double v = s[i];
        v = v < -2147483648.0 ? -2147483648.0 : v;
        v = v > 2147483647.0 ? 2147483647.0 : v;
        d[i] = (int32_t)floor(v + 0.5);
    }
}
static void dh_store_i64(int64_t *restrict d, const double *restrict s, dh_ssize n) {
    for (dh_ssize i = 0; i < n; i++) {
        double v = s[i];
        /* 2^63 itself is not representable in int64: saturate just below it */
        if (v != v) { d[i] = 0; continue; }
        if (v <= -9223372036854775808.0) d[i] = INT64_MIN;
        else if (v >= 9223372036854775807.0) d[i] = INT64_MAX;
        else d[i] = (int64_t)floor(v + 0.5);
    }
}
static void dh_store_f32(float *restrict d, const float *restrict s, dh_ssize n) {
    memcpy(d, s, (size_t)n * sizeof(float));
}
static void dh_store_f64(double *restrict d, const double *restrict s, dh_ssize n) {
    memcpy(d, s, (size_t)n * sizeof(double));
}

/* Fill the left/right border columns of a padded row buffer from its centre (cmap[p] >= 0) or with
 * a constant. The centre occupies columns [ax, ax + W). */
#define DH_DEF_PAD(SUF, A)                                                                          \
static void dh_pad_##SUF(A *buf, const dh_ssize *cmap, dh_ssize npad, dh_ssize ax, dh_ssize W,      \
                         dh_ssize C, A cval) {                                                      \
    const A *ctr = buf + ax * C;                                                                    \
    for (dh_ssize p = 0; p < npad; p++) {                                                           \
        if (p == ax) { p = ax + W - 1; continue; }                                                  \
        dh_ssize q = cmap[p];                                                                       \
        A *o = buf + p * C;                                                                         \
        if (q >= 0) memcpy(o, ctr + q * C, (size_t)C * sizeof(A));                                  \
        else for (dh_ssize c = 0; c < C; c++) o[c] = cval;                                          \
    }                                                                                               \
}
DH_DEF_PAD(u8, uint8_t)
DH_DEF_PAD(i8, int8_t)
DH_DEF_PAD(u16, uint16_t)
DH_DEF_PAD(i16, int16_t)
DH_DEF_PAD(i32, int32_t)
DH_DEF_PAD(i64, int64_t)
DH_DEF_PAD(f32, float)
DH_DEF_PAD(f64, double)

/* ---- engines: one output row each ----------------------------------------------------------- */
/* rows[i]: source row of kernel row i (-1 -> cvrow). cmap: padded column -> source column or -1. */
#define DH_DEF_ENGINES(SUF, T, A, AS)                                                               \
static void dh_sep_row_##SUF(const char *src, dh_ssize rstride, T *dst, const dh_ssize *rows,       \
                             const A *ky, int nky, int ysym, const A *kx, int nkx, int xsym,        \
                             const dh_ssize *cmap, int ax, dh_ssize W, dh_ssize C, const T *cvrow,   \
                             A cvalv, A *buf, A *acc) {                                             \
    dh_ssize n = W * C;                                                                             \
    A *ctr = buf + (dh_ssize)ax * C;                                                                \
    int i = 0;                                                                                      \
    if (ysym) {                                                                                     \
        /* symmetric kernel: pair rows i and nky-1-i so each coefficient is used once */            \
        int h = nky / 2;                                                                            \
        const T *m = rows[h] >= 0 ? (const T *)(src + rows[h] * rstride) : cvrow;                   \
        dh_vset_##SUF(ctr, m, ky[h], n);                                                            \
        for (i = 0; i < h; i++) {                                                                   \
            const T *r1 = rows[i] >= 0 ? (const T *)(src + rows[i] * rstride) : cvrow;              \
            const T *r2 = rows[nky - 1 - i] >= 0 ? (const T *)(src + rows[nky - 1 - i] * rstride)   \
                                                 : cvrow;                                           \
            if (ky[i] != 0) dh_vsym_##SUF(ctr, r1, r2, ky[i], n);                                   \
        }                                                                                           \
    } else {                                                                                        \
        for (i = 0; i < nky; i++) {                                                                 \
            const T *r = rows[i] >= 0 ? (const T *)(src + rows[i] * rstride) : cvrow;               \
            if (i == 0) dh_vset_##SUF(ctr, r, ky[0], n);                                            \
            else if (ky[i] != 0) dh_vacc_##SUF(ctr, r, ky[i], n);                                   \
        }                                                                                           \
    }                                                                                               \
    dh_pad_##AS(buf, cmap, (dh_ssize)nkx - 1 + W, ax, W, C, cvalv);                                 \
    if (xsym) {                                                                                     \
        int h = nkx / 2;                                                                            \
        dh_vset_##AS(acc, buf + (dh_ssize)h * C, kx[h], n);                                         \
        for (i = 0; i < h; i++)                                                                     \
            if (kx[i] != 0)                                                                         \
                dh_vsym_##AS(acc, buf + (dh_ssize)i * C, buf + (dh_ssize)(nkx - 1 - i) * C, kx[i], n); \
    } else {                                                                                        \
        dh_vset_##AS(acc, buf, kx[0], n);                                                           \
        for (i = 1; i < nkx; i++)                                                                   \
            if (kx[i] != 0) dh_vacc_##AS(acc, buf + (dh_ssize)i * C, kx[i], n);                     \
    }                                                                                               \
    dh_store_##SUF(dst, acc, n);                                                                    \
}                                                                                                   \
static void dh_f2d_row_##SUF(const char *src, dh_ssize rstride, T *dst, const dh_ssize *rows,       \
                             const A *K, int kh, int kw, const dh_ssize *cmap, int ax, dh_ssize W,  \
                             dh_ssize C, const T *cvrow, A cval, A *pbuf, A *acc) {                 \
    dh_ssize n = W * C;                                                                             \
    A *ctr = pbuf + (dh_ssize)ax * C;                                                               \
    int first = 1;                                                                                  \
    for (int i = 0; i < kh; i++) {                                                                  \
        int any = 0;                                                                                \
        for (int j = 0; j < kw; j++) any |= K[i * kw + j] != 0;                                     \
        if (!any) continue;                                                                         \
        const T *r = rows[i] >= 0 ? (const T *)(src + rows[i] * rstride) : cvrow;                   \
        dh_vset_##SUF(ctr, r, (A)1, n);                                                             \
        dh_pad_##AS(pbuf, cmap, (dh_ssize)kw - 1 + W, ax, W, C, cval);                              \
        for (int j = 0; j < kw; j++) {                                                              \
            A k = K[i * kw + j];                                                                    \
            if (k == 0) continue;                                                                   \
            if (first) dh_vset_##AS(acc, pbuf + (dh_ssize)j * C, k, n);                             \
            else dh_vacc_##AS(acc, pbuf + (dh_ssize)j * C, k, n);                                   \
            first = 0;                                                                              \
        }                                                                                           \
    }                                                                                               \
    if (first) memset(acc, 0, (size_t)n * sizeof(A));                                               \
    dh_store_##SUF(dst, acc, n);                                                                    \
}                                                                                                   \
/* rectangle: min/max over kh rows then over kw shifted copies of the padded row, four      \
 * sources a sweep */                                                                            \
static void dh_mrect_row_##SUF(const char *src, dh_ssize rstride, T *dst, const dh_ssize *rows,     \
                               int kh, int kw, const dh_ssize *cmap, int ax, dh_ssize W,            \
                               dh_ssize C, const T *cvrow, T cval, int is_max, T *buf) {            \
    dh_ssize n = W * C;                                                                             \
    T *ctr = buf + (dh_ssize)ax * C;                                                                \
    const T *grp[4];                                                                                \
    int m = 0;                                                                                      \
    memcpy(ctr, rows[0] >= 0 ? (const T *)(src + rows[0] * rstride) : cvrow, (size_t)n * sizeof(T)); \
    for (int i = 1; i < kh; i++) {                                                                  \
        grp[m++] = rows[i] >= 0 ? (const T *)(src + rows[i] * rstride) : cvrow;                     \
        if (m == 4 || i == kh - 1) { dh_reduce_##SUF(ctr, grp, m, is_max, n); m = 0; }              \
    }                                                                                               \
    dh_pad_##SUF(buf, cmap, (dh_ssize)kw - 1 + W, ax, W, C, cval);                                  \
    memcpy(dst, buf, (size_t)n * sizeof(T));                                                        \
    for (int j = 1; j < kw; j++) {                                                                  \
        grp[m++] = buf + (dh_ssize)j * C;                                                           \
        if (m == 4 || j == kw - 1) { dh_reduce_##SUF(dst, grp, m, is_max, n); m = 0; }              \
    }                                                                                               \
}                                                                                                   \
/* arbitrary structuring element (kh x kw mask, at least one nonzero). grp[i] is the first    \
 * row with the same pattern as row i: rows sharing a pattern are reduced vertically first,    \
 * then shifted once per set column, instead of once per row and column. */                   \
static void dh_mgen_row_##SUF(const char *src, dh_ssize rstride, T *dst, const dh_ssize *rows,      \
                              const uint8_t *se, const int32_t *grp, int kh, int kw,                \
                              const dh_ssize *cmap, int ax, dh_ssize W, dh_ssize C,                 \
                              const T *cvrow, T cval, int is_max, T *pbuf) {                        \
    dh_ssize n = W * C;                                                                             \
    T *ctr = pbuf + (dh_ssize)ax * C;                                                               \
    const T *srcs[4];                                                                               \
    int first = 1;                                                                                  \
    for (int i = 0; i < kh; i++) {                                                                  \
        int any = 0;                                                                                \
        if (grp[i] != i) continue;                                                                  \
        for (int j = 0; j < kw; j++) any |= se[i * kw + j] != 0;                                    \
        if (!any) continue;                                                                         \
        int m = 0;                                                                                  \
        memcpy(ctr, rows[i] >= 0 ? (const T *)(src + rows[i] * rstride) : cvrow,                    \
               (size_t)n * sizeof(T));                                                              \
        for (int i2 = i + 1; i2 < kh; i2++) {                                                       \
            if (grp[i2] != i) continue;                                                             \
            srcs[m++] = rows[i2] >= 0 ? (const T *)(src + rows[i2] * rstride) : cvrow;              \
            if (m == 4) { dh_reduce_##SUF(ctr, srcs, m, is_max, n); m = 0; }                        \
        }                                                                                           \
        if (m) dh_reduce_##SUF(ctr, srcs, m, is_max, n);                                            \
        m = 0;                                                                                      \
        dh_pad_##SUF(pbuf, cmap, (dh_ssize)kw - 1 + W, ax, W, C, cval);                             \
        for (int j = 0; j < kw; j++) {                                                              \
            if (!se[i * kw + j]) continue;                                                          \
            if (first) { memcpy(dst, pbuf + (dh_ssize)j * C, (size_t)n * sizeof(T)); first = 0; }  \
            else srcs[m++] = pbuf + (dh_ssize)j * C;                                                \
            if (m == 4) { dh_reduce_##SUF(dst, srcs, m, is_max, n); m = 0; }                        \
        }                                                                                           \
        if (m) dh_reduce_##SUF(dst, srcs, m, is_max, n);                                            \
    }                                                                                               \
}

DH_DEF_ENGINES(u8, uint8_t, float, f32)
DH_DEF_ENGINES(i8, int8_t, float, f32)
DH_DEF_ENGINES(u16, uint16_t, float, f32)
DH_DEF_ENGINES(i16, int16_t, float, f32)
DH_DEF_ENGINES(i32, int32_t, double, f64)
DH_DEF_ENGINES(i64, int64_t, double, f64)
DH_DEF_ENGINES(f32, float, float, f32)
DH_DEF_ENGINES(f64, double, double, f64)

/* ---- type-erased dispatchers ---------------------------------------------------------------- */
#define DH_CASES(X) X(0, u8, uint8_t, float) X(1, i8, int8_t, float) X(2, u16, uint16_t, float)     \
    X(3, i16, int16_t, float) X(4, i32, int32_t, double) X(5, i64, int64_t, double)                  \
    X(6, f32, float, float) X(7, f64, double, double)

static int dh_sep_row(int tc, const char *src, dh_ssize rstride, char *dst, const dh_ssize *rows,
                      const void *ky, int nky, int ysym, const void *kx, int nkx, int xsym,
                      const dh_ssize *cmap, int ax, dh_ssize W, dh_ssize C, const char *cvrow,
                      double cvalv, void *buf, void *acc) {
    switch (tc) {
#define X(CODE, SUF, T, A) case CODE: dh_sep_row_##SUF(src, rstride, (T *)dst, rows, (const A *)ky,   \
        nky, ysym, (const A *)kx, nkx, xsym, cmap, ax, W, C, (const T *)cvrow, (A)cvalv, (A *)buf,  \
        (A *)acc); return 0;
    DH_CASES(X)
#undef X
    }
    return -1;
}

static int dh_f2d_row(int tc, const char *src, dh_ssize rstride, char *dst, const dh_ssize *rows,
                      const void *K, int kh, int kw, const dh_ssize *cmap, int ax, dh_ssize W,
                      dh_ssize C, const char *cvrow, double cval, void *pbuf, void *acc) {
    switch (tc) {
#define X(CODE, SUF, T, A) case CODE: dh_f2d_row_##SUF(src, rstride, (T *)dst, rows, (const A *)K,   \
        kh, kw, cmap, ax, W, C, (const T *)cvrow, (A)cval, (A *)pbuf, (A *)acc); return 0;
    DH_CASES(X)
#undef X
    }
    return -1;
}

static int dh_morph_row(int tc, const char *src, dh_ssize rstride, char *dst, const dh_ssize *rows,
                        const uint8_t *se, const int32_t *grp, int is_rect, int kh, int kw,
                        const dh_ssize *cmap, int ax, dh_ssize W, dh_ssize C, const char *cvrow,
                        int is_max, void *buf) {
    switch (tc) {
#define X(CODE, SUF, T, A) case CODE:                                                               \
        if (is_rect) dh_mrect_row_##SUF(src, rstride, (T *)dst, rows, kh, kw, cmap, ax, W, C,       \
                                        (const T *)cvrow, *(const T *)cvrow, is_max, (T *)buf);     \
        else dh_mgen_row_##SUF(src, rstride, (T *)dst, rows, se, grp, kh, kw, cmap, ax, W, C,       \
                               (const T *)cvrow, *(const T *)cvrow, is_max, (T *)buf);              \
        return 0;
    DH_CASES(X)
#undef X
    }
    return -1;
}
#endif
