# cython: language_level=3
"""Connected-component labelling (parallel strips + union-find), border following (Suzuki &
Abe) and Zhang-Suen thinning on binary uint8 masks."""
import numpy as np
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, int32_t, int64_t


cdef inline int32_t _find(int32_t *P, int32_t i) noexcept nogil:
    while P[i] < i:
        P[i] = P[P[i]]
        i = P[i]
    return i


cdef inline int32_t _union(int32_t *P, int32_t a, int32_t b) noexcept nogil:
    # link the larger root under the smaller one so P[i] <= i always holds
    a = _find(P, a)
    b = _find(P, b)
    if a < b:
        P[b] = a
        return a
    P[a] = b
    return b


cdef int32_t _strip(const uint8_t *m, int32_t *lab, int32_t *P, Py_ssize_t W, Py_ssize_t r0,
                    Py_ssize_t r1, int32_t base, int conn8) noexcept nogil:
    """First pass over rows r0..r1-1 (row r0 ignores the row above); returns next free label."""
    cdef Py_ssize_t y, x
    cdef int32_t nxt = base, L
    cdef const uint8_t *row
    cdef const uint8_t *up
    cdef int32_t *lr
    cdef int32_t *lu
    cdef bint p, q, r, s
    for y in range(r0, r1):
        row = m + y * W
        lr = lab + y * W
        up = m + (y - 1) * W
        lu = lab + (y - 1) * W
        for x in range(W):
            if not row[x]:
                lr[x] = 0
                continue
            s = x > 0 and row[x - 1] != 0
            if y > r0:
                q = up[x] != 0
                p = conn8 and x > 0 and up[x - 1] != 0
                r = conn8 and x + 1 < W and up[x + 1] != 0
            else:
                q = p = r = False
            if conn8:
                if q:
                    L = lu[x]
                elif r:
                    L = lu[x + 1]
                    if p:
                        L = _union(P, L, lu[x - 1])
                    elif s:
                        L = _union(P, L, lr[x - 1])
                elif p:
                    L = lu[x - 1]
                elif s:
                    L = lr[x - 1]
                else:
                    L = nxt
                    P[L] = L
                    nxt += 1
            else:
                if q and s:
                    L = _union(P, lu[x], lr[x - 1])
                elif q:
                    L = lu[x]
                elif s:
                    L = lr[x - 1]
                else:
                    L = nxt
                    P[L] = L
                    nxt += 1
            lr[x] = L
    return nxt


