/* Tiled transpose of an image whose pixels are opaque `psz`-byte cells.
 *
 * out[x, y] = src[y, x] over the column band [x0, x1) of the source, walked in square tiles so
 * that the source lines of one tile stay in L1 while the output is written contiguously. The
 * common pixel sizes get fixed-size copies (single moves); others use memcpy. 1-byte pixels
 * take 64 x 64 tiles: a tile then reads whole 64-byte source lines, which a cold cache
 * (the source just read from memory) rewards.
 */
#ifndef ECVL_TRANSPOSE_H
#define ECVL_TRANSPOSE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TR_TB 32
#define TR_TB1 64
/* Band (and tile) width of pixels of psz bytes; bands of columns go to threads. */
static inline ptrdiff_t tr_tile(ptrdiff_t psz) { return psz == 1 ? TR_TB1 : TR_TB; }

#include "dh_isa.h"
#define TR_CLONES DH_ISA_CLONES

#define TR_TILE(PSZ)                                                                   \
    for (x = bx; x < bx1; x++) {                                                       \
        uint8_t *o = out + (x * h + by) * (PSZ);                                       \
        const uint8_t *s = src + (by * w + x) * (PSZ);                                 \
        for (y = 0; y < by1 - by; y++)                                                 \
            memcpy(o + y * (PSZ), s + y * rs, (PSZ));                                  \
    }

#if defined(__SSE2__)
#include <emmintrin.h>
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <tmmintrin.h>
#define TR_HAVE_SSSE3 1
#endif
/* out[x, y] = src[y, x] for one 8x8 block of bytes (rows rs and os bytes apart): three
 * rounds of interleaving 8-byte rows. */
static inline void tr_block8(const uint8_t *s, ptrdiff_t rs, uint8_t *o, ptrdiff_t os)
{
    __m128i r0 = _mm_loadl_epi64((const __m128i *)(s + 0 * rs));
    __m128i r1 = _mm_loadl_epi64((const __m128i *)(s + 1 * rs));
    __m128i r2 = _mm_loadl_epi64((const __m128i *)(s + 2 * rs));
    __m128i r3 = _mm_loadl_epi64((const __m128i *)(s + 3 * rs));
    __m128i r4 = _mm_loadl_epi64((const __m128i *)(s + 4 * rs));
    __m128i r5 = _mm_loadl_epi64((const __m128i *)(s + 5 * rs));
    __m128i r6 = _mm_loadl_epi64((const __m128i *)(s + 6 * rs));
    __m128i r7 = _mm_loadl_epi64((const __m128i *)(s + 7 * rs));
    __m128i a0 = _mm_unpacklo_epi8(r0, r1), a1 = _mm_unpacklo_epi8(r2, r3);
    __m128i a2 = _mm_unpacklo_epi8(r4, r5), a3 = _mm_unpacklo_epi8(r6, r7);
    __m128i b0 = _mm_unpacklo_epi16(a0, a1), b1 = _mm_unpackhi_epi16(a0, a1);
    __m128i b2 = _mm_unpacklo_epi16(a2, a3), b3 = _mm_unpackhi_epi16(a2, a3);
    __m128i c0 = _mm_unpacklo_epi32(b0, b2), c1 = _mm_unpackhi_epi32(b0, b2);
    __m128i c2 = _mm_unpacklo_epi32(b1, b3), c3 = _mm_unpackhi_epi32(b1, b3);
    _mm_storel_epi64((__m128i *)(o + 0 * os), c0);
    _mm_storel_epi64((__m128i *)(o + 1 * os), _mm_unpackhi_epi64(c0, c0));
    _mm_storel_epi64((__m128i *)(o + 2 * os), c1);
    _mm_storel_epi64((__m128i *)(o + 3 * os), _mm_unpackhi_epi64(c1, c1));
    _mm_storel_epi64((__m128i *)(o + 4 * os), c2);
    _mm_storel_epi64((__m128i *)(o + 5 * os), _mm_unpackhi_epi64(c2, c2));
    _mm_storel_epi64((__m128i *)(o + 6 * os), c3);
    _mm_storel_epi64((__m128i *)(o + 7 * os), _mm_unpackhi_epi64(c3, c3));
}
/* The same for a 16x16 block: four rounds of interleaving (bytes, then 2-, 4- and 8-byte
 * units) move twice the bytes per instruction of two 8x8 rounds. */
static inline void tr_block16(const uint8_t *s, ptrdiff_t rs, uint8_t *o, ptrdiff_t os)
{
    __m128i t[8][2], u[4][4], v[2][8];
    int g, q, c, d;
    for (g = 0; g < 8; g++) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + (2 * g) * rs));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + (2 * g + 1) * rs));
        t[g][0] = _mm_unpacklo_epi8(a, b);
        t[g][1] = _mm_unpackhi_epi8(a, b);
    }
    for (q = 0; q < 4; q++)
        for (c = 0; c < 2; c++) {
            u[q][2 * c] = _mm_unpacklo_epi16(t[2 * q][c], t[2 * q + 1][c]);
            u[q][2 * c + 1] = _mm_unpackhi_epi16(t[2 * q][c], t[2 * q + 1][c]);
        }
    for (g = 0; g < 2; g++)
        for (c = 0; c < 4; c++) {
            v[g][2 * c] = _mm_unpacklo_epi32(u[2 * g][c], u[2 * g + 1][c]);
            v[g][2 * c + 1] = _mm_unpackhi_epi32(u[2 * g][c], u[2 * g + 1][c]);
        }
    for (d = 0; d < 8; d++) {
        _mm_storeu_si128((__m128i *)(o + (2 * d) * os), _mm_unpacklo_epi64(v[0][d], v[1][d]));
        _mm_storeu_si128((__m128i *)(o + (2 * d + 1) * os),
                         _mm_unpackhi_epi64(v[0][d], v[1][d]));
    }
}

