# cython: language_level=3
"""Convolution kernels: im2col / col2im with OpenMP and GEMM through SciPy's BLAS.

Every convolution is seen as 3-D (1-D and 2-D ones have leading spatial sizes of 1). The
"A side" is the tensor that gets unfolded (``N x C x D x H x W``), the "B side" the tensor on
the other side of the weights (``N x F x OD x OH x OW``), and the weights are
``F x C/groups x KD x KH x KW``:

- :func:`im2col_gemm`: ``B (=|+=) W * A`` (convolution forward; transposed-conv backward),
- :func:`gemm_col2im`: ``A (=|+=) W^T * B`` (convolution backward-data; transposed-conv forward),
- :func:`weight_grad`: ``dW = sum_n B (x) unfold(A)``.

Samples are processed in chunks; each chunk is unfolded into ``col`` (``C*K x chunk*L``) so one
large GEMM per group covers the whole chunk. The unfold/fold loops run in parallel over
(row, sample) or (channel, sample) pairs, so small batches still use every core. By default
the GEMMs are split by columns over the same OpenMP threads while the caller keeps BLAS
single-threaded, so one thread pool owns the cores (two pools alternating, each spinning
while the other works, ran several times slower on a loaded 2-core machine); ``gnt=1`` hands
each GEMM whole to BLAS instead. All shapes and workspace sizes are checked here before the
GIL is released.
"""

from cython.parallel cimport prange
from libc.string cimport memset, memcpy

include "_conv_geom.pxi"