def label2d(const uint8_t[:, ::1] mask, int32_t[:, ::1] out, int connectivity, int nthreads):
    """Label the nonzero pixels of mask into out (0 = background); returns the component count.
    Labels follow raster order of each component's first pixel."""
    cdef Py_ssize_t H = mask.shape[0], W = mask.shape[1]
    if out.shape[0] != H or out.shape[1] != W:
        raise ValueError("label2d: output shape differs")
    if connectivity not in (4, 8):
        raise ValueError("label2d: connectivity must be 4 or 8")
    cdef Py_ssize_t half = (W + 1) // 2
    if H * half + 1 >= 2 ** 31:
        raise ValueError("label2d: image too large for 32-bit labels")
    if H == 0 or W == 0:
        return 0
    cdef int ns = max(1, min(nthreads * 4, <int>(H // 16) if H >= 16 else 1))
    starts = np.linspace(0, H, ns + 1).astype(np.intp)
    cdef Py_ssize_t[::1] st = starts
    ends_arr = np.zeros(ns, np.int32)
    cdef int32_t[::1] ends = ends_arr
    P_arr = np.empty(H * half + 1, np.int32)
    cdef int32_t[::1] P = P_arr
    cdef int conn8 = connectivity == 8
    cdef int s
    cdef Py_ssize_t x, y, i
    cdef int32_t a, count = 0
    cdef const uint8_t *m = &mask[0, 0]
    cdef int32_t *lab = &out[0, 0]
    with nogil:
        for s in prange(ns, num_threads=max(1, nthreads), schedule='dynamic'):
            ends[s] = _strip(m, lab, &P[0], W, st[s], st[s + 1], <int32_t>(st[s] * half + 1),
                             conn8)
        # stitch each strip to the one above along its first row
        for s in range(1, ns):
            y = st[s]
            if y >= H or y == st[s - 1]:
                continue
            for x in range(W):
                a = lab[y * W + x]
                if a == 0:
                    continue
                if lab[(y - 1) * W + x]:
                    _union(&P[0], a, lab[(y - 1) * W + x])
                if conn8:
                    if x > 0 and lab[(y - 1) * W + x - 1]:
                        _union(&P[0], a, lab[(y - 1) * W + x - 1])
                    if x + 1 < W and lab[(y - 1) * W + x + 1]:
                        _union(&P[0], a, lab[(y - 1) * W + x + 1])
        # flatten in increasing label order: parents precede children
        for s in range(ns):
            for i in range(st[s] * half + 1, ends[s]):
                if P[i] == i:
                    count += 1
                    P[i] = count
                else:
                    P[i] = P[P[i]]
        for y in prange(H, num_threads=max(1, nthreads), schedule='static'):
            for x in range(W):
                if lab[y * W + x]:
                    lab[y * W + x] = P[lab[y * W + x]]
    return count


# 8 neighbours counter-clockwise in image coordinates (y down), starting East
cdef int DY[8]
cdef int DX[8]
DY[:] = [0, -1, -1, -1, 0, 1, 1, 1]
DX[:] = [1, 1, 0, -1, -1, -1, 0, 1]


def find_contours(const uint8_t[:, ::1] mask, bint external):
    """Suzuki-Abe border following. Returns (contours, is_hole, parent) with each contour an
    (N, 2) int32 array of (x, y) points; parent is the index of the enclosing border or -1."""
    cdef Py_ssize_t H = mask.shape[0], W = mask.shape[1]
    f_arr = np.zeros((H + 2, W + 2), np.int32)
    f_arr[1:-1, 1:-1] = np.asarray(mask) != 0
    cdef int32_t[:, ::1] f = f_arr
    cdef Py_ssize_t i, j, i1, j1, i3, j3, k, kk, start
    cdef int nbd = 1, lnbd, d, d0, d4
    cdef bint hole, east_zero
    contours = []
    hole_of = [False]          # index = nbd - 1; entry 0 is the frame
    parent_of = [-1]
    keep = []
    pts = []
    for i in range(1, H + 1):
        lnbd = 1
        for j in range(1, W + 1):
            if f[i, j] == 1 and f[i, j - 1] == 0:
                hole = False
                d0 = 4                      # start from the West neighbour
            elif f[i, j] >= 1 and f[i, j + 1] == 0:
                hole = True
                d0 = 0                      # start from the East neighbour
                if f[i, j] > 1:
                    lnbd = f[i, j]
            else:
                if f[i, j] != 1 and f[i, j] != 0:
                    lnbd = abs(f[i, j])
                continue
            nbd += 1
            # parent border from LNBD (Suzuki & Abe, table 1)
            if hole == hole_of[lnbd - 1]:
                parent = parent_of[lnbd - 1]
            else:
                parent = lnbd - 1
            hole_of.append(hole)
            parent_of.append(parent)
            pts = []
            # 3.1: clockwise from d0 for the first nonzero neighbour
            d = -1
            for k in range(8):
                kk = (d0 - k + 8) % 8
                if f[i + DY[kk], j + DX[kk]] != 0:
                    d = kk
                    break
            if d < 0:
                f[i, j] = -nbd
                pts.append((j - 1, i - 1))
            else:
                i1 = i + DY[d]
                j1 = j + DX[d]
                i3 = i
                j3 = j
                while True:
                    # 3.3: counter-clockwise from the neighbour after (i2, j2) around (i3, j3)
                    east_zero = False
                    for k in range(1, 9):
                        kk = (d + k) % 8
                        if kk == 0 and f[i3, j3 + 1] == 0:
                            east_zero = True
                        if f[i3 + DY[kk], j3 + DX[kk]] != 0:
                            d4 = kk
                            break
                    if east_zero:
                        f[i3, j3] = -nbd
                    elif f[i3, j3] == 1:
                        f[i3, j3] = nbd
                    pts.append((j3 - 1, i3 - 1))
                    if i3 + DY[d4] == i and j3 + DX[d4] == j and i3 == i1 and j3 == j1:
                        break
                    # step: the new (i2, j2) is (i3, j3), seen from (i4, j4) in direction d4+4
                    i3 = i3 + DY[d4]
                    j3 = j3 + DX[d4]
                    d = (d4 + 4) % 8
            contours.append(np.array(pts, dtype=np.int32).reshape(-1, 2))
            keep.append(nbd)
            if f[i, j] != 1:
                lnbd = abs(f[i, j])
    is_hole = [hole_of[n - 1] for n in keep]
    parent = [parent_of[n - 1] - 1 if parent_of[n - 1] > 0 else -1 for n in keep]
    if external:
        sel = [k for k in range(len(contours)) if not is_hole[k] and parent[k] == -1]
        return [contours[k] for k in sel], [False] * len(sel), [-1] * len(sel)
    return contours, is_hole, parent


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
