/* Connected-component labelling of binary uint8 masks (nonzero = foreground).
 *
 * 8-connectivity is labelled one 2x2 block at a time (Grana, Borghesani & Cucchiara's block-based
 * scan): the foreground pixels of a 2x2 block are always 8-connected, so one provisional label per
 * block suffices, and the block's links to its left (S), upper-left (P), upper (Q) and upper-right
 * (R) blocks follow from the ten pixels bordering it. Links already implied by the pixels of the
 * row above are not re-merged, which skips most union-find work. 4-connectivity is labelled run by
 * run, one label per run. Strips of rows are scanned independently (each with its own label range) and stitched
 * along their first row; a flattening pass turns the union-find forest into final labels and a
 * second pass writes them.
 *
 * Final labels follow the raster order of each component's first pixel. Run-based 4-connected
 * labels are created in that order already; a block row can start components in its lower pixel
 * row before components starting further right in its upper row, so 8-connected roots carry the
 * raster index of their first pixel ("key") and are reordered within their block row.
 *
 * Layout: the first pass stores each block's provisional label at its top-left pixel of `lab`
 * (0 for an empty block, nothing at all for the blocks of an empty 8-pixel-aligned span it hops
 * over); every read of a neighbour label is guarded by a foreground pixel of that neighbour.
 * 4-connected labels are stored per foreground pixel. Label 0 is the background (F[0] = 0 after
 * flattening). All indices must fit in int32 (checked by the caller).
 */
#ifndef ECVL_CCL_H
#define ECVL_CCL_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef intptr_t ccl_isz;

static inline uint64_t ccl_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Parents always have smaller indices than their children (P[i] <= i). */
static inline int32_t ccl_find(int32_t *P, int32_t i)
{
    while (P[i] < i) {
        P[i] = P[P[i]];
        i = P[i];
    }
    return i;
}

static inline int32_t ccl_union(int32_t *P, int32_t a, int32_t b)
{
    if (a == b)
        return a;
    a = ccl_find(P, a);
    b = ccl_find(P, b);
    if (a < b) {
        P[b] = a;
        return a;
    }
    P[a] = b;
    return b;
}

/* pixel (row, i) as 0/1; `check` (a constant after inlining) adds the column bounds test */
#define CCL_PX(row, i) ((check) ? (((i) >= 0 && (i) < W) ? ((row)[i] != 0) : 0) : ((row)[i] != 0))

/* Label the block with top-left pixel (y, x): rows r0 = y, r1 = y + 1, u = y - 1 (a zero row at
 * the top of a strip or past the bottom of the image); lu/l0 are label rows y - 2 and y. */
static inline int32_t ccl8_block(const uint8_t *u, const uint8_t *r0, const uint8_t *r1,
                                 const int32_t *lu, int32_t *l0, int32_t *P, int32_t *key,
                                 ccl_isz W, ccl_isz x, int32_t kb, int32_t next, const int check)
{
    const int a = CCL_PX(r0, x), b = CCL_PX(r0, x + 1), c = CCL_PX(r1, x), d = CCL_PX(r1, x + 1);
    if (!(a | b | c | d)) {
        l0[x] = 0;
        return next;
    }
    const int um = CCL_PX(u, x - 1), u0 = CCL_PX(u, x), u1 = CCL_PX(u, x + 1);
    const int u2 = CCL_PX(u, x + 2);
    const int s0 = CCL_PX(r0, x - 1), s1 = CCL_PX(r1, x - 1);
    const int q = (a | b) & (u0 | u1), p = a & um, r = b & u2, s = (a | c) & (s0 | s1);
    int32_t L;
    /* Known links: P-Q when um & u0, Q-R when u1 & u2, S-Q when s0 & u0, S-P when s0 & um. */
    if (q) {
        L = lu[x];
        if (p && !u0)
            L = ccl_union(P, L, lu[x - 2]);
        if (r && !u1)
            L = ccl_union(P, L, lu[x + 2]);
        if (s && !(s0 && (u0 || p)))
            L = ccl_union(P, L, l0[x - 2]);
    } else if (p) {
        L = lu[x - 2];
        if (r)
            L = ccl_union(P, L, lu[x + 2]);
        if (s && !s0)
            L = ccl_union(P, L, l0[x - 2]);
    } else if (r) {
        L = lu[x + 2];
        if (s)
            L = ccl_union(P, L, l0[x - 2]);
    } else if (s) {
        L = l0[x - 2];
        /* a component met first in the lower pixel row of this block row may reach the upper
         * row here; with any link upwards it started in an earlier block row instead */
        if (a | b) {
            const int32_t k = kb + (int32_t)x + !a;
            if (k < key[L])
                key[L] = k;
        }
    } else {
        L = next++;
        P[L] = L;
        key[L] = kb + (a ? (int32_t)x : b ? (int32_t)x + 1
                                          : c ? (int32_t)(W + x) : (int32_t)(W + x + 1));
    }
    l0[x] = L;
    return next;
}

