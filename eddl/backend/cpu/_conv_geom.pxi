# Geometry and GEMM helpers shared by the convolution kernel modules (_conv, _convtile);
# textually included, so each module gets its own fused specialisations.

from scipy.linalg.cython_blas cimport sgemm, dgemm

ctypedef fused real:
    float
    double

cdef struct Geo:
    Py_ssize_t C, D, H, W          # A side: channels and spatial sizes
    Py_ssize_t F, OD, OH, OW       # B side
    Py_ssize_t kd, kh, kw          # kernel
    Py_ssize_t sd, sh, sw          # strides
    Py_ssize_t pd, ph, pw          # padding before each axis
    Py_ssize_t dd, dh, dw          # dilation
    Py_ssize_t groups


cdef inline void _gemm(char ta, char tb, int m, int n, int k, real alpha, real* A, int lda,
                       real* B, int ldb, real beta, real* C, int ldc) noexcept nogil:
    # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T
    if real is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc)


cdef inline Py_ssize_t _cdiv(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    # ceil(a / b) for b > 0 and any sign of a
    if a <= 0:
        return -((-a) // b)
    return (a + b - 1) // b


# Range of outputs e in [lo, hi) with 0 <= start + e * step < size. Returned by value: a
# variable assigned only through a pointer would not be made thread-private by prange.
cdef inline Py_ssize_t _lo(Py_ssize_t start, Py_ssize_t step) noexcept nogil:
    cdef Py_ssize_t a = _cdiv(-start, step)
    return a if a > 0 else 0


cdef inline Py_ssize_t _hi(Py_ssize_t start, Py_ssize_t step, Py_ssize_t size, Py_ssize_t n,
                           Py_ssize_t lo) noexcept nogil:
    cdef Py_ssize_t b = _cdiv(size - start, step)
    if b > n:
        b = n
    return b if b > lo else lo


cdef tuple _shp(real[:, :, :, :, ::1] v):
    return (v.shape[0], v.shape[1], v.shape[2], v.shape[3], v.shape[4])


cdef Geo _geo(tuple a_shape, tuple b_shape, tuple w_shape, tuple stride, tuple pad,
              tuple dil, Py_ssize_t groups) except *:
    cdef Geo g
    if len(a_shape) != 5 or len(b_shape) != 5 or len(w_shape) != 5:
        raise ValueError("conv kernels expect 5-D A, B and weight arrays")
    if len(stride) != 3 or len(pad) != 3 or len(dil) != 3:
        raise ValueError("conv kernels expect 3 strides, paddings and dilations")
    if a_shape[0] != b_shape[0]:
        raise ValueError(f"conv: batch sizes differ ({a_shape[0]} and {b_shape[0]})")
    g.C, g.D, g.H, g.W = a_shape[1], a_shape[2], a_shape[3], a_shape[4]
    g.F, g.OD, g.OH, g.OW = b_shape[1], b_shape[2], b_shape[3], b_shape[4]
    g.kd, g.kh, g.kw = w_shape[2], w_shape[3], w_shape[4]
    g.sd, g.sh, g.sw = stride
    g.pd, g.ph, g.pw = pad
    g.dd, g.dh, g.dw = dil
    g.groups = groups
    if groups < 1 or g.C % groups or g.F % groups:
        raise ValueError(f"conv: groups={groups} must divide channels {g.C} and filters {g.F}")
    if w_shape[0] != g.F or w_shape[1] * groups != g.C:
        raise ValueError(f"conv: weights {w_shape} do not match {g.C} -> {g.F} channels "
                         f"in {groups} groups")
    if min(g.sd, g.sh, g.sw, g.dd, g.dh, g.dw, g.kd, g.kh, g.kw) < 1:
        raise ValueError("conv: kernel sizes, strides and dilations must be positive")
    if min(g.pd, g.ph, g.pw) < 0:
        raise ValueError("conv: paddings must be non-negative")
    # every read and write is bounds-checked per position, so any positive sizes are safe
    if min(g.C, g.D, g.H, g.W, g.F, g.OD, g.OH, g.OW) < 1:
        raise ValueError(f"conv: empty channel or spatial size in A {a_shape} / B {b_shape}")
    return g
