"""Fused time loops of the recurrent layers on the CPU: the optional ``rnn`` kernel family.

A recurrent layer (``eddl.layers.recurrent``) first projects the inputs of every step with
one GEMM, then hands the whole sequence of one direction to a function here. Each step runs
one GEMM with the recurrent weights (SciPy's BLAS) and one fused pass that applies the gate
non-linearities, updates the cell and writes the state (forward), or computes every gate
gradient (backward), all without the GIL and without allocating. The GEMMs follow the
backend's thread policy (one BLAS thread; large products split over the OpenMP threads).

Layout: every buffer is C-contiguous and time-major in the processing order of the
direction, ``T`` steps of ``B`` rows: gates ``g`` ``[T, B, G*H]`` (ONNX's gate order),
states ``s`` ``[T + 1, B, H]`` (``s[0]`` the initial state), ``keep`` ``[T, B]`` booleans or
None (a 0 holds that row's states over that step). A backend without this family (the
reference backend, for one) leaves the layers on their step-by-step form.

Examples
--------
>>> import numpy as np
>>> from eddl.backend.cpu import rnn
>>> T, B, H = 3, 2, 4
>>> g = np.zeros((T, B, H), np.float32); s = np.zeros((T + 1, B, H), np.float32)
>>> s[0] = 1
>>> R = np.eye(H, dtype=np.float32)
>>> rnn.rnn_forward(g, R, s, "none")
>>> s[-1, 0].tolist()
[1.0, 1.0, 1.0, 1.0]
"""

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _rnn
from .blas_policy import SERIAL_MACS, _with_one_blas_thread, blas_thread_hooks

__all__ = ["ACTIVATIONS", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
           "rnn_forward", "rnn_backward"]

#: activations of the Elman cell (those of :class:`eddl.layers.RNN`)
ACTIVATIONS = tuple(_rnn.ACTIVATIONS)


def _floats(**arrays):
    """Check that the named arrays share one float dtype and are C-contiguous."""
    dt = None
    for name, a in arrays.items():
        if a is None:
            continue
        if not isinstance(a, np.ndarray):
            raise TypeError(f"rnn: {name} must be a NumPy array, got {type(a).__name__}")
        if a.dtype not in (np.float32, np.float64):
            raise TypeError(f"rnn: {name} must be float32 or float64, got {a.dtype}")
        if dt is None:
            dt = a.dtype
        elif a.dtype != dt:
            raise TypeError(f"rnn: {name} is {a.dtype} but the other arrays are {dt}")
        if not a.flags.c_contiguous:
            raise ValueError(f"rnn: {name} must be C-contiguous")


def _keep(keep):
    if keep is None:
        return None
    if not isinstance(keep, np.ndarray) or keep.dtype not in (np.bool_, np.uint8):
        raise TypeError("rnn: keep must be a bool or uint8 NumPy array")
    if not keep.flags.c_contiguous:
        raise ValueError("rnn: keep must be C-contiguous")
    return keep.view(np.uint8)


def _run(fn, g, R, *args):
    """Call the time loop ``fn`` under the backend's GEMM thread policy (blas_policy.py).

    BLAS runs on one thread; a step's product of at least :data:`SERIAL_MACS` multiply-adds
    splits its columns over the kernels' OpenMP threads, a smaller one runs whole. Without
    control over BLAS's threads (no threadpoolctl, another BLAS) BLAS keeps its own threading
    and the loop does not add OpenMP threads on top.
    """
    hooks = blas_thread_hooks()
    if hooks is None:
        return fn(g, R, *args, 1)
    macs = g.shape[1] * g.shape[2] * R.shape[1]
    nt = get_num_threads() if macs >= SERIAL_MACS else 1
    return _with_one_blas_thread(hooks, fn, g, R, *args, nt)


def _act(activation):
    try:
        return _rnn.ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(f"rnn: activation={activation!r} is invalid; valid: "
                         f"{list(ACTIVATIONS)}") from None


def lstm_forward(g, R, s, c, tc, keep=None):
    """Run the LSTM steps of one direction.

    Parameters
    ----------
    g : numpy.ndarray
        ``[T, B, 4H]``: the input projections plus both biases on entry, the activated gates
        ``i, o, f, c`` on return (kept for backward).
    R : numpy.ndarray
        ``[4H, H]``, the recurrent weights of this direction.
    s, c : numpy.ndarray
        ``[T + 1, B, H]``: ``h`` and the cell state, ``[0]`` the initial ones.
    tc : numpy.ndarray
        ``[T, B, H]``, receives ``tanh(c_t)``.
    keep : numpy.ndarray, optional
        ``[T, B]``; a false entry holds that row's states over that step.
    """
    _floats(g=g, R=R, s=s, c=c, tc=tc)
    _run(_rnn.lstm_forward, g, R, s, c, tc, _keep(keep))


