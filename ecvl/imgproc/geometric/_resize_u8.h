/* Fixed-point row kernels of the uint8 separable resize.
 *
 * Weights are integers scaled by 2^bits (each table row sums exactly to 2^bits, so flat
 * regions stay flat). The horizontal pass writes int32 rows scaled by 2^bx; the vertical pass
 * combines ky such rows with weights scaled by 2^by and rounds by (bx + by) bits. The caller
 * picks the bits so that 255 * sum|wx| * sum|wy| * 2^(bx+by) fits in int32.
 *
 * The vertical pass is a contiguous loop over dw*C values and is compiled twice (AVX2 and
 * baseline x86-64, chosen at load time) so it vectorises on any x86-64 CPU.
 */
#ifndef ECVL_RESIZE_U8_H
#define ECVL_RESIZE_U8_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dh_isa.h"
#define RSU8_CLONES DH_ISA_CLONES

/* t[dx*C + c] = sum_k w[dx*K + k] * s[o[dx*K + k] + c]; offsets o are premultiplied by C. */
static void rsu8_hrow(const uint8_t *s, int32_t *t, ptrdiff_t dw, ptrdiff_t C,
                      const int32_t *o, const int32_t *w, int K)
{
    ptrdiff_t dx, c;
    int k;
    if (K == 2 && C == 3) {
        for (dx = 0; dx < dw; dx++) {
            const uint8_t *p = s + o[2 * dx], *q = s + o[2 * dx + 1];
            int32_t w0 = w[2 * dx], w1 = w[2 * dx + 1];
            t[3 * dx] = w0 * p[0] + w1 * q[0];
            t[3 * dx + 1] = w0 * p[1] + w1 * q[1];
            t[3 * dx + 2] = w0 * p[2] + w1 * q[2];
        }
    } else if (K == 2 && C == 1) {
        for (dx = 0; dx < dw; dx++)
            t[dx] = w[2 * dx] * s[o[2 * dx]] + w[2 * dx + 1] * s[o[2 * dx + 1]];
    } else if (K == 4 && C == 1) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + 4 * dx, *ww = w + 4 * dx;
            t[dx] = ww[0] * s[oo[0]] + ww[1] * s[oo[1]] + ww[2] * s[oo[2]] + ww[3] * s[oo[3]];
        }
    } else if (K == 4 && C == 3) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + 4 * dx, *ww = w + 4 * dx;
            const uint8_t *p0 = s + oo[0], *p1 = s + oo[1], *p2 = s + oo[2], *p3 = s + oo[3];
            for (c = 0; c < 3; c++)
                t[3 * dx + c] = ww[0] * p0[c] + ww[1] * p1[c] + ww[2] * p2[c] + ww[3] * p3[c];
        }
    } else if (C == 1) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + dx * K, *ww = w + dx * K;
            int32_t a = 0;
            for (k = 0; k < K; k++)
                a += ww[k] * s[oo[k]];
            t[dx] = a;
        }
    } else if (C == 3) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + dx * K, *ww = w + dx * K;
            int32_t a0 = 0, a1 = 0, a2 = 0;
            for (k = 0; k < K; k++) {
                const uint8_t *p = s + oo[k];
                a0 += ww[k] * p[0];
                a1 += ww[k] * p[1];
                a2 += ww[k] * p[2];
            }
            t[3 * dx] = a0;
            t[3 * dx + 1] = a1;
            t[3 * dx + 2] = a2;
        }
    } else {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + dx * K, *ww = w + dx * K;
            for (c = 0; c < C; c++) {
                int32_t a = 0;
                for (k = 0; k < K; k++)
                    a += ww[k] * s[oo[k] + c];
                t[dx * C + c] = a;
            }
        }
    }
}

