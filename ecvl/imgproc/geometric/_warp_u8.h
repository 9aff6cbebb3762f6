/* Fixed-point bilinear sampling of uint8 images, the interior fast path of warps and remaps.
 *
 * A coordinate is rounded once to 1/2048 pixel: its integer part picks the 2x2 neighbourhood
 * and its 11 fraction bits are the weight, exactly as floor() plus an 11-bit rounded fraction
 * would give. Samples whose neighbourhood is not wholly inside the source (or NaN, or far out)
 * are listed in `edge` for the caller's general border-aware path, except that with a constant
 * border (`cval` not NULL, one value per channel) samples wholly outside take `cval` directly.
 * Vector paths: SSE4.1 below, AVX2 for 1 channel in _warp_u8_avx2.h and for 3 and 4 channels
 * after it; affine maps make their coordinates in fixed point (wpu8_affine_row, at the end).
 */
#ifndef ECVL_WARP_U8_H
#define ECVL_WARP_U8_H
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include "dh_isa.h"

/* Rounds every coordinate to 1/2048 pixel, into q (2n ints, x then y). Branch-free so that
 * it vectorises: clamped to +-2^30 (2^19 pixels), rounded half to even by the 1.5 * 2^52
 * trick, converted exactly. NaN becomes -2^30, far outside. */
static void wpu8_quantise(const double *X, const double *Y, ptrdiff_t n, int32_t *q)
{
    const double lim = 1073741824.0, R = 6755399441055744.0;
    ptrdiff_t x;
    for (x = 0; x < n; x++) {
        double xf = X[x] * 2048.0, yf = Y[x] * 2048.0;
        xf = xf == xf ? xf : -lim;
        yf = yf == yf ? yf : -lim;
        xf = xf < -lim ? -lim : (xf > lim ? lim : xf);
        yf = yf < -lim ? -lim : (yf > lim ? lim : yf);
        q[x] = (int32_t)((xf + R) - R);
        q[n + x] = (int32_t)((yf + R) - R);
    }
}

/* Weights are products of two 11-bit fractions: 22 bits, rounded half up. */
#define WPU8_BLEND(a, b, c, d) \
    ((uint8_t)((w00 * (a) + w01 * (b) + w10 * (c) + w11 * (d) + (1 << 21)) >> 22))

/* One pixel by the scalar rule: blend when the 2x2 neighbourhood is inside, else the constant
 * when wholly outside (cval given), else list it in edge. Returns the new edge count. */
static inline ptrdiff_t wpu8_pixel(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                   uint8_t *out, const int32_t *q, ptrdiff_t n, ptrdiff_t x,
                                   ptrdiff_t *edge, ptrdiff_t ne, const uint8_t *cval)
{
    const ptrdiff_t rs = sw * C;
    ptrdiff_t c;
    int32_t qx = q[x], qy = q[n + x];
    ptrdiff_t ix = qx >> 11, iy = qy >> 11;
    if (ix < 0 || iy < 0 || ix > sw - 2 || iy > sh - 2) {
        if (cval && (ix < -1 || iy < -1 || ix >= sw || iy >= sh)) {
            for (c = 0; c < C; c++)
                out[x * C + c] = cval[c];
        } else {
            edge[ne++] = x;
        }
        return ne;
    }
    int32_t wx1 = qx & 2047, wy1 = qy & 2047;
    int32_t w00 = (2048 - wx1) * (2048 - wy1), w01 = wx1 * (2048 - wy1);
    int32_t w10 = (2048 - wx1) * wy1, w11 = wx1 * wy1;
    const uint8_t *p = src + iy * rs + ix * C, *p1 = p + rs;
    uint8_t *o = out + x * C;
    if (C == 3) {
        o[0] = WPU8_BLEND(p[0], p[3], p1[0], p1[3]);
        o[1] = WPU8_BLEND(p[1], p[4], p1[1], p1[4]);
        o[2] = WPU8_BLEND(p[2], p[5], p1[2], p1[5]);
    } else if (C == 1) {
        o[0] = WPU8_BLEND(p[0], p[1], p1[0], p1[1]);
    } else {
        for (c = 0; c < C; c++)
            o[c] = WPU8_BLEND(p[c], p[C + c], p1[c], p1[C + c]);
    }
    return ne;
}

