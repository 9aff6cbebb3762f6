/* uint8 colour loops: channel shuffles in SSSE3 (picked at run time, plain C otherwise); the
 * others compiled twice (AVX2 and baseline x86-64, picked at load time): with
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

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define COL_HAVE_SSSE3_PATH 1
#include <tmmintrin.h>

/* Compilers do not vectorise stride-3 byte gathers well, so 16 packed pixels (three 16-byte
 * vectors) are rearranged with pshufb: output vector k is the OR of each input vector m
 * shuffled by masks[k][m], whose bytes are -128 (zero) where another vector supplies the
 * byte. Output byte j of the 48 takes input byte src[j]. */
static void col_masks48(const int src[48], __m128i masks[3][3])
{
    int k, m, i;
    for (k = 0; k < 3; k++)
        for (m = 0; m < 3; m++) {
            int8_t b[16];
            for (i = 0; i < 16; i++) {
                int from = src[16 * k + i];
                b[i] = (int8_t)(from / 16 == m ? from % 16 : -128);
            }
            masks[k][m] = _mm_loadu_si128((const __m128i *)b);
        }
}

__attribute__((target("ssse3")))
static inline __m128i col_gather16(__m128i v0, __m128i v1, __m128i v2, const __m128i *mk)
{
    return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(v0, mk[0]), _mm_shuffle_epi8(v1, mk[1])),
                        _mm_shuffle_epi8(v2, mk[2]));
}

/* d[3 i + c] = s[3 i + ix_c] for every pixel (any channel permutation or repetition). */
__attribute__((target("ssse3")))
static void col_perm3_u8_ssse3(const uint8_t *s, uint8_t *d, ptrdiff_t n, int i0, int i1,
                               int i2)
{
    int src[48], j, ix[3] = {i0, i1, i2};
    __m128i mk[3][3];
    ptrdiff_t i = 0;
    for (j = 0; j < 48; j++)
        src[j] = 3 * (j / 3) + ix[j % 3];
    col_masks48(src, mk);
    for (; i + 16 <= n; i += 16) {
        const __m128i *sp = (const __m128i *)(s + 3 * i);
        __m128i v0 = _mm_loadu_si128(sp), v1 = _mm_loadu_si128(sp + 1);
        __m128i v2 = _mm_loadu_si128(sp + 2);
        __m128i *dp = (__m128i *)(d + 3 * i);
        _mm_storeu_si128(dp, col_gather16(v0, v1, v2, mk[0]));
        _mm_storeu_si128(dp + 1, col_gather16(v0, v1, v2, mk[1]));
        _mm_storeu_si128(dp + 2, col_gather16(v0, v1, v2, mk[2]));
    }
    col_perm3_u8_c(s + 3 * i, d + 3 * i, n - i, i0, i1, i2);
}

/* Gray with the exact integer arithmetic of col_gray3_u8_c: the channels are split into planes
 * by pshufb, and pmaddwd forms c0 w0 + c1 w1 and c2 w2 + 1 * 16384 in 32-bit lanes. */