/* First pass over rows [y0, y1) (y0 even) with labels from `next`; returns the next free label.
 * `zero` is a zero row of at least W + 8 bytes. */
static int32_t ccl8_strip(const uint8_t *m, int32_t *lab, int32_t *P, int32_t *key, ccl_isz H,
                          ccl_isz W, ccl_isz y0, ccl_isz y1, int32_t next, const uint8_t *zero)
{
    for (ccl_isz y = y0; y < y1; y += 2) {
        const uint8_t *r0 = m + y * W;
        const uint8_t *r1 = y + 1 < H ? r0 + W : zero;
        const uint8_t *u = y > y0 ? r0 - W : zero;
        int32_t *l0 = lab + y * W;
        const int32_t *lu = y > y0 ? l0 - 2 * W : l0;
        const int32_t kb = (int32_t)(y * W);
        ccl_isz x;
        next = ccl8_block(u, r0, r1, lu, l0, P, key, W, 0, kb, next, 1);
        for (x = 2; x + 2 < W; x += 2) {
            if ((r0[x] | r0[x + 1] | r1[x] | r1[x + 1]) == 0) {
                l0[x] = 0;
                /* background: hop over whole empty 8-aligned spans, the only blocks whose
                 * label slot stays unwritten (see ccl8_relabel) */
                while (((x + 2) & 7) == 0 && x + 10 < W &&
                       (ccl_ld64(r0 + x + 2) | ccl_ld64(r1 + x + 2)) == 0)
                    x += 8;
                continue;
            }
            next = ccl8_block(u, r0, r1, lu, l0, P, key, W, x, kb, next, 0);
        }
        for (; x < W; x += 2)
            next = ccl8_block(u, r0, r1, lu, l0, P, key, W, x, kb, next, 1);
    }
    return next;
}

/* Merge the first block row y0 of a strip with the block row above it. */
static void ccl8_stitch(const uint8_t *m, int32_t *lab, int32_t *P, ccl_isz H, ccl_isz W,
                        ccl_isz y0)
{
    const uint8_t *r0 = m + y0 * W, *u = r0 - W;
    const uint8_t *r1 = y0 + 1 < H ? r0 + W : NULL;
    const int32_t *lu = lab + (y0 - 2) * W;
    int32_t *l0 = lab + y0 * W;
    const int check = 1;
    for (ccl_isz x = 0; x < W; x += 2) {
        const int a = CCL_PX(r0, x), b = CCL_PX(r0, x + 1);
        const int c = r1 ? CCL_PX(r1, x) : 0, d = r1 ? CCL_PX(r1, x + 1) : 0;
        if (!(a | b | c | d))
            continue;
        if ((a | b) & (CCL_PX(u, x) | CCL_PX(u, x + 1)))
            l0[x] = ccl_union(P, l0[x], lu[x]);
        if (a & CCL_PX(u, x - 1))
            l0[x] = ccl_union(P, l0[x], lu[x - 2]);
        if (b & CCL_PX(u, x + 2))
            l0[x] = ccl_union(P, l0[x], lu[x + 2]);
    }
}

/* Second pass over the block row starting at y: write final labels F[provisional] (F[0] = 0).
 * An 8-aligned span of a two-row block row either is empty or had all four label slots written
 * by the first pass (0 for empty blocks), so such spans are relabelled without branches. */
