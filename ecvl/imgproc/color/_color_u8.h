/* uint8 colour loops. Plain C versions (the generic ones compiled twice, AVX2 and baseline
 * x86-64, picked at load time) run on every CPU and handle heads and tails; on x86-64 the
 * channel shuffles and GRAY also have SSSE3 paths, and shuffles, GRAY, YCbCr and HSV AVX2
 * paths, picked at run time, which split packed pixels into planes with pshufb.
 *
 * Channel shuffles take a `stream` flag: with it the AVX2 path writes the destination with
 * non-temporal stores (after a short head that aligns it), skipping the read-for-ownership of
 * each destination line, a third less memory traffic for a copy-speed loop. The caller sets
 * it only for large outputs (see _color.pyx). GRAY, YCbCr and HSV do not stream: measured,
 * it made them no faster or slower. The SSSE3/AVX2 code is in _color_x86.h. */
#ifndef ECVL_COLOR_U8_H
#define ECVL_COLOR_U8_H
#include <stddef.h>
#include <stdint.h>

#include "dh_isa.h"
#define COL_CLONES DH_ISA_CLONES

#if defined(__GNUC__) || defined(__clang__)
#define COL_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define COL_ALWAYS_INLINE static inline
#endif

/* Plain loops: the fallback on CPUs without SSSE3, and the tails of the shuffle loops. */
COL_CLONES
static void col_perm3_u8_c(const uint8_t *s, uint8_t *d, ptrdiff_t n, int i0, int i1, int i2)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        uint8_t a = s[3 * i + i0], b = s[3 * i + i1], c = s[3 * i + i2];
        d[3 * i] = a;
        d[3 * i + 1] = b;
        d[3 * i + 2] = c;
    }
}

/* Gray of n packed 3-channel pixels whose channels weigh w0, w1, w2 (15-bit, summing to 2^15). */
COL_CLONES
static void col_gray3_u8_c(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1, int w2)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++)
        d[i] = (uint8_t)((s[3 * i] * w0 + s[3 * i + 1] * w1 + s[3 * i + 2] * w2 + 16384) >> 15);
}

/* ---------------------------------------------------------------- YCbCr and HSV, plain C */
#define COL_CHUNK 256

/* One pixel of RGB -> Y, Cb, Cr with OpenCV's 14-bit YCrCb constants. OpenCV's products are
 * split at bit 6 (Y) or 7 (chroma) so every partial sum fits 16 bits:
 * floor((2^k h + l) / 2^14) = (h + (l >> k)) >> (14 - k) exactly, and the AVX2 version runs
 * the same arithmetic on 16-bit lanes. */
static inline void col_ycc_px(unsigned r, unsigned g, unsigned b, uint8_t *o)
{
    uint16_t yh = (uint16_t)(r * 76 + g * 150 + b * 29);
    uint16_t yl = (uint16_t)(r * 35 + g * 17 + b * 12 + 8192);
    int16_t y = (int16_t)((uint16_t)(yh + (yl >> 6)) >> 8);
    int16_t tb = (int16_t)(b - y), tr = (int16_t)(r - y);
    int16_t cb = (int16_t)(((int16_t)(tb * 72) + ((int16_t)(tb * 25 + 8192) >> 7)) >> 7);
    int16_t cr = (int16_t)(((int16_t)(tr * 91) + ((int16_t)(tr * 34 + 8192) >> 7)) >> 7);
    cb = (int16_t)(cb + 128);
    cr = (int16_t)(cr + 128);
    cb = cb > 0 ? cb : 0;
    cr = cr > 0 ? cr : 0;
    o[0] = (uint8_t)y;
    o[1] = (uint8_t)(cb < 255 ? cb : 255);
    o[2] = (uint8_t)(cr < 255 ? cr : 255);
}

/* RGB (ri == 0) or BGR -> Y, Cb, Cr of n packed pixels. */
COL_CLONES
static void col_ycc3_u8_c(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    ptrdiff_t i;
    if (ri == 0)
        for (i = 0; i < n; i++) col_ycc_px(s[3 * i], s[3 * i + 1], s[3 * i + 2], d + 3 * i);
    else
        for (i = 0; i < n; i++) col_ycc_px(s[3 * i + 2], s[3 * i + 1], s[3 * i], d + 3 * i);
}

/* Y, Cb, Cr -> RGB (ri == 0) or BGR of n pixels, OpenCV's 14-bit inverse constants. */
#define COL_YCC_INV_BODY(RI, BI)                                                                  \
    for (i = 0; i < n; i++) {                                                                     \
        int y = s[3 * i], cb = s[3 * i + 1] - 128, cr = s[3 * i + 2] - 128;                        \
        int r = y + ((cr * 22987 + 8192) >> 14);                                                  \
        int g = y + ((cr * -11698 + cb * -5636 + 8192) >> 14);                                    \
        int b = y + ((cb * 29049 + 8192) >> 14);                                                  \
        d[3 * i + (RI)] = (uint8_t)(r < 0 ? 0 : (r > 255 ? 255 : r));                              \
        d[3 * i + 1] = (uint8_t)(g < 0 ? 0 : (g > 255 ? 255 : g));                                 \
        d[3 * i + (BI)] = (uint8_t)(b < 0 ? 0 : (b > 255 ? 255 : b));                              \
    }

