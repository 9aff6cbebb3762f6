/* uint8 colour loops compiled twice (AVX2 and baseline x86-64, picked at load time): with
 * AVX2 byte shuffles GCC vectorises the stride-3 channel accesses, which SSE2 cannot. */
#ifndef ECVL_COLOR_U8_H
#define ECVL_COLOR_U8_H
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define COL_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define COL_CLONES
#endif

/* RGB <-> BGR of n pixels. */
COL_CLONES
static void col_swap3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        d[3 * i] = s[3 * i + 2];
        d[3 * i + 1] = s[3 * i + 1];
        d[3 * i + 2] = s[3 * i];
    }
}

/* Gray of n packed 3-channel pixels whose channels weigh w0, w1, w2 (15-bit, summing to 2^15). */
COL_CLONES
static void col_gray3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1, int w2)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++)
        d[i] = (uint8_t)((s[3 * i] * w0 + s[3 * i + 1] * w1 + s[3 * i + 2] * w2 + 16384) >> 15);
}
#define COL_CHUNK 256

/* Split / merge chunks of packed 3-channel pixels to / from planes (byte shuffles in AVX2). */
#define COL_SPLIT3(SP, M, A, B, C_)                                                               \
    for (i = 0; i < (M); i++) { A[i] = SP[3 * i]; B[i] = SP[3 * i + 1]; C_[i] = SP[3 * i + 2]; }
#define COL_MERGE3(DP, M, A, B, C_)                                                               \
    for (i = 0; i < (M); i++) { DP[3 * i] = A[i]; DP[3 * i + 1] = B[i]; DP[3 * i + 2] = C_[i]; }

/* RGB (ri == 0) or BGR -> Y, Cb, Cr of n packed pixels with OpenCV's 14-bit YCrCb constants.
 * Chunks go through planes so the arithmetic runs on full vectors of one channel. */
COL_CLONES
static void col_ycc3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    uint8_t P0[COL_CHUNK], P1[COL_CHUNK], P2[COL_CHUNK];
    uint8_t Yo[COL_CHUNK], Cbo[COL_CHUNK], Cro[COL_CHUNK];
    ptrdiff_t c0, i, m;
    for (c0 = 0; c0 < n; c0 += COL_CHUNK) {
        const uint8_t *sp = s + 3 * c0;
        uint8_t *dp = d + 3 * c0;
        const uint8_t *R = ri == 0 ? P0 : P2, *B = ri == 0 ? P2 : P0;
        m = n - c0 < COL_CHUNK ? n - c0 : COL_CHUNK;
        COL_SPLIT3(sp, m, P0, P1, P2)
        for (i = 0; i < m; i++) {
            /* OpenCV's 14-bit products split at bit 6 (Y) or 7 (chroma) so every partial sum
             * fits 16 bits: floor((2^k h + l) / 2^14) = (h + (l >> k)) >> (14 - k) exactly,
             * and the loop runs on 16-bit lanes. */
            uint16_t r = R[i], g = P1[i], b = B[i];
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
            Yo[i] = (uint8_t)y;
            Cbo[i] = (uint8_t)(cb < 255 ? cb : 255);
            Cro[i] = (uint8_t)(cr < 255 ? cr : 255);
        }
        COL_MERGE3(dp, m, Yo, Cbo, Cro)
    }
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

static void col_hsv_init(void)
{
    int i;
    col_sdiv[0] = col_hdiv[0] = 0;
    for (i = 1; i < 256; i++) {
        col_sdiv[i] = (int)((255 << 12) / (double)i + 0.5);
        col_hdiv[i] = (int)((180 << 12) / (6.0 * i) + 0.5);
    }
}

/* RGB/BGR -> H (0..179), S, V of n pixels, bit-exact with OpenCV's 8-bit table arithmetic.
 * Chunks go through planar scratch so each of the three loops vectorises (the stride-3 split
 * and merge with byte shuffles). */
#define COL_HSV_CHUNK 256

COL_CLONES
static void col_hsv3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    uint8_t R[COL_HSV_CHUNK], G[COL_HSV_CHUNK], B[COL_HSV_CHUNK];
    uint8_t Ho[COL_HSV_CHUNK], So[COL_HSV_CHUNK], Vo[COL_HSV_CHUNK];
    ptrdiff_t c0, i, m;
    for (c0 = 0; c0 < n; c0 += COL_HSV_CHUNK) {
        const uint8_t *sp = s + 3 * c0;
        uint8_t *dp = d + 3 * c0;
        m = n - c0 < COL_HSV_CHUNK ? n - c0 : COL_HSV_CHUNK;
        if (ri == 0)
            for (i = 0; i < m; i++) { R[i] = sp[3 * i]; G[i] = sp[3 * i + 1]; B[i] = sp[3 * i + 2]; }
        else
            for (i = 0; i < m; i++) { R[i] = sp[3 * i + 2]; G[i] = sp[3 * i + 1]; B[i] = sp[3 * i]; }
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
        for (i = 0; i < m; i++) { dp[3 * i] = Ho[i]; dp[3 * i + 1] = So[i]; dp[3 * i + 2] = Vo[i]; }
    }
}
#endif