static void ccl8_relabel(const uint8_t *m, int32_t *lab, const int32_t *F, ccl_isz H, ccl_isz W,
                         ccl_isz y)
{
    const uint8_t *r0 = m + y * W;
    int32_t *l0 = lab + y * W;
    ccl_isz x = 0;
    if (y + 1 >= H) {
        for (; x < W; x += 2) {
            const int32_t L = (r0[x] | (x + 1 < W ? r0[x + 1] : 0)) ? F[l0[x]] : 0;
            l0[x] = r0[x] ? L : 0;
            if (x + 1 < W)
                l0[x + 1] = r0[x + 1] ? L : 0;
        }
        return;
    }
    const uint8_t *r1 = r0 + W;
    int32_t *l1 = l0 + W;
    for (; x + 8 <= W; x += 8) {
        const uint64_t w0 = ccl_ld64(r0 + x), w1 = ccl_ld64(r1 + x);
        if ((w0 | w1) == 0) {
            memset(l0 + x, 0, 8 * sizeof(int32_t));
            memset(l1 + x, 0, 8 * sizeof(int32_t));
            continue;
        }
        const int32_t L0 = F[l0[x]], L1 = F[l0[x + 2]], L2 = F[l0[x + 4]], L3 = F[l0[x + 6]];
#if defined(__SSE2__)
        const __m128i z = _mm_setzero_si128();
        const __m128i lo = _mm_set_epi32(L1, L1, L0, L0), hi = _mm_set_epi32(L3, L3, L2, L2);
        /* per-pixel "is background" masks widened from bytes to 32-bit lanes */
        __m128i b0 = _mm_cmpeq_epi8(_mm_loadl_epi64((const __m128i *)(r0 + x)), z);
        __m128i b1 = _mm_cmpeq_epi8(_mm_loadl_epi64((const __m128i *)(r1 + x)), z);
        b0 = _mm_unpacklo_epi8(b0, b0);
        b1 = _mm_unpacklo_epi8(b1, b1);
        _mm_storeu_si128((__m128i *)(l0 + x), _mm_andnot_si128(_mm_unpacklo_epi16(b0, b0), lo));
        _mm_storeu_si128((__m128i *)(l0 + x + 4), _mm_andnot_si128(_mm_unpackhi_epi16(b0, b0), hi));
        _mm_storeu_si128((__m128i *)(l1 + x), _mm_andnot_si128(_mm_unpacklo_epi16(b1, b1), lo));
        _mm_storeu_si128((__m128i *)(l1 + x + 4), _mm_andnot_si128(_mm_unpackhi_epi16(b1, b1), hi));
#else
        const int32_t Ls[4] = {L0, L1, L2, L3};
        for (int k = 0; k < 8; k++) {
            l0[x + k] = r0[x + k] ? Ls[k >> 1] : 0;
            l1[x + k] = r1[x + k] ? Ls[k >> 1] : 0;
        }
#endif
    }
    for (; x < W; x += 2) {
        const uint8_t a = r0[x], c = r1[x];
        const uint8_t b = x + 1 < W ? r0[x + 1] : 0, d = x + 1 < W ? r1[x + 1] : 0;
        const int32_t L = (a | b | c | d) ? F[l0[x]] : 0;
        l0[x] = a ? L : 0;
        l1[x] = c ? L : 0;
        if (x + 1 < W) {
            l0[x + 1] = b ? L : 0;
            l1[x + 1] = d ? L : 0;
        }
    }
}

/* First pass of 4-connected labelling over rows [y0, y1), one run of foreground at a time. */
static int32_t ccl4_strip(const uint8_t *m, int32_t *lab, int32_t *P, ccl_isz W, ccl_isz y0,
                          ccl_isz y1, int32_t next, const uint8_t *zero)
{
    for (ccl_isz y = y0; y < y1; y++) {
        const uint8_t *row = m + y * W;
        const uint8_t *up = y > y0 ? row - W : zero;
        int32_t *ll = lab + y * W;
        const int32_t *lu = y > y0 ? ll - W : ll;
        ccl_isz x = 0;
        while (x < W) {
            if (!row[x]) {
                x++;
                while (x + 8 <= W && ccl_ld64(row + x) == 0)
                    x += 8;
                continue;
            }
            /* one label per run: the first upper run it touches, merged with any further
             * ones; a new label (created at the run's end, which keeps raster order) only
             * when it touches none. Pixels before the first link are filled in afterwards. */
            const ccl_isz xs = x;
            ccl_isz first = -1;
            int32_t L = 0;
            for (; x < W && row[x]; x++) {
                if (up[x] && (x == xs || !up[x - 1])) {
                    if (L) {
                        L = ccl_union(P, L, lu[x]);
                    } else {
                        L = lu[x];
                        first = x;
                    }
                }
                ll[x] = L;
            }
            if (!L) {
                L = next++;
                P[L] = L;
                first = x;
            }
            for (ccl_isz k = xs; k < first; k++)
                ll[k] = L;
        }
    }
    return next;
}