/* ---- SSE4.1 blend of four interior pixels at a time (C = 1, 3, 4) -----------------------
 *
 * Same integers as WPU8_BLEND, regrouped: each row is blended horizontally with the int16
 * pair (2048 - fx, fx) by pmaddwd (at most 255 * 2048), then the two rows vertically as
 * (a*2048 + (b-a)*fy + 2^21) >> 22, one 32-bit multiply (every term within +-2^30), which
 * equals (a*(2048-fy) + b*fy + 2^21) >> 22 and so the four-product sum exactly.
 * A group takes this path only when all four neighbourhoods and the 8-byte (C = 3, 4) or
 * 2-byte (C = 1) loads lie inside the image.
 */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
static int wpu8_cpu_sse41(void) { return DH_ISA_CPU_HAS("sse4.1", 2); }

/* wpu8_quantise two coordinates at a time: maxpd returns its second operand for NaN, so NaN
 * clamps to -2^30 as in the scalar version; cvtpd2dq rounds half to even. */
__attribute__((target("sse4.1")))
static void wpu8_quantise_sse(const double *X, const double *Y, ptrdiff_t n, int32_t *q)
{
    const __m128d s = _mm_set1_pd(2048.0);
    const __m128d lo = _mm_set1_pd(-1073741824.0), hi = _mm_set1_pd(1073741824.0);
    ptrdiff_t x;
    for (x = 0; x + 2 <= n; x += 2) {
        __m128d a = _mm_min_pd(_mm_max_pd(_mm_mul_pd(_mm_loadu_pd(X + x), s), lo), hi);
        __m128d b = _mm_min_pd(_mm_max_pd(_mm_mul_pd(_mm_loadu_pd(Y + x), s), lo), hi);
        _mm_storel_epi64((__m128i *)(q + x), _mm_cvtpd_epi32(a));
        _mm_storel_epi64((__m128i *)(q + n + x), _mm_cvtpd_epi32(b));
    }
    if (x < n) {
        int32_t t[2];
        wpu8_quantise(X + x, Y + x, 1, t);
        q[x] = t[0];
        q[n + x] = t[1];
    }
}

#define WPU8_ROWS(J)                                                                   \
    {                                                                                  \
        const uint8_t *p = src + offs[J];                                              \
        __m128i v = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p),           \
                                       _mm_loadl_epi64((const __m128i *)(p + rs)));   \
        __m128i wxj = _mm_shuffle_epi32(ax, (J) * 0x55);                               \
        __m128i t = _mm_madd_epi16(_mm_shuffle_epi8(v, ctl_t), wxj);                  \
        __m128i b = _mm_madd_epi16(_mm_shuffle_epi8(v, ctl_b), wxj);                  \
        r[J] = _mm_srai_epi32(                                                         \
            _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(t, 11),                         \
                                        _mm_mullo_epi32(_mm_sub_epi32(b, t),           \
                                                        _mm_shuffle_epi32(fy, (J) * 0x55))), \
                          half),                                                       \
            22);                                                                       \
    }