static inline uint8_t rsu8_sat(int32_t v)
{
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

/* out[i] = saturate((sum_k w[k] * rows[k][i] + half) >> shift) for i < n; acc holds n ints. */
RSU8_CLONES
static void rsu8_vrow(const int32_t *const *rows, const int32_t *w, int K, uint8_t *out,
                      int32_t *acc, ptrdiff_t n, int shift)
{
    ptrdiff_t i;
    int k;
    const int32_t half = (int32_t)1 << (shift - 1);
    if (K == 2) {
        const int32_t *r0 = rows[0], *r1 = rows[1];
        const int32_t w0 = w[0], w1 = w[1];
        for (i = 0; i < n; i++)
            out[i] = rsu8_sat((w0 * r0[i] + w1 * r1[i] + half) >> shift);
        return;
    }
    if (K == 4) {
        const int32_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        for (i = 0; i < n; i++)
            out[i] = rsu8_sat((w0 * r0[i] + w1 * r1[i] + w2 * r2[i] + w3 * r3[i] + half)
                              >> shift);
        return;
    }
    {
        const int32_t *r0 = rows[0];
        const int32_t w0 = w[0];
        for (i = 0; i < n; i++)
            acc[i] = w0 * r0[i] + half;
    }
    for (k = 1; k < K; k++) {
        const int32_t *r = rows[k];
        const int32_t wk = w[k];
        if (wk == 0)
            continue;
        for (i = 0; i < n; i++)
            acc[i] += wk * r[i];
    }
    for (i = 0; i < n; i++)
        out[i] = rsu8_sat(acc[i] >> shift);
}

/* One output row of the exact 2x2 box average: a and b are the two source rows (2*dw pixels),
 * v scratch for 2*dw*C sums. The vertical sum is a contiguous loop; the pair sum follows. */
RSU8_CLONES
static void rsu8_half_row(const uint8_t *a, const uint8_t *b, uint8_t *o, uint16_t *v,
                          ptrdiff_t dw, ptrdiff_t C)
{
    ptrdiff_t i, dx, c, n = 2 * dw * C;
    for (i = 0; i < n; i++)
        v[i] = (uint16_t)(a[i] + b[i]);
    if (C == 3) {
        for (dx = 0; dx < dw; dx++) {
            o[3 * dx] = (uint8_t)((v[6 * dx] + v[6 * dx + 3] + 2) >> 2);
            o[3 * dx + 1] = (uint8_t)((v[6 * dx + 1] + v[6 * dx + 4] + 2) >> 2);
            o[3 * dx + 2] = (uint8_t)((v[6 * dx + 2] + v[6 * dx + 5] + 2) >> 2);
        }
    } else if (C == 1) {
        for (dx = 0; dx < dw; dx++)
            o[dx] = (uint8_t)((v[2 * dx] + v[2 * dx + 1] + 2) >> 2);
    } else {
        for (dx = 0; dx < dw; dx++)
            for (c = 0; c < C; c++)
                o[dx * C + c] = (uint8_t)((v[2 * dx * C + c] + v[2 * dx * C + C + c] + 2) >> 2);
    }
}

/* ---- SSE4.1 horizontal pass over consecutive taps --------------------------------------
 *
 * When the K taps of every output are K consecutive source pixels (the Python side folds the
 * clamped edge taps into such windows), one unaligned load brings all of them; a byte shuffle
 * spreads them into (tap j, tap j+1) int16 pairs, one 32-bit lane per channel, and pmaddwd
 * multiplies by the packed int16 weight pairs `wp` (K/2 per output). The results are the
 * same integers as rsu8_hrow's. `lim` outputs are done here (the caller keeps their loads
 * inside the row, and for C = 2, 3 leaves the last output, whose 4-lane store would spill);
 * the rest by rsu8_hrow. Returns how many outputs it did.
 */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define RSU8_SSE 1
static int rsu8_cpu_sse41(void) { return __builtin_cpu_supports("sse4.1"); }

__attribute__((target("sse4.1")))
static ptrdiff_t rsu8_hrow_sse(const uint8_t *s, int32_t *t, ptrdiff_t C, const int32_t *o,
                               const int32_t *wp, int K, ptrdiff_t lim)
{
    ptrdiff_t dx;
    if (C == 1 && K == 2) {
        for (dx = 0; dx + 4 <= lim; dx += 4) {
            uint16_t a0, a1, a2, a3;
            memcpy(&a0, s + o[dx], 2);
            memcpy(&a1, s + o[dx + 1], 2);
            memcpy(&a2, s + o[dx + 2], 2);
            memcpy(&a3, s + o[dx + 3], 2);
            uint64_t q = a0 | ((uint64_t)a1 << 16) | ((uint64_t)a2 << 32) | ((uint64_t)a3 << 48);
            __m128i v = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)q));
            __m128i w = _mm_loadu_si128((const __m128i *)(wp + dx));
            _mm_storeu_si128((__m128i *)(t + dx), _mm_madd_epi16(v, w));
        }
        return dx;
    }
    if (C == 1 && K == 4) {
        for (dx = 0; dx + 4 <= lim; dx += 4) {
            int32_t b0, b1, b2, b3;
            memcpy(&b0, s + o[dx], 4);
            memcpy(&b1, s + o[dx + 1], 4);
            memcpy(&b2, s + o[dx + 2], 4);
            memcpy(&b3, s + o[dx + 3], 4);
            __m128i v = _mm_setr_epi32(b0, b1, b2, b3);
            __m128i lo = _mm_madd_epi16(_mm_cvtepu8_epi16(v),
                                        _mm_loadu_si128((const __m128i *)(wp + 2 * dx)));
            __m128i hi = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(v, 8)),
                                        _mm_loadu_si128((const __m128i *)(wp + 2 * dx + 4)));
            _mm_storeu_si128((__m128i *)(t + dx), _mm_hadd_epi32(lo, hi));
        }
        return dx;
    }
    {
        /* lane c gets the pair (byte c, byte C + c); ctl23 the pair two taps further. */
        const char c0 = 0, c1 = (char)C, c2 = (char)(2 * C), c3 = (char)(3 * C);
        const __m128i ctl01 = _mm_setr_epi8(c0, -1, c1, -1, c0 + 1, -1, c1 + 1, -1,
                                            c0 + 2, -1, c1 + 2, -1, c0 + 3, -1, c1 + 3, -1);
        const __m128i ctl23 = _mm_setr_epi8(c2, -1, c3, -1, c2 + 1, -1, c3 + 1, -1,
                                            c2 + 2, -1, c3 + 2, -1, c2 + 3, -1, c3 + 3, -1);
        if (K == 2) {
            for (dx = 0; dx < lim; dx++) {
                __m128i v = _mm_loadl_epi64((const __m128i *)(s + o[dx]));
                __m128i r = _mm_madd_epi16(_mm_shuffle_epi8(v, ctl01), _mm_set1_epi32(wp[dx]));
                _mm_storeu_si128((__m128i *)(t + dx * C), r);
            }
        } else {
            for (dx = 0; dx < lim; dx++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(s + o[dx]));
                __m128i r = _mm_add_epi32(
                    _mm_madd_epi16(_mm_shuffle_epi8(v, ctl01), _mm_set1_epi32(wp[2 * dx])),
                    _mm_madd_epi16(_mm_shuffle_epi8(v, ctl23), _mm_set1_epi32(wp[2 * dx + 1])));
                _mm_storeu_si128((__m128i *)(t + dx * C), r);
            }
        }
    }
    return lim;
}
/* The same for C = 2..4 with AVX2: two outputs per 256-bit shuffle and multiply-add, one per
 * 128-bit lane, stored lane by lane (the low lane's spill is rewritten by the high lane). */
