# The uint8 affine warp with row-stepped fixed-point coordinates, and its one-call entry.
# Included by _warp.pyx (same module: it uses that file's helpers and border constants).

# Output tiles of the affine warps: a rotated row runs diagonally through the source, and
# short row segments keep the source footprint in cache (and in the TLB). A tile is swept a
# column strip of TW at a time over its TH rows, each row reading source lines next to the
# previous row's: 64 rows rather than 16 took a 30-degree rotation of a 2048² RGB image from
# 15 to 11 ms (the lines stay in L1/L2 between rows instead of coming back from L3).
cdef enum:
    TH = 64
    TW = 128


cdef void _affine_tiles(const uint8_t[:, :, ::1] src, uint8_t* out, Py_ssize_t dh,
                        Py_ssize_t dw, Py_ssize_t C, const double* m, int fb, int border,
                        const double* bval, const uint8_t* cv, const int32_t* adx,
                        Py_ssize_t ty, char* scratch) noexcept nogil:
    """Row tile ty of a bilinear uint8 warp stepped in fixed point (see _affine_u8)."""
    cdef Py_ssize_t sh = src.shape[0], sw = src.shape[1]
    cdef Py_ssize_t ntx = (dw + TW - 1) // TW
    cdef Py_ssize_t bx, tx, y, x, y1, n, i, ne
    cdef double scale = <double>(1 << fb)
    cdef int shift = fb - 11
    cdef int32_t ax, ay
    cdef Py_ssize_t* edge = <Py_ssize_t*>scratch
    cdef int32_t* q = <int32_t*>(edge + TW)
    cdef double xd, yd
    y1 = (ty + 1) * TH if (ty + 1) * TH < dh else dh
    for bx in range(ntx):
        tx = bx * TW
        n = dw - tx if dw - tx < TW else TW
        for y in range(ty * TH, y1):
            ax = geom_round((m[1] * y + m[2]) * scale) + (1 << (shift - 1))
            ay = geom_round((m[4] * y + m[5]) * scale) + (1 << (shift - 1))
            ne = wpu8_affine_row(&src[0, 0, 0], sh, sw, C, out + (y * dw + tx) * C, adx + tx,
                                 adx + dw + tx, ax, ay, shift, n, edge, cv, q, _simd)
            # Samples off the interior go through _sample_row at their quantised coordinate,
            # so every path sees the same coordinates.
            for i in range(ne):
                x = edge[i]
                xd = q[x] / 2048.0
                yd = q[n + x] / 2048.0
                _sample_row(src, out + (y * dw + tx + x) * C, &xd, &yd, 1, 2, NULL, border, bval)


cdef int _affine_u8(const uint8_t[:, :, ::1] src, uint8_t* out, Py_ssize_t dh, Py_ssize_t dw,
                    const double* m, int fb, int border, const double* bval,
                    int nthreads) except -1:
    """Bilinear uint8 warp (out is dh x dw x C) with coordinates stepped along rows in fixed
    point, 2^-fb pixel (see wpu8_affine_bits); m maps destination to source."""
    cdef Py_ssize_t C = src.shape[2]
    cdef Py_ssize_t nty = (dh + TH - 1) // TH
    cdef Py_ssize_t x, ty
    cdef double scale = <double>(1 << fb)
    cdef uint8_t cval[64]
    cdef const uint8_t* cv = cval if border == B_CONSTANT and C <= 64 else NULL
    cdef char* scratch
    nthreads = max(nthreads, 1)
    cdef int32_t* adx = <int32_t*>malloc(2 * dw * sizeof(int32_t) + nthreads * TW * 16)
    if adx == NULL:
        raise MemoryError(f"warp_affine: no memory for a {dw}-pixel row table")
    scratch = <char*>(adx + 2 * dw)
    _const_u8(C, border, bval, cval)
    with nogil:
        for x in range(dw):
            adx[x] = geom_round(m[0] * x * scale)
            adx[dw + x] = geom_round(m[3] * x * scale)
        if nthreads == 1:  # no OpenMP team: its start-up shows on small images
            for ty in range(nty):
                _affine_tiles(src, out, dh, dw, C, m, fb, border, bval, cv, adx, ty, scratch)
        else:
            for ty in prange(nty, num_threads=nthreads, schedule='dynamic', chunksize=1):
                _affine_tiles(src, out, dh, dw, C, m, fb, border, bval, cv, adx, ty,
                              scratch + threadid() * TW * 16)
    free(adx)
    return 0


def affine_fast(arr, tuple m, Py_ssize_t dh, Py_ssize_t dw, interp, border, value, int nthreads):
    """The bilinear warp of a plain canonical uint8 image (see ``_geomfast.pxd``) by the
    inverse map `m` (six floats, as :func:`warp_affine`) to a new ``(dh, dw, C)`` image, with a
    border other than transparent and a scalar constant; else None.

    The one-call entry of rotations and warps of small images: member enums and Python numbers
    are taken as they are, without the checks of the general path.
    """
    cdef int b
    cdef double mm[6]
    cdef double bv[64]
    cdef Py_ssize_t i, C
    if interp is not _LINEAR and interp is not _AREA:
        return None
    for b in range(5):
        if border is _BORDERS[b]:
            break
    else:
        return None
    if type(value) is not float and type(value) is not int:
        return None
    if not plain_array(arr, 3, 3) or dh <= 0 or dw <= 0 or len(m) != 6:
        return None
    cdef cnp.ndarray a = <cnp.ndarray>arr
    C = cnp.PyArray_DIM(a, 2)
    if cnp.PyArray_TYPE(a) != cnp.NPY_UINT8 or C > 64:
        return None
    for i in range(6):
        mm[i] = m[i]
    cdef int fb = wpu8_affine_bits(mm, dh, dw)
    if fb == 0:
        return None
    for i in range(C):
        bv[i] = value
    cdef cnp.npy_intp dims[3]
    dims[0] = dh
    dims[1] = dw
    dims[2] = C
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(3, dims, cnp.NPY_UINT8, 0)
    _affine_u8(arr, <uint8_t*>cnp.PyArray_DATA(out), dh, dw, mm, fb, b, bv, nthreads)
    return out
