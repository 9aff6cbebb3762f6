/* Grey-level erosion/dilation of uint8 images by any 0/1 structuring element.
 *
 * Each thread runs mu8_block over a band of output rows. Every source row is border-padded once
 * into a ring of the last kh padded rows; each distinct row pattern of the element with more
 * than one set column gets its own ring of horizontal min/max results (a rectangle has one
 * pattern, OpenCV's 5x5 ellipse two, one of them a single column, which needs no pass: it is a
 * shifted pointer into the padded row). An output row is then the min/max over the kh rows'
 * pattern results (for elements of identical rows, two output rows at a time from their
 * shared kh - 1 rows). Both reductions keep the running value in registers over all sources (SSE2
 * baseline, AVX2 picked at run time), so each element is loaded once per source and stored once.
 */
#ifndef ECVL_MORPHU8_H
#define ECVL_MORPHU8_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dh_isa.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define MU8_X86 1
#include <immintrin.h>
static int mu8_avx2(void)
{
    static int has = -1;
    if (has < 0) has = DH_ISA_CPU_HAS("avx2", 3) ? 1 : 0;
    return has;
}
#else
#define MU8_X86 0
#endif

typedef ptrdiff_t mu8_ssize;

/* Largest element handled (rows and columns); the caller falls back to the generic path. */
#define MU8_MAXK 64

static void mu8_reduce_c(uint8_t *restrict d, const uint8_t *const *s, int m, int is_max,
                         mu8_ssize i, mu8_ssize n)
{
    for (; i < n; i++) {
        uint8_t v = s[0][i];
        for (int j = 1; j < m; j++) {
            uint8_t w = s[j][i];
            v = is_max ? (w > v ? w : v) : (w < v ? w : v);
        }
        d[i] = v;
    }
}

#if MU8_X86
#define MU8_RED_BODY(VT, LOAD, STORE, MAX, MIN, STEP)                                           \
    mu8_ssize i = 0;                                                                            \
    if (is_max) {                                                                               \
        for (; i + 2 * STEP <= n; i += 2 * STEP) {                                              \
            VT a = LOAD((const VT *)(s[0] + i)), b = LOAD((const VT *)(s[0] + i + STEP));       \
            for (int j = 1; j < m; j++) {                                                       \
                a = MAX(a, LOAD((const VT *)(s[j] + i)));                                       \
                b = MAX(b, LOAD((const VT *)(s[j] + i + STEP)));                                \
            }                                                                                   \
            STORE((VT *)(d + i), a);                                                            \
            STORE((VT *)(d + i + STEP), b);                                                     \
        }                                                                                       \
    } else {                                                                                    \
        for (; i + 2 * STEP <= n; i += 2 * STEP) {                                              \
            VT a = LOAD((const VT *)(s[0] + i)), b = LOAD((const VT *)(s[0] + i + STEP));       \
            for (int j = 1; j < m; j++) {                                                       \
                a = MIN(a, LOAD((const VT *)(s[j] + i)));                                       \
                b = MIN(b, LOAD((const VT *)(s[j] + i + STEP)));                                \
            }                                                                                   \
            STORE((VT *)(d + i), a);                                                            \
            STORE((VT *)(d + i + STEP), b);                                                     \
        }                                                                                       \
    }                                                                                           \
    mu8_reduce_c(d, s, m, is_max, i, n);

__attribute__((target("avx2")))
static void mu8_reduce_avx2(uint8_t *restrict d, const uint8_t *const *s, int m, int is_max,
                            mu8_ssize n)
{
    MU8_RED_BODY(__m256i, _mm256_loadu_si256, _mm256_storeu_si256, _mm256_max_epu8,
                 _mm256_min_epu8, 32)
}

static void mu8_reduce_sse2(uint8_t *restrict d, const uint8_t *const *s, int m, int is_max,
                            mu8_ssize n)
{
    MU8_RED_BODY(__m128i, _mm_loadu_si128, _mm_storeu_si128, _mm_max_epu8, _mm_min_epu8, 16)
}
#undef MU8_RED_BODY
#endif

/* d[i] = min/max over j < m of s[j][i], i < n (m >= 1; d may alias none of the sources). */
static void mu8_reduce(uint8_t *restrict d, const uint8_t *const *s, int m, int is_max,
                       mu8_ssize n)
{
#if MU8_X86
    if (mu8_avx2()) mu8_reduce_avx2(d, s, m, is_max, n);
    else mu8_reduce_sse2(d, s, m, is_max, n);
#else
    mu8_reduce_c(d, s, m, is_max, 0, n);
#endif
}

/* Bytes of scratch one mu8_block call needs. */
static mu8_ssize mu8_work_bytes(mu8_ssize W, mu8_ssize C, int kh, int kw)
{
    mu8_ssize padn = ((W + kw - 1) * C + 63) & ~(mu8_ssize)63;
    mu8_ssize n = (W * C + 63) & ~(mu8_ssize)63;
    return (mu8_ssize)kh * padn + (mu8_ssize)kh * kh * n + n + 64;
}