#define TR_TILE1()                                                                     \
    if (bx1 - bx == tb && by1 - by == tb) { /* full tiles: tb is a multiple of 16 */   \
        for (x = bx; x < bx1; x += 16)                                                 \
            for (y = by; y < by1; y += 16)                                             \
                tr_block16(src + y * w + x, w, out + x * h + y, h);                    \
    } else {                                                                           \
        ptrdiff_t x8 = bx + ((bx1 - bx) & ~(ptrdiff_t)7), y8 = by + ((by1 - by) & ~(ptrdiff_t)7); \
        for (x = bx; x < x8; x += 8)                                                   \
            for (y = by; y < y8; y += 8)                                               \
                tr_block8(src + y * w + x, w, out + x * h + y, h);                     \
        for (x = bx; x < bx1; x++)                                                     \
            for (y = (x < x8 ? y8 : by); y < by1; y++)                                 \
                out[x * h + y] = src[y * w + x];                                       \
    }
#else
#define TR_TILE1() TR_TILE(1)
#endif

static void tr_band(const uint8_t *src, uint8_t *out, ptrdiff_t h, ptrdiff_t w, ptrdiff_t psz,
                    ptrdiff_t x0, ptrdiff_t x1)
{
    const ptrdiff_t rs = w * psz, tb = tr_tile(psz);
    ptrdiff_t bx, by, x, y;
    for (by = 0; by < h; by += tb) {
        ptrdiff_t by1 = by + tb < h ? by + tb : h;
        for (bx = x0; bx < x1; bx += tb) {
            ptrdiff_t bx1 = bx + tb < x1 ? bx + tb : x1;
            switch (psz) {
            case 1: TR_TILE1() break;
            case 2: TR_TILE(2) break;
            case 3: TR_TILE(3) break;
            case 4: TR_TILE(4) break;
            case 6: TR_TILE(6) break;
            case 8: TR_TILE(8) break;
            case 12: TR_TILE(12) break;
            case 16: TR_TILE(16) break;
            default: TR_TILE(psz) break;
            }
        }
    }
}
#undef TR_TILE
#undef TR_TILE1

/* Reverse the w bytes of one row (byte shuffles on AVX2 machines). */
TR_CLONES
static void mirror_row1(const uint8_t *s, uint8_t *o, ptrdiff_t w)
{
    ptrdiff_t x;
    for (x = 0; x < w; x++)
        o[x] = s[w - 1 - x];
}

/* Reverse the w 3-byte pixels of one row (w > 2): 4-byte moves, the spilled byte of each
 * landing on the next output pixel, which is written afterwards; the read spill stays inside
 * the row. The last output pixel is copied exactly. With SSSE3, five pixels per byte shuffle:
 * output pixels [x, x+5) come from the 15 bytes of source pixels [w-5-x, w-x); the 16-byte
 * load reads one byte of pixel w-x (inside the row for x >= 1) and the 16-byte store spills
 * one byte into output pixel x+5 (written later, x + 5 < w). */
#ifdef TR_HAVE_SSSE3
__attribute__((target("ssse3")))
static ptrdiff_t mirror_row3_ssse3(const uint8_t *s, uint8_t *o, ptrdiff_t w)
{
    const __m128i ctl = _mm_setr_epi8(12, 13, 14, 9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2, -1);
    ptrdiff_t x;
    for (x = 1; x + 5 < w; x += 5) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + 3 * (w - 5 - x)));
        _mm_storeu_si128((__m128i *)(o + 3 * x), _mm_shuffle_epi8(v, ctl));
    }
    return x;
}
static int tr_cpu_ssse3(void) { return __builtin_cpu_supports("ssse3"); }
#else
static ptrdiff_t mirror_row3_ssse3(const uint8_t *s, uint8_t *o, ptrdiff_t w)
{
    (void)s; (void)o; (void)w;
    return 1;
}
static int tr_cpu_ssse3(void) { return 0; }
#endif

static void mirror_row3(const uint8_t *s, uint8_t *o, ptrdiff_t w, int simd)
{
    ptrdiff_t x = 1;
    memcpy(o, s + 3 * (w - 1), 3);
    if (simd)
        x = mirror_row3_ssse3(s, o, w);
    for (; x < w - 1; x++) {
        uint32_t v;
        memcpy(&v, s + 3 * (w - 1 - x), 4);
        memcpy(o + 3 * x, &v, 4);
    }
    memcpy(o + 3 * (w - 1), s, 3);
}
#endif
