# cython: language_level=3
"""Connected-component labelling (block-based scan over parallel strips, see _ccl.h), border
following (Suzuki & Abe, see _contour.h) and Guo-Hall thinning on binary uint8 masks."""
import numpy as np
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, int8_t, int32_t, int64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset


cdef extern from "_ccl.h" nogil:
    int32_t ccl8_strip(const uint8_t *m, int32_t *lab, int32_t *P, int32_t *key, Py_ssize_t H,
                       Py_ssize_t W, Py_ssize_t y0, Py_ssize_t y1, int32_t next,
                       const uint8_t *zero)
    void ccl8_stitch(const uint8_t *m, int32_t *lab, int32_t *P, Py_ssize_t H, Py_ssize_t W,
                     Py_ssize_t y0)
    void ccl8_relabel(const uint8_t *m, int32_t *lab, const int32_t *F, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t y)
    int32_t ccl4_strip(const uint8_t *m, int32_t *lab, int32_t *P, Py_ssize_t W, Py_ssize_t y0,
                       Py_ssize_t y1, int32_t next, const uint8_t *zero)
    void ccl4_stitch(const uint8_t *m, int32_t *lab, int32_t *P, Py_ssize_t W, Py_ssize_t y0)
    void ccl4_relabel(const uint8_t *m, int32_t *lab, const int32_t *F, Py_ssize_t W,
                      Py_ssize_t y)
    int32_t ccl_flatten(int32_t *P, int32_t *key, const int32_t *base, const int32_t *end,
                        int ns, int64_t row2)


cdef extern from "_contour.h" nogil:
    ctypedef struct ctr_buf:
        int32_t *pts
        int64_t npts
        int64_t *offs
        int64_t ncont
    void ctr_frame(const uint8_t *m, int8_t *f, Py_ssize_t H, Py_ssize_t W)
    int ctr_find(int8_t *f, Py_ssize_t H, Py_ssize_t W, int external, ctr_buf *b)
    void ctr_free(ctr_buf *b)


cdef enum:
    MAX_STRIPS = 64


cdef inline void _first_pass(const uint8_t *m, int32_t *lab, int32_t *P, int32_t *key,
                             Py_ssize_t H, Py_ssize_t W, const Py_ssize_t *st, const int32_t *base,
                             int32_t *ends, int s, bint conn8, const uint8_t *zero) noexcept nogil:
    if st[s] >= st[s + 1]:
        ends[s] = base[s]
    elif conn8:
        ends[s] = ccl8_strip(m, lab, P, key, H, W, st[s], st[s + 1], base[s], zero)
    else:
        ends[s] = ccl4_strip(m, lab, P, W, st[s], st[s + 1], base[s], zero)


cdef inline void _second_pass(const uint8_t *m, int32_t *lab, const int32_t *F, Py_ssize_t H,
                              Py_ssize_t W, Py_ssize_t y, bint conn8) noexcept nogil:
    if conn8:
        ccl8_relabel(m, lab, F, H, W, 2 * y)
    else:
        ccl4_relabel(m, lab, F, W, y)


