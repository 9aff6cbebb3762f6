# cython: language_level=3
"""Time loops of the recurrent layers: per step one GEMM with the recurrent weights
(``scipy.linalg.cython_blas``) and one fused pass of src/rnn_cell.c, the whole sequence
without the GIL.

BLAS runs on one thread (``rnn.py`` sets it): a step's GEMM either runs whole or, given
``nt > 1``, splits the columns of its result over ``nt`` OpenMP threads, the backend's policy
for large products (``blas_policy.py``), so one thread pool owns the cores.

Buffers are time-major and in the processing order of one direction (step ``k`` is the
``k``-th step that direction runs). Every function checks the shapes of all its arguments
against each other before releasing the GIL (``rnn.py`` checks dtypes and contiguity first),
so no argument can make a kernel read or write outside its arrays.
"""

from cython.parallel cimport prange
from libc.string cimport memcpy
from scipy.linalg.cython_blas cimport sgemm, dgemm

ctypedef fused real:
    float
    double

cdef extern from "dh_rnn.h" nogil:
    ctypedef Py_ssize_t dh_int
    int DH_RNN_NONE, DH_RNN_TANH, DH_RNN_SIGMOID, DH_RNN_RELU, DH_RNN_HARD_SIGMOID
    void dh_lstm_fwd_f32(float*, const float*, float*, float*, const float*, float*,
                         const unsigned char*, dh_int, dh_int)
    void dh_lstm_fwd_f64(double*, const double*, double*, double*, const double*, double*,
                         const unsigned char*, dh_int, dh_int)
    void dh_lstm_bwd_f32(const float*, const float*, const float*, float*, const float*,
                         float*, float*, float*, const unsigned char*, dh_int, dh_int)
    void dh_lstm_bwd_f64(const double*, const double*, const double*, double*, const double*,
                         double*, double*, double*, const unsigned char*, dh_int, dh_int)
    void dh_gru_lbr_fwd_f32(float*, float*, const float*, const float*, float*,
                            const unsigned char*, dh_int, dh_int)
    void dh_gru_lbr_fwd_f64(double*, double*, const double*, const double*, double*,
                            const unsigned char*, dh_int, dh_int)
    void dh_gru_lbr_bwd_f32(const float*, const float*, const float*, float*, const float*,
                            float*, float*, float*, const unsigned char*, dh_int, dh_int)
    void dh_gru_lbr_bwd_f64(const double*, const double*, const double*, double*,
                            const double*, double*, double*, double*, const unsigned char*,
                            dh_int, dh_int)
    void dh_gru_zr_fwd_f32(float*, float*, const float*, const unsigned char*, dh_int, dh_int)
    void dh_gru_zr_fwd_f64(double*, double*, const double*, const unsigned char*, dh_int,
                           dh_int)
    void dh_gru_n_fwd_f32(float*, const float*, float*, const unsigned char*, dh_int, dh_int)
    void dh_gru_n_fwd_f64(double*, const double*, double*, const unsigned char*, dh_int,
                          dh_int)
    void dh_gru_n_bwd_f32(const float*, const float*, float*, const float*, float*,
                          const unsigned char*, dh_int, dh_int)
    void dh_gru_n_bwd_f64(const double*, const double*, double*, const double*, double*,
                          const unsigned char*, dh_int, dh_int)
    void dh_gru_zr_bwd_f32(const float*, const float*, const float*, const float*, float*,
                           float*, const unsigned char*, dh_int, dh_int)
    void dh_gru_zr_bwd_f64(const double*, const double*, const double*, const double*,
                           double*, double*, const unsigned char*, dh_int, dh_int)
    void dh_rnn_fwd_f32(float*, const float*, float*, int, const unsigned char*, dh_int,
                        dh_int)
    void dh_rnn_fwd_f64(double*, const double*, double*, int, const unsigned char*, dh_int,
                        dh_int)
    void dh_rnn_bwd_f32(const float*, float*, const float*, float*, float*, int,
                        const unsigned char*, dh_int, dh_int)
    void dh_rnn_bwd_f64(const double*, double*, const double*, double*, double*, int,
                        const unsigned char*, dh_int, dh_int)

#: activation name -> code of the Elman cell
ACTIVATIONS = {"none": DH_RNN_NONE, "tanh": DH_RNN_TANH, "sigmoid": DH_RNN_SIGMOID,
               "relu": DH_RNN_RELU, "hard_sigmoid": DH_RNN_HARD_SIGMOID}

