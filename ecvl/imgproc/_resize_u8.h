/* Fixed-point row kernels of the uint8 separable resize.
 *
 * Weights are integers scaled by 2^bits (each table row sums exactly to 2^bits, so flat
 * regions stay flat). The horizontal pass writes int32 rows scaled by 2^bx; the vertical pass
 * combines ky such rows with weights scaled by 2^by and rounds by (bx + by) bits. The caller
 * picks the bits so that 255 * sum|wx| * sum|wy| * 2^(bx+by) fits in int32.
 *
 * The vertical pass is a contiguous loop over dw*C values and is compiled twice (AVX2 and
 * baseline x86-64, chosen at load time) so it vectorises on any x86-64 CPU.
 */
#ifndef ECVL_RESIZE_U8_H
#define ECVL_RESIZE_U8_H
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RSU8_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RSU8_CLONES

/* One output row of the exact 2x2 box average: a and b are the two source rows (2*dw pixels),
 * v scratch for 2*dw*C sums. The vertical sum is a contiguous loop; the pair sum follows. */
RSU8_CLONES
static void rsu8_half_row(const uint8_t *a, const uint8_t *b, uint8_t *o, uint16_t *v,
                          ptrdiff_t dw, ptrdiff_t C)
{
    ptrdiff_t i, dx, c, n = 2 * dw * C;
    for (i = 0; i < n; i++)
        v[i] = (uint16_t)(a[i] + b[i]);
    if (C == 3) {
        for (dx = 0; dx < dw; dx++) {
            o[3 * dx] = (uint8_t)((v[6 * dx] + v[6 * dx + 3] + 2) >> 2);
            o[3 * dx + 1] = (uint8_t)((v[6 * dx + 1] + v[6 * dx + 4] + 2) >> 2);
            o[3 * dx + 2] = (uint8_t)((v[6 * dx + 2] + v[6 * dx + 5] + 2) >> 2);
        }
    } else if (C == 1) {
        for (dx = 0; dx < dw; dx++)
            o[dx] = (uint8_t)((v[2 * dx] + v[2 * dx + 1] + 2) >> 2);
    } else {
        for (dx = 0; dx < dw; dx++)
            for (c = 0; c < C; c++)
                o[dx * C + c] = (uint8_t)((v[2 * dx * C + c] + v[2 * dx * C + C + c] + 2) >> 2);
    }
}
#endif

/* t[dx*C + c] = sum_k w[dx*K + k] * s[o[dx*K + k] + c]; offsets o are premultiplied by C. */
static void rsu8_hrow(const uint8_t *s, int32_t *t, ptrdiff_t dw, ptrdiff_t C,
                      const int32_t *o, const int32_t *w, int K)
{
    ptrdiff_t dx, c;
    int k;
    if (K == 2 && C == 3) {
        for (dx = 0; dx < dw; dx++) {
            const uint8_t *p = s + o[2 * dx], *q = s + o[2 * dx + 1];
            int32_t w0 = w[2 * dx], w1 = w[2 * dx + 1];
            t[3 * dx] = w0 * p[0] + w1 * q[0];
            t[3 * dx + 1] = w0 * p[1] + w1 * q[1];
            t[3 * dx + 2] = w0 * p[2] + w1 * q[2];
        }
    } else if (K == 2 && C == 1) {
        for (dx = 0; dx < dw; dx++)
            t[dx] = w[2 * dx] * s[o[2 * dx]] + w[2 * dx + 1] * s[o[2 * dx + 1]];
    } else if (K == 4 && C == 1) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + 4 * dx, *ww = w + 4 * dx;
            t[dx] = ww[0] * s[oo[0]] + ww[1] * s[oo[1]] + ww[2] * s[oo[2]] + ww[3] * s[oo[3]];
        }
    } else if (K == 4 && C == 3) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + 4 * dx, *ww = w + 4 * dx;
            const uint8_t *p0 = s + oo[0], *p1 = s + oo[1], *p2 = s + oo[2], *p3 = s + oo[3];
            for (c = 0; c < 3; c++)
                t[3 * dx + c] = ww[0] * p0[c] + ww[1] * p1[c] + ww[2] * p2[c] + ww[3] * p3[c];
        }
    } else if (C == 1) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + dx * K, *ww = w + dx * K;
            int32_t a = 0;
            for (k = 0; k < K; k++)
                a += ww[k] * s[oo[k]];
            t[dx] = a;
        }
    } else if (C == 3) {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + dx * K, *ww = w + dx * K;
            int32_t a0 = 0, a1 = 0, a2 = 0;
            for (k = 0; k < K; k++) {
                const uint8_t *p = s + oo[k];
                a0 += ww[k] * p[0];
                a1 += ww[k] * p[1];
                a2 += ww[k] * p[2];
            }
            t[3 * dx] = a0;
            t[3 * dx + 1] = a1;
            t[3 * dx + 2] = a2;
        }
    } else {
        for (dx = 0; dx < dw; dx++) {
            const int32_t *oo = o + dx * K, *ww = w + dx * K;
            for (c = 0; c < C; c++) {
                int32_t a = 0;
                for (k = 0; k < K; k++)
                    a += ww[k] * s[oo[k] + c];
                t[dx * C + c] = a;
            }
        }
    }
}