def label2d(const uint8_t[:, ::1] mask, int32_t[:, ::1] out, int connectivity, int nthreads):
    """Label the nonzero pixels of mask into out (0 = background); returns the component count.
    Labels follow raster order of each component's first pixel."""
    cdef Py_ssize_t H = mask.shape[0], W = mask.shape[1]
    if out.shape[0] != H or out.shape[1] != W:
        raise ValueError("label2d: output shape differs")
    if connectivity not in (4, 8):
        raise ValueError("label2d: connectivity must be 4 or 8")
    # provisional labels, pixel indices and keys (< (H + 1) * W) all live in int32
    if (H + 2) * (W + 2) >= 2 ** 31:
        raise ValueError("label2d: image too large for 32-bit labels")
    if H == 0 or W == 0:
        return 0
    cdef bint conn8 = connectivity == 8
    cdef Py_ssize_t half = (W + 1) // 2, nlab = H * half + 1
    # the caller sizes nthreads to the image; strips of >= 64 rows, two per thread for
    # balance (even-aligned for the 2x2 blocks)
    cdef int nt = max(1, nthreads)
    cdef int ns = 1 if nt == 1 else <int>max(1, min(2 * nt, H // 64, MAX_STRIPS))
    cdef Py_ssize_t st[MAX_STRIPS + 1]
    cdef int32_t base[MAX_STRIPS]
    cdef int32_t ends[MAX_STRIPS]
    cdef int s
    for s in range(ns + 1):
        st[s] = H * s // ns
        if conn8 and 0 < s < ns:
            st[s] &= ~(<Py_ssize_t>1)
    for s in range(ns):
        base[s] = <int32_t>(st[s] * half + 1)
    cdef int32_t *P = <int32_t *>malloc(nlab * sizeof(int32_t))
    cdef int32_t *key = <int32_t *>malloc((nlab if conn8 else 1) * sizeof(int32_t))
    cdef uint8_t *zero = <uint8_t *>calloc(W + 16, 1)
    cdef const uint8_t *m = &mask[0, 0]
    cdef int32_t *lab = &out[0, 0]
    cdef Py_ssize_t y, nrows = (H + 1) // 2 if conn8 else H
    cdef int32_t count = -1
    try:
        if P == NULL or key == NULL or zero == NULL:
            raise MemoryError("label2d: out of memory")
        with nogil:
            if nt > 1:
                for s in prange(ns, num_threads=nt, schedule='dynamic', chunksize=1):
                    _first_pass(m, lab, P, key, H, W, st, base, ends, s, conn8, zero)
            else:
                for s in range(ns):
                    _first_pass(m, lab, P, key, H, W, st, base, ends, s, conn8, zero)
            for s in range(1, ns):
                if 0 < st[s] < H and st[s] > st[s - 1]:
                    if conn8:
                        ccl8_stitch(m, lab, P, H, W, st[s])
                    else:
                        ccl4_stitch(m, lab, P, W, st[s])
            count = ccl_flatten(P, key if conn8 else NULL, base, ends, ns, 2 * W)
            if count >= 0:
                if nt > 1:
                    for y in prange(nrows, num_threads=nt, schedule='static'):
                        _second_pass(m, lab, P, H, W, y, conn8)
                else:
                    for y in range(nrows):
                        _second_pass(m, lab, P, H, W, y, conn8)
        if count < 0:
            raise MemoryError("label2d: out of memory")
    finally:
        free(P)
        free(key)
        free(zero)
    return count


def find_contours(const uint8_t[:, ::1] mask, bint external):
    """Suzuki-Abe border following; returns a list of (N, 2) int32 arrays of (x, y) points
    (outer borders of top-level components only when external)."""
    cdef Py_ssize_t H = mask.shape[0], W = mask.shape[1]
    if H == 0 or W == 0:
        return []
    if (H + 2) * (W + 2) >= 2 ** 31:
        raise ValueError("find_contours: image too large")
    f_arr = np.empty((H + 2) * (W + 2) + 16, np.int8)
    cdef int8_t[::1] f_v = f_arr
    cdef int8_t *f = &f_v[0]
    cdef int32_t[:, ::1] pv
    cdef ctr_buf b
    memset(&b, 0, sizeof(b))
    cdef int rc
    with nogil:
        ctr_frame(&mask[0, 0], f, H, W)
        rc = ctr_find(f, H, W, external, &b)
    try:
        if rc:
            raise MemoryError("find_contours: out of memory")
        pts = np.empty((b.npts, 2), np.int32)
        if b.npts:
            pv = pts
            memcpy(&pv[0, 0], b.pts, b.npts * 2 * sizeof(int32_t))
        offs = [b.offs[k] for k in range(b.ncont + 1)] if b.ncont else []
    finally:
        ctr_free(&b)
    return [pts[offs[k]:offs[k + 1]] for k in range(len(offs) - 1)]


def thin(uint8_t[:, ::1] img, const uint8_t[::1] lut1, const uint8_t[::1] lut2, int max_iter,
         int nthreads):
    """Two-subiteration parallel thinning of a 0/1 image in place: in each subiteration the
    pixels whose 8-neighbour code (bit 0 = East, counter-clockwise) is marked in the LUT are
    removed together. Returns the number of iterations run."""
    cdef Py_ssize_t H = img.shape[0], W = img.shape[1], y, x
    if lut1.shape[0] != 256 or lut2.shape[0] != 256:
        raise ValueError("thin: LUTs must have 256 entries")
    mark_arr = np.zeros((H, W), np.uint8)
    cdef uint8_t[:, ::1] mark = mark_arr
    cdef const uint8_t *lut
    cdef int it = 0, sub, changed = 1, code
    cdef int64_t nchg
    while changed and (max_iter < 0 or it < max_iter):
        changed = 0
        it += 1
        for sub in range(2):
            lut = &lut1[0] if sub == 0 else &lut2[0]
            nchg = 0
            with nogil:
                for y in prange(H, num_threads=max(1, nthreads), schedule='static'):
                    for x in range(W):
                        mark[y, x] = 0
                        if not img[y, x]:
                            continue
                        code = 0
                        if x + 1 < W:
                            code = code | img[y, x + 1]
                            if y > 0:
                                code = code | (img[y - 1, x + 1] << 1)
                            if y + 1 < H:
                                code = code | (img[y + 1, x + 1] << 7)
                        if y > 0:
                            code = code | (img[y - 1, x] << 2)
                        if x > 0:
                            code = code | (img[y, x - 1] << 4)
                            if y > 0:
                                code = code | (img[y - 1, x - 1] << 3)
                            if y + 1 < H:
                                code = code | (img[y + 1, x - 1] << 5)
                        if y + 1 < H:
                            code = code | (img[y + 1, x] << 6)
                        mark[y, x] = lut[code]
                for y in prange(H, num_threads=max(1, nthreads), schedule='static'):
                    for x in range(W):
                        if mark[y, x]:
                            img[y, x] = 0
                            nchg += 1
            if nchg:
                changed = 1
    return it