def lstm_backward(g, R, c, tc, dg, dh, dc, work, dy=None, keep=None):
    """Back-propagate through the LSTM steps of one direction.

    Parameters
    ----------
    g, R, c, tc, keep
        As :func:`lstm_forward` left them.
    dg : numpy.ndarray
        ``[T, B, 4H]``, receives the gradients of the gate pre-activations.
    dh, dc : numpy.ndarray
        ``[B, H]``: the gradients of the final ``h`` and ``c`` on entry, of the initial ones on
        return.
    work : numpy.ndarray
        ``[B, H]`` scratch.
    dy : numpy.ndarray, optional
        ``[T, B, H]``, the gradient of each step's output ``h``.
    """
    _floats(g=g, R=R, c=c, tc=tc, dg=dg, dh=dh, dc=dc, work=work, dy=dy)
    _run(_rnn.lstm_backward, g, R, c, tc, dg, dh, dc, work, dy, _keep(keep))


def gru_forward(g, R, rbh, s, e, linear_before_reset, keep=None):
    """Run the GRU steps of one direction.

    Parameters
    ----------
    g : numpy.ndarray
        ``[T, B, 3H]``: the input projections plus ``Wb + Rb`` (``z``, ``r``), plus ``Wb_h``
        (``h``; plus ``Rb_h`` too without ``linear_before_reset``) on entry, the activated
        ``z, r, n`` on return.
    R : numpy.ndarray
        ``[3H, H]``.
    rbh : numpy.ndarray
        ``[H]``, the recurrent bias of the ``h`` gate (read with ``linear_before_reset``).
    s : numpy.ndarray
        ``[T + 1, B, H]``, ``s[0]`` the initial state.
    e : numpy.ndarray
        Kept for backward: ``[T, B, 3H]``, ``h R^T`` (+ ``Rb_h``) with ``linear_before_reset``;
        ``[T, B, H]``, ``r * h``, without.
    linear_before_reset : bool
    keep : numpy.ndarray, optional
        As in :func:`lstm_forward`.
    """
    _floats(g=g, R=R, rbh=rbh, s=s, e=e)
    _run(_rnn.gru_forward, g, R, rbh, s, e, bool(linear_before_reset), _keep(keep))


def gru_backward(g, R, s, e, dg, de, dh, work, linear_before_reset, dy=None, keep=None):
    """Back-propagate through the GRU steps of one direction.

    Parameters
    ----------
    g, R, s, e, linear_before_reset, keep
        As :func:`gru_forward` left them.
    dg : numpy.ndarray
        ``[T, B, 3H]``, receives the gradients of the input projections.
    de : numpy.ndarray
        Shaped like ``e``: with ``linear_before_reset``, receives the gradients of ``h R^T``
        (for ``R``'s gradient); without, scratch.
    dh, work, dy
        As in :func:`lstm_backward`.
    """
    _floats(g=g, R=R, s=s, e=e, dg=dg, de=de, dh=dh, work=work, dy=dy)
    _run(_rnn.gru_backward, g, R, s, e, dg, de, dh, work, bool(linear_before_reset), dy,
         _keep(keep))


def rnn_forward(g, R, s, activation, keep=None):
    """Run the Elman steps of one direction: ``s[k+1] = act(g[k] + s[k] R^T)``.

    Parameters
    ----------
    g : numpy.ndarray
        ``[T, B, H]``: input projections (+ biases) on entry, activated outputs on return.
    R : numpy.ndarray
        ``[H, H]``.
    s : numpy.ndarray
        ``[T + 1, B, H]``.
    activation : str
        One of :data:`ACTIVATIONS`.
    keep : numpy.ndarray, optional
        As in :func:`lstm_forward`.
    """
    code = _act(activation)
    _floats(g=g, R=R, s=s)
    _run(_rnn.rnn_forward, g, R, s, code, _keep(keep))


def rnn_backward(g, R, dg, dh, work, activation, dy=None, keep=None):
    """Back-propagate through the Elman steps of one direction (see :func:`lstm_backward`)."""
    code = _act(activation)
    _floats(g=g, R=R, dg=dg, dh=dh, work=work, dy=dy)
    _run(_rnn.rnn_backward, g, R, dg, dh, work, code, dy, _keep(keep))
