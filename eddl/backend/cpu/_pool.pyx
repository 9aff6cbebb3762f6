# cython: language_level=3
"""Max and average pooling over up to 3 spatial axes (1-D/2-D pools have leading sizes of 1).

Each (sample, channel) plane is one parallel task, so both the batch and the channels are
spread over the threads and backward passes need no atomics. Windows are clipped to the input:
padding never wins a max and is not counted by the average (ONNX's ``count_include_pad=0``).
"""

from cython.parallel cimport prange, threadid
from libc.string cimport memset

ctypedef fused real:
    float
    double


cdef struct PGeo:
    Py_ssize_t D, H, W, OD, OH, OW
    Py_ssize_t kd, kh, kw, sd, sh, sw, pd, ph, pw


cdef PGeo _pgeo(tuple x_shape, tuple y_shape, tuple k, tuple s, tuple p) except *:
    cdef PGeo g
    if len(k) != 3 or len(s) != 3 or len(p) != 3:
        raise ValueError("pool kernels expect 3 kernel sizes, strides and paddings")
    if x_shape[0] != y_shape[0] or x_shape[1] != y_shape[1]:
        raise ValueError(f"pool: input {x_shape} and output {y_shape} differ in batch/channels")
    g.D, g.H, g.W = x_shape[2], x_shape[3], x_shape[4]
    g.OD, g.OH, g.OW = y_shape[2], y_shape[3], y_shape[4]
    g.kd, g.kh, g.kw = k
    g.sd, g.sh, g.sw = s
    g.pd, g.ph, g.pw = p
    if min(g.kd, g.kh, g.kw, g.sd, g.sh, g.sw) < 1 or min(g.pd, g.ph, g.pw) < 0:
        raise ValueError("pool: kernel sizes and strides must be positive, paddings >= 0")
    return g


cdef tuple _shp(real[:, :, :, :, ::1] v):
    return (v.shape[0], v.shape[1], v.shape[2], v.shape[3], v.shape[4])


cdef tuple _ishp(int[:, :, :, :, ::1] v):
    return (v.shape[0], v.shape[1], v.shape[2], v.shape[3], v.shape[4])


# Window [lo, hi) of output o clipped to the input. Returned by value: a variable assigned
# only through a pointer would not be made thread-private by prange.
cdef inline Py_ssize_t _wlo(Py_ssize_t o, Py_ssize_t s, Py_ssize_t p) noexcept nogil:
    cdef Py_ssize_t a = o * s - p
    return a if a > 0 else 0


