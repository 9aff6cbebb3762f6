/* Exact integer separable filtering of uint8 images with non-negative integer taps.
 *
 * Row pass: r = sum_j kx[j] * x[j] in uint16; column pass: s = sum_i ky[i] * r[i] in uint32;
 * output (s * mul + add) >> shift. The caller picks taps and (mul, add, shift) so that every
 * reachable total fits (row totals <= 65535, (s * mul + add) < 2^32) and the output is <= 255;
 * the arithmetic is then exact whatever the order, and modular wrap-around of the partial sums
 * is harmless. GaussianBlur uses OpenCV's 8.8 fixed-point kernels (taps summing to 256, output
 * (s + 2^15) >> 16), so results are OpenCV's bit for bit; box filters use taps of one and a
 * reciprocal multiply checked exact by the caller.
 *
 * Each thread runs su8_block over a band of output rows, keeping the last nky row-pass results
 * in a ring so each source row is filtered horizontally once per band; all-ones column taps
 * (box filters) keep running column sums instead. Both passes have hand-written AVX2 versions,
 * picked at run time, beside plain loops compiled for AVX2 and baseline x86-64.
 */
#ifndef ECVL_SEPU8_H
#define ECVL_SEPU8_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dh_isa.h"

/* Hand-written AVX2 versions of the two passes (register-blocked, which GCC does not do for
 * loops whose tap count is only known at run time), picked when the CPU has AVX2. */
#if defined(__GNUC__) && defined(__x86_64__)
#define SU8_HAVE_AVX2 1
#include <immintrin.h>
static int su8_avx2(void)
{
    static int has = -1;
    if (has < 0) has = DH_ISA_CPU_HAS("avx2", 3) ? 1 : 0;
    return has;
}
#else
#define SU8_HAVE_AVX2 0
#endif

typedef ptrdiff_t su8_ssize;

/* Columns handled per inner sweep: the uint32 accumulator chunk stays in L1. */
#define SU8_CHUNK 1024

/* r[i] = sum_j k[j] * p[i + j*C], i < n (p is the border-padded row). */
DH_ISA_INLINE void su8_hpass_c_impl(uint16_t *restrict r, const uint8_t *restrict p,
                                    const uint16_t *k,
                                    int nk, int sym, su8_ssize C, su8_ssize n)
{
    su8_ssize i;
    int j;
    if (sym) {
        int h = nk / 2;
        const uint8_t *pc = p + (su8_ssize)h * C;
        uint16_t kc = k[h];
        for (i = 0; i < n; i++) r[i] = (uint16_t)(kc * pc[i]);
        for (j = 0; j < h; j++) {
            const uint8_t *a = p + (su8_ssize)j * C, *b = p + (su8_ssize)(nk - 1 - j) * C;
            uint16_t kj = k[j];
            if (kj == 1)
                for (i = 0; i < n; i++) r[i] = (uint16_t)(r[i] + a[i] + b[i]);
            else if (kj)
                for (i = 0; i < n; i++) r[i] = (uint16_t)(r[i] + kj * (uint16_t)(a[i] + b[i]));
        }
        return;
    }
    {
        uint16_t k0 = k[0];
        for (i = 0; i < n; i++) r[i] = (uint16_t)(k0 * p[i]);
    }
    for (j = 1; j < nk; j++) {
        const uint8_t *a = p + (su8_ssize)j * C;
        uint16_t kj = k[j];
        if (kj == 1)
            for (i = 0; i < n; i++) r[i] = (uint16_t)(r[i] + a[i]);
        else if (kj)
            for (i = 0; i < n; i++) r[i] = (uint16_t)(r[i] + kj * a[i]);
    }
}
DH_ISA_VOID(static, su8_hpass_c, (uint16_t *restrict r, const uint8_t *restrict p,
                                  const uint16_t *k, int nk, int sym, su8_ssize C, su8_ssize n),
            (r, p, k, nk, sym, C, n))

