"""Neural-network kernels of the CPU backend: the ``nn`` family of the backend contract.

Layers, losses and optimizers reach these functions through the computing service
(``layer.be.nn``), never by importing this module. Hot loops are fused in the compiled module
``_nn``; where it does not apply (dtype, layout) the NumPy forms of the reference backend
compute the result.
"""

import numpy as np

from ..reference import nn as _ref

try:  # the compiled kernels are an optimisation: the NumPy forms stay correct
    from . import _nn
except ImportError:  # pragma: no cover - only when the extension is not built
    _nn = None

__all__ = [
    "bias_grad", "relu_forward", "relu_backward", "softmax_forward", "softmax_backward",
    "softmax_ce_delta", "sgd_update", "adam_update", "rmsprop_update", "nonfinite",
]

bias_grad = _ref.bias_grad
softmax_backward = _ref.softmax_backward
softmax_ce_delta = _ref.softmax_ce_delta
nonfinite = _ref.nonfinite


def _fast(*arrays):
    """Return True when the compiled kernels can take these arrays (C-contiguous float32/64, 2-D+)."""
    if _nn is None:
        return False
    dt = arrays[0].dtype
    return all(a.dtype == dt and a.flags.c_contiguous for a in arrays) and dt in (np.float32, np.float64)


def relu_forward(x, out):
    """``out = max(x, 0)``."""
    if _fast(x, out) and x.shape == out.shape:
        _nn.relu_forward(x.reshape(-1), out.reshape(-1))
        return out
    return _ref.relu_forward(x, out)


def relu_backward(y, dy, out, accumulate=False):
    """``out (+)= dy * (y > 0)`` where ``y`` is the ReLU output."""
    if _fast(y, dy, out) and y.shape == dy.shape == out.shape:
        _nn.relu_backward(y.reshape(-1), dy.reshape(-1), out.reshape(-1), bool(accumulate))
        return out
    return _ref.relu_backward(y, dy, out, accumulate)


def softmax_forward(x, out, axis=-1):
    """Numerically stable softmax of ``x`` along ``axis`` into ``out``."""
    if axis in (-1, x.ndim - 1) and _fast(x, out) and x.ndim >= 2:
        n = x.shape[-1]
        _nn.softmax_rows(x.reshape(-1, n), out.reshape(-1, n))
        return out
    return _ref.softmax_forward(x, out, axis)


# --- optimizer updates (in place on param and state buffers) -------------------------------

def sgd_update(p, g, v, lr, momentum, nesterov):
    """SGD step. ``v`` is the velocity (unused when ``momentum == 0``)."""
    if momentum == 0.0:
        if _fast(p, g):
            _nn.axpy_inplace(p.reshape(-1), g.reshape(-1), -lr)
            return
    elif _fast(p, g, v):
        _nn.sgd_momentum(p.reshape(-1), g.reshape(-1), v.reshape(-1), lr, momentum, bool(nesterov))
        return
    _ref.sgd_update(p, g, v, lr, momentum, nesterov)


def adam_update(p, g, m, v, vmax, lr, beta_1, beta_2, eps, step, amsgrad):
    """Adam step with bias correction; ``vmax`` holds the AMSGrad maximum when ``amsgrad``."""
    if not amsgrad and _fast(p, g, m, v):
        bc1 = 1.0 - beta_1 ** step
        bc2 = 1.0 - beta_2 ** step
        _nn.adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                 lr / bc1, beta_1, beta_2, eps, bc2)
        return
    _ref.adam_update(p, g, m, v, vmax, lr, beta_1, beta_2, eps, step, amsgrad)


def rmsprop_update(p, g, s, lr, rho, eps):
    """RMSprop step: ``s = rho s + (1 - rho) g^2``, ``p -= lr g / (sqrt(s) + eps)``."""
    if _fast(p, g, s):
        _nn.rmsprop(p.reshape(-1), g.reshape(-1), s.reshape(-1), lr, rho, eps)
        return
    _ref.rmsprop_update(p, g, s, lr, rho, eps)
