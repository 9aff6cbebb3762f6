/* Exact 2-D correlation of uint8 images with small integer kernels.
 *
 * The caller guarantees sum |k| * 255 <= 32767, so every partial sum fits int16 whatever the
 * order; the output is the exact sum saturated to 0..255, which is what OpenCV's float
 * arithmetic gives for such kernels (its sums are exact in float32 too). Each thread runs
 * f2d_block over a band of output rows, keeping the last kh border-padded source rows in a
 * ring; an output row is one pass over its taps with the accumulators in registers (AVX2,
 * picked at run time; a plain int32 loop otherwise).
 */
#ifndef ECVL_F2DU8_H
#define ECVL_F2DU8_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dh_isa.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define F2D_X86 1
#include <immintrin.h>
static int f2d_avx2(void)
{
    static int has = -1;
    if (has < 0) has = DH_ISA_CPU_HAS("avx2", 3) ? 1 : 0;
    return has;
}
#else
#define F2D_X86 0
#endif

typedef ptrdiff_t f2d_ssize;

#define F2D_MAXTAPS 128

static void f2d_row_c(uint8_t *restrict d, const uint8_t *const *p, const int16_t *k, int nt,
                      f2d_ssize i, f2d_ssize n)
{
    for (; i < n; i++) {
        int32_t s = 0;
        for (int t = 0; t < nt; t++) s += (int32_t)k[t] * p[t][i];
        d[i] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
    }
}

#if F2D_X86
__attribute__((target("avx2")))
static void f2d_row_avx2(uint8_t *restrict d, const uint8_t *const *p, const int16_t *k, int nt,
                         f2d_ssize n)
{
    f2d_ssize i = 0;
#define F2D_LD16(q) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(q)))
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
        for (int t = 0; t < nt; t++) {
            __m256i kv = _mm256_set1_epi16(k[t]);
            a0 = _mm256_add_epi16(a0, _mm256_mullo_epi16(kv, F2D_LD16(p[t] + i)));
            a1 = _mm256_add_epi16(a1, _mm256_mullo_epi16(kv, F2D_LD16(p[t] + i + 16)));
        }
        /* packus saturates to 0..255 within 128-bit lanes; the permute restores the order */
        __m256i w = _mm256_permute4x64_epi64(_mm256_packus_epi16(a0, a1), 0xD8);
        _mm256_storeu_si256((__m256i *)(d + i), w);
    }
#undef F2D_LD16
    f2d_row_c(d, p, k, nt, i, n);
}
#endif

/* Bytes of scratch one f2d_block call needs. */
static f2d_ssize f2d_work_bytes(f2d_ssize W, f2d_ssize C, int kh, int kw)
{
    f2d_ssize padn = ((W + kw - 1) * C + 63) & ~(f2d_ssize)63;
    return (f2d_ssize)kh * padn + 64;
}

/* Output rows y0 <= y < y1 of the correlation of src (rows rstride apart) with the kh x kw
 * kernel K (row-major int16, at most F2D_MAXTAPS nonzero taps). rowmap[y + i] is the source row
 * under kernel row i (-1: the constant row cvrow, W*C long); cmap[q] the source column of padded
 * column q (-1: cval). */
static void f2d_block(const uint8_t *src, f2d_ssize rstride, uint8_t *dst, f2d_ssize dstride,
                      f2d_ssize y0, f2d_ssize y1, const f2d_ssize *rowmap, const f2d_ssize *cmap,
                      int ax, f2d_ssize W, f2d_ssize C, const uint8_t *cvrow, uint8_t cval,
                      const int16_t *K, int kh, int kw, char *work)
{
    f2d_ssize n = W * C, padw = W + kw - 1;
    f2d_ssize padn = (padw * C + 63) & ~(f2d_ssize)63;
    uint8_t *pad = (uint8_t *)work;
    const uint8_t *ptr[F2D_MAXTAPS];
    int16_t coef[F2D_MAXTAPS];
    f2d_ssize p, q;
    for (p = y0; p < y1 + kh - 1; p++) {
        f2d_ssize sr = rowmap[p];
        const uint8_t *s = sr >= 0 ? src + sr * rstride : cvrow;
        uint8_t *pr = pad + (p % kh) * padn;
        memcpy(pr + (f2d_ssize)ax * C, s, (size_t)n);
        for (q = 0; q < padw; q++) {
            if (q == ax) { q = ax + W - 1; continue; }
            f2d_ssize c = cmap[q];
            if (c >= 0) memcpy(pr + q * C, s + c * C, (size_t)C);
            else memset(pr + q * C, cval, (size_t)C);
        }
        f2d_ssize y = p - (kh - 1);
        if (y < y0) continue;
        int nt = 0;
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
                if (K[i * kw + j] && nt < F2D_MAXTAPS) {
                    ptr[nt] = pad + ((y + i) % kh) * padn + (f2d_ssize)j * C;
                    coef[nt++] = K[i * kw + j];
                }
        if (!nt) { memset(dst + y * dstride, 0, (size_t)n); continue; }
#if F2D_X86
        if (f2d_avx2()) { f2d_row_avx2(dst + y * dstride, ptr, coef, nt, n); continue; }
#endif
        f2d_row_c(dst + y * dstride, ptr, coef, nt, 0, n);
    }
}
#endif