__attribute__((target("ssse3")))
static void col_gray3_u8_ssse3(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1,
                               int w2)
{
    int src[48], j;
    __m128i mk[3][3];
    const __m128i z = _mm_setzero_si128(), one = _mm_set1_epi16(1);
    const __m128i w01 = _mm_set1_epi32((int)((uint32_t)(uint16_t)w0 | ((uint32_t)w1 << 16)));
    const __m128i w2r = _mm_set1_epi32((int)((uint32_t)(uint16_t)w2 | (16384u << 16)));
    ptrdiff_t i = 0;
    for (j = 0; j < 48; j++)
        src[j] = 3 * (j % 16) + j / 16; /* planes: bytes 0-15 channel 0, 16-31 channel 1, ... */
    col_masks48(src, mk);
    for (; i + 16 <= n; i += 16) {
        const __m128i *sp = (const __m128i *)(s + 3 * i);
        __m128i v0 = _mm_loadu_si128(sp), v1 = _mm_loadu_si128(sp + 1);
        __m128i v2 = _mm_loadu_si128(sp + 2);
        __m128i c0 = col_gather16(v0, v1, v2, mk[0]);
        __m128i c1 = col_gather16(v0, v1, v2, mk[1]);
        __m128i c2 = col_gather16(v0, v1, v2, mk[2]);
        __m128i a0 = _mm_unpacklo_epi8(c0, z), a1 = _mm_unpackhi_epi8(c0, z);
        __m128i b0 = _mm_unpacklo_epi8(c1, z), b1 = _mm_unpackhi_epi8(c1, z);
        __m128i e0 = _mm_unpacklo_epi8(c2, z), e1 = _mm_unpackhi_epi8(c2, z);
        __m128i y0 = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(a0, b0), w01),
                                   _mm_madd_epi16(_mm_unpacklo_epi16(e0, one), w2r));
        __m128i y1 = _mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(a0, b0), w01),
                                   _mm_madd_epi16(_mm_unpackhi_epi16(e0, one), w2r));
        __m128i y2 = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(a1, b1), w01),
                                   _mm_madd_epi16(_mm_unpacklo_epi16(e1, one), w2r));
        __m128i y3 = _mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(a1, b1), w01),
                                   _mm_madd_epi16(_mm_unpackhi_epi16(e1, one), w2r));
        __m128i lo = _mm_packs_epi32(_mm_srli_epi32(y0, 15), _mm_srli_epi32(y1, 15));
        __m128i hi = _mm_packs_epi32(_mm_srli_epi32(y2, 15), _mm_srli_epi32(y3, 15));
        _mm_storeu_si128((__m128i *)(d + i), _mm_packus_epi16(lo, hi));
    }
    col_gray3_u8_c(s + 3 * i, d + i, n - i, w0, w1, w2);
}

/* AVX2 twins: the two 128-bit lanes run the SSSE3 scheme on pixels i..i+15 and i+16..i+31
 * (pshufb does not cross lanes, so each lane gets its own three 16-byte vectors). */
#include <immintrin.h>

__attribute__((target("avx2")))
static inline __m256i col_load2(const uint8_t *p, int k)
{
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p + k)),
        _mm_loadu_si128((const __m128i *)p + 3 + k), 1);
}

__attribute__((target("avx2")))
static inline __m256i col_gather32(__m256i v0, __m256i v1, __m256i v2, const __m256i *mk)
{
    return _mm256_or_si256(
        _mm256_or_si256(_mm256_shuffle_epi8(v0, mk[0]), _mm256_shuffle_epi8(v1, mk[1])),
        _mm256_shuffle_epi8(v2, mk[2]));
}

__attribute__((target("avx2")))
static void col_masks96(const int src[48], __m256i mk[3][3])
{
    __m128i m[3][3];
    int k, j;
    col_masks48(src, m);
    for (k = 0; k < 3; k++)
        for (j = 0; j < 3; j++)
            mk[k][j] = _mm256_broadcastsi128_si256(m[k][j]);
}

__attribute__((target("avx2")))
static void col_perm3_u8_avx2(const uint8_t *s, uint8_t *d, ptrdiff_t n, int i0, int i1,
                              int i2)
{
    int src[48], j, ix[3] = {i0, i1, i2};
    __m256i mk[3][3];
    ptrdiff_t i = 0;
    for (j = 0; j < 48; j++)
        src[j] = 3 * (j / 3) + ix[j % 3];
    col_masks96(src, mk);
    for (; i + 32 <= n; i += 32) {
        const uint8_t *sp = s + 3 * i;
        __m128i *dp = (__m128i *)(d + 3 * i);
        __m256i v0 = col_load2(sp, 0), v1 = col_load2(sp, 1), v2 = col_load2(sp, 2);
        for (j = 0; j < 3; j++) {
            __m256i o = col_gather32(v0, v1, v2, mk[j]);
            _mm_storeu_si128(dp + j, _mm256_castsi256_si128(o));
            _mm_storeu_si128(dp + 3 + j, _mm256_extracti128_si256(o, 1));
        }
    }
    col_perm3_u8_ssse3(s + 3 * i, d + 3 * i, n - i, i0, i1, i2);
}

