# cython: language_level=3
"""Cache-blocked convolution kernels: unfold one tile of output pixels, one GEMM per tile.

Unfolding a whole batch (:mod:`._conv`) writes ``C*K`` values per output pixel to memory and
BLAS then reads them back to pack them: for large images with few channels (a U-Net's first
levels) both passes miss the caches and cost more than the arithmetic. Here the work is split
into tasks of ``tw`` output pixels of one sample; a task unfolds its tile into a buffer small
enough to stay in the core's cache (one slice of ``col`` per thread) and multiplies it at once
(float32: the register-blocked kernels of ``src/conv_gemm.c``, which read the tile where it
lies instead of packing it; float64: BLAS), writing straight into the output with its row
stride, so nothing is gathered or scattered.
The tasks of a batch (``samples x tiles``) are spread over the OpenMP threads with BLAS kept
single-threaded by the caller, so a batch of one image still uses every core.

Same conventions as :mod:`._conv`: 5-D ``A`` (unfolded side), ``B`` (other side) and weights
``F x C/groups x KD x KH x KW``; a 1x1 convolution without stride or padding uses ``A`` itself
as the unfolded tile. Every size is checked before the GIL is released.
"""

from cython.parallel cimport prange
from libc.string cimport memcpy, memset

include "_conv_geom.pxi"

cdef extern from "dh_conv.h" nogil:
    int dh_thread_num()
    void dh_sgemm_nn(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, const float* A, Py_ssize_t lda,
                     const float* B, Py_ssize_t ldb, int acc, float* C, Py_ssize_t ldc,
                     float* panel)

cdef enum:
    PANEL = 16  # columns of the scratch panel after each thread's tile (dh_conv.h)


cdef inline void _mul(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, real* A, Py_ssize_t lda,
                      real* B, Py_ssize_t ldb, bint acc, real* C, Py_ssize_t ldc,
                      real* panel) noexcept nogil:
    """``C (=|+=) A B``: the register-blocked kernel in float32, BLAS in float64."""
    if real is float:
        dh_sgemm_nn(m, n, k, A, lda, B, ldb, acc, C, ldc, panel)
    else:
        _gemm(<char>'N', <char>'N', <int>m, <int>n, <int>k, <real>1.0, A, <int>lda, B,
              <int>ldb, <real>(1.0 if acc else 0.0), C, <int>ldc)


cdef inline void _wgrad_tile(Py_ssize_t m, Py_ssize_t ck, Py_ssize_t n, real* dy,
                             Py_ssize_t ldy, real* col, Py_ssize_t ldc, real* partT,
                             real* scratch, Py_ssize_t tw) noexcept nogil:
    """``partT (ck x m) += col (ck x n) dy^T``; ``scratch`` holds the panel and ``dy^T``."""
    cdef Py_ssize_t f, j
    cdef real* dyt
    if real is float:
        # dy^T in the scratch, so the reduction over the tile runs inside the kernel
        dyt = scratch + PANEL * (ck if ck > tw else tw)
        for f in range(m):
            for j in range(n):
                dyt[j * m + f] = dy[f * ldy + j]
        dh_sgemm_nn(ck, m, n, col, ldc, dyt, m, 1, partT, m, scratch)
    else:
        _gemm(<char>'N', <char>'T', <int>ck, <int>m, <int>n, <real>1.0, col, <int>ldc, dy,
              <int>ldy, <real>1.0, partT, <int>m)


cdef inline Py_ssize_t _scratch(Py_ssize_t ck, Py_ssize_t tw, Py_ssize_t fg) noexcept nogil:
    """Elements of one thread's workspace: a ``ck x tw`` tile, a panel of 16 columns and the
    transposed output-gradient tile of the weight gradient."""
    return ck * tw + PANEL * (ck if ck > tw else tw) + tw * fg