cdef Py_ssize_t _INT_MAX = 2147483647


cdef inline void _gemm(char ta, char tb, int m, int n, int k, real* A, int lda, real* B,
                       int ldb, real beta, real* C, int ldc) noexcept nogil:
    # row-major C = op(A) op(B) (+ beta C) as column-major C^T = op(B)^T op(A)^T (_blas.pyx)
    cdef real one = 1
    if real is float:
        sgemm(&tb, &ta, &n, &m, &k, &one, B, &ldb, A, &lda, &beta, C, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &one, B, &ldb, A, &lda, &beta, C, &ldc)


cdef inline void _pgemm(char ta, char tb, int m, int n, int k, real* A, int lda, real* B,
                        int ldb, real beta, real* C, int ldc, int nt) noexcept nogil:
    # _gemm with the columns of C split over nt OpenMP threads, each part a one-thread BLAS
    # call (the backend's policy, blas_policy.py: one pool owns the cores)
    cdef int p, c0, w, chunk, parts
    if nt <= 1 or n < 64:
        _gemm(ta, tb, m, n, k, A, lda, B, ldb, beta, C, ldc)
        return
    chunk = (n + nt - 1) // nt
    chunk = (chunk + 15) // 16 * 16  # whole cache lines of C per thread
    parts = (n + chunk - 1) // chunk
    for p in prange(parts, num_threads=nt, schedule='static'):
        c0 = p * chunk
        w = n - c0 if n - c0 < chunk else chunk
        _gemm(ta, tb, m, w, k, A, lda, B + (c0 * ldb if tb == <char>'T' else c0), ldb, beta,
              C + c0, ldc)


cdef _check(str what, tuple got, tuple want):
    if got != want:
        raise ValueError(f"{what} has shape {list(got)}, expected {list(want)}")


cdef tuple _dims(real[:, :, ::1] g, real[:, ::1] R, int gates):
    """Return ``(T, B, H)`` from the gates ``[T, B, gates*H]`` and ``R`` ``[gates*H, H]``."""
    cdef Py_ssize_t t = g.shape[0], b = g.shape[1], h = R.shape[1]
    _check("R", (R.shape[0], R.shape[1]), (gates * h, h))
    _check("gates", (g.shape[0], g.shape[1], g.shape[2]), (t, b, gates * h))
    if b * gates * h > _INT_MAX or h < 1:
        raise ValueError(f"batch {b} x units {h} is out of BLAS's range")
    return t, b, h


cdef const unsigned char* _keep(const unsigned char[:, ::1] keep, Py_ssize_t t,
                                Py_ssize_t b) except? NULL:
    if keep is None:
        return NULL
    _check("keep", (keep.shape[0], keep.shape[1]), (t, b))
    if t == 0 or b == 0:
        return NULL
    return &keep[0, 0]


cdef _check_state(str what, real[:, :, ::1] s, Py_ssize_t t, Py_ssize_t b, Py_ssize_t h):
    _check(what, (s.shape[0], s.shape[1], s.shape[2]), (t, b, h))


cdef _check_2d(str what, real[:, ::1] a, Py_ssize_t b, Py_ssize_t h):
    _check(what, (a.shape[0], a.shape[1]), (b, h))


def lstm_forward(real[:, :, ::1] g, real[:, ::1] R, real[:, :, ::1] s, real[:, :, ::1] c,
                 real[:, :, ::1] tc, const unsigned char[:, ::1] keep=None, int nt=1):
    """Run ``T = g.shape[0]`` LSTM steps; ``g`` holds the input projections (+ biases)."""
    cdef Py_ssize_t T, B, H
    T, B, H = _dims(g, R, 4)
    _check_state("s", s, T + 1, B, H)
    _check_state("c", c, T + 1, B, H)
    _check_state("tc", tc, T, B, H)
    cdef const unsigned char* kp = _keep(keep, T, B)
    if T == 0 or B == 0:
        return
    cdef Py_ssize_t k
    with nogil:
        for k in range(T):
            _pgemm(<char>'N', <char>'T', <int>B, <int>(4 * H), <int>H, &s[k, 0, 0], <int>H, &R[0, 0],
                   <int>H, 1, &g[k, 0, 0], <int>(4 * H), nt)
            if real is float:
                dh_lstm_fwd_f32(&g[k, 0, 0], &c[k, 0, 0], &c[k + 1, 0, 0], &tc[k, 0, 0],
                                &s[k, 0, 0], &s[k + 1, 0, 0], kp + k * B if kp else NULL, B, H)
            else:
                dh_lstm_fwd_f64(&g[k, 0, 0], &c[k, 0, 0], &c[k + 1, 0, 0], &tc[k, 0, 0],
                                &s[k, 0, 0], &s[k + 1, 0, 0], kp + k * B if kp else NULL, B, H)


