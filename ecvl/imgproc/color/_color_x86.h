/* SSSE3 and AVX2 paths of the uint8 colour loops (included by _color_u8.h, after the plain C
 * versions they fall back on for heads, tails and CPUs without the instructions). Compilers
 * do not vectorise stride-3 byte gathers well, so packed pixels are split into planes and
 * merged back with pshufb; the arithmetic then runs on full vectors of one channel. */
#ifndef ECVL_COLOR_X86_H
#define ECVL_COLOR_X86_H

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


/* ---------------------------------------------------------------- AVX2 paths
 * The two 128-bit lanes run the SSSE3 scheme on pixels i..i+15 and i+16..i+31 (pshufb does
 * not cross lanes, so each lane gets its own three 16-byte vectors). */
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

/* Masks that split 48 packed bytes into three 16-byte planes, and that merge planes back. */
__attribute__((target("avx2")))
static void col_plane_masks(__m256i split[3][3], __m256i merge[3][3])
{
    int j, sp[48], mg[48];
    for (j = 0; j < 48; j++) {
        sp[j] = 3 * (j % 16) + j / 16;
        mg[j] = 16 * (j % 3) + j / 3;
    }
    col_masks96(sp, split);
    col_masks96(mg, merge);
}

/* Store 96 bytes whose 16-byte pieces sit lane-wise in o0, o1, o2 (lane 0: bytes 0-47,
 * lane 1: bytes 48-95, as col_gather32 leaves them); `stream` needs a 32-byte aligned d. */
__attribute__((target("avx2")))
static inline void col_store96(uint8_t *d, __m256i o0, __m256i o1, __m256i o2, int stream)
{
    __m256i a = _mm256_permute2x128_si256(o0, o1, 0x20);
    __m256i b = _mm256_permute2x128_si256(o2, o0, 0x30);
    __m256i c = _mm256_permute2x128_si256(o1, o2, 0x31);
    __m256i *dp = (__m256i *)d;
    if (stream) {
        _mm256_stream_si256(dp, a);
        _mm256_stream_si256(dp + 1, b);
        _mm256_stream_si256(dp + 2, c);
    } else {
        _mm256_storeu_si256(dp, a);
        _mm256_storeu_si256(dp + 1, b);
        _mm256_storeu_si256(dp + 2, c);
    }
}

/* Leading 3-byte pixels (at most 31, never more than n) to handle before d + 3 i is 32-byte
 * aligned; 0 without streaming. 11 is the inverse of 3 modulo 32. */
static inline ptrdiff_t col_head3(const uint8_t *d, ptrdiff_t n, int stream)
{
    ptrdiff_t h = (ptrdiff_t)(((-(uintptr_t)d) & 31) * 11 & 31);
    return !stream ? 0 : (h < n ? h : n);
}

