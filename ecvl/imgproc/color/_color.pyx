# cython: language_level=3
"""Pixel-parallel colour conversion kernels (uint8 fixed point follows OpenCV's constants)."""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t
from libc.math cimport floor
from ecvl._pixel cimport pixel_t, sat_u8

cdef extern from "_color_u8.h" nogil:
    void col_perm3_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int i0, int i1, int i2,
                      int stream)
    void col_gray3_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int w0, int w1, int w2)
    void col_ycc3_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int ri)
    void col_ycc3_inv_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int ri)
    void col_hsv3_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int ri)
    void col_hsv_init()
    int col_simd_get()
    void col_simd_cap(int level)


def _simd_level(cap=None):
    """Shuffle kernel level in use (0 plain C, 1 SSSE3, 2 AVX2); ``cap`` lowers it (tests)."""
    if cap is not None:
        col_simd_cap(int(cap))
    return col_simd_get()


DEF SHIFT = 14
DEF HALF = 8192
# ITU-R BT.601 in 14-bit fixed point (OpenCV's values)
DEF R2Y = 4899
DEF G2Y = 9617
DEF B2Y = 1868
DEF R2CR = 11682
DEF B2CB = 9241
DEF CR2R = 22987
DEF CB2B = 29049
DEF CR2G = -11698
DEF CB2G = -5636
# RGB -> GRAY uses 15-bit weights (bit-exact with OpenCV's cvtColor)
DEF GR = 9798
DEF GG = 19235
DEF GB = 3735


def _check(src, dst, int cs, int cd):
    if src.ndim != 2 or dst.ndim != 2 or src.shape[0] != dst.shape[0] or src.shape[1] != cs \
            or dst.shape[1] != cd:
        raise ValueError("colour kernel: bad pixel array shapes")


# Pixels per work item: contiguous stripes of OpenCV's size (2^16 pixels), enough of them
# (64 on a 2048x2048 image) that a thread the OS pauses on a busy machine leaves its share to
# the others, few enough that claiming one costs nothing. A multiple of 32, the vector width.
DEF BLOCK = 65536
# Outputs from this size up are written by the channel shuffle with non-temporal stores, which
# skip the read-for-ownership of each destination line; smaller ones go through the cache,
# where the next op finds them. Streaming pays only where source and destination together
# overflow the last-level cache: a 12 MB RGB <-> BGR was a sixth faster streamed on an AVX2
# EPYC, but on a core complex with 32 MiB of L3 both stay cached, and streaming capped two
# threads at one thread's time (0.46 ms) where the cached stores took 0.22-0.30 ms.
DEF STREAM_MIN_BYTES = 16 << 20

# Packed 3-channel uint8 kernels run by _run_packed
DEF K_PERM = 0
DEF K_GRAY = 1
DEF K_YCC = 2
DEF K_YCC_INV = 3
DEF K_HSV = 4


cdef void _packed(int kind, const uint8_t *s, uint8_t *d, Py_ssize_t n, int a, int b, int c,
                  int stream) noexcept nogil:
    if kind == K_PERM:
        col_perm3_u8(s, d, n, a, b, c, stream)
    elif kind == K_GRAY:
        col_gray3_u8(s, d, n, a, b, c)
    elif kind == K_YCC:
        col_ycc3_u8(s, d, n, a)
    elif kind == K_YCC_INV:
        col_ycc3_inv_u8(s, d, n, a)
    else:
        col_hsv3_u8(s, d, n, a)


cdef void _run_packed(int kind, const uint8_t *s, uint8_t *d, Py_ssize_t n, Py_ssize_t cd,
                      int a, int b, int c, int stream, int nthreads) noexcept nogil:
    """Kernel `kind` over n packed 3-channel pixels (cd output bytes each) in BLOCK stripes."""
    cdef Py_ssize_t nb = (n + BLOCK - 1) // BLOCK, blk
    if nthreads <= 1 or nb == 1:
        # no parallel region at all: waking a team costs more than small images take
        _packed(kind, s, d, n, a, b, c, stream)
        return
    for blk in prange(nb, num_threads=nthreads, schedule='dynamic'):
        _packed(kind, s + 3 * blk * BLOCK, d + cd * blk * BLOCK,
                min(n, (blk + 1) * BLOCK) - blk * BLOCK, a, b, c, stream)