/* d[i] = min(255, (sum_j k[j] * rows[j][i] * mul + add) >> shift), i < n. */
DH_ISA_INLINE void su8_vpass_c_impl(uint8_t *restrict d, const uint16_t *const *rows,
                                    const uint32_t *k,
                                    int nk, int sym, uint32_t mul, uint32_t add, int shift,
                                    su8_ssize n,
                                    uint32_t *restrict acc)
{
    su8_ssize c0, i;
    int j;
    for (c0 = 0; c0 < n; c0 += SU8_CHUNK) {
        su8_ssize m = n - c0 < SU8_CHUNK ? n - c0 : SU8_CHUNK;
        if (sym) {
            int h = nk / 2;
            const uint16_t *rc = rows[h] + c0;
            uint32_t kc = k[h];
            for (i = 0; i < m; i++) acc[i] = kc * rc[i];
            for (j = 0; j < h; j++) {
                const uint16_t *a = rows[j] + c0, *b = rows[nk - 1 - j] + c0;
                uint32_t kj = k[j];
                if (kj == 1)
                    for (i = 0; i < m; i++) acc[i] += (uint32_t)a[i] + b[i];
                else if (kj)
                    for (i = 0; i < m; i++) acc[i] += kj * ((uint32_t)a[i] + b[i]);
            }
        } else {
            const uint16_t *r0 = rows[0] + c0;
            uint32_t k0 = k[0];
            for (i = 0; i < m; i++) acc[i] = k0 * r0[i];
            for (j = 1; j < nk; j++) {
                const uint16_t *a = rows[j] + c0;
                uint32_t kj = k[j];
                if (kj == 1)
                    for (i = 0; i < m; i++) acc[i] += a[i];
                else if (kj)
                    for (i = 0; i < m; i++) acc[i] += kj * a[i];
            }
        }
        uint8_t *o = d + c0;
        if (mul == 1) {
            for (i = 0; i < m; i++) {
                uint32_t v = (acc[i] + add) >> shift;
                o[i] = (uint8_t)(v < 255u ? v : 255u);
            }
        } else {
            for (i = 0; i < m; i++) {
                uint32_t v = (acc[i] * mul + add) >> shift;
                o[i] = (uint8_t)(v < 255u ? v : 255u);
            }
        }
    }
}
DH_ISA_VOID(static, su8_vpass_c, (uint8_t *restrict d, const uint16_t *const *rows,
                                  const uint32_t *k, int nk, int sym, uint32_t mul, uint32_t add,
                                  int shift, su8_ssize n, uint32_t *restrict acc),
            (d, rows, k, nk, sym, mul, add, shift, n, acc))

#if SU8_HAVE_AVX2
/* AVX2: blocks of 32 outputs keep their sums in registers across all taps. */
__attribute__((target("avx2")))
static void su8_hpass_avx2(uint16_t *restrict r, const uint8_t *restrict p, const uint16_t *k,
                           int nk, int sym, su8_ssize C, su8_ssize n)
{
    su8_ssize i = 0;
    int j, h = nk / 2, ones = 1;
#define SU8_LD16(q) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(q)))
    for (j = 0; j < nk; j++)
        ones = ones && k[j] == 1;
    if (ones) /* a box: plain sums, no multiplies by one */
        for (; i + 32 <= n; i += 32) {
            __m256i a0 = SU8_LD16(p + i), a1 = SU8_LD16(p + i + 16);
            for (j = 1; j < nk; j++) {
                const uint8_t *pa = p + (su8_ssize)j * C + i;
                a0 = _mm256_add_epi16(a0, SU8_LD16(pa));
                a1 = _mm256_add_epi16(a1, SU8_LD16(pa + 16));
            }
            _mm256_storeu_si256((__m256i *)(r + i), a0);
            _mm256_storeu_si256((__m256i *)(r + i + 16), a1);
        }
    for (; i + 32 <= n; i += 32) {
        __m256i a0, a1;
        if (sym) {
            const uint8_t *pc = p + (su8_ssize)h * C + i;
            __m256i kc = _mm256_set1_epi16((short)k[h]);
            a0 = _mm256_mullo_epi16(kc, SU8_LD16(pc));
            a1 = _mm256_mullo_epi16(kc, SU8_LD16(pc + 16));
            for (j = 0; j < h; j++) {
                const uint8_t *pa = p + (su8_ssize)j * C + i;
                const uint8_t *pb = p + (su8_ssize)(nk - 1 - j) * C + i;
                __m256i kv = _mm256_set1_epi16((short)k[j]);
                __m256i s0 = _mm256_add_epi16(SU8_LD16(pa), SU8_LD16(pb));
                __m256i s1 = _mm256_add_epi16(SU8_LD16(pa + 16), SU8_LD16(pb + 16));
                a0 = _mm256_add_epi16(a0, _mm256_mullo_epi16(kv, s0));
                a1 = _mm256_add_epi16(a1, _mm256_mullo_epi16(kv, s1));
            }
        } else {
            __m256i k0 = _mm256_set1_epi16((short)k[0]);
            a0 = _mm256_mullo_epi16(k0, SU8_LD16(p + i));
            a1 = _mm256_mullo_epi16(k0, SU8_LD16(p + i + 16));
            for (j = 1; j < nk; j++) {
                const uint8_t *pa = p + (su8_ssize)j * C + i;
                __m256i kv = _mm256_set1_epi16((short)k[j]);
                a0 = _mm256_add_epi16(a0, _mm256_mullo_epi16(kv, SU8_LD16(pa)));
                a1 = _mm256_add_epi16(a1, _mm256_mullo_epi16(kv, SU8_LD16(pa + 16)));
            }
        }
        _mm256_storeu_si256((__m256i *)(r + i), a0);
        _mm256_storeu_si256((__m256i *)(r + i + 16), a1);
    }
#undef SU8_LD16
    for (; i < n; i++) {
        uint32_t s = 0;
        for (j = 0; j < nk; j++) s += (uint32_t)k[j] * p[i + (su8_ssize)j * C];
        r[i] = (uint16_t)s;
    }
}