__attribute__((target("avx2")))
static void col_perm3_u8_avx2(const uint8_t *s, uint8_t *d, ptrdiff_t n, int i0, int i1,
                              int i2, int stream)
{
    int src[48], j, ix[3] = {i0, i1, i2};
    __m256i mk[3][3];
    ptrdiff_t i = col_head3(d, n, stream);
    col_perm3_u8_c(s, d, i, i0, i1, i2);
    for (j = 0; j < 48; j++)
        src[j] = 3 * (j / 3) + ix[j % 3];
    col_masks96(src, mk);
    for (; i + 32 <= n; i += 32) {
        const uint8_t *sp = s + 3 * i;
        __m256i v0 = col_load2(sp, 0), v1 = col_load2(sp, 1), v2 = col_load2(sp, 2);
        col_store96(d + 3 * i, col_gather32(v0, v1, v2, mk[0]), col_gather32(v0, v1, v2, mk[1]),
                    col_gather32(v0, v1, v2, mk[2]), stream);
    }
    if (stream)
        _mm_sfence();
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
        src[j] = 3 * (j % 16) + j / 16; /* planes: bytes 0-15 channel 0, 16-31 channel 1, ... */
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

/* col_ycc_px on 16 pixels in 16-bit lanes (the same wrap-free arithmetic). */
__attribute__((target("avx2")))
static inline void col_ycc16(__m256i r, __m256i g, __m256i b, __m256i *y, __m256i *cb,
                             __m256i *cr)
{
#define COL_M(a, k) _mm256_mullo_epi16((a), _mm256_set1_epi16(k))
    const __m256i rnd = _mm256_set1_epi16(8192), off = _mm256_set1_epi16(128);
    __m256i yh = _mm256_add_epi16(_mm256_add_epi16(COL_M(r, 76), COL_M(g, 150)), COL_M(b, 29));
    __m256i yl = _mm256_add_epi16(_mm256_add_epi16(COL_M(r, 35), COL_M(g, 17)),
                                  _mm256_add_epi16(COL_M(b, 12), rnd));
    __m256i yy = _mm256_srli_epi16(_mm256_add_epi16(yh, _mm256_srli_epi16(yl, 6)), 8);
    __m256i tb = _mm256_sub_epi16(b, yy), tr = _mm256_sub_epi16(r, yy);
    __m256i lb = _mm256_srai_epi16(_mm256_add_epi16(COL_M(tb, 25), rnd), 7);
    __m256i lr = _mm256_srai_epi16(_mm256_add_epi16(COL_M(tr, 34), rnd), 7);
    *y = yy;
    *cb = _mm256_add_epi16(_mm256_srai_epi16(_mm256_add_epi16(COL_M(tb, 72), lb), 7), off);
    *cr = _mm256_add_epi16(_mm256_srai_epi16(_mm256_add_epi16(COL_M(tr, 91), lr), 7), off);
#undef COL_M
}

__attribute__((target("avx2")))
static void col_ycc3_u8_avx2(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    __m256i split[3][3], merge[3][3];
    const __m256i z = _mm256_setzero_si256();
    ptrdiff_t i = 0;
    col_plane_masks(split, merge);
    for (; i + 32 <= n; i += 32) {
        const uint8_t *sp = s + 3 * i;
        __m256i v0 = col_load2(sp, 0), v1 = col_load2(sp, 1), v2 = col_load2(sp, 2);
        __m256i p0 = col_gather32(v0, v1, v2, split[0]);
        __m256i g = col_gather32(v0, v1, v2, split[1]);
        __m256i p2 = col_gather32(v0, v1, v2, split[2]);
        __m256i r = ri == 0 ? p0 : p2, b = ri == 0 ? p2 : p0;
        __m256i y0, cb0, cr0, y1, cb1, cr1;
        col_ycc16(_mm256_unpacklo_epi8(r, z), _mm256_unpacklo_epi8(g, z),
                  _mm256_unpacklo_epi8(b, z), &y0, &cb0, &cr0);
        col_ycc16(_mm256_unpackhi_epi8(r, z), _mm256_unpackhi_epi8(g, z),
                  _mm256_unpackhi_epi8(b, z), &y1, &cb1, &cr1);
        /* packus saturates chroma to 0..255 and restores the pixel order in each lane */
        v0 = _mm256_packus_epi16(y0, y1);
        v1 = _mm256_packus_epi16(cb0, cb1);
        v2 = _mm256_packus_epi16(cr0, cr1);
        col_store96(d + 3 * i, col_gather32(v0, v1, v2, merge[0]),
                    col_gather32(v0, v1, v2, merge[1]), col_gather32(v0, v1, v2, merge[2]), 0);
    }
    col_ycc3_u8_c(s + 3 * i, d + 3 * i, n - i, ri);
}

/* col_hsv_core on 16 pixels in 16-bit lanes: r, g, b, the maximum v and the range d (all
 * zero-extended) and the masks of v == r and v == g; returns H and S in 16-bit lanes. The
 * products and the table divisions need 32 bits: they run on two halves of 8. */
__attribute__((target("avx2")))
static inline void col_hsv16(__m256i r, __m256i g, __m256i b, __m256i v, __m256i d, __m256i vr,
                             __m256i vg, __m256i *h16, __m256i *s16)
{
    const __m256i z = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
    const __m256i rnd = _mm256_set1_epi32(1 << 11), h180 = _mm256_set1_epi32(180);
    const __m256 half = _mm256_set1_ps(0.5f);
    __m256i num = _mm256_blendv_epi8(
        _mm256_sub_epi16(_mm256_add_epi16(r, _mm256_slli_epi16(d, 2)), g),  /* r - g + 4d */
        _mm256_add_epi16(_mm256_sub_epi16(b, r), _mm256_slli_epi16(d, 1)),  /* b - r + 2d */
        vg);
    __m256i sgn, hq[2], sq[2];
    int q;
    num = _mm256_blendv_epi8(num, _mm256_sub_epi16(g, b), vr);
    sgn = _mm256_srai_epi16(num, 15);
    for (q = 0; q < 2; q++) {
        __m256i n32 = q ? _mm256_unpackhi_epi16(num, sgn) : _mm256_unpacklo_epi16(num, sgn);
        __m256i d32 = q ? _mm256_unpackhi_epi16(d, z) : _mm256_unpacklo_epi16(d, z);
        __m256i v32 = q ? _mm256_unpackhi_epi16(v, z) : _mm256_unpacklo_epi16(v, z);
        /* x | (x == 0), as the scalar code, so 0 divides as 1 */
        __m256 df = _mm256_cvtepi32_ps(
            _mm256_or_si256(d32, _mm256_and_si256(_mm256_cmpeq_epi32(d32, z), one)));
        __m256 vf = _mm256_cvtepi32_ps(
            _mm256_or_si256(v32, _mm256_and_si256(_mm256_cmpeq_epi32(v32, z), one)));
        __m256i hd = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_div_ps(_mm256_set1_ps(122880.0f), df), half));
        __m256i sd = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_div_ps(_mm256_set1_ps(1044480.0f), vf), half));
        __m256i h = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(n32, hd), rnd), 12);
        sq[q] = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(d32, sd), rnd), 12);
        hq[q] = _mm256_add_epi32(h, _mm256_and_si256(_mm256_srai_epi32(h, 31), h180));
    }
    /* packs work per lane and undo the unpacks' order */
    *h16 = _mm256_packs_epi32(hq[0], hq[1]);
    *s16 = _mm256_packs_epi32(sq[0], sq[1]);
}

