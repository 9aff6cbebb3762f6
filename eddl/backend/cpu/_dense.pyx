# cython: boundscheck=False, wraparound=False, cdivision=True
"""Row-major GEMM with the columns of the result split over OpenMP threads, BLAS on one
thread per part (the caller keeps BLAS single-threaded): one thread pool owns the cores."""

from cython.parallel cimport prange
from scipy.linalg.cython_blas cimport dgemm, sgemm

ctypedef fused real:
    float
    double


cdef inline void _gemm(char ta, char tb, int m, int n, int k, real alpha, real* A, int lda,
                       real* B, int ldb, real beta, real* C, int ldc) noexcept nogil:
    # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T
    if real is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc)


def pgemm(real[:, ::1] a, real[:, ::1] b, real[:, ::1] c, bint trans_a, bint trans_b,
          double beta, int nt):
    """``c = op(a) op(b) + beta c`` for C-contiguous operands, shapes checked by the caller."""
    cdef int m = c.shape[0], n = c.shape[1]
    cdef int k = a.shape[0] if trans_a else a.shape[1]
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    cdef int lda = a.shape[1], ldb = b.shape[1], ldc = c.shape[1]
    cdef int parts = nt if nt > 1 and n >= 64 * nt else 1
    cdef int t, j0, j1
    cdef real* pb
    cdef real* pa = &a[0, 0]
    cdef real* bb = &b[0, 0]
    cdef real* pc = &c[0, 0]
    cdef real rb = <real>beta
    if m == 0 or n == 0 or k == 0:
        raise ValueError("pgemm: empty operands")
    with nogil:
        for t in prange(parts, num_threads=parts, schedule='static'):
            j0 = <int>((<long long>n * t) // parts)
            j1 = <int>((<long long>n * (t + 1)) // parts)
            if j1 > j0:
                pb = bb + (j0 * ldb if trans_b else j0)
                _gemm(ta, tb, m, j1 - j0, k, <real>1.0, pa, lda, pb, ldb, rb, pc + j0, ldc)
