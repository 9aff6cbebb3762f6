# cython: language_level=3
"""Fused element-wise kernels for training (ReLU, softmax rows, optimizer updates).

Callers (``nn.py``) check dtype, contiguity and matching sizes before calling; the loops here
only index within the lengths of the arrays they are given.
"""

from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf, exp, expf

from _deephealth.runtime import get_num_threads

ctypedef fused real:
    float
    double

# Below this many elements the OpenMP fork/join costs more than the loop.
cdef Py_ssize_t _PAR_MIN = 32768


cdef inline int _threads(Py_ssize_t n):
    if n < _PAR_MIN:
        return 1
    return get_num_threads()


def relu_forward(real[::1] x, real[::1] out):
    cdef Py_ssize_t i, n = min(x.shape[0], out.shape[0])
    cdef int nt = _threads(n)
    with nogil:
        for i in prange(n, num_threads=nt, schedule='static'):
            # written so that NaN propagates (NaN < 0 is false), as in NumPy and PyTorch
            out[i] = 0 if x[i] < 0 else x[i]


def relu_backward(real[::1] y, real[::1] dy, real[::1] out, bint accumulate):
    cdef Py_ssize_t i, n = min(y.shape[0], min(dy.shape[0], out.shape[0]))
    cdef int nt = _threads(n)
    cdef real d
    # dy is read unconditionally and selected, never branched on: the loops vectorise, and
    # a branch on the sign of the activations mispredicts about every other element
    with nogil:
        if accumulate:
            for i in prange(n, num_threads=nt, schedule='static'):
                d = dy[i]
                out[i] = out[i] + (d if y[i] > 0 else 0)
        else:
            for i in prange(n, num_threads=nt, schedule='static'):
                d = dy[i]
                out[i] = d if y[i] > 0 else 0


def softmax_rows(real[:, ::1] x, real[:, ::1] out):
    cdef Py_ssize_t r, j, rows = x.shape[0], cols = x.shape[1]
    cdef real m, s
    cdef int nt = _threads(rows * cols)
    with nogil:
        for r in prange(rows, num_threads=nt, schedule='static'):
            m = x[r, 0]
            for j in range(1, cols):
                if x[r, j] > m:
                    m = x[r, j]
            s = 0
            for j in range(cols):
                if real is float:
                    out[r, j] = expf(x[r, j] - m)
                else:
                    out[r, j] = exp(x[r, j] - m)
                s = s + out[r, j]
            s = 1 / s
            for j in range(cols):
                out[r, j] = out[r, j] * s


def axpy_inplace(real[::1] p, real[::1] g, double alpha):
    cdef Py_ssize_t i, n = min(p.shape[0], g.shape[0])
    cdef real a = <real>alpha
    cdef int nt = _threads(n)
    with nogil:
        for i in prange(n, num_threads=nt, schedule='static'):
            p[i] = p[i] + a * g[i]


def sgd_momentum(real[::1] p, real[::1] g, real[::1] v, double lr, double momentum, bint nesterov):
    cdef Py_ssize_t i, n = min(p.shape[0], min(g.shape[0], v.shape[0]))
    cdef real a = <real>lr, mu = <real>momentum
    cdef int nt = _threads(n)
    with nogil:
        if nesterov:
            for i in prange(n, num_threads=nt, schedule='static'):
                v[i] = mu * v[i] - a * g[i]
                p[i] = p[i] + mu * v[i] - a * g[i]
        else:
            for i in prange(n, num_threads=nt, schedule='static'):
                v[i] = mu * v[i] - a * g[i]
                p[i] = p[i] + v[i]


def rmsprop(real[::1] p, real[::1] g, real[::1] s, double lr, double rho, double eps):
    cdef Py_ssize_t i, n = min(p.shape[0], min(g.shape[0], s.shape[0]))
    cdef real a = <real>lr, r = <real>rho, e = <real>eps, q
    cdef int nt = _threads(n)
    with nogil:
        for i in prange(n, num_threads=nt, schedule='static'):
            s[i] = r * s[i] + (1 - r) * g[i] * g[i]
            if real is float:
                q = sqrtf(s[i])
            else:
                q = sqrt(s[i])
            p[i] = p[i] - a * g[i] / (q + e)


def adam(real[::1] p, real[::1] g, real[::1] m, real[::1] v, double step_size,
         double beta_1, double beta_2, double eps, double bc2):
    cdef Py_ssize_t i, n = min(min(p.shape[0], g.shape[0]), min(m.shape[0], v.shape[0]))
    cdef real a = <real>step_size, b1 = <real>beta_1, b2 = <real>beta_2, e = <real>eps
    cdef real ib = <real>(1.0 / bc2), q
    cdef int nt = _threads(n)
    with nogil:
        for i in prange(n, num_threads=nt, schedule='static'):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            if real is float:
                q = sqrtf(v[i] * ib)
            else:
                q = sqrt(v[i] * ib)
            p[i] = p[i] - a * m[i] / (q + e)