__attribute__((target("avx2")))
static void su8_vpass_avx2(uint8_t *restrict d, const uint16_t *const *rows, const uint32_t *k,
                           int nk, int sym, uint32_t mul, uint32_t add, int shift, su8_ssize n)
{
    su8_ssize i = 0;
    int j, h = nk / 2;
    const __m256i vmul = _mm256_set1_epi32((int)mul), vadd = _mm256_set1_epi32((int)add);
    const __m128i vsh = _mm_cvtsi32_si128(shift);
#define SU8_LD8(q) _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(q)))
    for (; i + 32 <= n; i += 32) {
        __m256i a0, a1, a2, a3;
        if (sym) {
            const uint16_t *rc = rows[h] + i;
            __m256i kc = _mm256_set1_epi32((int)k[h]);
            a0 = _mm256_mullo_epi32(kc, SU8_LD8(rc));
            a1 = _mm256_mullo_epi32(kc, SU8_LD8(rc + 8));
            a2 = _mm256_mullo_epi32(kc, SU8_LD8(rc + 16));
            a3 = _mm256_mullo_epi32(kc, SU8_LD8(rc + 24));
            for (j = 0; j < h; j++) {
                const uint16_t *ra = rows[j] + i, *rb = rows[nk - 1 - j] + i;
                __m256i kv = _mm256_set1_epi32((int)k[j]);
#define SU8_PAIR(acc, o) \
    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(kv, _mm256_add_epi32(SU8_LD8(ra + (o)), \
                                                                        SU8_LD8(rb + (o)))))
                SU8_PAIR(a0, 0);
                SU8_PAIR(a1, 8);
                SU8_PAIR(a2, 16);
                SU8_PAIR(a3, 24);
#undef SU8_PAIR
            }
        } else {
            const uint16_t *r0 = rows[0] + i;
            __m256i k0 = _mm256_set1_epi32((int)k[0]);
            a0 = _mm256_mullo_epi32(k0, SU8_LD8(r0));
            a1 = _mm256_mullo_epi32(k0, SU8_LD8(r0 + 8));
            a2 = _mm256_mullo_epi32(k0, SU8_LD8(r0 + 16));
            a3 = _mm256_mullo_epi32(k0, SU8_LD8(r0 + 24));
            for (j = 1; j < nk; j++) {
                const uint16_t *ra = rows[j] + i;
                __m256i kv = _mm256_set1_epi32((int)k[j]);
                a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(kv, SU8_LD8(ra)));
                a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(kv, SU8_LD8(ra + 8)));
                a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(kv, SU8_LD8(ra + 16)));
                a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(kv, SU8_LD8(ra + 24)));
            }
        }
        if (mul != 1) {
            a0 = _mm256_mullo_epi32(a0, vmul);
            a1 = _mm256_mullo_epi32(a1, vmul);
            a2 = _mm256_mullo_epi32(a2, vmul);
            a3 = _mm256_mullo_epi32(a3, vmul);
        }
        a0 = _mm256_srl_epi32(_mm256_add_epi32(a0, vadd), vsh);
        a1 = _mm256_srl_epi32(_mm256_add_epi32(a1, vadd), vsh);
        a2 = _mm256_srl_epi32(_mm256_add_epi32(a2, vadd), vsh);
        a3 = _mm256_srl_epi32(_mm256_add_epi32(a3, vadd), vsh);
        /* the packs saturate (the clamp to 255) and work within 128-bit lanes: a permute
         * after each restores the order */
        __m256i x = _mm256_permute4x64_epi64(_mm256_packus_epi32(a0, a1), 0xD8);
        __m256i y = _mm256_permute4x64_epi64(_mm256_packus_epi32(a2, a3), 0xD8);
        __m256i w = _mm256_permute4x64_epi64(_mm256_packus_epi16(x, y), 0xD8);
        _mm256_storeu_si256((__m256i *)(d + i), w);
    }
