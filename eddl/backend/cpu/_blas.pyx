# cython: language_level=3
"""GEMM through the BLAS that SciPy ships (``scipy.linalg.cython_blas``), GIL released.

Arrays are row-major; BLAS is column-major. A row-major matrix read as column-major is its
transpose, so ``C = op(A) op(B)`` is computed as ``C^T = op(B)^T op(A)^T``: B goes first.
A matrix whose rows are strided (``ld`` > columns) or that is the transpose of such a one
is passed as is with the right ``ld``/transpose flag; anything else was copied by the caller.
Every shape, stride and dtype is checked here, before ``nogil``.
"""

cimport numpy as cnp
from scipy.linalg.cython_blas cimport sgemm, dgemm

cnp.import_array()

ctypedef fused real:
    float
    double


cdef inline void _gemm(char ta, char tb, int m, int n, int k, real alpha,
                       real* A, int lda, real* B, int ldb, real beta,
                       real* C, int ldc) noexcept nogil:
    if real is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc)


cdef int _INT_MAX = 2147483647


def blas_layout(cnp.ndarray arr):
    """Return ``(transposed, ld)`` if the last two axes of ``arr`` can go to BLAS as is.

    ``transposed`` means the matrix is stored column-major (the transpose of a row-major
    matrix with leading dimension ``ld``). Returns None when a copy is needed.
    """
    cdef int nd = arr.ndim
    if nd < 2:
        return None
    cdef Py_ssize_t isz = arr.itemsize
    cdef Py_ssize_t r = arr.shape[nd - 2], c = arr.shape[nd - 1]
    cdef Py_ssize_t s0 = arr.strides[nd - 2], s1 = arr.strides[nd - 1]
    if r == 0 or c == 0:
        return None
    if s0 % isz or s1 % isz:
        return None
    s0 //= isz
    s1 //= isz
    # A length-1 axis can have any stride; normalise it so both layouts are recognised.
    if c == 1:
        s1 = 1
    if r == 1:
        s0 = c if s1 == 1 else s0
    if s1 == 1 and s0 >= c and s0 <= _INT_MAX:
        return (False, s0)
    if r == 1 and c > 0 and s1 >= 1 and s1 <= _INT_MAX:
        # A single row with strided columns is a column-major 1 x c matrix with ld = s1.
        return (True, s1)
    if s0 == 1 and s1 >= r and s1 <= _INT_MAX:
        return (True, s1)
    return None


cdef tuple _shape(cnp.ndarray x):
    return tuple([x.shape[i] for i in range(x.ndim)])


cdef _check_dims(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k):
    if m > _INT_MAX or n > _INT_MAX or k > _INT_MAX:
        raise ValueError(f"gemm: dimensions ({m}, {n}, {k}) exceed the 32-bit BLAS limit")


def gemm_into(cnp.ndarray a, cnp.ndarray b, cnp.ndarray c, bint trans_a, bint trans_b,
              double alpha, double beta):
    """``c[...] = alpha * op(a) @ op(b) + beta * c`` (3-D inputs: one product per batch).

    ``a``, ``b`` and ``c`` share one float dtype; ``c`` is row-major (unit column stride),
    writable and does not overlap ``a`` or ``b`` (the wrapper guarantees it). 2-D ``a`` or
    ``b`` is shared by every batch of a 3-D call. No size may be zero.
    """
    if a.dtype != c.dtype or b.dtype != c.dtype:
        raise TypeError(f"gemm: dtypes differ ({a.dtype}, {b.dtype}, {c.dtype})")
    if c.dtype.num != cnp.NPY_FLOAT32 and c.dtype.num != cnp.NPY_FLOAT64:
        raise TypeError(f"gemm: only float32/float64 reach BLAS, got {c.dtype}")
    if not (2 <= a.ndim <= 3 and 2 <= b.ndim <= 3 and c.ndim == max(a.ndim, b.ndim)):
        raise ValueError(f"gemm: bad ranks a{a.ndim}-D b{b.ndim}-D c{c.ndim}-D")
    if not c.flags.writeable:
        raise ValueError("gemm: output is read-only")
    cdef Py_ssize_t nb = c.shape[0] if c.ndim == 3 else 1
    if (a.ndim == 3 and a.shape[0] != nb) or (b.ndim == 3 and b.shape[0] != nb):
        raise ValueError(f"gemm: batch sizes differ ({_shape(a)}, {_shape(b)}, {_shape(c)})")
    cdef Py_ssize_t am = a.shape[a.ndim - 2], ak = a.shape[a.ndim - 1]
    cdef Py_ssize_t bk = b.shape[b.ndim - 2], bn = b.shape[b.ndim - 1]
    if trans_a:
        am, ak = ak, am
    if trans_b:
        bk, bn = bn, bk
    cdef Py_ssize_t m = c.shape[c.ndim - 2], n = c.shape[c.ndim - 1]
    if ak != bk or am != m or bn != n:
        raise ValueError(f"gemm: shapes {_shape(a)}{'^T' if trans_a else ''} x "
                         f"{_shape(b)}{'^T' if trans_b else ''} -> {_shape(c)} do not match")
    if m == 0 or n == 0 or ak == 0:
        raise ValueError("gemm: zero-size products are handled by the caller")
    _check_dims(m, n, ak)
    la = blas_layout(a)
    lb = blas_layout(b)
    lc = blas_layout(c)
    if la is None or lb is None or lc is None or lc[0]:
        raise ValueError("gemm: operand layout is not BLAS-compatible (copy it first)")
    cdef char ta = b'T' if (bool(trans_a) != la[0]) else b'N'
    cdef char tb = b'T' if (bool(trans_b) != lb[0]) else b'N'
    cdef int lda = la[1], ldb = lb[1], ldc = lc[1]
    if c.ndim == 3 and nb > 1 and c.strides[0] < ((m - 1) * ldc + n) * c.itemsize:
        raise ValueError("gemm: output batches overlap")
    cdef Py_ssize_t sa = a.strides[0] if a.ndim == 3 else 0
    cdef Py_ssize_t sb = b.strides[0] if b.ndim == 3 else 0
    cdef Py_ssize_t sc = c.strides[0] if c.ndim == 3 else 0
    cdef char* pa = <char*>cnp.PyArray_DATA(a)
    cdef char* pb = <char*>cnp.PyArray_DATA(b)
    cdef char* pc = <char*>cnp.PyArray_DATA(c)
    cdef int im = <int>m, in_ = <int>n, ik = <int>ak
    cdef Py_ssize_t i
    # BLAS threads itself (OpenBLAS's pool); the batch loop stays serial so the two pools
    # never run at once (see docs/threads.md).
    if c.dtype.num == cnp.NPY_FLOAT32:
        with nogil:
            for i in range(nb):
                _gemm[float](ta, tb, im, in_, ik, <float>alpha, <float*>(pa + i * sa), lda,
                             <float*>(pb + i * sb), ldb, <float>beta, <float*>(pc + i * sc), ldc)
    else:
        with nogil:
            for i in range(nb):
                _gemm[double](ta, tb, im, in_, ik, alpha, <double*>(pa + i * sa), lda,
                              <double*>(pb + i * sb), ldb, beta, <double*>(pc + i * sc), ldc)