__attribute__((target("sse4.1")))
static ptrdiff_t wpu8_bilinear_sse(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                   uint8_t *out, const int32_t *q, ptrdiff_t n,
                                   ptrdiff_t *edge, const uint8_t *cval)
{
    const ptrdiff_t rs = sw * C;
    const int32_t xlim = (int32_t)(C == 1 ? sw - 1 : (rs - 8) / C + 1);
    const __m128i m2047 = _mm_set1_epi32(2047), k2048 = _mm_set1_epi32(2048);
    const __m128i half = _mm_set1_epi32(1 << 21), zero = _mm_setzero_si128();
    const __m128i vxlim = _mm_set1_epi32(xlim < (int32_t)sw - 1 ? xlim : (int32_t)sw - 1);
    const __m128i vylim = _mm_set1_epi32((int32_t)sh - 1);
    const __m128i vrs = _mm_set1_epi32((int32_t)rs), vC = _mm_set1_epi32((int32_t)C);
    const __m128i vm1 = _mm_set1_epi32(-1), vwm1 = _mm_set1_epi32((int32_t)sw - 1);
    const char c1 = (char)C;
    const __m128i ctl_t = _mm_setr_epi8(0, -1, c1, -1, 1, -1, c1 + 1, -1, 2, -1, c1 + 2, -1,
                                        3, -1, c1 + 3, -1);
    const __m128i ctl_b = _mm_add_epi8(ctl_t, _mm_setr_epi8(8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0,
                                                            8, 0, 8, 0));
    const __m128i pack3 = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    ptrdiff_t x, ne = 0, j;
    uint8_t cpat[16]; /* four pixels of the constant border */
    if (cval)
        for (j = 0; j < 4; j++)
            memcpy(cpat + j * C, cval, (size_t)C);
    for (x = 0; x + 4 <= n; x += 4) {
        __m128i qx = _mm_loadu_si128((const __m128i *)(q + x));
        __m128i qy = _mm_loadu_si128((const __m128i *)(q + n + x));
        __m128i ix = _mm_srai_epi32(qx, 11), iy = _mm_srai_epi32(qy, 11);
        __m128i bad = _mm_or_si128(
            _mm_or_si128(_mm_cmpgt_epi32(zero, ix), _mm_cmpgt_epi32(zero, iy)),
            _mm_or_si128(_mm_cmpgt_epi32(_mm_add_epi32(ix, _mm_set1_epi32(1)), vxlim),
                         _mm_cmpgt_epi32(_mm_add_epi32(iy, _mm_set1_epi32(1)), vylim)));
        if (!_mm_testz_si128(bad, bad)) {
            /* Four samples wholly outside with a constant border (an image's rotated-away
             * corners): the constant, without four scalar checks. */
            __m128i away = _mm_or_si128(
                _mm_or_si128(_mm_cmpgt_epi32(vm1, ix), _mm_cmpgt_epi32(vm1, iy)),
                _mm_or_si128(_mm_cmpgt_epi32(ix, vwm1), _mm_cmpgt_epi32(iy, vylim)));
            if (cval && _mm_movemask_ps(_mm_castsi128_ps(away)) == 15) {
                memcpy(out + x * C, cpat, (size_t)(4 * C));
                continue;
            }
            for (j = 0; j < 4; j++)
                ne = wpu8_pixel(src, sh, sw, C, out, q, n, x + j, edge, ne, cval);
            continue;
        }
        __m128i fx = _mm_and_si128(qx, m2047), fy = _mm_and_si128(qy, m2047);
        __m128i ax = _mm_or_si128(_mm_sub_epi32(k2048, fx), _mm_slli_epi32(fx, 16));
        if (C == 1) {
            /* the offset needs no channel factor, and the two rows of four pixels fit one
             * 16-byte load */
            __m128i off = _mm_add_epi32(_mm_mullo_epi32(iy, vrs), ix);
            int32_t o4[4];
            uint16_t a[8];
            _mm_storeu_si128((__m128i *)o4, off);
            for (j = 0; j < 4; j++) {
                memcpy(&a[j], src + o4[j], 2);
                memcpy(&a[4 + j], src + o4[j] + rs, 2);
            }
            __m128i v = _mm_loadu_si128((const __m128i *)a);
            __m128i t = _mm_madd_epi16(_mm_cvtepu8_epi16(v), ax);
            __m128i b = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(v, 8)), ax);
            __m128i r = _mm_srai_epi32(
                _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(t, 11),
                                            _mm_mullo_epi32(_mm_sub_epi32(b, t), fy)),
                              half), 22);
            r = _mm_packus_epi16(_mm_packs_epi32(r, r), r);
            int32_t w4 = _mm_cvtsi128_si32(r);
            memcpy(out + x, &w4, 4);
            continue;
        }
        __m128i off = _mm_add_epi32(_mm_mullo_epi32(iy, vrs), _mm_mullo_epi32(ix, vC));
        int32_t offs[4];
        __m128i r[4];
        _mm_storeu_si128((__m128i *)offs, off);
        WPU8_ROWS(0)
        WPU8_ROWS(1)
        WPU8_ROWS(2)
        WPU8_ROWS(3)
        __m128i pk = _mm_packus_epi16(_mm_packs_epi32(r[0], r[1]), _mm_packs_epi32(r[2], r[3]));
        if (C == 4) {
            _mm_storeu_si128((__m128i *)(out + 4 * x), pk);
        } else {
            pk = _mm_shuffle_epi8(pk, pack3);
            _mm_storel_epi64((__m128i *)(out + 3 * x), pk);
            int32_t w4 = _mm_extract_epi32(pk, 2);
            memcpy(out + 3 * x + 8, &w4, 4);
        }
    }
    for (; x < n; x++)
        ne = wpu8_pixel(src, sh, sw, C, out, q, n, x, edge, ne, cval);
    return ne;
}