#undef SU8_LD8
    for (; i < n; i++) {
        uint32_t s = 0;
        for (j = 0; j < nk; j++) s += k[j] * rows[j][i];
        s = (s * mul + add) >> shift;
        d[i] = (uint8_t)(s < 255u ? s : 255u);
    }
}
#endif

static void su8_hpass(uint16_t *restrict r, const uint8_t *restrict p, const uint16_t *k,
                      int nk, int sym, su8_ssize C, su8_ssize n)
{
#if SU8_HAVE_AVX2
    if (su8_avx2()) { su8_hpass_avx2(r, p, k, nk, sym, C, n); return; }
#endif
    su8_hpass_c(r, p, k, nk, sym, C, n);
}

static void su8_vpass(uint8_t *restrict d, const uint16_t *const *rows, const uint32_t *k,
                      int nk, int sym, uint32_t mul, uint32_t add, int shift, su8_ssize n,
                      uint32_t *restrict acc)
{
#if SU8_HAVE_AVX2
    if (su8_avx2()) { su8_vpass_avx2(d, rows, k, nk, sym, mul, add, shift, n); return; }
#endif
    su8_vpass_c(d, rows, k, nk, sym, mul, add, shift, n, acc);
}

/* Bytes of scratch one su8_block call needs. */
static su8_ssize su8_work_bytes(su8_ssize W, su8_ssize C, int nkx, int nky)
{
    su8_ssize padn = (W + nkx - 1) * C, n = W * C;
    return padn + 64 + (su8_ssize)(nky + 1) * (n * 2 + 64) + SU8_CHUNK * 4 + 64
           + (su8_ssize)nky * (su8_ssize)sizeof(void *) + 64 + n * 4 + 64;
}

/* Box column sums: S += in - leaving (leaving may be NULL), then d = the scaled sums (d may be
 * NULL while the window fills). One pass over the row whatever the window height. */
DH_ISA_INLINE void su8_vbox_impl(uint8_t *restrict d, uint32_t *restrict S,
                                 const uint16_t *restrict in,
                                 const uint16_t *restrict leaving, uint32_t mul, uint32_t add,
                                 int shift,
                                 su8_ssize n)
{
    su8_ssize i;
    if (leaving && d) {
        for (i = 0; i < n; i++) {
            uint32_t t = S[i] + in[i] - leaving[i];
            uint32_t v = (t * mul + add) >> shift;
            S[i] = t;
            d[i] = (uint8_t)(v < 255u ? v : 255u);
        }
        return;
    }
    for (i = 0; i < n; i++) S[i] += in[i];
    if (d)
        for (i = 0; i < n; i++) {
            uint32_t v = (S[i] * mul + add) >> shift;
            d[i] = (uint8_t)(v < 255u ? v : 255u);
        }
}
DH_ISA_VOID(static, su8_vbox, (uint8_t *restrict d, uint32_t *restrict S,
                               const uint16_t *restrict in, const uint16_t *restrict leaving,
                               uint32_t mul, uint32_t add, int shift, su8_ssize n),
            (d, S, in, leaving, mul, add, shift, n))

/* su8_vbox in 16 bits, for windows whose every sum fits (255 * taps < 2^16): S += in -
 * leaving, then d = ((S + add) * mul) >> (16 + shift), a divider the caller checked equal to
 * the rounding of the 32-bit one for every reachable sum. Half the bytes of su8_vbox a step,
 * twice the lanes a vector: a 512-wide 5x5 box spent a third of its time in su8_vbox. */