cdef void _shuffle_block(const pixel_t *s, pixel_t *d, Py_ssize_t n, Py_ssize_t cs, Py_ssize_t cd,
                         const int *ix, pixel_t fill) noexcept nogil:
    cdef Py_ssize_t i, k
    if cs == 3 and cd == 3:
        for i in range(n):
            d[3 * i] = s[3 * i + ix[0]]
            d[3 * i + 1] = s[3 * i + ix[1]]
            d[3 * i + 2] = s[3 * i + ix[2]]
        return
    for i in range(n):
        for k in range(cd):
            d[i * cd + k] = s[i * cs + ix[k]] if ix[k] >= 0 else fill


def shuffle(const pixel_t[:, ::1] src, pixel_t[:, ::1] dst, idx, pixel_t fill, int nthreads,
            int stream=-1):
    """dst[:, k] = src[:, idx[k]] (idx[k] < 0: fill).

    ``stream`` (3-channel uint8 only): 1 writes with non-temporal stores, 0 through the cache,
    -1 (default) streams outputs of STREAM_MIN_BYTES and more.
    """
    cdef Py_ssize_t n = src.shape[0], cs = src.shape[1], cd = dst.shape[1], b, nb, e
    if dst.shape[0] != n or len(idx) != cd or cd > 4 or any(j >= cs for j in idx):
        raise ValueError("shuffle: bad shapes or indices")
    cdef int ix[4]
    cdef int k
    for k in range(cd):
        ix[k] = idx[k]
    if cs == 3 and cd == 3 and min(idx) < 0:
        raise ValueError("shuffle: fill needs a channel-count change")
    if n == 0:
        return
    if pixel_t is uint8_t:
        if cs == 3 and cd == 3:
            with nogil:
                _run_packed(K_PERM, &src[0, 0], &dst[0, 0], n, 3, ix[0], ix[1], ix[2],
                            3 * n >= STREAM_MIN_BYTES if stream < 0 else stream != 0,
                            nthreads)
            return
    nb = (n + BLOCK - 1) // BLOCK
    with nogil:
        for b in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            e = min(n, (b + 1) * BLOCK) - b * BLOCK
            _shuffle_block(&src[b * BLOCK, 0], &dst[b * BLOCK, 0], e, cs, cd, ix, fill)


cdef void _gray_block(const uint8_t *s, uint8_t *d, Py_ssize_t n, Py_ssize_t cs, int ri,
                      int gi, int bi) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = <uint8_t>((s[i * cs + ri] * GR + s[i * cs + gi] * GG + s[i * cs + bi] * GB
                          + 16384) >> 15)


cdef inline bint _packed_rgb(Py_ssize_t cs, Py_ssize_t cd, int ri, int gi, int bi) noexcept nogil:
    # 3-channel RGB or BGR on both sides: the constant-offset loops of _color_u8.h apply
    return cs == 3 and cd == 3 and gi == 1 and ((ri == 0 and bi == 2) or (ri == 2 and bi == 0))


def rgb_to_gray_u8(const uint8_t[:, ::1] src, uint8_t[::1] dst, int ri, int gi, int bi,
                   int nthreads):
    cdef Py_ssize_t n = src.shape[0], cs = src.shape[1], b, nb, e
    if dst.shape[0] != n or max(ri, gi, bi) >= cs or min(ri, gi, bi) < 0:
        raise ValueError("rgb_to_gray_u8: bad shapes")
    if n == 0:
        return
    cdef int w[3]
    if cs == 3:
        # per-channel weights: the sum is linear, so any (ri, gi, bi) maps onto them
        w[0] = w[1] = w[2] = 0
        w[ri] += GR
        w[gi] += GG
        w[bi] += GB
        with nogil:
            _run_packed(K_GRAY, &src[0, 0], &dst[0], n, 1, w[0], w[1], w[2], 0, nthreads)
        return
    nb = (n + BLOCK - 1) // BLOCK
    with nogil:
        for b in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            e = min(n, (b + 1) * BLOCK) - b * BLOCK
            _gray_block(&src[b * BLOCK, 0], &dst[b * BLOCK], e, cs, ri, gi, bi)