cdef inline Py_ssize_t _whi(Py_ssize_t o, Py_ssize_t s, Py_ssize_t p, Py_ssize_t k,
                            Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t a = o * s - p + k
    return a if a < n else n


cdef inline bint _beats(real v, real best) noexcept nogil:
    # NaN propagates: it replaces and is never replaced; ties keep the first position.
    # Bitwise, not short-circuit, operators keep it branch-free: on random data the
    # comparisons are unpredictable and mispredictions dominated the pooling time.
    return (v > best) | ((v != v) & (best == best))


cdef void _max_2x2_plane(real* src, real* dst, int* di, Py_ssize_t W, Py_ssize_t OH,
                         Py_ssize_t OW) noexcept nogil:
    # A plain function, not the body of the parallel loop, and two passes per row: maxima
    # from a select tree (vectorised), then the first position equal to each maximum from
    # comparison results used as integers. Any branch on the data (the compiler threads
    # jumps through ternaries unless kept apart like this) is mispredicted on random data.
    cdef Py_ssize_t b, e, bi, n0, n1, n2
    cdef real* r0
    cdef real* r1
    cdef real* o
    cdef int* oi
    cdef real x0, x1, x2, x3, m0, m1, m, tot
    for b in range(OH):
        r0 = src + 2 * b * W
        r1 = r0 + W
        o = dst + b * OW
        oi = di + b * OW
        for e in range(OW):
            x0 = r0[2 * e]
            x1 = r0[2 * e + 1]
            x2 = r1[2 * e]
            x3 = r1[2 * e + 1]
            m0 = x1 if x1 > x0 else x0
            m1 = x3 if x3 > x2 else x2
            o[e] = m1 if m1 > m0 else m0
        for e in range(OW):
            x0 = r0[2 * e]
            x1 = r0[2 * e + 1]
            x2 = r1[2 * e]
            x3 = r1[2 * e + 1]
            m = o[e]
            n0 = x0 != m
            n1 = n0 & (x1 != m)
            n2 = n1 & (x2 != m)
            bi = (n0 ^ n1) + (n1 ^ n2) * W + n2 * (W + 1)
            tot = x0 + x1 + x2 + x3
            if tot != tot:
                # a NaN (or inf - inf) in the window: the exact scalar rule
                m = x0
                bi = 0
                if _beats(x1, m):
                    m = x1
                    bi = 1
                if _beats(x2, m):
                    m = x2
                    bi = W
                if _beats(x3, m):
                    m = x3
                    bi = W + 1
                o[e] = m
            oi[e] = <int>(2 * b * W + 2 * e + bi)


cdef void _max_2x2(real* px, real* py, int* pi, Py_ssize_t T, const PGeo* g,
                   int nt) noexcept nogil:
    """2x2 windows at stride 2, all inside the input (the common CNN downsampling).

    Branch-free on the data (see :func:`_max_2x2_plane`): with data-dependent branches, the
    mispredictions on random inputs made the straightforward loop about 4x slower. A window
    holding a NaN (detected through its sum) takes the exact scalar rule.
    """
    cdef Py_ssize_t t, H = g.H, W = g.W, OH = g.OH, OW = g.OW
    for t in prange(T, num_threads=nt, schedule='static'):
        _max_2x2_plane(px + t * H * W, py + t * OH * OW, pi + t * OH * OW, W, OH, OW)


cdef enum:
    RUN = 64  # outputs of a row handled together by _max_row_run (a stack buffer each)


cdef void _max_window(real* src, real* o, int* oi, Py_ssize_t W, Py_ssize_t h0, Py_ssize_t h1,
                      Py_ssize_t w0, Py_ssize_t w1) noexcept nogil:
    # one clipped window, with the generic loop's rule (first maximum, NaN wins)
    cdef Py_ssize_t j, l, bi = -1
    cdef real m = 0
    for j in range(h0, h1):
        for l in range(w0, w1):
            if bi < 0 or _beats(src[j * W + l], m):
                m = src[j * W + l]
                bi = j * W + l
    o[0] = m
    oi[0] = <int>bi


cdef void _max_row_run(real* src, real* o, int* oi, Py_ssize_t W, Py_ssize_t h0, Py_ssize_t h1,
                       Py_ssize_t x0, Py_ssize_t n, Py_ssize_t sw, Py_ssize_t kw) noexcept nogil:
    # n <= RUN outputs of one row whose windows (columns x0 + e*sw ...) lie inside the row:
    # the loops run across the outputs, so each step is independent of the last (no chain of
    # maxima per window) and branch-free; the maximum by a select, its first position by
    # comparisons used as integers over the window scanned backwards, the scalar rule for an
    # output whose window sums to NaN (a NaN, or inf - inf).
    cdef real m[RUN]
    cdef real tot[RUN]
    cdef Py_ssize_t bi[RUN]
    cdef Py_ssize_t j, l, e, eq, pos
    cdef real v
    cdef real* r
    r = src + h0 * W + x0
    for e in range(n):
        m[e] = r[e * sw]
        tot[e] = 0
        bi[e] = 0
    for j in range(h0, h1):
        for l in range(kw):
            r = src + j * W + x0 + l
            for e in range(n):
                v = r[e * sw]
                m[e] = v if v > m[e] else m[e]
                tot[e] = tot[e] + v
    for j in range(h1 - 1, h0 - 1, -1):
        for l in range(kw - 1, -1, -1):
            pos = j * W + x0 + l
            r = src + pos
            for e in range(n):
                eq = r[e * sw] == m[e]
                bi[e] = eq * (pos + e * sw) + (1 - eq) * bi[e]
    for e in range(n):
        if tot[e] != tot[e]:
            _max_window(src, o + e, oi + e, W, h0, h1, x0 + e * sw, x0 + e * sw + kw)
        else:
            o[e] = m[e]
            oi[e] = <int>bi[e]


cdef struct Span:
    Py_ssize_t lo, hi


cdef inline Span _inner(const PGeo* g) noexcept nogil:
    # the outputs [lo, hi) of a row whose windows lie inside the row horizontally
    cdef Span s
    s.lo = (g.pw + g.sw - 1) // g.sw
    s.hi = (g.W + g.pw - g.kw) // g.sw + 1 if g.W + g.pw >= g.kw else 0
    if s.hi > g.OW:
        s.hi = g.OW
    if s.lo > s.hi:
        s.lo = s.hi
    return s


cdef void _max_2d_plane(real* src, real* dst, int* di, const PGeo* g) noexcept nogil:
    # Any 2-D window: outputs whose window is clipped on the left or right one by one, the
    # others in runs (see _max_row_run).
    cdef Py_ssize_t b, e, h0, h1, n, W = g.W, OW = g.OW
    cdef Span inner = _inner(g)
    cdef Py_ssize_t lo = inner.lo, hi = inner.hi
    for b in range(g.OH):
        h0 = _wlo(b, g.sh, g.ph)
        h1 = _whi(b, g.sh, g.ph, g.kh, g.H)
        e = 0
        while e < OW:
            if lo <= e < hi and h0 < h1:
                n = hi - e if hi - e < RUN else RUN
                _max_row_run(src, dst + b * OW + e, di + b * OW + e, W, h0, h1,
                             e * g.sw - g.pw, n, g.sw, g.kw)
                e = e + n
            else:
                _max_window(src, dst + b * OW + e, di + b * OW + e, W, h0, h1,
                            _wlo(e, g.sw, g.pw), _whi(e, g.sw, g.pw, g.kw, W))
                e = e + 1


def max_forward(real[:, :, :, :, ::1] x, real[:, :, :, :, ::1] y, int[:, :, :, :, ::1] idx,
                tuple k, tuple s, tuple p, int nt, bint fast=True):
    """``y`` = window maxima of ``x``; ``idx`` = flat in-plane index of each maximum (-1: none).

    ``fast=False`` forces the generic loop (the reference for the specialised one).
    """
    cdef PGeo g = _pgeo(_shp(x), _shp(y), k, s, p)
    if _ishp(idx) != _shp(y):
        raise ValueError("pool: index array must have the output's shape")
    cdef Py_ssize_t T = x.shape[0] * x.shape[1], t, a, b, e, i, j, l
    cdef Py_ssize_t d0, d1, h0, h1, w0, w1, best_i, q
    cdef real best, v
    cdef Py_ssize_t plane = g.D * g.H * g.W, oplane = g.OD * g.OH * g.OW
    if T == 0 or oplane == 0:
        return
    cdef real* px = &x[0, 0, 0, 0, 0]
    cdef real* py = &y[0, 0, 0, 0, 0]
    cdef int* pi = &idx[0, 0, 0, 0, 0]
    cdef real* src
    # 2-D pools with 2x2 windows at stride 2, all inside the input, take the branch-free loop
    if fast and g.D == 1 and g.OD == 1 and g.kd == 1 and g.pd == 0 and g.kh == 2 \
            and g.kw == 2 and g.sh == 2 and g.sw == 2 and g.ph == 0 and g.pw == 0 \
            and 2 * g.OH <= g.H and 2 * g.OW <= g.W:
        with nogil:
            _max_2x2(px, py, pi, T, &g, nt)
        return
    # other 2-D (and 1-D) pools: the branch-free plane loop
    if fast and g.D == 1 and g.OD == 1 and g.kd == 1 and g.pd == 0:
        with nogil:
            for t in prange(T, num_threads=nt, schedule='static'):
                _max_2d_plane(px + t * plane, py + t * oplane, pi + t * oplane, &g)
        return
    with nogil:
        for t in prange(T, num_threads=nt, schedule='static'):
            src = px + t * plane
            q = t * oplane
            for a in range(g.OD):
                d0 = _wlo(a, g.sd, g.pd)
                d1 = _whi(a, g.sd, g.pd, g.kd, g.D)
                for b in range(g.OH):
                    h0 = _wlo(b, g.sh, g.ph)
                    h1 = _whi(b, g.sh, g.ph, g.kh, g.H)
                    for e in range(g.OW):
                        w0 = _wlo(e, g.sw, g.pw)
                        w1 = _whi(e, g.sw, g.pw, g.kw, g.W)
                        best_i = -1
                        best = 0
                        for i in range(d0, d1):
                            for j in range(h0, h1):
                                for l in range(w0, w1):
                                    v = src[(i * g.H + j) * g.W + l]
                                    if best_i < 0 or _beats(v, best):
                                        best = v
                                        best_i = (i * g.H + j) * g.W + l
                        py[q] = best
                        pi[q] = <int>best_i
                        q = q + 1


cdef inline real _vmax(real v, real m) noexcept nogil:
    # the value _beats keeps: NaN wins and stays (branch-free select, see _beats)
    return v if (v > m) | ((v != v) & (m == m)) else m


cdef void _max_values_plane(real* src, real* dst, real* tmp, const PGeo* g) noexcept nogil:
    # Separable: the column maxima of the window rows into `tmp` (contiguous, vectorised),
    # then the maxima along `tmp` for the outputs of the row, vectorised across outputs whose
    # window lies inside the row; the clipped ones at either end one by one.
    cdef Py_ssize_t b, e, j, l, h0, h1, w0, w1, W = g.W, OW = g.OW, w
    cdef real* row
    cdef real* o
    cdef real m
    cdef Span inner = _inner(g)
    cdef Py_ssize_t lo = inner.lo, hi = inner.hi
    for b in range(g.OH):
        h0 = _wlo(b, g.sh, g.ph)
        h1 = _whi(b, g.sh, g.ph, g.kh, g.H)
        o = dst + b * OW
        if h0 >= h1:
            for e in range(OW):
                o[e] = 0
            continue
        row = src + h0 * W
        for w in range(W):
            tmp[w] = row[w]
        for j in range(h0 + 1, h1):
            row = src + j * W
            for w in range(W):
                tmp[w] = _vmax(row[w], tmp[w])
        for e in range(lo, hi):
            o[e] = tmp[e * g.sw - g.pw]
        for l in range(1, g.kw):
            for e in range(lo, hi):
                o[e] = _vmax(tmp[e * g.sw - g.pw + l], o[e])
        for e in range(OW):
            if lo <= e < hi:
                continue
            w0 = _wlo(e, g.sw, g.pw)
            w1 = _whi(e, g.sw, g.pw, g.kw, W)
            m = tmp[w0] if w0 < w1 else 0
            for l in range(w0 + 1, w1):
                m = _vmax(tmp[l], m)
            o[e] = m


def max_values(real[:, :, :, :, ::1] x, real[:, :, :, :, ::1] y, tuple k, tuple s, tuple p,
               real[::1] work, int nt):
    """``y`` = window maxima of ``x`` for 1-D and 2-D pools, without their positions.

    The values equal :func:`max_forward`'s (up to the sign of a zero tied with another);
    inference needs no positions. ``work`` holds ``nt`` rows of the input. Returns False,
    computing nothing, for 3-D pools.
    """
    cdef PGeo g = _pgeo(_shp(x), _shp(y), k, s, p)
    if not (g.D == 1 and g.OD == 1 and g.kd == 1 and g.pd == 0):
        return False
    if nt < 1 or work.shape[0] < nt * g.W:
        raise ValueError(f"pool: work holds {work.shape[0]} values, {nt} rows of {g.W} needed")
    cdef Py_ssize_t T = x.shape[0] * x.shape[1], t
    cdef Py_ssize_t plane = g.H * g.W, oplane = g.OH * g.OW
    if T == 0 or oplane == 0:
        return True
    cdef real* px = &x[0, 0, 0, 0, 0]
    cdef real* py = &y[0, 0, 0, 0, 0]
    cdef real* pw = &work[0]
    with nogil:
        for t in prange(T, num_threads=nt, schedule='static'):
            _max_values_plane(px + t * plane, py + t * oplane, pw + threadid() * g.W, &g)
    return True


def max_backward(real[:, :, :, :, ::1] dy, int[:, :, :, :, ::1] idx, real[:, :, :, :, ::1] dx,
                 bint acc, int nt):
    """``dx (=|+=)`` scatter of ``dy`` to the positions in ``idx``."""
    if _shp(dy) != _ishp(idx) or dy.shape[0] != dx.shape[0] or dy.shape[1] != dx.shape[1]:
        raise ValueError("pool: dy, idx and dx shapes do not match")
    cdef Py_ssize_t T = dx.shape[0] * dx.shape[1], t, q, j
    cdef Py_ssize_t plane = dx.shape[2] * dx.shape[3] * dx.shape[4]
    cdef Py_ssize_t oplane = dy.shape[2] * dy.shape[3] * dy.shape[4]
    if T == 0 or plane == 0:
        return
    cdef real* pdx = &dx[0, 0, 0, 0, 0]
    cdef real* pdy = &dy[0, 0, 0, 0, 0] if oplane else NULL
    cdef int* pi = &idx[0, 0, 0, 0, 0] if oplane else NULL
    cdef real* dst
    with nogil:
        for t in prange(T, num_threads=nt, schedule='static'):
            dst = pdx + t * plane
            if not acc:
                memset(dst, 0, plane * sizeof(real))
            for q in range(t * oplane, (t + 1) * oplane):
                j = pi[q]
                if j >= 0 and j < plane:
                    dst[j] += pdy[q]


def avg_forward(real[:, :, :, :, ::1] x, real[:, :, :, :, ::1] y, tuple k, tuple s, tuple p,
                int nt):
    """``y`` = mean of each window's in-bounds values."""
    cdef PGeo g = _pgeo(_shp(x), _shp(y), k, s, p)
    cdef Py_ssize_t T = x.shape[0] * x.shape[1], t, a, b, e, i, j, l, cnt, q
    cdef Py_ssize_t d0, d1, h0, h1, w0, w1
    cdef Py_ssize_t plane = g.D * g.H * g.W, oplane = g.OD * g.OH * g.OW
    cdef double acc_
    if T == 0 or oplane == 0:
        return
    cdef real* px = &x[0, 0, 0, 0, 0]
    cdef real* py = &y[0, 0, 0, 0, 0]
    cdef real* src
    with nogil:
        for t in prange(T, num_threads=nt, schedule='static'):
            src = px + t * plane
            q = t * oplane
            for a in range(g.OD):
                d0 = _wlo(a, g.sd, g.pd)
                d1 = _whi(a, g.sd, g.pd, g.kd, g.D)
                for b in range(g.OH):
                    h0 = _wlo(b, g.sh, g.ph)
                    h1 = _whi(b, g.sh, g.ph, g.kh, g.H)
                    for e in range(g.OW):
                        w0 = _wlo(e, g.sw, g.pw)
                        w1 = _whi(e, g.sw, g.pw, g.kw, g.W)
                        acc_ = 0
                        for i in range(d0, d1):
                            for j in range(h0, h1):
                                for l in range(w0, w1):
                                    acc_ = acc_ + src[(i * g.H + j) * g.W + l]
                        cnt = (d1 - d0) * (h1 - h0) * (w1 - w0)
                        py[q] = <real>(acc_ / cnt) if cnt > 0 else 0
                        q = q + 1


def avg_backward(real[:, :, :, :, ::1] dy, real[:, :, :, :, ::1] dx, tuple k, tuple s,
                 tuple p, bint acc, int nt):
    """``dx (=|+=)`` the gradient of :func:`avg_forward`."""
    cdef PGeo g = _pgeo(_shp(dx), _shp(dy), k, s, p)
    cdef Py_ssize_t T = dx.shape[0] * dx.shape[1], t, a, b, e, i, j, l, cnt, q
    cdef Py_ssize_t d0, d1, h0, h1, w0, w1
    cdef Py_ssize_t plane = g.D * g.H * g.W, oplane = g.OD * g.OH * g.OW
    cdef real v
    if T == 0 or plane == 0:
        return
    cdef real* pdx = &dx[0, 0, 0, 0, 0]
    cdef real* pdy = &dy[0, 0, 0, 0, 0] if oplane else NULL
    cdef real* dst
    with nogil:
        for t in prange(T, num_threads=nt, schedule='static'):
            dst = pdx + t * plane
            if not acc:
                memset(dst, 0, plane * sizeof(real))
            q = t * oplane
            for a in range(g.OD):
                d0 = _wlo(a, g.sd, g.pd)
                d1 = _whi(a, g.sd, g.pd, g.kd, g.D)
                for b in range(g.OH):
                    h0 = _wlo(b, g.sh, g.ph)
                    h1 = _whi(b, g.sh, g.ph, g.kh, g.H)
                    for e in range(g.OW):
                        w0 = _wlo(e, g.sw, g.pw)
                        w1 = _whi(e, g.sw, g.pw, g.kw, g.W)
                        cnt = (d1 - d0) * (h1 - h0) * (w1 - w0)
                        if cnt > 0:
                            v = pdy[q] / cnt
                            for i in range(d0, d1):
                                for j in range(h0, h1):
                                    for l in range(w0, w1):
                                        dst[(i * g.H + j) * g.W + l] += v
                        q = q + 1