DH_ISA_INLINE void su8_vbox16_impl(uint8_t *restrict d, uint16_t *restrict S,
                                   const uint16_t *restrict in,
                                   const uint16_t *restrict leaving, uint32_t mul, uint32_t add,
                                   int shift, su8_ssize n)
{
    su8_ssize i;
    if (leaving && d) {
        for (i = 0; i < n; i++) {
            uint16_t t = (uint16_t)(S[i] + in[i] - leaving[i]);
            uint32_t v = ((uint32_t)(uint16_t)(t + add) * mul) >> 16 >> shift;
            S[i] = t;
            d[i] = (uint8_t)(v < 255u ? v : 255u);
        }
        return;
    }
    for (i = 0; i < n; i++) S[i] = (uint16_t)(S[i] + in[i]);
    if (d)
        for (i = 0; i < n; i++) {
            uint32_t v = ((uint32_t)(uint16_t)(S[i] + add) * mul) >> 16 >> shift;
            d[i] = (uint8_t)(v < 255u ? v : 255u);
        }
}
DH_ISA_VOID(static, su8_vbox16, (uint8_t *restrict d, uint16_t *restrict S,
                                 const uint16_t *restrict in, const uint16_t *restrict leaving,
                                 uint32_t mul, uint32_t add, int shift, su8_ssize n),
            (d, S, in, leaving, mul, add, shift, n))

/* Output rows y0 <= y < y1 (dst points at row 0). rowmap[y + i] is the source row under kernel
 * row i (-1: the constant row cvrow, W*C long); cmap[q] the source column of padded column q
 * (-1: cval). vbox: ky is all ones, and running column sums replace the vertical taps; with
 * mul16 (not 0) they are kept in 16 bits and scaled by (mul16, add16, shift16) (su8_vbox16). */
static void su8_block(const uint8_t *src, su8_ssize rstride, uint8_t *dst, su8_ssize dstride,
                      su8_ssize y0, su8_ssize y1, const su8_ssize *rowmap, const su8_ssize *cmap,
                      int ax, su8_ssize W, su8_ssize C, const uint8_t *cvrow, uint8_t cval,
                      const uint16_t *kx, int nkx, int xsym, const uint32_t *ky, int nky,
                      int ysym, int vbox, uint32_t mul, uint32_t add, int shift,
                      uint32_t mul16, uint32_t add16, int shift16, char *work)
{
    su8_ssize n = W * C, padn = (W + nkx - 1) * C, y, q;
    uint8_t *pad = (uint8_t *)work;
    char *w = work + ((padn + 63) & ~(su8_ssize)63);
    uint16_t *ring = (uint16_t *)w;
    su8_ssize rstep = ((n * 2 + 63) & ~(su8_ssize)63) / 2;
    int nring = nky + 1; /* one spare slot: the row leaving a box window is still readable */
    uint32_t *acc = (uint32_t *)(w + (su8_ssize)nring * rstep * 2);
    const uint16_t **rows = (const uint16_t **)(acc + SU8_CHUNK);
    su8_ssize rows_bytes = ((su8_ssize)nky * (su8_ssize)sizeof(void *) + 63) & ~(su8_ssize)63;
    uint32_t *colsum = (uint32_t *)((char *)rows + rows_bytes);
    su8_ssize p0 = y0, p;
    if (vbox) memset(colsum, 0, (size_t)n * sizeof(uint32_t));
    for (p = y0; p < y1 + nky - 1; p++) {
        su8_ssize sr = rowmap[p];
        const uint8_t *s = sr >= 0 ? src + sr * rstride : cvrow;
        uint16_t *r = ring + (p % nring) * rstep;
        memcpy(pad + (su8_ssize)ax * C, s, (size_t)n);
        for (q = 0; q < W + nkx - 1; q++) {
            if (q == ax) { q = ax + W - 1; continue; }
            su8_ssize c = cmap[q];
            if (C == 1) pad[q] = c >= 0 ? s[c] : cval; /* no library call per border byte */
            else if (c >= 0) memcpy(pad + q * C, s + c * C, (size_t)C);
            else memset(pad + q * C, cval, (size_t)C);
        }
        su8_hpass(r, pad, kx, nkx, xsym, C, n);
        y = p - (nky - 1);
        if (vbox) {
            const uint16_t *leaving = p - p0 >= nky ? ring + ((p - nky) % nring) * rstep : NULL;
            if (mul16)
                su8_vbox16(y >= y0 ? dst + y * dstride : NULL, (uint16_t *)colsum, r, leaving,
                           mul16, add16, shift16, n);
            else
                su8_vbox(y >= y0 ? dst + y * dstride : NULL, colsum, r, leaving, mul, add, shift,
                         n);
        } else if (y >= y0) {
            for (int i = 0; i < nky; i++) rows[i] = ring + ((y + i) % nring) * rstep;
            su8_vpass(dst + y * dstride, rows, ky, nky, ysym, mul, add, shift, n, acc);
        }
    }
}
#endif
