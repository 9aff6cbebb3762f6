"""Activation kernels, fused loss gradients and optimizer updates of the reference backend.

These NumPy forms define the ``nn`` family of the contract; the CPU backend falls back to them
wherever its compiled kernels do not apply.
"""

import numpy as np

__all__ = ["bias_grad", "relu_forward", "relu_backward", "softmax_forward", "softmax_backward",
           "softmax_ce_delta", "nonfinite", "sgd_update", "adam_update", "rmsprop_update"]


def bias_grad(delta, out):
    """``out = delta.sum(axis=0)`` for a 2-D ``delta`` (gradient of a broadcast bias)."""
    np.sum(delta, axis=0, out=out)
    return out


def relu_forward(x, out):
    """``out = max(x, 0)``."""
    return np.maximum(x, 0, out=out)


def relu_backward(y, dy, out, accumulate=False):
    """``out (+)= dy * (y > 0)`` where ``y`` is the ReLU output."""
    g = dy * (y > 0)
    if accumulate:
        out += g
    else:
        out[...] = g
    return out


def softmax_forward(x, out, axis=-1):
    """Numerically stable softmax of ``x`` along ``axis`` into ``out``."""
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
    """Return True when ``x`` holds a NaN or an infinity."""
    return not np.isfinite(np.sum(x))


def sgd_update(p, g, v, lr, momentum, nesterov):
    """SGD step. ``v`` is the velocity (unused when ``momentum == 0``)."""
    if momentum == 0.0:
        p -= lr * g
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
    s *= rho
    s += (1.0 - rho) * (g * g)
    p -= lr * g / (np.sqrt(s) + eps)