__attribute__((target("avx2")))
static ptrdiff_t rsu8_hrow_avx2(const uint8_t *s, int32_t *t, ptrdiff_t C, const int32_t *o,
                                const int32_t *wp, int K, ptrdiff_t lim)
{
    const char c0 = 0, c1 = (char)C, c2 = (char)(2 * C), c3 = (char)(3 * C);
    const __m256i ctl01 = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(c0, -1, c1, -1, c0 + 1, -1, c1 + 1, -1, c0 + 2, -1, c1 + 2, -1, c0 + 3, -1,
                      c1 + 3, -1));
    const __m256i ctl23 = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(c2, -1, c3, -1, c2 + 1, -1, c3 + 1, -1, c2 + 2, -1, c3 + 2, -1, c2 + 3, -1,
                      c3 + 3, -1));
    const __m256i dup = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    ptrdiff_t dx;
    for (dx = 0; dx + 2 <= lim; dx += 2) {
        __m256i r;
        if (K == 2) {
            __m256i v = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)(s + o[dx]))),
                _mm_loadl_epi64((const __m128i *)(s + o[dx + 1])), 1);
            __m256i w = _mm256_permutevar8x32_epi32(
                _mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)(wp + dx))), dup);
            r = _mm256_madd_epi16(_mm256_shuffle_epi8(v, ctl01), w);
        } else {
            __m256i v = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(s + o[dx]))),
                _mm_loadu_si128((const __m128i *)(s + o[dx + 1])), 1);
            /* wp holds (w0w1, w2w3) per output: lanes 0 and 2 are output dx, 1 and 3 dx + 1 */
            __m256i w = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(wp + 2 * dx)));
            __m256i w01 = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
            __m256i w23 = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3));
            r = _mm256_add_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v, ctl01), w01),
                                 _mm256_madd_epi16(_mm256_shuffle_epi8(v, ctl23), w23));
        }
        if (C == 4) {
            _mm256_storeu_si256((__m256i *)(t + dx * 4), r);
        } else {
            _mm_storeu_si128((__m128i *)(t + dx * C), _mm256_castsi256_si128(r));
            _mm_storeu_si128((__m128i *)(t + (dx + 1) * C), _mm256_extracti128_si256(r, 1));
        }
    }
    return dx;
}
static int rsu8_cpu_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
#define RSU8_SSE 0
static int rsu8_cpu_sse41(void) { return 0; }
static int rsu8_cpu_avx2(void) { return 0; }
static ptrdiff_t rsu8_hrow_avx2(const uint8_t *s, int32_t *t, ptrdiff_t C, const int32_t *o,
                                const int32_t *wp, int K, ptrdiff_t lim)
{
    (void)s; (void)t; (void)C; (void)o; (void)wp; (void)K; (void)lim;
    return 0;
}
static ptrdiff_t rsu8_hrow_sse(const uint8_t *s, int32_t *t, ptrdiff_t C, const int32_t *o,
                               const int32_t *wp, int K, ptrdiff_t lim)
{
    (void)s; (void)t; (void)C; (void)o; (void)wp; (void)K; (void)lim;
    return 0;
}
#endif

