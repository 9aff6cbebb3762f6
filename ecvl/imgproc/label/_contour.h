/* Border following of binary masks (Suzuki & Abe 1985, 8-connected foreground), every border
 * pixel kept in trace order, as OpenCV's findContours with CHAIN_APPROX_NONE.
 *
 * Works on an int8 copy of the mask framed by one zero pixel on every side. Pixel states: 0
 * background, 1 unvisited foreground, and the marks Suzuki & Abe write as +-NBD. Only one fact
 * about a border is ever needed here (is it an outer border whose parent is the frame, i.e. a
 * top-level "external" contour), so marks are +-2 for such borders and +-3 for all others
 * instead of carrying the border number; LNBD reduces to that one bit.
 *
 * Points are appended to a growable buffer of (x, y) int32 pairs with one start offset per
 * contour; every contour is traced (the marks must exist for correct raster-scan decisions),
 * but in external mode only the top-level outer borders keep their points.
 */
#ifndef ECVL_CONTOUR_H
#define ECVL_CONTOUR_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t *pts;   /* 2 * npts values */
    int64_t npts, cap;
    int64_t *offs;  /* ncont + 1 start offsets */
    int64_t ncont, ccap;
} ctr_buf;

static inline uint64_t ctr_ld64(const int8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int ctr_grow_pts(ctr_buf *b)
{
    int64_t cap = b->cap ? 2 * b->cap : 4096;
    int32_t *p = (int32_t *)realloc(b->pts, (size_t)cap * 2 * sizeof(int32_t));
    if (!p)
        return -1;
    b->pts = p;
    b->cap = cap;
    return 0;
}

static int ctr_open(ctr_buf *b)
{
    if (b->ncont + 2 > b->ccap) {
        int64_t cap = b->ccap ? 2 * b->ccap : 256;
        int64_t *o = (int64_t *)realloc(b->offs, (size_t)cap * sizeof(int64_t));
        if (!o)
            return -1;
        b->offs = o;
        b->ccap = cap;
    }
    b->offs[b->ncont] = b->npts;
    return 0;
}

static void ctr_free(ctr_buf *b)
{
    free(b->pts);
    free(b->offs);
    b->pts = NULL;
    b->offs = NULL;
}

/* Copy mask (H, W) into the framed int8 image f ((H + 2) * (W + 2) + 16 bytes) as 0/1. */
static void ctr_frame(const uint8_t *m, int8_t *f, intptr_t H, intptr_t W)
{
    const intptr_t Wp = W + 2;
    memset(f, 0, (size_t)Wp);
    for (intptr_t i = 0; i < H; i++) {
        int8_t *row = f + (i + 1) * Wp;
        const uint8_t *src = m + i * W;
        row[0] = 0;
        for (intptr_t j = 0; j < W; j++)
            row[j + 1] = src[j] != 0;
        row[W + 1] = 0;
    }
    memset(f + (H + 1) * Wp, 0, (size_t)Wp + 16);
}

/* Follow the border starting at p0 = (x0, y0), first searching clockwise from direction d0
 * (4: West for an outer border, 0: East for a hole). Returns 0, or -1 when out of memory. */
static int ctr_trace(int8_t *p0, int d0, int8_t mark, int keep, int32_t x0, int32_t y0,
                     const intptr_t *off, ctr_buf *b)
{
    static const int DX[8] = {1, 1, 0, -1, -1, -1, 0, 1};
    static const int DY[8] = {0, -1, -1, -1, 0, 1, 1, 1};
    int d = -1;
    for (int k = 0; k < 8; k++) {
        const int kk = (d0 - k) & 7;
        if (p0[off[kk]]) {
            d = kk;
            break;
        }
    }
    if (keep && ctr_open(b))
        return -1;
    if (d < 0) {
        *p0 = (int8_t)-mark;
        if (keep) {
            if (b->npts == b->cap && ctr_grow_pts(b))
                return -1;
            b->pts[2 * b->npts] = x0;
            b->pts[2 * b->npts + 1] = y0;
            b->npts++;
        }
    } else {
        int8_t *const p1 = p0 + off[d];
        int8_t *p3 = p0;
        int32_t x = x0, y = y0;
        for (;;) {
            int east_zero = 0, k = (d + 1) & 7;
            /* counter-clockwise from the pixel after the previous one; ends at it at worst */
            while (!p3[off[k]]) {
                east_zero |= k == 0;
                k = (k + 1) & 7;
            }
            if (east_zero)
                *p3 = (int8_t)-mark;
            else if (*p3 == 1)
                *p3 = mark;
            if (keep) {
                if (b->npts == b->cap && ctr_grow_pts(b))
                    return -1;
                b->pts[2 * b->npts] = x;
                b->pts[2 * b->npts + 1] = y;
                b->npts++;
            }
            int8_t *const p4 = p3 + off[k];
            if (p4 == p0 && p3 == p1)
                break;
            p3 = p4;
            x += DX[k];
            y += DY[k];
            d = (k + 4) & 7;
        }
    }
    if (keep)
        b->offs[++b->ncont] = b->npts;
    return 0;
}

/* Raster scan of the framed image f (see ctr_frame); returns 0, or -1 when out of memory. */
static int ctr_find(int8_t *f, intptr_t H, intptr_t W, int external, ctr_buf *b)
{
    const intptr_t Wp = W + 2;
    const intptr_t off[8] = {1, -Wp + 1, -Wp, -Wp - 1, -1, Wp - 1, Wp, Wp + 1};
    const uint64_t ones = 0x0101010101010101ULL;
    for (intptr_t i = 1; i <= H; i++) {
        int8_t *row = f + i * Wp;
        int lnbd_top = 1; /* the frame */
        intptr_t j = 1;
        while (j <= W) {
            int8_t v = row[j];
            if (v == 0) {
                j++;
                while (j <= W && ctr_ld64(row + j) == 0)
                    j += 8;
                continue;
            }
            const int outer = v == 1 && row[j - 1] == 0;
            if (outer || (v >= 1 && row[j + 1] == 0)) {
                if (!outer && v > 1)
                    lnbd_top = v == 2;
                /* an outer border is top-level when LNBD is the frame or a top-level border;
                 * a hole never is */
                const int top = outer && lnbd_top;
                if (ctr_trace(row + j, outer ? 4 : 0, top ? 2 : 3, !external || top,
                              (int32_t)(j - 1), (int32_t)(i - 1), off, b))
                    return -1;
                v = row[j];
            } else if (v == 1) {
                /* inside a run of unvisited foreground: nothing starts here */
                j++;
                while (ctr_ld64(row + j) == ones)
                    j += 7;
                continue;
            }
            lnbd_top = v == 2 || v == -2;
            j++;
        }
    }
    return 0;
}

#endif