COL_CLONES
static void col_ycc3_inv_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    ptrdiff_t i;
    if (ri == 0) { COL_YCC_INV_BODY(0, 2) } else { COL_YCC_INV_BODY(2, 0) }
}

/* OpenCV's 8-bit HSV division tables: round((255 << 12) / v) and round((180 << 12) / (6 d)). */
static int col_sdiv[256], col_hdiv[256];

/* H (0..179), S, V of m pixels given as R, G, B planes, bit-exact with OpenCV's 8-bit table
 * arithmetic. Inlined so that each clone of the caller vectorises it for its instruction set. */
COL_ALWAYS_INLINE void
col_hsv_core(const uint8_t *R, const uint8_t *G, const uint8_t *B, uint8_t *Ho, uint8_t *So,
             uint8_t *Vo, ptrdiff_t m)
{
    ptrdiff_t i;
    for (i = 0; i < m; i++) {
        int r = R[i], g = G[i], b = B[i];
        int v = r > g ? r : g;
        v = v > b ? v : b;
        int vmin = r < g ? r : g;
        vmin = vmin < b ? vmin : b;
        int diff = v - vmin;
        int vr = v == r ? -1 : 0, vg = v == g ? -1 : 0;
        /* the tables' entries, recomputed: IEEE division rounds these exactly like the
         * tables (checked for every v and diff), and divisions vectorise where gathers
         * would not */
        int sd = (int)(1044480.0f / (float)(v | (v == 0)) + 0.5f);
        int hd = (int)(122880.0f / (float)(diff | (diff == 0)) + 0.5f);
        int sat = (diff * sd + (1 << 11)) >> 12;
        int h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))));
        h = (h * hd + (1 << 11)) >> 12;
        h += h < 0 ? 180 : 0;
        Ho[i] = (uint8_t)h;
        So[i] = (uint8_t)sat;
        Vo[i] = (uint8_t)v;
    }
}

/* RGB (ri == 0) or BGR -> H, S, V of n packed pixels, through planar chunks so the
 * arithmetic runs on full vectors of one channel. */
COL_CLONES
static void col_hsv3_u8_c(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    uint8_t P0[COL_CHUNK], P1[COL_CHUNK], P2[COL_CHUNK];
    uint8_t Ho[COL_CHUNK], So[COL_CHUNK], Vo[COL_CHUNK];
    ptrdiff_t c0, i, m;
    for (c0 = 0; c0 < n; c0 += COL_CHUNK) {
        const uint8_t *sp = s + 3 * c0;
        uint8_t *dp = d + 3 * c0;
        m = n - c0 < COL_CHUNK ? n - c0 : COL_CHUNK;
        for (i = 0; i < m; i++) { P0[i] = sp[3 * i]; P1[i] = sp[3 * i + 1]; P2[i] = sp[3 * i + 2]; }
        col_hsv_core(ri == 0 ? P0 : P2, P1, ri == 0 ? P2 : P0, Ho, So, Vo, m);
        for (i = 0; i < m; i++) { dp[3 * i] = Ho[i]; dp[3 * i + 1] = So[i]; dp[3 * i + 2] = Vo[i]; }
    }
}

#include "_color_x86.h"

static void col_hsv_init(void)
{
    int i;
#ifdef COL_HAVE_SSSE3_PATH
    col_simd(); /* decide the dispatch once, before any worker thread reads it */
#endif
    col_sdiv[0] = col_hdiv[0] = 0;
    for (i = 1; i < 256; i++) {
        col_sdiv[i] = (int)((255 << 12) / (double)i + 0.5);
        col_hdiv[i] = (int)((180 << 12) / (6.0 * i) + 0.5);
    }
}

/* ---------------------------------------------------------------- dispatch */
/* Channel permutation of n packed 3-channel pixels (RGB <-> BGR and the like). */
static void col_perm3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int i0, int i1, int i2,
                         int stream)
{
    (void)stream;
#ifdef COL_HAVE_SSSE3_PATH
    switch (col_simd()) {
    case 2: col_perm3_u8_avx2(s, d, n, i0, i1, i2, stream); return;
    case 1: col_perm3_u8_ssse3(s, d, n, i0, i1, i2); return;
    }
#endif
    col_perm3_u8_c(s, d, n, i0, i1, i2);
}

static void col_gray3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1, int w2)
{
#ifdef COL_HAVE_SSSE3_PATH
    /* pmaddwd takes signed 16-bit weights: a channel weighing 2^15 (all three on one
     * channel) stays on the plain loop */
    switch ((w0 | w1 | w2) >> 15 ? 0 : col_simd()) {
    case 2: col_gray3_u8_avx2(s, d, n, w0, w1, w2); return;
    case 1: col_gray3_u8_ssse3(s, d, n, w0, w1, w2); return;
    }
#endif
    col_gray3_u8_c(s, d, n, w0, w1, w2);
}

static void col_ycc3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
#ifdef COL_HAVE_SSSE3_PATH
    if (col_simd() == 2) {
        col_ycc3_u8_avx2(s, d, n, ri);
        return;
    }
#endif
    col_ycc3_u8_c(s, d, n, ri);
}

static void col_hsv3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
#ifdef COL_HAVE_SSSE3_PATH
    if (col_simd() == 2) {
        col_hsv3_u8_avx2(s, d, n, ri);
        return;
    }
#endif
    col_hsv3_u8_c(s, d, n, ri);
}
#endif
