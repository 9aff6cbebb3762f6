/* AVX2 path of the uint8 bilinear warps, 1 channel (see _warp_u8.h, which includes it after
 * wpu8_pixel and before the dispatchers). */
#ifndef ECVL_WARP_U8_AVX2_H
#define ECVL_WARP_U8_AVX2_H
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

/* ---- AVX2: eight 1-channel samples at a time ---------------------------------------------
 *
 * The SSE4.1 kernel's integers, eight lanes wide: each neighbourhood's two byte pairs are
 * loaded as 16-bit words (scalar loads beat vpgatherdd here), widened so that a lane holds
 * (p00, p01) and (p10, p11) as int16 pairs, blended by a pmaddwd per row with (2048 - fx, fx),
 * then t * 2048 + (b - t) * fy rounded by 22 bits. Lanes whose neighbourhood is not inside
 * load pixel 0 instead, keep the output's bytes (a transparent border leaves them) and are
 * redone one at a time by wpu8_pixel, so a group straddling the image's edge costs only its
 * outside lanes; groups wholly outside with a constant border are filled directly.
 */
static int wpu8_cpu_avx2(void) { return DH_ISA_CPU_HAS("avx2", 3); }

__attribute__((target("avx2")))
static ptrdiff_t wpu8_bilinear_c1_avx2(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw,
                                       uint8_t *out, int32_t *q, ptrdiff_t n,
                                       ptrdiff_t *edge, const uint8_t *cval,
                                       const int32_t *adx, const int32_t *ady, int32_t ax,
                                       int32_t ay, int shift)
{
    const __m256i zero = _mm256_setzero_si256(), vm1 = _mm256_set1_epi32(-1);
    const __m256i vxmax = _mm256_set1_epi32((int32_t)sw - 2);
    const __m256i vymax = _mm256_set1_epi32((int32_t)sh - 2);
    const __m256i vwm1 = _mm256_set1_epi32((int32_t)sw - 1);
    const __m256i vhm1 = _mm256_set1_epi32((int32_t)sh - 1);
    const __m256i vrs = _mm256_set1_epi32((int32_t)sw);
    const __m256i m2047 = _mm256_set1_epi32(2047), k2048 = _mm256_set1_epi32(2048);
    const __m256i half = _mm256_set1_epi32(1 << 21);
    const uint8_t *s1 = src + sw;
    ptrdiff_t x, ne = 0, j;
    const __m256i vax = _mm256_set1_epi32(ax), vay = _mm256_set1_epi32(ay);
    const __m128i vsh = _mm_cvtsi32_si128(shift);
    for (x = 0; x + 8 <= n; x += 8) {
        __m256i qx, qy;
        if (adx) { /* affine: the coordinates are made here, and kept for wpu8_pixel */
            qx = _mm256_sra_epi32(
                _mm256_add_epi32(vax, _mm256_loadu_si256((const __m256i *)(adx + x))), vsh);
            qy = _mm256_sra_epi32(
                _mm256_add_epi32(vay, _mm256_loadu_si256((const __m256i *)(ady + x))), vsh);
            _mm256_storeu_si256((__m256i *)(q + x), qx);
            _mm256_storeu_si256((__m256i *)(q + n + x), qy);
        } else {
            qx = _mm256_loadu_si256((const __m256i *)(q + x));
            qy = _mm256_loadu_si256((const __m256i *)(q + n + x));
        }
        __m256i ix = _mm256_srai_epi32(qx, 11), iy = _mm256_srai_epi32(qy, 11);
        __m256i bad = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpgt_epi32(zero, ix), _mm256_cmpgt_epi32(zero, iy)),
            _mm256_or_si256(_mm256_cmpgt_epi32(ix, vxmax), _mm256_cmpgt_epi32(iy, vymax)));
        int nbad = _mm256_movemask_ps(_mm256_castsi256_ps(bad));
        if (nbad == 255 && cval) {
            __m256i away = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpgt_epi32(vm1, ix), _mm256_cmpgt_epi32(vm1, iy)),
                _mm256_or_si256(_mm256_cmpgt_epi32(ix, vwm1), _mm256_cmpgt_epi32(iy, vhm1)));
            if (_mm256_movemask_ps(_mm256_castsi256_ps(away)) == 255) {
                memset(out + x, cval[0], 8);
                continue;
            }
        }
        if (nbad == 255) {
            for (j = 0; j < 8; j++)
                ne = wpu8_pixel(src, sh, sw, 1, out, q, n, x + j, edge, ne, cval);
            continue;
        }
        __m256i off = _mm256_andnot_si256(bad, _mm256_add_epi32(_mm256_mullo_epi32(iy, vrs), ix));
        int32_t o8[8];
        uint16_t tw[8], bw[8];
        _mm256_storeu_si256((__m256i *)o8, off);
        for (j = 0; j < 8; j++) {
            memcpy(&tw[j], src + o8[j], 2);
            memcpy(&bw[j], s1 + o8[j], 2);
        }
        __m256i top = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)tw));
        __m256i bot = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)bw));
        __m256i fx = _mm256_and_si256(qx, m2047), fy = _mm256_and_si256(qy, m2047);
        __m256i ax = _mm256_or_si256(_mm256_sub_epi32(k2048, fx), _mm256_slli_epi32(fx, 16));
        __m256i t = _mm256_madd_epi16(top, ax), b = _mm256_madd_epi16(bot, ax);
        __m256i r = _mm256_srai_epi32(
            _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(t, 11),
                                              _mm256_mullo_epi32(_mm256_sub_epi32(b, t), fy)),
                             half), 22);
        r = _mm256_packus_epi16(_mm256_packs_epi32(r, r), zero);
        __m128i res = _mm_unpacklo_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        if (nbad) { /* outside lanes keep the output's bytes (a transparent border) */
            __m256i bm = _mm256_packs_epi16(_mm256_packs_epi32(bad, bad), zero);
            res = _mm_blendv_epi8(res, _mm_loadl_epi64((const __m128i *)(out + x)),
                                  _mm_unpacklo_epi32(_mm256_castsi256_si128(bm),
                                                     _mm256_extracti128_si256(bm, 1)));
        }
        _mm_storel_epi64((__m128i *)(out + x), res);
        for (j = 0; nbad; j++, nbad >>= 1)
            if (nbad & 1)
                ne = wpu8_pixel(src, sh, sw, 1, out, q, n, x + j, edge, ne, cval);
    }
    for (; x < n; x++) {
        if (adx) {
            q[x] = (ax + adx[x]) >> shift;
            q[n + x] = (ay + ady[x]) >> shift;
        }
        ne = wpu8_pixel(src, sh, sw, 1, out, q, n, x, edge, ne, cval);
    }
    return ne;
}
#else
static int wpu8_cpu_avx2(void) { return 0; }
static ptrdiff_t wpu8_bilinear_c1_avx2(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw,
                                       uint8_t *out, int32_t *q, ptrdiff_t n,
                                       ptrdiff_t *edge, const uint8_t *cval,
                                       const int32_t *adx, const int32_t *ady, int32_t ax,
                                       int32_t ay, int shift)
{
    (void)src; (void)sh; (void)sw; (void)out; (void)q; (void)n; (void)edge; (void)cval;
    (void)adx; (void)ady; (void)ax; (void)ay; (void)shift;
    return 0;
}
#endif
#endif