__attribute__((target("avx2")))
static void col_gray3_u8_avx2(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1, int w2)
{
    int src[48], j;
    __m256i mk[3][3];
    const __m256i z = _mm256_setzero_si256(), one = _mm256_set1_epi16(1);
    const __m256i w01 = _mm256_set1_epi32((int)((uint32_t)(uint16_t)w0 | ((uint32_t)w1 << 16)));
    const __m256i w2r = _mm256_set1_epi32((int)((uint32_t)(uint16_t)w2 | (16384u << 16)));
    ptrdiff_t i = 0;
    for (j = 0; j < 48; j++)
        src[j] = 3 * (j % 16) + j / 16;
    col_masks96(src, mk);
    for (; i + 32 <= n; i += 32) {
        const uint8_t *sp = s + 3 * i;
        __m256i v0 = col_load2(sp, 0), v1 = col_load2(sp, 1), v2 = col_load2(sp, 2);
        __m256i c0 = col_gather32(v0, v1, v2, mk[0]);
        __m256i c1 = col_gather32(v0, v1, v2, mk[1]);
        __m256i c2 = col_gather32(v0, v1, v2, mk[2]);
        __m256i a0 = _mm256_unpacklo_epi8(c0, z), a1 = _mm256_unpackhi_epi8(c0, z);
        __m256i b0 = _mm256_unpacklo_epi8(c1, z), b1 = _mm256_unpackhi_epi8(c1, z);
        __m256i e0 = _mm256_unpacklo_epi8(c2, z), e1 = _mm256_unpackhi_epi8(c2, z);
        __m256i y0 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(a0, b0), w01),
                                      _mm256_madd_epi16(_mm256_unpacklo_epi16(e0, one), w2r));
        __m256i y1 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(a0, b0), w01),
                                      _mm256_madd_epi16(_mm256_unpackhi_epi16(e0, one), w2r));
        __m256i y2 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(a1, b1), w01),
                                      _mm256_madd_epi16(_mm256_unpacklo_epi16(e1, one), w2r));
        __m256i y3 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(a1, b1), w01),
                                      _mm256_madd_epi16(_mm256_unpackhi_epi16(e1, one), w2r));
        /* packs work per lane, so lane 0 ends with pixels i..i+15 and lane 1 with the rest */
        __m256i lo = _mm256_packs_epi32(_mm256_srli_epi32(y0, 15), _mm256_srli_epi32(y1, 15));
        __m256i hi = _mm256_packs_epi32(_mm256_srli_epi32(y2, 15), _mm256_srli_epi32(y3, 15));
        _mm256_storeu_si256((__m256i *)(d + i), _mm256_packus_epi16(lo, hi));
    }
    col_gray3_u8_ssse3(s + 3 * i, d + i, n - i, w0, w1, w2);
}

static int col_simd_level = -1; /* 0: plain C, 1: SSSE3, 2: AVX2 */

static inline int col_simd(void)
{
    if (col_simd_level < 0) {
        __builtin_cpu_init();
        col_simd_level = __builtin_cpu_supports("avx2") ? 2
                         : __builtin_cpu_supports("ssse3") ? 1 : 0;
    }
    return col_simd_level;
}

/* Kernel level in use, and a cap on it so tests can exercise every path. */
static int col_simd_get(void) { return col_simd(); }
static void col_simd_cap(int level)
{
    col_simd_level = -1;
    if (col_simd() > level)
        col_simd_level = level < 0 ? 0 : level;
}
#else
static int col_simd_get(void) { return 0; }
static void col_simd_cap(int level) { (void)level; }
#endif

/* Channel permutation of n packed 3-channel pixels (RGB <-> BGR and the like). */
static void col_perm3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int i0, int i1, int i2)
{
#ifdef COL_HAVE_SSSE3_PATH
    int level = col_simd();
    if (level == 2) {
        col_perm3_u8_avx2(s, d, n, i0, i1, i2);
        return;
    }
    if (level == 1) {
        col_perm3_u8_ssse3(s, d, n, i0, i1, i2);
        return;
    }
#endif
    col_perm3_u8_c(s, d, n, i0, i1, i2);
}

static void col_gray3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1, int w2)
{
#ifdef COL_HAVE_SSSE3_PATH
    /* pmaddwd takes signed 16-bit weights: a channel weighing 2^15 (all three on one
     * channel) stays on the plain loop */
    int level = (w0 | w1 | w2) >> 15 ? 0 : col_simd();
    if (level == 2) {
        col_gray3_u8_avx2(s, d, n, w0, w1, w2);
        return;
    }
    if (level == 1) {
        col_gray3_u8_ssse3(s, d, n, w0, w1, w2);
        return;
    }
#endif
    col_gray3_u8_c(s, d, n, w0, w1, w2);
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
#ifdef COL_HAVE_SSSE3_PATH
    col_simd(); /* decide the dispatch once, before any worker thread reads it */
#endif
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