cdef real* _dy(real[:, :, ::1] dy, Py_ssize_t T, Py_ssize_t B, Py_ssize_t H) except? NULL:
    if dy is None:
        return NULL
    _check_state("dy", dy, T, B, H)
    return &dy[0, 0, 0]


def lstm_backward(real[:, :, ::1] g, real[:, ::1] R, real[:, :, ::1] c, real[:, :, ::1] tc,
                  real[:, :, ::1] dg, real[:, ::1] dh, real[:, ::1] dc, real[:, ::1] work,
                  real[:, :, ::1] dy=None, const unsigned char[:, ::1] keep=None, int nt=1):
    """Back through ``T`` LSTM steps: fill ``dg`` (pre-activation gradients).

    ``dh``/``dc`` hold the gradients of the final states on entry and of the initial states
    on return; ``dy`` (or None) the gradients of each step's output ``h``.
    """
    cdef Py_ssize_t T, B, H
    T, B, H = _dims(g, R, 4)
    _check_state("c", c, T + 1, B, H)
    _check_state("tc", tc, T, B, H)
    _check_state("dg", dg, T, B, 4 * H)
    _check_2d("dh", dh, B, H)
    _check_2d("dc", dc, B, H)
    _check_2d("work", work, B, H)
    cdef real* yp = _dy(dy, T, B, H)
    cdef const unsigned char* kp = _keep(keep, T, B)
    if T == 0 or B == 0:
        return
    cdef real* cur = &dh[0, 0]
    cdef real* nxt = &work[0, 0]
    cdef real* tmp
    cdef Py_ssize_t k, bh = B * H
    with nogil:
        for k in range(T - 1, -1, -1):
            if real is float:
                dh_lstm_bwd_f32(&g[k, 0, 0], &c[k, 0, 0], &tc[k, 0, 0], cur,
                                yp + k * bh if yp else NULL, &dc[0, 0], &dg[k, 0, 0], nxt,
                                kp + k * B if kp else NULL, B, H)
            else:
                dh_lstm_bwd_f64(&g[k, 0, 0], &c[k, 0, 0], &tc[k, 0, 0], cur,
                                yp + k * bh if yp else NULL, &dc[0, 0], &dg[k, 0, 0], nxt,
                                kp + k * B if kp else NULL, B, H)
            _pgemm(<char>'N', <char>'N', <int>B, <int>H, <int>(4 * H), &dg[k, 0, 0], <int>(4 * H),
                   &R[0, 0], <int>H, 1, nxt, <int>H, nt)
            tmp = cur
            cur = nxt
            nxt = tmp
        if cur != &dh[0, 0]:
            memcpy(&dh[0, 0], cur, bh * sizeof(real))


