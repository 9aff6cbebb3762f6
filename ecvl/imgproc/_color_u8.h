/* uint8 colour loops compiled twice (AVX2 and baseline x86-64, picked at load time): with
 * AVX2 byte shuffles GCC vectorises the stride-3 channel accesses, which SSE2 cannot. */
#ifndef ECVL_COLOR_U8_H
#define ECVL_COLOR_U8_H
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define COL_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define COL_CLONES
#endif

/* RGB <-> BGR of n pixels. */
COL_CLONES
static void col_swap3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        d[3 * i] = s[3 * i + 2];
        d[3 * i + 1] = s[3 * i + 1];
        d[3 * i + 2] = s[3 * i];
    }
}

/* Gray of n packed 3-channel pixels whose channels weigh w0, w1, w2 (15-bit, summing to 2^15). */
COL_CLONES
static void col_gray3_u8(const uint8_t *s, uint8_t *d, ptrdiff_t n, int w0, int w1, int w2)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++)
        d[i] = (uint8_t)((s[3 * i] * w0 + s[3 * i + 1] * w1 + s[3 * i + 2] * w2 + 16384) >> 15);
}
#endif