/* One horizontal row: the SIMD prefix [0, lim) (lim 0 without SSE4.1; AVX2 for C > 1 when
 * `avx2`), then the scalar rest.
 * of/wp: first-tap offsets and packed weight pairs of the consecutive-tap form. */
static void rsu8_hrow2(const uint8_t *s, int32_t *t, ptrdiff_t dw, ptrdiff_t C, const int32_t *o,
                       const int32_t *w, int K, const int32_t *of, const int32_t *wp,
                       ptrdiff_t lim, int avx2)
{
    if (lim > 0) {
        ptrdiff_t done = avx2 && C > 1 ? rsu8_hrow_avx2(s, t, C, of, wp, K, lim) : 0;
        /* the SSE pass finishes an odd last output (C > 1) or does all of C = 1 */
        lim = done + rsu8_hrow_sse(s + 0, t + done * C, C, of + done, wp + done * (K / 2),
                                   K, lim - done);
    }
    if (lim < dw)
        rsu8_hrow(s, t + lim * C, dw - lim, C, o + lim * K, w + lim * K, K);
}


/* Exact 2x2 box average with SSSE3: a byte shuffle puts the two horizontal neighbours of each
 * output value side by side, pmaddubsw by ones sums them, the two rows are added in 16 bits.
 * Each step loads 16 bytes of each row and stores 8 (for C = 3, 6 valid: the 2 spilled bytes
 * are rewritten by the next step). Returns how many outputs it did; loads and stores stay
 * inside the rows. */
