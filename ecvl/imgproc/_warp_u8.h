/* Fixed-point bilinear sampling of uint8 images, the interior fast path of warps and remaps.
 *
 * A coordinate is rounded once to 1/2048 pixel: its integer part picks the 2x2 neighbourhood
 * and its 11 fraction bits are the weight, exactly as floor() plus an 11-bit rounded fraction
 * would give. Samples whose neighbourhood is not wholly inside the source (or NaN, or far out)
 * are listed in `edge` for the caller's general border-aware path, except that with a constant
 * border (`cval` not NULL, one value per channel) samples wholly outside take `cval` directly.
 */
#ifndef ECVL_WARP_U8_H
#define ECVL_WARP_U8_H
#include <stddef.h>
#include <stdint.h>

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

/* Returns how many indices were written to edge; q is scratch for 2n ints. */
static ptrdiff_t wpu8_bilinear_row(const uint8_t *src, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t C,
                                   uint8_t *out, const double *X, const double *Y, ptrdiff_t n,
                                   ptrdiff_t *edge, const uint8_t *cval, int32_t *q)
{
    const ptrdiff_t rs = sw * C;
    ptrdiff_t x, c, ne = 0;
    if (sw >= (1 << 18) || sh >= (1 << 18)) { /* clamped coordinates could land inside */
        for (x = 0; x < n; x++)
            edge[x] = x;
        return n;
    }
    wpu8_quantise(X, Y, n, q);
    for (x = 0; x < n; x++) {
        int32_t qx = q[x], qy = q[n + x];
        ptrdiff_t ix = qx >> 11, iy = qy >> 11;
        if (ix < 0 || iy < 0 || ix > sw - 2 || iy > sh - 2) {
            if (cval && (ix < -1 || iy < -1 || ix >= sw || iy >= sh)) {
                for (c = 0; c < C; c++)
                    out[x * C + c] = cval[c];
            } else {
                edge[ne++] = x;
            }
            continue;
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
    }
    return ne;
}
#endif