def gru_forward(real[:, :, ::1] g, real[:, ::1] R, real[::1] rbh, real[:, :, ::1] s,
                real[:, :, ::1] e, bint linear_before_reset,
                const unsigned char[:, ::1] keep=None, int nt=1):
    """Run ``T`` GRU steps; ``e`` keeps ``h R^T + Rb_h`` (``[T, B, 3H]``, linear before reset)
    or ``r * h`` (``[T, B, H]``) for backward."""
    cdef Py_ssize_t T, B, H
    T, B, H = _dims(g, R, 3)
    _check_state("s", s, T + 1, B, H)
    _check_state("e", e, T, B, 3 * H if linear_before_reset else H)
    _check("rbh", (rbh.shape[0],), (H,))
    cdef const unsigned char* kp = _keep(keep, T, B)
    if T == 0 or B == 0:
        return
    cdef Py_ssize_t k
    cdef const unsigned char* kk
    with nogil:
        for k in range(T):
            kk = kp + k * B if kp else NULL
            if linear_before_reset:
                _pgemm(<char>'N', <char>'T', <int>B, <int>(3 * H), <int>H, &s[k, 0, 0], <int>H, &R[0, 0],
                       <int>H, 0, &e[k, 0, 0], <int>(3 * H), nt)
                if real is float:
                    dh_gru_lbr_fwd_f32(&g[k, 0, 0], &e[k, 0, 0], &rbh[0], &s[k, 0, 0],
                                       &s[k + 1, 0, 0], kk, B, H)
                else:
                    dh_gru_lbr_fwd_f64(&g[k, 0, 0], &e[k, 0, 0], &rbh[0], &s[k, 0, 0],
                                       &s[k + 1, 0, 0], kk, B, H)
            else:
                _pgemm(<char>'N', <char>'T', <int>B, <int>(2 * H), <int>H, &s[k, 0, 0], <int>H, &R[0, 0],
                       <int>H, 1, &g[k, 0, 0], <int>(3 * H), nt)
                if real is float:
                    dh_gru_zr_fwd_f32(&g[k, 0, 0], &e[k, 0, 0], &s[k, 0, 0], kk, B, H)
                else:
                    dh_gru_zr_fwd_f64(&g[k, 0, 0], &e[k, 0, 0], &s[k, 0, 0], kk, B, H)
                _pgemm(<char>'N', <char>'T', <int>B, <int>H, <int>H, &e[k, 0, 0], <int>H, &R[2 * H, 0],
                       <int>H, 1, &g[k, 0, 2 * H], <int>(3 * H), nt)
                if real is float:
                    dh_gru_n_fwd_f32(&g[k, 0, 0], &s[k, 0, 0], &s[k + 1, 0, 0], kk, B, H)
                else:
                    dh_gru_n_fwd_f64(&g[k, 0, 0], &s[k, 0, 0], &s[k + 1, 0, 0], kk, B, H)


def gru_backward(real[:, :, ::1] g, real[:, ::1] R, real[:, :, ::1] s, real[:, :, ::1] e,
                 real[:, :, ::1] dg, real[:, :, ::1] de, real[:, ::1] dh, real[:, ::1] work,
                 bint linear_before_reset, real[:, :, ::1] dy=None,
                 const unsigned char[:, ::1] keep=None, int nt=1):
    """Back through ``T`` GRU steps: fill ``dg`` (and ``de``, the gradient of ``e``, with
    linear before reset; ``[T, B, H]`` scratch otherwise). ``dh`` as in :func:`lstm_backward`."""
    cdef Py_ssize_t T, B, H
    T, B, H = _dims(g, R, 3)
    _check_state("s", s, T + 1, B, H)
    _check_state("e", e, T, B, 3 * H if linear_before_reset else H)
    _check_state("dg", dg, T, B, 3 * H)
    _check_state("de", de, T, B, 3 * H if linear_before_reset else H)
    _check_2d("dh", dh, B, H)
    _check_2d("work", work, B, H)
    cdef real* yp = _dy(dy, T, B, H)
    cdef const unsigned char* kp = _keep(keep, T, B)
    if T == 0 or B == 0:
        return
    cdef real* cur = &dh[0, 0]
    cdef real* nxt = &work[0, 0]
    cdef real* tmp
    cdef const unsigned char* kk
    cdef Py_ssize_t k, bh = B * H
    with nogil:
        for k in range(T - 1, -1, -1):
            kk = kp + k * B if kp else NULL
            if linear_before_reset:
                if real is float:
                    dh_gru_lbr_bwd_f32(&g[k, 0, 0], &e[k, 0, 0], &s[k, 0, 0], cur,
                                       yp + k * bh if yp else NULL, &dg[k, 0, 0], &de[k, 0, 0],
                                       nxt, kk, B, H)
                else:
                    dh_gru_lbr_bwd_f64(&g[k, 0, 0], &e[k, 0, 0], &s[k, 0, 0], cur,
                                       yp + k * bh if yp else NULL, &dg[k, 0, 0], &de[k, 0, 0],
                                       nxt, kk, B, H)
                _pgemm(<char>'N', <char>'N', <int>B, <int>H, <int>(3 * H), &de[k, 0, 0], <int>(3 * H),
                       &R[0, 0], <int>H, 1, nxt, <int>H, nt)
            else:
                if real is float:
                    dh_gru_n_bwd_f32(&g[k, 0, 0], &s[k, 0, 0], cur, yp + k * bh if yp else NULL,
                                     &dg[k, 0, 0], kk, B, H)
                else:
                    dh_gru_n_bwd_f64(&g[k, 0, 0], &s[k, 0, 0], cur, yp + k * bh if yp else NULL,
                                     &dg[k, 0, 0], kk, B, H)
                # de[k] holds (dn R_h), the gradient reaching r * h
                _pgemm(<char>'N', <char>'N', <int>B, <int>H, <int>H, &dg[k, 0, 2 * H], <int>(3 * H),
                       &R[2 * H, 0], <int>H, 0, &de[k, 0, 0], <int>H, nt)
                if real is float:
                    dh_gru_zr_bwd_f32(&g[k, 0, 0], &s[k, 0, 0], cur, &de[k, 0, 0],
                                      &dg[k, 0, 0], nxt, kk, B, H)
                else:
                    dh_gru_zr_bwd_f64(&g[k, 0, 0], &s[k, 0, 0], cur, &de[k, 0, 0],
                                      &dg[k, 0, 0], nxt, kk, B, H)
                _pgemm(<char>'N', <char>'N', <int>B, <int>H, <int>(2 * H), &dg[k, 0, 0], <int>(3 * H),
                       &R[0, 0], <int>H, 1, nxt, <int>H, nt)
            tmp = cur
            cur = nxt
            nxt = tmp
        if cur != &dh[0, 0]:
            memcpy(&dh[0, 0], cur, bh * sizeof(real))


