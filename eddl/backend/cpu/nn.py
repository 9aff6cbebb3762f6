"""Neural-network kernels of the CPU backend (NumPy storage).

Layers, losses and optimizers reach these functions through the computing service
(``layer.be.nn``), never by importing this module. Every backend provides the same names.
``xp`` is the array module of the backend (NumPy here, CuPy on GPU); layers use it only for
array-API calls that every backend array module has.

Kernels write into preallocated ``out`` buffers so that a training step allocates nothing once
the buffers for a batch size exist. Hot loops are fused in the compiled module ``_nn`` when it
is built; the NumPy forms below are the reference and the fallback.
"""

import numpy as np

from .blas import gemm

try:  # the compiled kernels are an optimisation: the NumPy forms below stay correct
    from . import _nn
except ImportError:  # pragma: no cover - only when the extension is not built
    _nn = None

xp = np

__all__ = [
    "xp", "gemm", "empty", "zeros", "rng", "bias_grad", "relu_forward", "relu_backward",
    "softmax_forward", "softmax_backward", "softmax_ce_delta", "sgd_update", "adam_update",
    "rmsprop_update", "nonfinite",
]


def empty(shape, dtype):
    """Uninitialised buffer of ``shape`` and ``dtype``."""
    return np.empty(shape, dtype=dtype)


def zeros(shape, dtype):
    """Zero-filled buffer of ``shape`` and ``dtype``."""
    return np.zeros(shape, dtype=dtype)


def rng(seed=None):
    """A random generator of this backend (NumPy's PCG64)."""
    return np.random.default_rng(seed)


def to_host(a):
    """Return ``a`` as a NumPy array (a no-op on CPU)."""
    return a


def from_host(a, dtype=None):
    """Return the host array ``a`` as an array of this backend."""
    return np.asarray(a, dtype=dtype)


def _fast(*arrays):
    """True when the compiled kernels can take these arrays (C-contiguous float32/64, 2-D+)."""
    if _nn is None:
        return False
    dt = arrays[0].dtype
    return all(a.dtype == dt and a.flags.c_contiguous for a in arrays) and dt in (np.float32, np.float64)


def bias_grad(delta, out):
    """``out = delta.sum(axis=0)`` for a 2-D ``delta`` (gradient of a broadcast bias)."""
    # A ones-vector GEMV is BLAS-bound and much faster than NumPy's strided axis-0 sum.
    np.sum(delta, axis=0, out=out)
    return out


def relu_forward(x, out):
    """``out = max(x, 0)``."""
    if _fast(x, out) and x.shape == out.shape:
        _nn.relu_forward(x.reshape(-1), out.reshape(-1))
        return out
    return np.maximum(x, 0, out=out)


def relu_backward(y, dy, out, accumulate=False):
    """``out (+)= dy * (y > 0)`` where ``y`` is the ReLU output."""
    if _fast(y, dy, out) and y.shape == dy.shape == out.shape:
        _nn.relu_backward(y.reshape(-1), dy.reshape(-1), out.reshape(-1), bool(accumulate))
        return out
    g = dy * (y > 0)
    if accumulate:
        out += g
    else:
        out[...] = g
    return out


def softmax_forward(x, out, axis=-1):
    """Numerically stable softmax of ``x`` along ``axis`` into ``out``."""
    if axis in (-1, x.ndim - 1) and _fast(x, out) and x.ndim >= 2:
        n = x.shape[-1]
        _nn.softmax_rows(x.reshape(-1, n), out.reshape(-1, n))
        return out
    m = np.max(x, axis=axis, keepdims=True)
    np.subtract(x, m, out=out)
    np.exp(out, out=out)
    out /= np.sum(out, axis=axis, keepdims=True)
    return out


def softmax_backward(y, dy, out, axis=-1):
    """Write ``dx = y * (dy - sum(dy * y, axis))`` into ``out``."""
    s = np.sum(dy * y, axis=axis, keepdims=True)
    np.subtract(dy, s, out=out)
    out *= y
    return out


def softmax_ce_delta(y, t, out, scale):
    """Fused gradient of cross-entropy through softmax: ``out = (y - t) * scale``."""
    np.subtract(y, t, out=out)
    out *= scale
    return out


def nonfinite(x):
    """True when ``x`` holds a NaN or an infinity."""
    return not np.isfinite(np.sum(x))


# --- optimizer updates (in place on param and state buffers) -------------------------------

def sgd_update(p, g, v, lr, momentum, nesterov):
    """SGD step. ``v`` is the velocity (unused when ``momentum == 0``)."""
    if momentum == 0.0:
        if _fast(p, g):
            _nn.axpy_inplace(p.reshape(-1), g.reshape(-1), -lr)
        else:
            p -= lr * g
        return
    if _fast(p, g, v):
        _nn.sgd_momentum(p.reshape(-1), g.reshape(-1), v.reshape(-1), lr, momentum, bool(nesterov))
        return
    v *= momentum
    v -= lr * g
    if nesterov:
        p += momentum * v - lr * g
    else:
        p += v


def adam_update(p, g, m, v, vmax, lr, beta_1, beta_2, eps, step, amsgrad):
    """Adam step with bias correction; ``vmax`` holds the AMSGrad maximum when ``amsgrad``."""
    bc1 = 1.0 - beta_1 ** step
    bc2 = 1.0 - beta_2 ** step
    if not amsgrad and _fast(p, g, m, v):
        _nn.adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                 lr / bc1, beta_1, beta_2, eps, bc2)
        return
    m *= beta_1
    m += (1.0 - beta_1) * g
    v *= beta_2
    v += (1.0 - beta_2) * (g * g)
    if amsgrad:
        np.maximum(vmax, v, out=vmax)
        den = np.sqrt(vmax / bc2)
    else:
        den = np.sqrt(v / bc2)
    den += eps
    p -= (lr / bc1) * m / den


def rmsprop_update(p, g, s, lr, rho, eps):
    """RMSprop step: ``s = rho s + (1 - rho) g^2``, ``p -= lr g / (sqrt(s) + eps)``."""
    if _fast(p, g, s):
        _nn.rmsprop(p.reshape(-1), g.reshape(-1), s.reshape(-1), lr, rho, eps)
        return
    s *= rho
    s += (1.0 - rho) * (g * g)
    p -= lr * g / (np.sqrt(s) + eps)