def rgb_to_ycbcr_u8(const uint8_t[:, ::1] src, uint8_t[:, ::1] dst, int ri, int gi, int bi,
                    int nthreads):
    """Y, Cb, Cr (channel order of the name) with OpenCV's 8-bit YCrCb arithmetic."""
    cdef Py_ssize_t n = src.shape[0], i
    cdef int r, g, b, y
    if dst.shape[0] != n or dst.shape[1] != 3 or max(ri, gi, bi) >= src.shape[1] \
            or min(ri, gi, bi) < 0:
        raise ValueError("rgb_to_ycbcr_u8: bad shapes")
    if n == 0:
        return
    cdef Py_ssize_t cs = src.shape[1], cd = dst.shape[1], blk, nb = (n + BLOCK - 1) // BLOCK
    cdef const uint8_t *sp = &src[0, 0]
    cdef uint8_t *dp = &dst[0, 0]
    if _packed_rgb(cs, cd, ri, gi, bi):
        with nogil:
            _run_packed(K_YCC, sp, dp, n, 3, ri, 0, 0, 0, nthreads)
        return
    with nogil:
        for blk in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
                r = sp[i * cs + ri]
                g = sp[i * cs + gi]
                b = sp[i * cs + bi]
                y = (r * R2Y + g * G2Y + b * B2Y + HALF) >> SHIFT
                dp[i * cd + 0] = <uint8_t>y
                dp[i * cd + 1] = sat_u8(((b - y) * B2CB + (128 << SHIFT) + HALF) >> SHIFT)
                dp[i * cd + 2] = sat_u8(((r - y) * R2CR + (128 << SHIFT) + HALF) >> SHIFT)


def ycbcr_to_rgb_u8(const uint8_t[:, ::1] src, uint8_t[:, ::1] dst, int ri, int gi, int bi,
                    int nthreads):
    cdef Py_ssize_t n = src.shape[0], i
    cdef int y, cb, cr
    if dst.shape[0] != n or src.shape[1] != 3 or max(ri, gi, bi) >= dst.shape[1] \
            or min(ri, gi, bi) < 0:
        raise ValueError("ycbcr_to_rgb_u8: bad shapes")
    if n == 0:
        return
    cdef Py_ssize_t cs = src.shape[1], cd = dst.shape[1], blk, nb = (n + BLOCK - 1) // BLOCK
    cdef const uint8_t *sp = &src[0, 0]
    cdef uint8_t *dp = &dst[0, 0]
    if _packed_rgb(cs, cd, ri, gi, bi):
        with nogil:
            _run_packed(K_YCC_INV, sp, dp, n, 3, ri, 0, 0, 0, nthreads)
        return
    with nogil:
        for blk in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
                y = sp[i * cs + 0]
                cb = sp[i * cs + 1] - 128
                cr = sp[i * cs + 2] - 128
                dp[i * cd + ri] = sat_u8(y + ((cr * CR2R + HALF) >> SHIFT))
                dp[i * cd + gi] = sat_u8(y + ((cr * CR2G + cb * CB2G + HALF) >> SHIFT))
                dp[i * cd + bi] = sat_u8(y + ((cb * CB2B + HALF) >> SHIFT))


cdef extern from *:
    """
    #define col_sdiv_ptr() (col_sdiv)
    #define col_hdiv_ptr() (col_hdiv)
    """
    const int *col_sdiv_ptr() nogil
    const int *col_hdiv_ptr() nogil

col_hsv_init()
cdef const int *_sdiv = col_sdiv_ptr()
cdef const int *_hdiv = col_hdiv_ptr()