#if RSU8_SSE
__attribute__((target("sse4.1")))
static ptrdiff_t rsu8_half_row_sse(const uint8_t *a, const uint8_t *b, uint8_t *o, ptrdiff_t dw,
                                   ptrdiff_t C)
{
    const __m128i ones = _mm_set1_epi8(1), two = _mm_set1_epi16(2);
    __m128i ctl;
    ptrdiff_t dx = 0, step, in;
    if (C == 1) {
        ctl = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        step = 8;
    } else if (C == 3) {
        ctl = _mm_setr_epi8(0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, -1, -1, -1, -1);
        step = 2;
    } else if (C == 4) {
        ctl = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
        step = 2;
    } else {
        return 0;
    }
    in = 2 * step * C; /* input bytes per step and row */
    for (; (dx + step) * 2 * C + (16 - in) <= 2 * dw * C && dx * C + 8 <= dw * C; dx += step) {
        __m128i va = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 2 * dx * C)), ctl);
        __m128i vb = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 2 * dx * C)), ctl);
        __m128i s = _mm_add_epi16(_mm_maddubs_epi16(va, ones), _mm_maddubs_epi16(vb, ones));
        s = _mm_srli_epi16(_mm_add_epi16(s, two), 2);
        _mm_storel_epi64((__m128i *)(o + dx * C), _mm_packus_epi16(s, s));
    }
    return dx;
}
#else
static ptrdiff_t rsu8_half_row_sse(const uint8_t *a, const uint8_t *b, uint8_t *o, ptrdiff_t dw,
                                   ptrdiff_t C)
{
    (void)a; (void)b; (void)o; (void)dw; (void)C;
    return 0;
}
#endif

/* The same for C = 1 with AVX2, sixteen outputs per step (32-byte loads of each row; the
 * in-lane pack is put in order by one permute). Returns how many outputs it did. */
#if RSU8_SSE
__attribute__((target("avx2")))
static ptrdiff_t rsu8_half_row1_avx2(const uint8_t *a, const uint8_t *b, uint8_t *o, ptrdiff_t dw)
{
    const __m256i ones = _mm256_set1_epi8(1), two = _mm256_set1_epi16(2);
    ptrdiff_t dx;
    for (dx = 0; dx + 16 <= dw; dx += 16) {
        __m256i s = _mm256_add_epi16(
            _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(a + 2 * dx)), ones),
            _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(b + 2 * dx)), ones));
        s = _mm256_srli_epi16(_mm256_add_epi16(s, two), 2);
        s = _mm256_permute4x64_epi64(_mm256_packus_epi16(s, s), 0x08);
        _mm_storeu_si128((__m128i *)(o + dx), _mm256_castsi256_si128(s));
    }
    return dx;
}
#else
static ptrdiff_t rsu8_half_row1_avx2(const uint8_t *a, const uint8_t *b, uint8_t *o, ptrdiff_t dw)
{
    (void)a; (void)b; (void)o; (void)dw;
    return 0;
}
#endif

/* rsu8_half_row with the SIMD prefix: `simd` 0 none, 1 SSE4.1, 2 also AVX2 (C = 1). */
static void rsu8_half_row2(const uint8_t *a, const uint8_t *b, uint8_t *o, uint16_t *v,
                           ptrdiff_t dw, ptrdiff_t C, int simd)
{
    ptrdiff_t dx = simd >= 2 && C == 1 ? rsu8_half_row1_avx2(a, b, o, dw) : 0;
    if (simd)
        dx += rsu8_half_row_sse(a + 2 * dx * C, b + 2 * dx * C, o + dx * C, dw - dx, C);
    if (dx < dw)
        rsu8_half_row(a + 2 * dx * C, b + 2 * dx * C, o + dx * C, v, dw - dx, C);
}

#endif