def rnn_forward(real[:, :, ::1] g, real[:, ::1] R, real[:, :, ::1] s, int act,
                const unsigned char[:, ::1] keep=None, int nt=1):
    """Run ``T`` Elman steps with activation code ``act`` (:data:`ACTIVATIONS`)."""
    cdef Py_ssize_t T, B, H
    T, B, H = _dims(g, R, 1)
    _check_state("s", s, T + 1, B, H)
    if act not in ACTIVATIONS.values():
        raise ValueError(f"unknown activation code {act}")
    cdef const unsigned char* kp = _keep(keep, T, B)
    if T == 0 or B == 0:
        return
    cdef Py_ssize_t k
    with nogil:
        for k in range(T):
            _pgemm(<char>'N', <char>'T', <int>B, <int>H, <int>H, &s[k, 0, 0], <int>H, &R[0, 0], <int>H, 1,
                   &g[k, 0, 0], <int>H, nt)
            if real is float:
                dh_rnn_fwd_f32(&g[k, 0, 0], &s[k, 0, 0], &s[k + 1, 0, 0], act,
                               kp + k * B if kp else NULL, B, H)
            else:
                dh_rnn_fwd_f64(&g[k, 0, 0], &s[k, 0, 0], &s[k + 1, 0, 0], act,
                               kp + k * B if kp else NULL, B, H)


def rnn_backward(real[:, :, ::1] g, real[:, ::1] R, real[:, :, ::1] dg, real[:, ::1] dh,
                 real[:, ::1] work, int act, real[:, :, ::1] dy=None,
                 const unsigned char[:, ::1] keep=None, int nt=1):
    """Back through ``T`` Elman steps (``g`` holds the activated outputs)."""
    cdef Py_ssize_t T, B, H
    T, B, H = _dims(g, R, 1)
    _check_state("dg", dg, T, B, H)
    _check_2d("dh", dh, B, H)
    _check_2d("work", work, B, H)
    if act not in ACTIVATIONS.values():
        raise ValueError(f"unknown activation code {act}")
    cdef real* yp = _dy(dy, T, B, H)
    cdef const unsigned char* kp = _keep(keep, T, B)
    if T == 0 or B == 0:
        return
    cdef real* cur = &dh[0, 0]
    cdef real* nxt = &work[0, 0]
    cdef real* tmp
    cdef Py_ssize_t k, bh = B * H
    with nogil:
        for k in range(T - 1, -1, -1):
            if real is float:
                dh_rnn_bwd_f32(&g[k, 0, 0], cur, yp + k * bh if yp else NULL, &dg[k, 0, 0], nxt,
                               act, kp + k * B if kp else NULL, B, H)
            else:
                dh_rnn_bwd_f64(&g[k, 0, 0], cur, yp + k * bh if yp else NULL, &dg[k, 0, 0], nxt,
                               act, kp + k * B if kp else NULL, B, H)
            _pgemm(<char>'N', <char>'N', <int>B, <int>H, <int>H, &dg[k, 0, 0], <int>H, &R[0, 0], <int>H, 1,
                   nxt, <int>H, nt)
            tmp = cur
            cur = nxt
            nxt = tmp
        if cur != &dh[0, 0]:
            memcpy(&dh[0, 0], cur, bh * sizeof(real))