__attribute__((target("avx2")))
static void col_hsv3_u8_avx2(const uint8_t *s, uint8_t *d, ptrdiff_t n, int ri)
{
    __m256i split[3][3], merge[3][3];
    const __m256i z = _mm256_setzero_si256();
    ptrdiff_t i = 0;
    col_plane_masks(split, merge);
    for (; i + 32 <= n; i += 32) {
        const uint8_t *sp = s + 3 * i;
        __m256i v0 = col_load2(sp, 0), v1 = col_load2(sp, 1), v2 = col_load2(sp, 2);
        __m256i p0 = col_gather32(v0, v1, v2, split[0]);
        __m256i g = col_gather32(v0, v1, v2, split[1]);
        __m256i p2 = col_gather32(v0, v1, v2, split[2]);
        __m256i r = ri == 0 ? p0 : p2, b = ri == 0 ? p2 : p0;
        __m256i v = _mm256_max_epu8(_mm256_max_epu8(r, g), b);
        __m256i dd = _mm256_sub_epi8(v, _mm256_min_epu8(_mm256_min_epu8(r, g), b));
        __m256i vr = _mm256_cmpeq_epi8(v, r), vg = _mm256_cmpeq_epi8(v, g);
        __m256i h0, s0, h1, s1;
        col_hsv16(_mm256_unpacklo_epi8(r, z), _mm256_unpacklo_epi8(g, z),
                  _mm256_unpacklo_epi8(b, z), _mm256_unpacklo_epi8(v, z),
                  _mm256_unpacklo_epi8(dd, z), _mm256_unpacklo_epi8(vr, vr),
                  _mm256_unpacklo_epi8(vg, vg), &h0, &s0);
        col_hsv16(_mm256_unpackhi_epi8(r, z), _mm256_unpackhi_epi8(g, z),
                  _mm256_unpackhi_epi8(b, z), _mm256_unpackhi_epi8(v, z),
                  _mm256_unpackhi_epi8(dd, z), _mm256_unpackhi_epi8(vr, vr),
                  _mm256_unpackhi_epi8(vg, vg), &h1, &s1);
        v0 = _mm256_packus_epi16(h0, h1);
        v1 = _mm256_packus_epi16(s0, s1);
        col_store96(d + 3 * i, col_gather32(v0, v1, v, merge[0]),
                    col_gather32(v0, v1, v, merge[1]), col_gather32(v0, v1, v, merge[2]), 0);
    }
    col_hsv3_u8_c(s + 3 * i, d + 3 * i, n - i, ri);
}

static int col_simd_level = -1; /* 0: plain C, 1: SSSE3, 2: AVX2 */

static inline int col_simd(void)
{
    if (col_simd_level < 0) {
        col_simd_level = DH_ISA_CPU_HAS("avx2", 3) ? 2 : DH_ISA_CPU_HAS("ssse3", 2) ? 1 : 0;
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
#endif