/* Output rows y0 <= y < y1 of the erosion (is_max 0) or dilation of src (H rows of W*C bytes,
 * rstride apart) by the kh x kw mask se. rowmap[y + i] is the source row under element row i
 * (-1: the constant row cvrow, W*C long); cmap[q] the source column of padded column q
 * (-1: cval). A mask with no set element gives cval everywhere. */
static void mu8_block(const uint8_t *src, mu8_ssize rstride, uint8_t *dst, mu8_ssize dstride,
                      mu8_ssize y0, mu8_ssize y1, const mu8_ssize *rowmap, const mu8_ssize *cmap,
                      int ax, mu8_ssize W, mu8_ssize C, const uint8_t *cvrow, uint8_t cval,
                      const uint8_t *se, int kh, int kw, int is_max, char *work)
{
    mu8_ssize n = W * C, padw = W + kw - 1;
    mu8_ssize padn = (padw * C + 63) & ~(mu8_ssize)63, nstep = (n + 63) & ~(mu8_ssize)63;
    uint8_t *pad = (uint8_t *)work;
    uint8_t *hres = pad + (mu8_ssize)kh * padn;
    uint8_t *pair = hres + (mu8_ssize)kh * kh * nstep; /* shared rows of two outputs */
    int grp[MU8_MAXK], single[MU8_MAXK], slot[MU8_MAXK];
    int nslot = 0;
    const uint8_t *srcs[MU8_MAXK];
    mu8_ssize p, q;
    int i, j;
    /* grp[i]: first row with row i's pattern (-1: empty row); single[i]: the one set column,
     * or -1 when the pattern has several; slot[g]: ring of pattern g's horizontal results */
    for (i = 0; i < kh; i++) {
        int cnt = 0, last = -1;
        grp[i] = -1;
        single[i] = -1;
        slot[i] = -1;
        for (j = 0; j < kw; j++)
            if (se[i * kw + j]) { cnt++; last = j; }
        if (!cnt) continue;
        grp[i] = i;
        for (int i0 = 0; i0 < i; i0++)
            if (grp[i0] == i0 && memcmp(se + i * kw, se + i0 * kw, (size_t)kw) == 0) {
                grp[i] = i0;
                break;
            }
        if (cnt == 1) single[i] = last;
        else if (grp[i] == i) slot[i] = nslot++;
    }
    /* Every row the same pattern of several columns (a rectangle): outputs y and y + 1 share
     * the maximum of rows y + 1 .. y + kh - 1, formed once for both (OpenCV's column trick):
     * kh loads for two rows instead of 2 kh. */
    int paired = kh >= 3 && slot[0] == 0 && nslot == 1;
    for (i = 1; i < kh && paired; i++)
        paired = grp[i] == 0;
    for (p = y0; p < y1 + kh - 1; p++) {
        mu8_ssize sr = rowmap[p];
        const uint8_t *s = sr >= 0 ? src + sr * rstride : cvrow;
        int r = (int)(p % kh);
        uint8_t *pr = pad + r * padn;
        memcpy(pr + (mu8_ssize)ax * C, s, (size_t)n);
        for (q = 0; q < padw; q++) {
            if (q == ax) { q = ax + W - 1; continue; }
            mu8_ssize c = cmap[q];
            if (C == 1) pr[q] = c >= 0 ? s[c] : cval; /* no library call per border byte */
            else if (c >= 0) memcpy(pr + q * C, s + c * C, (size_t)C);
            else memset(pr + q * C, cval, (size_t)C);
        }
        for (i = 0; i < kh; i++) {
            if (slot[i] < 0) continue;
            int m = 0;
            for (j = 0; j < kw; j++)
                if (se[i * kw + j]) srcs[m++] = pr + (mu8_ssize)j * C;
            mu8_reduce(hres + ((mu8_ssize)slot[i] * kh + r) * nstep, srcs, m, is_max, n);
        }
        mu8_ssize y = p - (kh - 1);
        if (y < y0) continue;
        if (paired) {
            const uint8_t *two[2];
            if ((y - y0) % 2 == 0) {
                int m = 0;
                for (i = 1; i < kh; i++)
                    srcs[m++] = hres + ((y + i) % kh) * nstep;
                mu8_reduce(pair, srcs, m, is_max, n);
                two[0] = hres + (y % kh) * nstep; /* the row leaving after this output */
            } else {
                two[0] = hres + ((y + kh - 1) % kh) * nstep; /* the row just added */
            }
            two[1] = pair;
            mu8_reduce(dst + y * dstride, two, 2, is_max, n);
            continue;
        }
        int m = 0;
        for (i = 0; i < kh; i++) {
            int g = grp[i];
            if (g < 0) continue;
            int rr = (int)((y + i) % kh);
            if (single[g] >= 0) srcs[m++] = pad + rr * padn + (mu8_ssize)single[g] * C;
            else srcs[m++] = hres + ((mu8_ssize)slot[g] * kh + rr) * nstep;
        }
        if (m) mu8_reduce(dst + y * dstride, srcs, m, is_max, n);
        else memset(dst + y * dstride, cval, (size_t)n);
    }
}
#endif