cdef void _unfold_tile(real* x, real* col, Py_ssize_t j0, Py_ssize_t tw, Py_ssize_t c0,
                       Py_ssize_t nch, const Geo* g) noexcept nogil:
    """``col[(c - c0, kd, kh, kw), j - j0]`` for channels ``[c0, c0 + nch)`` of one sample
    ``x`` and the output pixels ``j`` in ``[j0, j0 + tw)`` (flattened ``od, oh, ow``)."""
    cdef Py_ssize_t K = g.kd * g.kh * g.kw, plane = g.D * g.H * g.W
    # the tile starts at output pixel (od0, oh0, ow00) and runs along output rows
    cdef Py_ssize_t od0 = j0 // (g.OH * g.OW), oh0 = (j0 // g.OW) % g.OH, ow00 = j0 % g.OW
    cdef Py_ssize_t r, kk, zd, zh, zw, iw0, lo, hi, left, od, oh, ow0, ow1, a, b, e, i_d, i_h
    cdef real* src
    cdef real* dst
    cdef real* row
    for r in range(nch * K):
        kk = r % K
        zd = kk // (g.kh * g.kw)
        zh = (kk // g.kw) % g.kh
        zw = kk % g.kw
        src = x + (c0 + r // K) * plane
        iw0 = zw * g.dw - g.pw
        lo = _lo(iw0, g.sw)
        hi = _hi(iw0, g.sw, g.W, g.OW, lo)
        od, oh, ow0 = od0, oh0, ow00
        dst = col + r * tw - ow0  # dst[ow] is the column of pixel (od, oh, ow)
        left = tw
        while left > 0:
            ow1 = g.OW if g.OW - ow0 < left else ow0 + left
            i_d = od * g.sd - g.pd + zd * g.dd
            i_h = oh * g.sh - g.ph + zh * g.dh
            if i_d < 0 or i_d >= g.D or i_h < 0 or i_h >= g.H:
                memset(dst + ow0, 0, (ow1 - ow0) * sizeof(real))
            else:
                a = lo if lo > ow0 else ow0
                a = a if a < ow1 else ow1
                b = hi if hi < ow1 else ow1
                b = b if b > a else a
                row = src + (i_d * g.H + i_h) * g.W + iw0
                for e in range(ow0, a):
                    dst[e] = 0
                if g.sw == 1:
                    memcpy(dst + a, row + a, (b - a) * sizeof(real))
                else:
                    for e in range(a, b):
                        dst[e] = row[e * g.sw]
                for e in range(b, ow1):
                    dst[e] = 0
            left = left - (ow1 - ow0)
            dst = dst + ow1
            ow0 = 0
            oh = oh + 1
            if oh == g.OH:
                oh = 0
                od = od + 1


cdef bint _is_identity(const Geo* g) noexcept nogil:
    # the unfolded matrix of a 1x1, stride-1, unpadded convolution is A itself
    return (g.kd == 1 and g.kh == 1 and g.kw == 1 and g.sd == 1 and g.sh == 1 and g.sw == 1
            and g.pd == 0 and g.ph == 0 and g.pw == 0
            and g.OD == g.D and g.OH == g.H and g.OW == g.W)


cdef Geo _checked(tuple a_shape, tuple b_shape, tuple w_shape, tuple stride, tuple pad,
                  tuple dil, Py_ssize_t groups, Py_ssize_t col_size, Py_ssize_t tw,
                  int nt) except *:
    cdef Geo g = _geo(a_shape, b_shape, w_shape, stride, pad, dil, groups)
    if tw < 1 or nt < 1:
        raise ValueError(f"conv: tile width {tw} and threads {nt} must be positive")
    cdef Py_ssize_t need = nt * _scratch((g.C // groups) * g.kd * g.kh * g.kw, tw, g.F // groups)
    if col_size < need:
        raise ValueError(f"conv: tile workspace of {col_size} elements, {need} needed")
    return g


def conv_tiled(real[:, :, :, :, ::1] a, real[:, :, :, :, ::1] w, real[:, :, :, :, ::1] b,
               tuple stride, tuple pad, tuple dil, Py_ssize_t groups, real[::1] col,
               Py_ssize_t tw, bint acc, int nt):
    """``b (=|+=) conv(a, w)`` in tasks of ``tw`` output pixels of one sample.

    ``col`` holds ``nt`` workspaces of ``scratch_size(C/groups * K, tw, F/groups)`` elements.
    """
    cdef Geo g = _checked(_shp(a), _shp(b), _shp(w), stride, pad, dil, groups, col.shape[0],
                          tw, nt)
    cdef Py_ssize_t N = a.shape[0], K = g.kd * g.kh * g.kw, L = g.OD * g.OH * g.OW
    cdef Py_ssize_t Cg = g.C // groups, Fg = g.F // groups, plane = g.D * g.H * g.W
    cdef Py_ssize_t ntile = (L + tw - 1) // tw, t, n, j0, cw, gi
    cdef bint ident = _is_identity(&g)
    if N == 0:
        return
    cdef real* pa = &a[0, 0, 0, 0, 0]
    cdef real* pb = &b[0, 0, 0, 0, 0]
    cdef real* pw = &w[0, 0, 0, 0, 0]
    cdef real* pc = &col[0]
    cdef real* ct
    cdef real* src
    cdef Py_ssize_t ldb
    with nogil:
        for t in prange(N * ntile, num_threads=nt, schedule='dynamic'):
            n = t // ntile
            j0 = (t % ntile) * tw
            cw = tw if L - j0 > tw else L - j0
            ct = pc + dh_thread_num() * _scratch(Cg * K, tw, Fg)
            for gi in range(groups):
                if ident:
                    src = pa + (n * g.C + gi * Cg) * L + j0
                    ldb = L
                else:
                    _unfold_tile(pa + n * g.C * plane, ct, j0, cw, gi * Cg, Cg, &g)
                    src = ct
                    ldb = cw
                _mul(Fg, cw, Cg * K, pw + gi * Fg * Cg * K, Cg * K, src, ldb, acc,
                     pb + (n * g.F + gi * Fg) * L + j0, L, ct + Cg * K * tw)


def weight_grad_tiled(real[:, :, :, :, ::1] a, real[:, :, :, :, ::1] b,
                      real[:, :, :, :, ::1] dw, tuple stride, tuple pad, tuple dil,
                      Py_ssize_t groups, real[::1] col, real[::1] part, Py_ssize_t tw, bint acc,
                      int nt):
    """``dw (=|+=) sum_n b[n] (x) unfold(a[n])`` in tasks of ``tw`` output pixels.

    Each thread sums its tasks into its own slice of ``part`` (``nt`` copies of ``dw``, each
    transposed to ``groups x C/groups*K x F/groups`` so the products reduce over the tile in
    registers); the slices are then added in thread order. Tasks go to threads statically, so
    the result does not depend on timing.
    """
    cdef Geo g = _checked(_shp(a), _shp(b), _shp(dw), stride, pad, dil, groups, col.shape[0],
                          tw, nt)
    cdef Py_ssize_t N = a.shape[0], K = g.kd * g.kh * g.kw, L = g.OD * g.OH * g.OW
    cdef Py_ssize_t Cg = g.C // groups, Fg = g.F // groups, plane = g.D * g.H * g.W
    cdef Py_ssize_t W = g.F * Cg * K, CK = Cg * K, S = _scratch(CK, tw, Fg)
    if part.shape[0] < nt * W:
        raise ValueError(f"conv: gradient workspace of {part.shape[0]} elements, {nt * W} needed")
    cdef Py_ssize_t ntile = (L + tw - 1) // tw, t, n, j0, cw, gi, i, k, tid, f, r
    cdef bint ident = _is_identity(&g)
    cdef real* pd = &dw[0, 0, 0, 0, 0]
    cdef real* pp = &part[0]
    cdef real* pc = &col[0]
    cdef real* pa
    cdef real* pb
    cdef real* ct
    cdef real* src
    cdef real s
    cdef Py_ssize_t ldb
    if N == 0:
        if not acc:
            memset(pd, 0, W * sizeof(real))
        return
    pa = &a[0, 0, 0, 0, 0]
    pb = &b[0, 0, 0, 0, 0]
    with nogil:
        memset(pp, 0, nt * W * sizeof(real))
        for t in prange(N * ntile, num_threads=nt, schedule='static'):
            tid = dh_thread_num()
            n = t // ntile
            j0 = (t % ntile) * tw
            cw = tw if L - j0 > tw else L - j0
            ct = pc + tid * S
            for gi in range(groups):
                if ident:
                    src = pa + (n * g.C + gi * Cg) * L + j0
                    ldb = L
                else:
                    _unfold_tile(pa + n * g.C * plane, ct, j0, cw, gi * Cg, Cg, &g)
                    src = ct
                    ldb = cw
                _wgrad_tile(Fg, CK, cw, pb + (n * g.F + gi * Fg) * L + j0, L, src, ldb,
                            pp + tid * W + gi * Fg * CK, ct + CK * tw, tw)
        for i in prange(W, num_threads=nt, schedule='static'):
            gi = i // (Fg * CK)
            f = (i // CK) % Fg
            r = i % CK
            s = pd[i] if acc else 0
            for k in range(nt):
                s = s + pp[k * W + (gi * CK + r) * Fg + f]
            pd[i] = s


def flip_weights(real[:, :, :, :, ::1] w, real[:, :, :, :, ::1] out, Py_ssize_t groups):
    """``out[g*Cg + c, f, k] = w[g*Fg + f, c, K-1-k]``: the weights that make a stride-1
    convolution's gradient in its input a convolution of the output gradient."""
    cdef Py_ssize_t F = w.shape[0], Cg = w.shape[1]
    cdef Py_ssize_t K = w.shape[2] * w.shape[3] * w.shape[4]
    if groups < 1 or F % groups:
        raise ValueError(f"conv: groups={groups} must divide the filters {F}")
    cdef Py_ssize_t Fg = F // groups, gi, f, c, k
    if (out.shape[0] != Cg * groups or out.shape[1] != Fg or out.shape[2] != w.shape[2]
            or out.shape[3] != w.shape[3] or out.shape[4] != w.shape[4]):
        raise ValueError(f"conv: flipped weights {_shp(out)} do not match {_shp(w)}")
    if F * Cg * K == 0:
        return
    cdef real* pw = &w[0, 0, 0, 0, 0]
    cdef real* po = &out[0, 0, 0, 0, 0]
    with nogil:
        for gi in range(groups):
            for f in range(Fg):
                for c in range(Cg):
                    for k in range(K):
                        po[((gi * Cg + c) * Fg + f) * K + K - 1 - k] = \
                            pw[((gi * Fg + f) * Cg + c) * K + k]


def scratch_size(Py_ssize_t ck, Py_ssize_t tw, Py_ssize_t fg):
    """Elements of one thread's workspace for a tile of ``tw`` pixels, ``ck`` unfolded rows
    per group and ``fg`` filters per group."""
    return _scratch(ck, tw, fg)