cdef void _pgemm(char ta, char tb, int m, int n, int k, real* A, int lda, real* B, int ldb,
                 real beta, real* C, int ldc, int nt) noexcept nogil:
    """``C = op(A) op(B) + beta C`` with the columns, or else the rows, of C split over ``nt`` threads.

    Columns when there are enough of them; rows otherwise (a deep layer's small image at batch
    1: 49 columns, 512 rows). The caller keeps BLAS single-threaded meanwhile, so one thread
    pool owns the cores.
    """
    cdef bint by_cols = n >= 64 * nt
    cdef int parts = nt if nt > 1 and (by_cols or m >= 32 * nt) else 1
    cdef int t, j0, j1
    cdef real* b
    for t in prange(parts, num_threads=parts, schedule='static'):
        if by_cols or parts == 1:
            j0 = <int>((<long long>n * t) // parts)
            j1 = <int>((<long long>n * (t + 1)) // parts)
            if j1 > j0:
                b = B + (j0 * ldb if tb == c'T' else j0)
                _gemm(ta, tb, m, j1 - j0, k, <real>1.0, A, lda, b, ldb, beta, C + j0, ldc)
        else:
            # whole rows of 8, so every thread's block keeps the kernels' vector width
            j0 = <int>(((<long long>m * t) // parts) // 8 * 8)
            j1 = m if t == parts - 1 else <int>(((<long long>m * (t + 1)) // parts) // 8 * 8)
            if j1 > j0:
                _gemm(ta, tb, j1 - j0, n, k, <real>1.0,
                      A + (j0 if ta == c'T' else j0 * lda), lda, B, ldb, beta, C + j0 * ldc, ldc)


cdef void _im2col(real* x, real* col, Py_ssize_t nc, const Geo* g, int nt) noexcept nogil:
    """``col[(c, kd, kh, kw), (n, od, oh, ow)]`` for ``nc`` samples of ``x``."""
    cdef Py_ssize_t K = g.kd * g.kh * g.kw
    cdef Py_ssize_t L = g.OD * g.OH * g.OW
    cdef Py_ssize_t ncols = nc * L, plane = g.D * g.H * g.W
    cdef Py_ssize_t t, n, r, c, kk, a, b, e, zd, zh, zw, i_d, i_h, iw0, lo, hi
    cdef real* src
    cdef real* dst
    cdef real* row
    for t in prange(g.C * K * nc, num_threads=nt, schedule='static'):
        n = t % nc
        r = t // nc
        c = r // K
        kk = r % K
        zd = kk // (g.kh * g.kw)
        zh = (kk // g.kw) % g.kh
        zw = kk % g.kw
        src = x + (n * g.C + c) * plane
        dst = col + r * ncols + n * L
        iw0 = zw * g.dw - g.pw
        lo = _lo(iw0, g.sw)
        hi = _hi(iw0, g.sw, g.W, g.OW, lo)
        for a in range(g.OD):
            i_d = a * g.sd - g.pd + zd * g.dd
            if i_d < 0 or i_d >= g.D:
                memset(dst, 0, g.OH * g.OW * sizeof(real))
                dst = dst + g.OH * g.OW
                continue
            for b in range(g.OH):
                i_h = b * g.sh - g.ph + zh * g.dh
                if i_h < 0 or i_h >= g.H:
                    memset(dst, 0, g.OW * sizeof(real))
                else:
                    row = src + (i_d * g.H + i_h) * g.W + iw0
                    for e in range(lo):
                        dst[e] = 0
                    if g.sw == 1:
                        for e in range(lo, hi):
                            dst[e] = row[e]
                    else:
                        for e in range(lo, hi):
                            dst[e] = row[e * g.sw]
                    for e in range(hi, g.OW):
                        dst[e] = 0
                dst = dst + g.OW


cdef void _col2im(real* col, real* x, Py_ssize_t nc, const Geo* g, bint acc,
                  int nt) noexcept nogil:
    """``x (=|+=) fold(col)``: the adjoint of :func:`_im2col`; one task per (channel, sample)."""
    cdef Py_ssize_t K = g.kd * g.kh * g.kw
    cdef Py_ssize_t L = g.OD * g.OH * g.OW
    cdef Py_ssize_t ncols = nc * L, plane = g.D * g.H * g.W
    cdef Py_ssize_t t, n, c, kk, a, b, e, zd, zh, zw, i_d, i_h, iw0, lo, hi
    cdef real* src
    cdef real* dst
    cdef real* row
    for t in prange(g.C * nc, num_threads=nt, schedule='static'):
        n = t % nc
        c = t // nc
        dst = x + (n * g.C + c) * plane
        if not acc:
            memset(dst, 0, plane * sizeof(real))
        for kk in range(K):
            zd = kk // (g.kh * g.kw)
            zh = (kk // g.kw) % g.kh
            zw = kk % g.kw
            src = col + (c * K + kk) * ncols + n * L
            iw0 = zw * g.dw - g.pw
            lo = _lo(iw0, g.sw)
            hi = _hi(iw0, g.sw, g.W, g.OW, lo)
            for a in range(g.OD):
                i_d = a * g.sd - g.pd + zd * g.dd
                if i_d < 0 or i_d >= g.D:
                    src = src + g.OH * g.OW
                    continue
                for b in range(g.OH):
                    i_h = b * g.sh - g.ph + zh * g.dh
                    if i_h >= 0 and i_h < g.H:
                        row = dst + (i_d * g.H + i_h) * g.W + iw0
                        if g.sw == 1:
                            for e in range(lo, hi):
                                row[e] += src[e]
                        else:
                            for e in range(lo, hi):
                                row[e * g.sw] += src[e]
                    src = src + g.OW


cdef void _gather(real* y, real* yg, Py_ssize_t nc, Py_ssize_t F, Py_ssize_t L,
                  int nt) noexcept nogil:
    """``yg[f, n*L + l] = y[n, f, l]`` (sample-major to channel-major)."""
    cdef Py_ssize_t t, n, f
    for t in prange(nc * F, num_threads=nt, schedule='static'):
        n = t // F
        f = t % F
        memcpy(yg + f * nc * L + n * L, y + t * L, L * sizeof(real))


cdef void _scatter(real* yg, real* y, Py_ssize_t nc, Py_ssize_t F, Py_ssize_t L, bint acc,
                   int nt) noexcept nogil:
    """``y[n, f, l] (=|+=) yg[f, n*L + l]``."""
    cdef Py_ssize_t t, n, f, l
    cdef real* s
    cdef real* d
    for t in prange(nc * F, num_threads=nt, schedule='static'):
        n = t // F
        f = t % F
        s = yg + f * nc * L + n * L
        d = y + t * L
        if acc:
            for l in range(L):
                d[l] += s[l]
        else:
            memcpy(d, s, L * sizeof(real))


cdef Py_ssize_t _chunk(Geo* g, Py_ssize_t n, Py_ssize_t col_size, Py_ssize_t bg_size) except -1:
    cdef Py_ssize_t K = g.kd * g.kh * g.kw, L = g.OD * g.OH * g.OW
    cdef Py_ssize_t per = max(g.C * K * L, g.F * L)
    if per == 0:
        return n
    cdef Py_ssize_t c = min(col_size // (g.C * K * L), bg_size // (g.F * L))
    if c < 1:
        raise ValueError(f"conv: workspace too small ({col_size}, {bg_size}) for one sample")
    return min(c, n)


def im2col_gemm(real[:, :, :, :, ::1] a, real[:, :, :, :, ::1] w, real[:, :, :, :, ::1] b,
                tuple stride, tuple pad, tuple dil, Py_ssize_t groups,
                real[::1] col, real[::1] bg, bint acc, int nt, int gnt):
    """``b (=|+=) conv(a, w)``; ``col`` and ``bg`` are workspaces.

    ``nt`` threads unfold and fold; the GEMMs are split by columns over ``gnt`` threads
    (1 when BLAS is left to thread them itself).
    """
    cdef Geo g = _geo(_shp(a), _shp(b), _shp(w), stride, pad,
                      dil, groups)
    cdef Py_ssize_t N = a.shape[0]
    if N == 0:
        return
    cdef Py_ssize_t chunk = _chunk(&g, N, col.shape[0], bg.shape[0])
    cdef Py_ssize_t K = g.kd * g.kh * g.kw, L = g.OD * g.OH * g.OW
    cdef Py_ssize_t Cg = g.C // groups, Fg = g.F // groups, n0, nc, gi
    cdef real* pa = &a[0, 0, 0, 0, 0]
    cdef real* pb = &b[0, 0, 0, 0, 0]
    cdef real* pw = &w[0, 0, 0, 0, 0]
    cdef real* pc = &col[0]
    cdef real* pg = &bg[0]
    with nogil:
        n0 = 0
        while n0 < N:
            nc = min(chunk, N - n0)
            _im2col(pa + n0 * g.C * g.D * g.H * g.W, pc, nc, &g, nt)
            for gi in range(groups):
                _pgemm(<char>'N', <char>'N', <int>Fg, <int>(nc * L), <int>(Cg * K),
                       pw + gi * Fg * Cg * K, <int>(Cg * K), pc + gi * Cg * K * nc * L,
                       <int>(nc * L), <real>0.0, pg + gi * Fg * nc * L, <int>(nc * L), gnt)
            _scatter(pg, pb + n0 * g.F * L, nc, g.F, L, acc, nt)
            n0 = n0 + nc


def gemm_col2im(real[:, :, :, :, ::1] b, real[:, :, :, :, ::1] w, real[:, :, :, :, ::1] a,
                tuple stride, tuple pad, tuple dil, Py_ssize_t groups,
                real[::1] col, real[::1] bg, bint acc, int nt, int gnt):
    """``a (=|+=) conv_transpose(b, w)`` (the adjoint of :func:`im2col_gemm` in ``a``)."""
    cdef Geo g = _geo(_shp(a), _shp(b), _shp(w), stride, pad,
                      dil, groups)
    cdef Py_ssize_t N = a.shape[0]
    if N == 0:
        return
    cdef Py_ssize_t chunk = _chunk(&g, N, col.shape[0], bg.shape[0])
    cdef Py_ssize_t K = g.kd * g.kh * g.kw, L = g.OD * g.OH * g.OW
    cdef Py_ssize_t Cg = g.C // groups, Fg = g.F // groups, n0, nc, gi
    cdef real* pa = &a[0, 0, 0, 0, 0]
    cdef real* pb = &b[0, 0, 0, 0, 0]
    cdef real* pw = &w[0, 0, 0, 0, 0]
    cdef real* pc = &col[0]
    cdef real* pg = &bg[0]
    with nogil:
        n0 = 0
        while n0 < N:
            nc = min(chunk, N - n0)
            _gather(pb + n0 * g.F * L, pg, nc, g.F, L, nt)
            for gi in range(groups):
                _pgemm(<char>'T', <char>'N', <int>(Cg * K), <int>(nc * L), <int>Fg,
                       pw + gi * Fg * Cg * K, <int>(Cg * K), pg + gi * Fg * nc * L,
                       <int>(nc * L), <real>0.0, pc + gi * Cg * K * nc * L, <int>(nc * L), gnt)
            _col2im(pc, pa + n0 * g.C * g.D * g.H * g.W, nc, &g, acc, nt)
            n0 = n0 + nc


def weight_grad(real[:, :, :, :, ::1] a, real[:, :, :, :, ::1] b, real[:, :, :, :, ::1] dw,
                tuple stride, tuple pad, tuple dil, Py_ssize_t groups,
                real[::1] col, real[::1] bg, bint acc, int nt, int gnt):
    """``dw (=|+=) sum_n b[n] (x) unfold(a[n])``: the gradient of :func:`im2col_gemm` in ``w``."""
    cdef Geo g = _geo(_shp(a), _shp(b), _shp(dw), stride, pad,
                      dil, groups)
    cdef Py_ssize_t N = a.shape[0]
    cdef Py_ssize_t K = g.kd * g.kh * g.kw, L = g.OD * g.OH * g.OW
    cdef Py_ssize_t Cg = g.C // groups, Fg = g.F // groups, n0, nc, gi
    cdef real* pw = &dw[0, 0, 0, 0, 0]
    if N == 0:
        if not acc:
            memset(pw, 0, g.F * Cg * K * sizeof(real))
        return
    cdef Py_ssize_t chunk = _chunk(&g, N, col.shape[0], bg.shape[0])
    cdef real* pa = &a[0, 0, 0, 0, 0]
    cdef real* pb = &b[0, 0, 0, 0, 0]
    cdef real* pc = &col[0]
    cdef real* pg = &bg[0]
    cdef real beta = 1.0 if acc else 0.0
    with nogil:
        n0 = 0
        while n0 < N:
            nc = min(chunk, N - n0)
            _im2col(pa + n0 * g.C * g.D * g.H * g.W, pc, nc, &g, nt)
            _gather(pb + n0 * g.F * L, pg, nc, g.F, L, nt)
            for gi in range(groups):
                _pgemm(<char>'N', <char>'T', <int>Fg, <int>(Cg * K), <int>(nc * L),
                       pg + gi * Fg * nc * L, <int>(nc * L), pc + gi * Cg * K * nc * L,
                       <int>(nc * L), beta, pw + gi * Fg * Cg * K, <int>(Cg * K), gnt)
            beta = 1.0
            n0 = n0 + nc


def channel_bias(real[:, :, ::1] y, real[::1] bias, int nt):
    """``y[n, c, :] += bias[c]``."""
    if bias.shape[0] != y.shape[1]:
        raise ValueError(f"bias of {bias.shape[0]} values for {y.shape[1]} channels")
    cdef Py_ssize_t t, l, C = y.shape[1], L = y.shape[2], T = y.shape[0] * y.shape[1]
    cdef real v
    if T * L == 0:
        return
    cdef real* p = &y[0, 0, 0]
    with nogil:
        for t in prange(T, num_threads=nt, schedule='static'):
            v = bias[t % C]
            for l in range(L):
                p[t * L + l] += v


def channel_epilogue(real[:, :, ::1] x, real[:, :, ::1] y, scale, shift, residual, int act,
                     double alpha, int nt):
    """``y[n, c, :] = act(x[n, c, :] * scale[c] + shift[c] + residual[n, c, :])`` in one pass.

    ``scale``, ``shift`` and ``residual`` may be None; ``act`` is 0 (identity), 1 (ReLU) or 2
    (leaky ReLU of slope ``alpha``). ``y`` may be ``x`` (in place); ``residual`` may be ``y``
    too, not a partial overlap (the caller checks). A fused convolution's epilogue: batch
    normalization folded or not, its residual sum and its activation cost one sweep over the
    output instead of three or four.
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    if y.shape[0] != N or y.shape[1] != C or y.shape[2] != L:
        raise ValueError(f"epilogue: output {tuple(y.shape)[:3]} differs from input {tuple(x.shape)[:3]}")
    if act < 0 or act > 2:
        raise ValueError(f"epilogue: unknown activation code {act}")
    cdef real[::1] sc, sh
    cdef real[:, :, ::1] r
    cdef real* ps = NULL
    cdef real* pb = NULL
    cdef real* pr = NULL
    if scale is not None:
        sc = scale
        if sc.shape[0] != C:
            raise ValueError(f"epilogue: {sc.shape[0]} scales for {C} channels")
        ps = &sc[0] if C else NULL
    if shift is not None:
        sh = shift
        if sh.shape[0] != C:
            raise ValueError(f"epilogue: {sh.shape[0]} shifts for {C} channels")
        pb = &sh[0] if C else NULL
    if residual is not None:
        r = residual
        if r.shape[0] != N or r.shape[1] != C or r.shape[2] != L:
            raise ValueError(f"epilogue: residual {tuple(r.shape)[:3]} differs from output "
                             f"{(N, C, L)}")
    if N * C * L == 0:
        return
    if residual is not None:
        pr = &r[0, 0, 0]
    cdef real* px = &x[0, 0, 0]
    cdef real* py = &y[0, 0, 0]
    cdef real a = <real>alpha
    cdef Py_ssize_t t
    with nogil:
        for t in prange(N * C, num_threads=nt, schedule='static'):
            _epilogue_row(px + t * L, py + t * L, NULL if pr == NULL else pr + t * L,
                          <real>1 if ps == NULL else ps[t % C], <real>0 if pb == NULL else pb[t % C],
                          ps != NULL, act, a, L)


cdef inline void _epilogue_row(real* x, real* y, real* r, real s, real b, bint scaled, int act,
                               real a, Py_ssize_t L) noexcept nogil:
    # each case is its own simple loop, so the compiler vectorises it
    cdef Py_ssize_t l
    cdef real v
    if scaled:
        for l in range(L):
            y[l] = x[l] * s + b
    elif b != 0 or x != y:
        for l in range(L):
            y[l] = x[l] + b
    if r != NULL:
        for l in range(L):
            y[l] = y[l] + r[l]
    if act == 1:
        for l in range(L):
            v = y[l]
            y[l] = 0 if v <= 0 else v  # NaN passes, -0 gives +0 (as the ReLU layer)
    elif act == 2:
        for l in range(L):
            v = y[l]
            y[l] = v if v > 0 else v * a


cdef inline double _row_sum(real* p, Py_ssize_t L) noexcept nogil:
    # Eight independent lanes the compiler can vectorise (one double accumulator cannot be,
    # without reassociation), flushed to double every 1024 values so float rounding cannot
    # build up over long rows.
    cdef real a[8]
    cdef Py_ssize_t l, j, b, end, L8 = L - L % 8
    cdef double s = 0
    for b in range(0, L8, 1024):
        end = b + 1024 if b + 1024 < L8 else L8
        for j in range(8):
            a[j] = 0
        for l in range(b, end, 8):
            for j in range(8):
                a[j] = a[j] + p[l + j]
        for j in range(8):
            s = s + a[j]
    for l in range(L8, L):
        s = s + p[l]
    return s


def channel_sum(real[:, :, ::1] dy, real[::1] out, bint acc, int nt):
    """``out[c] (=|+=) sum_{n, l} dy[n, c, l]`` (the gradient of a per-channel bias)."""
    if out.shape[0] != dy.shape[1]:
        raise ValueError(f"bias gradient of {out.shape[0]} values for {dy.shape[1]} channels")
    cdef Py_ssize_t c, n, N = dy.shape[0], C = dy.shape[1], L = dy.shape[2]
    cdef double s
    if N * C * L == 0:
        for c in range(C):
            if not acc:
                out[c] = 0
        return
    cdef real* p = &dy[0, 0, 0]
    with nogil:
        for c in prange(C, num_threads=nt, schedule='static'):
            s = 0
            for n in range(N):
                s = s + _row_sum(p + (n * C + c) * L, L)
            if acc:
                out[c] = out[c] + <real>s
            else:
                out[c] = <real>s