#undef WPU8_ROWS
#endif

#include "_warp_u8_avx2.h"
#include "_warp_u8_avx2.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
/* ---- AVX2: eight 3- or 4-channel samples at a time ------------------------------------------
 *
 * wpu8_bilinear_sse's integers with the pixels paired across the two 128-bit lanes (lane 0
 * pixel J, lane 1 pixel J + 4), so each shuffle, pmaddwd and multiply serves two pixels.
 * Groups that are not wholly inside (nor wholly outside with a constant border) go to the
 * SSE4.1 kernel, which treats them pixel by pixel: per-pixel results do not depend on the
 * grouping.
 */
#define WPU8_ROWS2(J)                                                                  \
    {                                                                                  \
        const uint8_t *p = src + offs[J], *p4 = src + offs[(J) + 4];                   \
        __m256i v = _mm256_set_m128i(                                                  \
            _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p4),                   \
                               _mm_loadl_epi64((const __m128i *)(p4 + rs))),           \
            _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p),                    \
                               _mm_loadl_epi64((const __m128i *)(p + rs))));           \
        __m256i wxj = _mm256_shuffle_epi32(ax, (J) * 0x55);                            \
        __m256i t = _mm256_madd_epi16(_mm256_shuffle_epi8(v, ctl_t), wxj);             \
        __m256i b = _mm256_madd_epi16(_mm256_shuffle_epi8(v, ctl_b), wxj);             \
        r[J] = _mm256_srai_epi32(                                                      \
            _mm256_add_epi32(                                                          \
                _mm256_add_epi32(_mm256_slli_epi32(t, 11),                             \
                                 _mm256_mullo_epi32(_mm256_sub_epi32(b, t),            \
                                                    _mm256_shuffle_epi32(fy, (J) * 0x55))), \
                half),                                                                 \
            22);                                                                       \
    }