static void ccl4_stitch(const uint8_t *m, int32_t *lab, int32_t *P, ccl_isz W, ccl_isz y0)
{
    const uint8_t *row = m + y0 * W, *up = row - W;
    int32_t *ll = lab + y0 * W;
    const int32_t *lu = ll - W;
    for (ccl_isz x = 0; x < W; x++)
        if (row[x] && up[x])
            ll[x] = ccl_union(P, ll[x], lu[x]);
}

/* Background pixels select F[0] = 0 instead of their (unwritten) label slot. */
static void ccl4_relabel(const uint8_t *m, int32_t *lab, const int32_t *F, ccl_isz W, ccl_isz y)
{
    const uint8_t *row = m + y * W;
    int32_t *ll = lab + y * W;
    ccl_isz x = 0;
    for (; x + 8 <= W; x += 8) {
        if (ccl_ld64(row + x) == 0) {
            memset(ll + x, 0, 8 * sizeof(int32_t));
            continue;
        }
        for (int k = 0; k < 8; k++) {
            const int32_t v = ll[x + k];
            ll[x + k] = F[row[x + k] ? v : 0];
        }
    }
    for (; x < W; x++)
        ll[x] = row[x] ? F[ll[x]] : 0;
}

static int ccl_cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Turn the union-find forest over the label ranges [base[s], end[s]) into final labels 1..n in
 * place (P[i] = final label of provisional i, P[0] = 0); returns n, or -1 when out of memory.
 * With key == NULL roots are numbered in provisional order; otherwise by their smallest key,
 * where keys of roots only ever disagree with provisional order inside one block row
 * (key / row2 equal). */
static int32_t ccl_flatten(int32_t *P, int32_t *key, const int32_t *base, const int32_t *end,
                           int ns, int64_t row2)
{
    int32_t n = 0;
    P[0] = 0; /* background */
    if (!key) {
        for (int s = 0; s < ns; s++)
            for (int32_t i = base[s]; i < end[s]; i++)
                P[i] = P[i] == i ? ++n : P[P[i]];
        return n;
    }
    for (int s = 0; s < ns; s++)
        for (int32_t i = base[s]; i < end[s]; i++) {
            if (P[i] == i) {
                n++;
            } else {
                const int32_t r = P[P[i]];
                P[i] = r;
                if (key[i] < key[r])
                    key[r] = key[i];
            }
        }
    uint64_t *roots = (uint64_t *)malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
    if (!roots)
        return -1;
    int32_t k = 0;
    for (int s = 0; s < ns; s++)
        for (int32_t i = base[s]; i < end[s]; i++)
            if (P[i] == i)
                roots[k++] = ((uint64_t)(uint32_t)key[i] << 32) | (uint32_t)i;
    /* A block row's roots, in provisional order, are mostly sorted within each pixel row:
     * rank the upper-row starters, then the lower-row ones, and sort only when that fails. */
    int32_t rank = 0;
    for (int32_t g = 0; g < n;) {
        const int64_t brow = (int64_t)(roots[g] >> 32) / row2, mid = brow * row2 + row2 / 2;
        int64_t last_up = -1, last_down = -1;
        int32_t e = g, ok = 1;
        for (; e < n && (int64_t)(roots[e] >> 32) / row2 == brow; e++) {
            const int64_t kk = (int64_t)(roots[e] >> 32);
            if (kk < mid) {
                ok &= kk > last_up;
                last_up = kk;
            } else {
                ok &= kk > last_down;
                last_down = kk;
            }
        }
        if (ok) {
            for (int32_t j = g; j < e; j++)
                if ((int64_t)(roots[j] >> 32) < mid)
                    key[(uint32_t)roots[j]] = ++rank;
            for (int32_t j = g; j < e; j++)
                if ((int64_t)(roots[j] >> 32) >= mid)
                    key[(uint32_t)roots[j]] = ++rank;
        } else {
            qsort(roots + g, (size_t)(e - g), sizeof(uint64_t), ccl_cmp_u64);
            for (int32_t j = g; j < e; j++)
                key[(uint32_t)roots[j]] = ++rank;
        }
        g = e;
    }
    free(roots);
    for (int s = 0; s < ns; s++)
        for (int32_t i = base[s]; i < end[s]; i++)
            P[i] = key[P[i]];
    return n;
}

#undef CCL_PX
#endif
