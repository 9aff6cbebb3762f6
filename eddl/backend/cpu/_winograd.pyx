# cython: language_level=3
"""3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3).

Each 2x2 block of outputs is computed from a 4x4 block of the input with 16 products per
(filter, channel) pair instead of 36: the weights and the input blocks are transformed
(``U = G g G^T``, ``V = B^T d B``), the 16 transformed positions become 16 independent GEMMs
``M[xi] = U[xi] V[xi]`` over the channels (SciPy's BLAS), and ``A^T M A`` gives the 2x2 outputs. That is
2.25 times fewer multiply-adds for the same GEMM speed; the transforms are additions only,
and F(2x2, 3x3) loses far less precision than the larger tiles (Lavin and Gray, 2016).

Output blocks are processed in chunks (several images and rows in one chunk), one chunk per
task: the chunk's transformed input and GEMM results stay in the thread's workspace, which is
sized once per call from the largest layer. Shapes and workspace sizes are checked before the
GIL is released.
"""

from cython.parallel cimport prange, threadid
from libc.string cimport memcpy, memset

include "_conv_geom.pxi"


def transformed_size(Py_ssize_t f, Py_ssize_t c):
    """Elements of the transformed weights ``U`` (16 x F x C)."""
    return 16 * f * c


def work_size(Py_ssize_t f, Py_ssize_t c, Py_ssize_t chunk, Py_ssize_t ow):
    """Elements of one thread's workspace: ``V`` (16 x C x chunk), ``M`` (16 x F x chunk)
    and 4 input rows (or 2 output rows) for an output width ``ow``."""
    return 16 * (c + f) * chunk + 4 * (2 * ((ow + 1) // 2) + 2)


cdef void _transform_filter(real* g, real* U, Py_ssize_t FC) noexcept nogil:
    # U[xi, q] = (G g G^T)[xi] for the 3x3 filter g of pair q, with
    # G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    cdef Py_ssize_t i
    cdef real t[4][3]
    cdef real a, b, c
    for i in range(3):
        t[0][i] = g[i]
        t[1][i] = (g[i] + g[3 + i] + g[6 + i]) * <real>0.5
        t[2][i] = (g[i] - g[3 + i] + g[6 + i]) * <real>0.5
        t[3][i] = g[6 + i]
    for i in range(4):
        a = t[i][0]
        b = t[i][1]
        c = t[i][2]
        U[(4 * i) * FC] = a
        U[(4 * i + 1) * FC] = (a + b + c) * <real>0.5
        U[(4 * i + 2) * FC] = (a - b + c) * <real>0.5
        U[(4 * i + 3) * FC] = c


cdef void _transform_weights(real* w, real* U, Py_ssize_t F, Py_ssize_t C,
                             int nt) noexcept nogil:
    # a function per pair: arrays in the body of a prange loop would be shared by the threads
    cdef Py_ssize_t q, FC = F * C
    for q in prange(FC, num_threads=nt, schedule='static'):
        _transform_filter(w + 9 * q, U + q, FC)


cdef extern from "dh_winograd.h" nogil:
    void dh_wino_in_f32(const float* r0, const float* r1, const float* r2, const float* r3,
                        Py_ssize_t n, float* v, Py_ssize_t vs)
    void dh_wino_in_f64(const double* r0, const double* r1, const double* r2, const double* r3,
                        Py_ssize_t n, double* v, Py_ssize_t vs)
    void dh_wino_out_f32(const float* m, Py_ssize_t ms, Py_ssize_t n, float* o0, float* o1,
                         int acc)
    void dh_wino_out_f64(const double* m, Py_ssize_t ms, Py_ssize_t n, double* o0, double* o1,
                         int acc)
    void dh_wino_dy_f32(const float* o0, const float* o1, Py_ssize_t n, float* v, Py_ssize_t vs)
    void dh_wino_dy_f64(const double* o0, const double* o1, Py_ssize_t n, double* v,
                        Py_ssize_t vs)


cdef struct Run:
    Py_ssize_t n, ty, tx, tx1  # sample, block row, first and end block column


cdef inline Run _run(Py_ssize_t t0, Py_ssize_t j, Py_ssize_t T, Py_ssize_t TH,
                     Py_ssize_t TW) noexcept nogil:
    # the run of blocks from block t0 + j to the end of its block row or of the chunk
    cdef Run r
    r.n = (t0 + j) // (TH * TW)
    r.ty = ((t0 + j) // TW) % TH
    r.tx = (t0 + j) % TW
    r.tx1 = TW if TW - r.tx < T - j else r.tx + T - j
    return r


cdef void _transform_input(real* x, real* V, real* rowbuf, Py_ssize_t t0, Py_ssize_t T,
                           Py_ssize_t TH, Py_ssize_t TW, const Geo* g) noexcept nogil:
    # V[xi, c, j] = (B^T d B)[xi] for the input block d of output block t0 + j, run by run
    # of blocks along a block row: the run's 4 input rows are copied, zero-padded, into
    # rowbuf (4 rows of 2 TW + 2), so the row kernel needs no bounds check
    cdef Run run
    cdef Py_ssize_t j = 0, n, ty, tx, tx1, c, r, hh, w0, a, b, L, CT = g.C * T
    cdef Py_ssize_t plane = g.H * g.W, rl = 2 * TW + 2
    cdef real* src
    cdef real* row
    while j < T:
        run = _run(t0, j, T, TH, TW)
        n, ty, tx, tx1 = run.n, run.ty, run.tx, run.tx1
        # input columns [w0, w0 + L) of the run, of which [a, b) exist
        w0 = 2 * tx - g.pw
        L = 2 * (tx1 - tx) + 2
        a = 0 if w0 >= 0 else -w0
        b = g.W - w0 if g.W - w0 < L else L
        if b < a:
            b = a
        for c in range(g.C):
            src = x + (n * g.C + c) * plane
            for r in range(4):
                row = rowbuf + r * rl
                hh = 2 * ty - g.ph + r
                if 0 <= hh < g.H and b > a:
                    memset(row, 0, a * sizeof(real))
                    memcpy(row + a, src + hh * g.W + w0 + a, (b - a) * sizeof(real))
                    memset(row + b, 0, (L - b) * sizeof(real))
                else:
                    memset(row, 0, L * sizeof(real))
            if real is float:
                dh_wino_in_f32(rowbuf, rowbuf + rl, rowbuf + 2 * rl, rowbuf + 3 * rl,
                               tx1 - tx, V + c * T + j, CT)
            else:
                dh_wino_in_f64(rowbuf, rowbuf + rl, rowbuf + 2 * rl, rowbuf + 3 * rl,
                               tx1 - tx, V + c * T + j, CT)
        j = j + tx1 - tx


cdef void _transform_output(real* M, real* y, real* rows, Py_ssize_t t0, Py_ssize_t T,
                            Py_ssize_t TH, Py_ssize_t TW, bint acc, const Geo* g) noexcept nogil:
    # the 2x2 outputs A^T m A of each block, A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], run by
    # run of blocks along a block row: the row kernel writes the run's two output rows in
    # place, or into rows (2 x (2 TW)) when the run reaches past the output's last row or
    # column, from where the outputs that exist are copied (or added)
    cdef Run run
    cdef Py_ssize_t j = 0, n, ty, tx, tx1, f, r, e, nr, w0, wn, FT = g.F * T
    cdef Py_ssize_t oplane = g.OH * g.OW, rl = 2 * TW
    cdef bint direct
    cdef real* dst
    cdef real* m
    cdef real* o
    while j < T:
        run = _run(t0, j, T, TH, TW)
        n, ty, tx, tx1 = run.n, run.ty, run.tx, run.tx1
        nr = 2 if 2 * ty + 1 < g.OH else 1
        w0 = 2 * tx
        wn = 2 * tx1 if 2 * tx1 <= g.OW else g.OW
        direct = nr == 2 and wn == 2 * tx1
        for f in range(g.F):
            dst = y + (n * g.F + f) * oplane + 2 * ty * g.OW
            m = M + f * T + j
            if direct:
                if real is float:
                    dh_wino_out_f32(m, FT, tx1 - tx, dst + w0, dst + g.OW + w0, acc)
                else:
                    dh_wino_out_f64(m, FT, tx1 - tx, dst + w0, dst + g.OW + w0, acc)
                continue
            if real is float:
                dh_wino_out_f32(m, FT, tx1 - tx, rows, rows + rl, 0)
            else:
                dh_wino_out_f64(m, FT, tx1 - tx, rows, rows + rl, 0)
            for r in range(nr):
                o = dst + r * g.OW + w0
                if acc:
                    for e in range(wn - w0):
                        o[e] += rows[r * rl + e]
                else:
                    memcpy(o, rows + r * rl, (wn - w0) * sizeof(real))
        j = j + tx1 - tx


cdef void _chunk(real* x, real* y, real* U, real* work, Py_ssize_t chunk, Py_ssize_t t0,
                 Py_ssize_t T, Py_ssize_t TH, Py_ssize_t TW, bint acc, const Geo* g) noexcept nogil:
    # blocks [t0, t0 + T), T <= chunk, in a workspace laid out for chunk blocks (work_size)
    cdef Py_ssize_t xi, C = g.C, F = g.F
    cdef real* V = work
    cdef real* M = work + 16 * C * chunk
    cdef real* rows = M + 16 * F * chunk
    _transform_input(x, V, rows, t0, T, TH, TW, g)
    for xi in range(16):
        # BLAS packs U[xi] once per call; the caller keeps it single-threaded
        _gemm(<char>'N', <char>'N', <int>F, <int>T, <int>C, <real>1.0, U + xi * F * C, <int>C,
              V + xi * C * T, <int>T, <real>0.0, M + xi * F * T, <int>T)
    _transform_output(M, y, rows, t0, T, TH, TW, acc, g)


cdef void _transform_dy(real* dy, real* D, real* rows, Py_ssize_t t0, Py_ssize_t T,
                        Py_ssize_t TH, Py_ssize_t TW, const Geo* g) noexcept nogil:
    # D[xi, f, j] = (A d A^T)[xi] for the 2x2 block d of the output gradient at block t0 + j,
    # run by run as the other transforms: the run's two output rows are read in place, or
    # copied, zero-padded, into rows when the run reaches past the last row or column
    cdef Run run
    cdef Py_ssize_t j = 0, n, ty, tx, tx1, f, r, w0, wn, FT = g.F * T
    cdef Py_ssize_t oplane = g.OH * g.OW, rl = 2 * TW
    cdef bint direct
    cdef real* src
    while j < T:
        run = _run(t0, j, T, TH, TW)
        n, ty, tx, tx1 = run.n, run.ty, run.tx, run.tx1
        w0 = 2 * tx
        wn = 2 * tx1 if 2 * tx1 <= g.OW else g.OW
        direct = 2 * ty + 1 < g.OH and wn == 2 * tx1
        for f in range(g.F):
            src = dy + (n * g.F + f) * oplane + 2 * ty * g.OW
            if direct:
                if real is float:
                    dh_wino_dy_f32(src + w0, src + g.OW + w0, tx1 - tx, D + f * T + j, FT)
                else:
                    dh_wino_dy_f64(src + w0, src + g.OW + w0, tx1 - tx, D + f * T + j, FT)
                continue
            for r in range(2):
                memset(rows + r * rl, 0, 2 * (tx1 - tx) * sizeof(real))
                if 2 * ty + r < g.OH:
                    memcpy(rows + r * rl, src + r * g.OW + w0, (wn - w0) * sizeof(real))
            if real is float:
                dh_wino_dy_f32(rows, rows + rl, tx1 - tx, D + f * T + j, FT)
            else:
                dh_wino_dy_f64(rows, rows + rl, tx1 - tx, D + f * T + j, FT)
        j = j + tx1 - tx


cdef void _wgrad_chunk(real* x, real* dy, real* dU, real* work, Py_ssize_t chunk, Py_ssize_t t0,
                       Py_ssize_t T, Py_ssize_t TH, Py_ssize_t TW, const Geo* g) noexcept nogil:
    # dU[xi] += D[xi] V[xi]^T over the blocks [t0, t0 + T): this thread's share of the sums
    cdef Py_ssize_t xi, C = g.C, F = g.F
    cdef real* V = work
    cdef real* D = work + 16 * C * chunk
    cdef real* rows = D + 16 * F * chunk
    _transform_input(x, V, rows, t0, T, TH, TW, g)
    _transform_dy(dy, D, rows, t0, T, TH, TW, g)
    for xi in range(16):
        _gemm(<char>'N', <char>'T', <int>F, <int>C, <int>T, <real>1.0, D + xi * F * T, <int>T,
              V + xi * C * T, <int>T, <real>1.0, dU + xi * F * C, <int>C)


cdef void _filter_grad(real* dU, real* dg, Py_ssize_t FC, bint acc) noexcept nogil:
    # dg (=|+=) G^T dU G for the 4x4 sums dU[xi * FC] of one (filter, channel) pair
    cdef Py_ssize_t i
    cdef real q[3][4]
    cdef real u0, u1, u2, u3, a, b, c
    for i in range(4):
        u0 = dU[i * FC]
        u1 = dU[(4 + i) * FC]
        u2 = dU[(8 + i) * FC]
        u3 = dU[(12 + i) * FC]
        q[0][i] = u0 + (u1 + u2) * <real>0.5
        q[1][i] = (u1 - u2) * <real>0.5
        q[2][i] = (u1 + u2) * <real>0.5 + u3
    for i in range(3):
        a = q[i][0] + (q[i][1] + q[i][2]) * <real>0.5
        b = (q[i][1] - q[i][2]) * <real>0.5
        c = (q[i][1] + q[i][2]) * <real>0.5 + q[i][3]
        if acc:
            dg[3 * i] += a
            dg[3 * i + 1] += b
            dg[3 * i + 2] += c
        else:
            dg[3 * i] = a
            dg[3 * i + 1] = b
            dg[3 * i + 2] = c


cdef Geo _checked(tuple xs, tuple ys, tuple ws, tuple pad, Py_ssize_t chunk, int nt,
                  Py_ssize_t work_have) except *:
    """The geometry of a 2-D 3x3 stride-1 convolution, its chunking and workspace checked.

    Any output size is safe: every input read is bounds-checked (zeros outside), and the
    padding after each axis is what the output size implies.
    """
    cdef Geo g = _geo(xs, ys, ws, (1, 1, 1), pad, (1, 1, 1), 1)
    if g.D != 1 or g.OD != 1 or g.kd != 1 or g.kh != 3 or g.kw != 3 or g.pd != 0:
        raise ValueError("winograd: needs 2-D arrays and 3x3 weights")
    if g.C < 1:
        raise ValueError("winograd: needs at least one input channel")
    if chunk < 1 or nt < 1:
        raise ValueError(f"winograd: chunk {chunk} and threads {nt} must be positive")
    cdef Py_ssize_t per = work_size(g.F, g.C, chunk, g.OW)
    if work_have < nt * per:
        raise ValueError(f"winograd: workspace of {work_have} elements, {nt * per} needed")
    return g


def weight_grad3x3(real[:, :, :, :, ::1] x, real[:, :, :, :, ::1] dy, real[:, :, :, :, ::1] dw,
                   tuple pad, real[::1] dU, real[::1] work, Py_ssize_t chunk, bint acc, int nt):
    """``dw (=|+=)`` the weight gradient of the 3x3, stride-1 convolution ``dy = conv(x, w)``.

    ``dU`` holds ``nt`` times :func:`transformed_size` elements (each thread's sums in the
    transformed domain); ``work`` as for :func:`conv3x3`. Chunks go to threads statically and
    the threads' sums are added in thread order, so the result does not depend on timing.
    """
    cdef Geo g = _checked(_shp(x), _shp(dy), _shp(dw), pad, chunk, nt, work.shape[0])
    cdef Py_ssize_t FC = g.F * g.C, size = 16 * FC, per = work_size(g.F, g.C, chunk, g.OW)
    if dU.shape[0] < nt * size:
        raise ValueError(f"winograd: {dU.shape[0]} elements for the transformed gradients, "
                         f"{nt * size} needed")
    cdef Py_ssize_t TH = (g.OH + 1) // 2, TW = (g.OW + 1) // 2
    cdef Py_ssize_t P = x.shape[0] * TH * TW, nchunk = (P + chunk - 1) // chunk, q, t, t0, T
    if g.F == 0:
        return
    if P == 0:  # no samples: a zero gradient
        if not acc:
            dw[...] = 0
        return
    cdef real* px = &x[0, 0, 0, 0, 0]
    cdef real* pdy = &dy[0, 0, 0, 0, 0]
    cdef real* pu = &dU[0]
    cdef real* pw = &work[0]
    cdef real* pdw = &dw[0, 0, 0, 0, 0]
    with nogil:
        memset(pu, 0, nt * size * sizeof(real))
        for q in prange(nchunk, num_threads=nt, schedule='static'):
            t0 = q * chunk
            T = P - t0 if P - t0 < chunk else chunk
            _wgrad_chunk(px, pdy, pu + threadid() * size, pw + threadid() * per, chunk, t0,
                         T, TH, TW, &g)
        for t in range(1, nt):
            for q in range(size):
                pu[q] += pu[t * size + q]
        for q in prange(FC, num_threads=nt, schedule='static'):
            _filter_grad(pu + q, pdw + 9 * q, FC, acc)


def conv3x3(real[:, :, :, :, ::1] x, real[:, :, :, :, ::1] w, real[:, :, :, :, ::1] y,
            tuple pad, real[::1] U, real[::1] work, Py_ssize_t chunk, bint acc, int nt):
    """``y (=|+=)`` the 3x3, stride-1 convolution of ``x`` (2-D: depth sizes of 1).

    ``pad`` holds the 3 paddings before each axis (the one of depth 0); ``U`` receives the
    transformed weights; ``work`` holds :func:`work_size` elements for each of ``nt`` threads.
    """
    cdef Geo g = _checked(_shp(x), _shp(y), _shp(w), pad, chunk, nt, work.shape[0])
    cdef Py_ssize_t per = work_size(g.F, g.C, chunk, g.OW)
    if U.shape[0] < 16 * g.F * g.C:
        raise ValueError(f"winograd: {U.shape[0]} elements for the transformed weights, "
                         f"{16 * g.F * g.C} needed")
    cdef Py_ssize_t TH = (g.OH + 1) // 2, TW = (g.OW + 1) // 2
    cdef Py_ssize_t P = x.shape[0] * TH * TW, nchunk = (P + chunk - 1) // chunk, q, t0, T
    if P == 0 or g.F == 0:
        return
    cdef real* px = &x[0, 0, 0, 0, 0]
    cdef real* py = &y[0, 0, 0, 0, 0]
    cdef real* pu = &U[0]
    cdef real* pw = &work[0]
    with nogil:
        _transform_weights(&w[0, 0, 0, 0, 0], pu, g.F, g.C, nt)
        for q in prange(nchunk, num_threads=nt, schedule='dynamic'):
            t0 = q * chunk
            T = P - t0 if P - t0 < chunk else chunk
            _chunk(px, py, pu, pw + threadid() * per, chunk, t0, T, TH, TW, acc, &g)