/* n samples as wpu8_bilinear_sse, for C = 3 or 4 (sw >= 3, sh >= 2). */
__attribute__((target("avx2")))
static ptrdiff_t wpu8_bilinear_c34_avx2(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw,
                                        ptrdiff_t C, uint8_t *out, const int32_t *q, ptrdiff_t n,
                                        ptrdiff_t *edge, const uint8_t *cval)
{
    const ptrdiff_t rs = sw * C;
    const int32_t xlim = (int32_t)((rs - 8) / C + 1);
    const __m256i m2047 = _mm256_set1_epi32(2047), k2048 = _mm256_set1_epi32(2048);
    const __m256i half = _mm256_set1_epi32(1 << 21), zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i vxlim = _mm256_set1_epi32(xlim < (int32_t)sw - 1 ? xlim : (int32_t)sw - 1);
    const __m256i vylim = _mm256_set1_epi32((int32_t)sh - 1);
    const __m256i vrs = _mm256_set1_epi32((int32_t)rs), vC = _mm256_set1_epi32((int32_t)C);
    const __m256i vm1 = _mm256_set1_epi32(-1), vwm1 = _mm256_set1_epi32((int32_t)sw - 1);
    const char c1 = (char)C;
    const __m256i ctl_t = _mm256_broadcastsi128_si256(_mm_setr_epi8(
        0, -1, c1, -1, 1, -1, c1 + 1, -1, 2, -1, c1 + 2, -1, 3, -1, c1 + 3, -1));
    const __m256i ctl_b = _mm256_add_epi8(ctl_t, _mm256_set1_epi16(8));
    const __m256i pack3 = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
    ptrdiff_t x = 0, ne = 0, j, k, e;
    int32_t q8[16];
    ptrdiff_t e8[8];
    uint8_t cpat[32]; /* eight pixels of the constant border */
    if (cval)
        for (j = 0; j < 8; j++)
            memcpy(cpat + j * C, cval, (size_t)C);
    for (;; x += 8) {
        ptrdiff_t m = n - x < 8 ? n - x : 8;
        int slow = m < 8;
        __m256i qx = zero, qy = zero, ix = zero, iy = zero;
        if (!slow) {
            qx = _mm256_loadu_si256((const __m256i *)(q + x));
            qy = _mm256_loadu_si256((const __m256i *)(q + n + x));
            ix = _mm256_srai_epi32(qx, 11);
            iy = _mm256_srai_epi32(qy, 11);
            __m256i bad = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpgt_epi32(zero, ix), _mm256_cmpgt_epi32(zero, iy)),
                _mm256_or_si256(_mm256_cmpgt_epi32(_mm256_add_epi32(ix, one), vxlim),
                                _mm256_cmpgt_epi32(_mm256_add_epi32(iy, one), vylim)));
            if (!_mm256_testz_si256(bad, bad)) {
                __m256i away = _mm256_or_si256(
                    _mm256_or_si256(_mm256_cmpgt_epi32(vm1, ix), _mm256_cmpgt_epi32(vm1, iy)),
                    _mm256_or_si256(_mm256_cmpgt_epi32(ix, vwm1), _mm256_cmpgt_epi32(iy, vylim)));
                if (cval && _mm256_movemask_ps(_mm256_castsi256_ps(away)) == 255) {
                    memcpy(out + x * C, cpat, (size_t)(8 * C));
                    continue;
                }
                slow = 1;
            }
        }
        if (slow) {
            if (m <= 0)
                break;
            for (j = 0; j < m; j++) {
                q8[j] = q[x + j];
                q8[m + j] = q[n + x + j];
            }
            e = wpu8_bilinear_sse(src, sh, sw, C, out + x * C, q8, m, e8, cval);
            for (k = 0; k < e; k++)
                edge[ne++] = x + e8[k];
            if (m < 8)
                break;
            continue;
        }
        __m256i fx = _mm256_and_si256(qx, m2047), fy = _mm256_and_si256(qy, m2047);
        __m256i ax = _mm256_or_si256(_mm256_sub_epi32(k2048, fx), _mm256_slli_epi32(fx, 16));
        __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(iy, vrs), _mm256_mullo_epi32(ix, vC));
        int32_t offs[8];
        __m256i r[4];
        _mm256_storeu_si256((__m256i *)offs, off);
        WPU8_ROWS2(0)
        WPU8_ROWS2(1)
        WPU8_ROWS2(2)
        WPU8_ROWS2(3)
        /* lane 0: pixels 0-3, lane 1: pixels 4-7, four bytes each */
        __m256i pk = _mm256_packus_epi16(_mm256_packs_epi32(r[0], r[1]),
                                         _mm256_packs_epi32(r[2], r[3]));
        if (C == 4) {
            _mm256_storeu_si256((__m256i *)(out + 4 * x), pk);
        } else {
            pk = _mm256_shuffle_epi8(pk, pack3);
            __m128i lo = _mm256_castsi256_si128(pk), hi = _mm256_extracti128_si256(pk, 1);
            uint8_t *o = out + 3 * x;
            _mm_storeu_si128((__m128i *)o, lo); /* bytes 12-15 are rewritten just below */
            _mm_storel_epi64((__m128i *)(o + 12), hi);
            int32_t w4 = _mm_extract_epi32(hi, 2);
            memcpy(o + 20, &w4, 4);
        }
    }
    return ne;
}
#undef WPU8_ROWS2
#endif

#if !((defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__))
static int wpu8_cpu_sse41(void) { return 0; }
static void wpu8_quantise_sse(const double *X, const double *Y, ptrdiff_t n, int32_t *q)
{
    wpu8_quantise(X, Y, n, q);
}
static ptrdiff_t wpu8_bilinear_sse(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                   uint8_t *out, const int32_t *q, ptrdiff_t n,
                                   ptrdiff_t *edge, const uint8_t *cval)
{
    (void)src; (void)sh; (void)sw; (void)C; (void)out; (void)q; (void)n; (void)edge;
    (void)cval;
    return 0;
}
#endif

/* Blends the n samples at the quantised coordinates q (x then y, 1/2048 pixel); returns how
 * many indices were written to edge. `simd`: 0 scalar, 1 SSE4.1 groups (C = 1, 3, 4),
 * 2 also AVX2 groups of eight for C = 1. The vector paths need images under 2^31 bytes. */
