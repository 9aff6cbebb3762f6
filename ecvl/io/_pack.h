/* Packing 4-byte RGBX pixels into 3-byte RGB rows: SSSE3 byte shuffles where the CPU has them. */
#ifndef ECVL_IO_PACK_H
#define ECVL_IO_PACK_H

#include <stdint.h>
#include <string.h>
#include <stddef.h>

#include "dh_isa.h"

static void pack_row_scalar(const uint8_t *s, uint8_t *d, ptrdiff_t x, ptrdiff_t w)
{
    uint32_t v;
    /* one 4-byte move per pixel; its spare byte is overwritten by the next pixel */
    for (; x + 1 < w; x++) {
        memcpy(&v, s + 4 * x, 4);
        memcpy(d + 3 * x, &v, 4);
    }
    for (; x < w; x++) {  /* the last pixel stays inside the row */
        d[3 * x] = s[4 * x];
        d[3 * x + 1] = s[4 * x + 1];
        d[3 * x + 2] = s[4 * x + 2];
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("ssse3")))
static void pack_row_ssse3(const uint8_t *s, uint8_t *d, ptrdiff_t w)
{
    const __m128i m = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    ptrdiff_t x = 0;
    /* 16-byte stores of 12 useful bytes: stop while the store still ends inside the row */
    for (; x + 6 <= w; x += 4)
        _mm_storeu_si128((__m128i *)(d + 3 * x),
                         _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 4 * x)), m));
    pack_row_scalar(s, d, x, w);
}

static int pack_has_ssse3(void)
{
    return DH_ISA_CPU_HAS("ssse3", 2);
}
#else
static void pack_row_ssse3(const uint8_t *s, uint8_t *d, ptrdiff_t w) { pack_row_scalar(s, d, 0, w); }
static int pack_has_ssse3(void) { return 0; }
#endif

static void pack_row(const uint8_t *s, uint8_t *d, ptrdiff_t w, int simd)
{
    if (simd)
        pack_row_ssse3(s, d, w);
    else
        pack_row_scalar(s, d, 0, w);
}

#endif