static inline uint8_t rsu8_sat(int32_t v)
{
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

/* out[i] = saturate((sum_k w[k] * rows[k][i] + half) >> shift) for i < n; acc holds n ints. */
RSU8_CLONES
static void rsu8_vrow(const int32_t *const *rows, const int32_t *w, int K, uint8_t *out,
                      int32_t *acc, ptrdiff_t n, int shift)
{
    ptrdiff_t i;
    int k;
    const int32_t half = (int32_t)1 << (shift - 1);
    if (K == 2) {
        const int32_t *r0 = rows[0], *r1 = rows[1];
        const int32_t w0 = w[0], w1 = w[1];
        for (i = 0; i < n; i++)
            out[i] = rsu8_sat((w0 * r0[i] + w1 * r1[i] + half) >> shift);
        return;
    }
    if (K == 4) {
        const int32_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        for (i = 0; i < n; i++)
            out[i] = rsu8_sat((w0 * r0[i] + w1 * r1[i] + w2 * r2[i] + w3 * r3[i] + half)
                              >> shift);
        return;
    }
    {
        const int32_t *r0 = rows[0];
        const int32_t w0 = w[0];
        for (i = 0; i < n; i++)
            acc[i] = w0 * r0[i] + half;
    }
    for (k = 1; k < K; k++) {
        const int32_t *r = rows[k];
        const int32_t wk = w[k];
        if (wk == 0)
            continue;
        for (i = 0; i < n; i++)
            acc[i] += wk * r[i];
    }
    for (i = 0; i < n; i++)
        out[i] = rsu8_sat(acc[i] >> shift);
}

/* One output row of the exact 2x2 box average: a and b are the two source rows (2*dw pixels),
 * v scratch for 2*dw*C sums. The vertical sum is a contiguous loop; the pair sum follows. */
RSU8_CLONES
static void rsu8_half_row(const uint8_t *a, const uint8_t *b, uint8_t *o, uint16_t *v,
                          ptrdiff_t dw, ptrdiff_t C)
{
    ptrdiff_t i, dx, c, n = 2 * dw * C;
    for (i = 0; i < n; i++)
        v[i] = (uint16_t)(a[i] + b[i]);
    if (C == 3) {
        for (dx = 0; dx < dw; dx++) {
            o[3 * dx] = (uint8_t)((v[6 * dx] + v[6 * dx + 3] + 2) >> 2);
            o[3 * dx + 1] = (uint8_t)((v[6 * dx + 1] + v[6 * dx + 4] + 2) >> 2);
            o[3 * dx + 2] = (uint8_t)((v[6 * dx + 2] + v[6 * dx + 5] + 2) >> 2);
        }
    } else if (C == 1) {
        for (dx = 0; dx < dw; dx++)
            o[dx] = (uint8_t)((v[2 * dx] + v[2 * dx + 1] + 2) >> 2);
    } else {
        for (dx = 0; dx < dw; dx++)
            for (c = 0; c < C; c++)
                o[dx * C + c] = (uint8_t)((v[2 * dx * C + c] + v[2 * dx * C + C + c] + 2) >> 2);
    }
}
#endif