static ptrdiff_t wpu8_bilinear_q(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                 uint8_t *out, int32_t *q, ptrdiff_t n, ptrdiff_t *edge,
                                 const uint8_t *cval, int simd)
{
    ptrdiff_t x, ne = 0;
    if (simd && (double)sh * sw * C < 2147483647.0) {
        if (simd >= 2 && C == 1)
            return wpu8_bilinear_c1_avx2(src, sh, sw, out, q, n, edge, cval, NULL, NULL, 0, 0,
                                         0);
        if (simd >= 2 && (C == 3 || C == 4) && sw >= 3 && sh >= 2)
            return wpu8_bilinear_c34_avx2(src, sh, sw, C, out, q, n, edge, cval);
        if ((C == 1 || C == 3 || C == 4) && sw >= 3 && sh >= 2)
            return wpu8_bilinear_sse(src, sh, sw, C, out, q, n, edge, cval);
    }
    for (x = 0; x < n; x++)
        ne = wpu8_pixel(src, sh, sw, C, out, q, n, x, edge, ne, cval);
    return ne;
}

/* Exact double coordinates X, Y: rounded to 1/2048 pixel into the scratch q (2n ints). */
static ptrdiff_t wpu8_bilinear_row(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                   uint8_t *out, const double *X, const double *Y, ptrdiff_t n,
                                   ptrdiff_t *edge, const uint8_t *cval, int32_t *q, int simd)
{
    ptrdiff_t x;
    if (sw >= (1 << 18) || sh >= (1 << 18)) { /* clamped coordinates could land inside */
        for (x = 0; x < n; x++)
            edge[x] = x;
        return n;
    }
    if (simd)
        wpu8_quantise_sse(X, Y, n, q);
    else
        wpu8_quantise(X, Y, n, q);
    return wpu8_bilinear_q(src, sh, sw, C, out, q, n, edge, cval, simd);
}

/* ---- Affine maps in fixed point ------------------------------------------------------------
 *
 * Along an output row an affine map is linear: the source x is X0(y) + m0 * x. Both terms are
 * rounded once to 2^-fb pixel (adx[x] = round(m0 * x * 2^fb) for every column, once per call;
 * X0(y) once per row), so a coordinate costs one integer add and one shift, which rounds it to
 * the blend's 1/2048 pixel (ax carries the half for that rounding). The sum is within 2^-fb
 * pixel of the exact coordinate. wpu8_affine_bits picks the largest fb <= 16 for which no
 * term or sum of the map over the output can overflow 32 bits, or 0 when even fb = 12
 * cannot hold them (the caller then takes the double-precision path).
 */
static int wpu8_affine_bits(const double *m, ptrdiff_t dh, ptrdiff_t dw)
{
    double b = 0.0, xs[2] = {0.0, (double)(dw - 1)}, ys[2] = {0.0, (double)(dh - 1)};
    int i, j, fb;
    for (i = 0; i < 2; i++)
        for (j = 0; j < 2; j++) {
            double u = fabs(m[0] * xs[i] + m[1] * ys[j] + m[2]);
            double v = fabs(m[3] * xs[i] + m[4] * ys[j] + m[5]);
            b = u > b ? u : b;
            b = v > b ? v : b;
        }
    b = fabs(m[0]) * xs[1] > b ? fabs(m[0]) * xs[1] : b;
    b = fabs(m[3]) * xs[1] > b ? fabs(m[3]) * xs[1] : b;
    b += 2.0;
    if (!(b < 262144.0)) /* also NaN */
        return 0;
    for (fb = 16; fb >= 12; fb--)
        if (b * (double)(1 << fb) < 1073741824.0)
            return fb;
    return 0;
}

/* One row segment of an affine warp: n samples at (ax + adx[x], ay + ady[x]) >> shift; q is
 * scratch for 2n ints. Returns the edge count as wpu8_bilinear_q. */
static ptrdiff_t wpu8_affine_row(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                 uint8_t *out, const int32_t *adx, const int32_t *ady,
                                 int32_t ax, int32_t ay, int shift, ptrdiff_t n, ptrdiff_t *edge,
                                 const uint8_t *cval, int32_t *q, int simd)
{
    ptrdiff_t x;
    if (simd >= 2 && C == 1 && (double)sh * sw < 2147483647.0)
        return wpu8_bilinear_c1_avx2(src, sh, sw, out, q, n, edge, cval, adx, ady, ax, ay, shift);
    for (x = 0; x < n; x++) {
        q[x] = (ax + adx[x]) >> shift;
        q[n + x] = (ay + ady[x]) >> shift;
    }
    return wpu8_bilinear_q(src, sh, sw, C, out, q, n, edge, cval, simd);
}

static int wpu8_simd_level(void)
{
    return wpu8_cpu_sse41() ? (wpu8_cpu_avx2() ? 2 : 1) : 0;
}
#endif