def rgb_to_hsv_u8(const uint8_t[:, ::1] src, uint8_t[:, ::1] dst, int ri, int gi, int bi,
                  int nthreads):
    """H in [0, 180), S and V in [0, 255], with OpenCV's 8-bit table arithmetic."""
    cdef Py_ssize_t n = src.shape[0], i
    cdef int r, g, b, v, vmin, diff, vr, vg, h, s
    if dst.shape[0] != n or dst.shape[1] != 3 or max(ri, gi, bi) >= src.shape[1] \
            or min(ri, gi, bi) < 0:
        raise ValueError("rgb_to_hsv_u8: bad shapes")
    if n == 0:
        return
    cdef Py_ssize_t cs = src.shape[1], cd = dst.shape[1], blk, nb = (n + BLOCK - 1) // BLOCK
    cdef const uint8_t *sp = &src[0, 0]
    cdef uint8_t *dp = &dst[0, 0]
    if _packed_rgb(cs, cd, ri, gi, bi):
        with nogil:
            _run_packed(K_HSV, sp, dp, n, 3, ri, 0, 0, 0, nthreads)
        return
    with nogil:
        for blk in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
                r = sp[i * cs + ri]
                g = sp[i * cs + gi]
                b = sp[i * cs + bi]
                v = max(r, max(g, b))
                vmin = min(r, min(g, b))
                diff = v - vmin
                vr = -1 if v == r else 0
                vg = -1 if v == g else 0
                s = (diff * _sdiv[v] + (1 << 11)) >> 12
                h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + ((~vg) & (r - g + 4 * diff))))
                h = (h * _hdiv[diff] + (1 << 11)) >> 12
                if h < 0:
                    h = h + 180
                dp[i * cd + 0] = <uint8_t>h
                dp[i * cd + 1] = <uint8_t>s
                dp[i * cd + 2] = <uint8_t>v


def hsv_to_rgb_u8(const uint8_t[:, ::1] src, uint8_t[:, ::1] dst, int ri, int gi, int bi,
                  int nthreads):
    """Inverse of rgb_to_hsv_u8 through float math (OpenCV's sector formulation)."""
    cdef Py_ssize_t n = src.shape[0], i
    cdef float h, s, v, f, p, q, t, r, g, b
    cdef int sector
    if dst.shape[0] != n or src.shape[1] != 3 or max(ri, gi, bi) >= dst.shape[1] \
            or min(ri, gi, bi) < 0:
        raise ValueError("hsv_to_rgb_u8: bad shapes")
    if n == 0:
        return
    cdef Py_ssize_t cs = src.shape[1], cd = dst.shape[1], blk, nb = (n + BLOCK - 1) // BLOCK
    cdef const uint8_t *sp = &src[0, 0]
    cdef uint8_t *dp = &dst[0, 0]
    with nogil:
        for blk in prange(nb, num_threads=max(1, nthreads), schedule='dynamic'):
            for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
                h = sp[i * cs + 0] * (6.0 / 180.0)
                s = sp[i * cs + 1] * (1.0 / 255.0)
                v = sp[i * cs + 2] * (1.0 / 255.0)
                sector = <int>floor(h)
                f = h - sector
                sector = sector % 6
                p = v * (1 - s)
                q = v * (1 - s * f)
                t = v * (1 - s * (1 - f))
                if sector == 0:
                    r = v
                    g = t
                    b = p
                elif sector == 1:
                    r = q
                    g = v
                    b = p
                elif sector == 2:
                    r = p
                    g = v
                    b = t
                elif sector == 3:
                    r = p
                    g = q
                    b = v
                elif sector == 4:
                    r = t
                    g = p
                    b = v
                else:
                    r = v
                    g = p
                    b = q
                dp[i * cd + ri] = sat_u8(<int>(r * 255.0 + 0.5))
                dp[i * cd + gi] = sat_u8(<int>(g * 255.0 + 0.5))
                dp[i * cd + bi] = sat_u8(<int>(b * 255.0 + 0.5))
