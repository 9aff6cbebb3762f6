/* Tiled transpose of an image whose pixels are opaque `psz`-byte cells.
 *
 * out[x, y] = src[y, x] over the column band [x0, x1) of the source, walked in TB x TB tiles so
 * that the source lines of one tile stay in L1 while the output is written contiguously. The
 * common pixel sizes get fixed-size copies (single moves); others use memcpy.
 */
#ifndef ECVL_TRANSPOSE_H
#define ECVL_TRANSPOSE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TR_TB 32

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define TR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TR_CLONES
#endif

#define TR_TILE(PSZ)                                                                   \
    for (x = bx; x < bx1; x++) {                                                       \
        uint8_t *o = out + (x * h + by) * (PSZ);                                       \
        const uint8_t *s = src + (by * w + x) * (PSZ);                                 \
        for (y = 0; y < by1 - by; y++)                                                 \
            memcpy(o + y * (PSZ), s + y * rs, (PSZ));                                  \
    }

static void tr_band(const uint8_t *src, uint8_t *out, ptrdiff_t h, ptrdiff_t w, ptrdiff_t psz,
                    ptrdiff_t x0, ptrdiff_t x1)
{
    const ptrdiff_t rs = w * psz;
    ptrdiff_t bx, by, x, y;
    for (by = 0; by < h; by += TR_TB) {
        ptrdiff_t by1 = by + TR_TB < h ? by + TR_TB : h;
        for (bx = x0; bx < x1; bx += TR_TB) {
            ptrdiff_t bx1 = bx + TR_TB < x1 ? bx + TR_TB : x1;
            switch (psz) {
            case 1: TR_TILE(1) break;
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
 * the row. The last output pixel is copied exactly. */
static void mirror_row3(const uint8_t *s, uint8_t *o, ptrdiff_t w)
{
    ptrdiff_t x;
    memcpy(o, s + 3 * (w - 1), 3);
    for (x = 1; x < w - 1; x++) {
        uint32_t v;
        memcpy(&v, s + 3 * (w - 1 - x), 4);
        memcpy(o + 3 * x, &v, 4);
    }
    memcpy(o + 3 * (w - 1), s, 3);
}
#endif
