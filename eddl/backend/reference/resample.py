"""Separable resampling of the reference backend (nearest and (bi/tri)linear up/down-sampling).

Along each spatial axis, nearest and linear interpolation are linear maps, so resampling is a
product with one small ``out x in`` matrix per axis; the backward pass multiplies by the
transposes. The matrices follow ONNX ``Resize`` coordinate transformation modes.
"""

import numpy as np

__all__ = ["resample_matrix", "resample", "resample_backward", "MODES", "TRANSFORMS"]

MODES = ("nearest", "linear")
TRANSFORMS = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")


def _source(n_in, n_out, transform):
    o = np.arange(n_out, dtype=np.float64)
    scale = n_out / n_in
    if transform == "half_pixel":
        return (o + 0.5) / scale - 0.5
    if transform == "pytorch_half_pixel":
        return (o + 0.5) / scale - 0.5 if n_out > 1 else np.zeros(n_out)
    if transform == "align_corners":
        return o * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros(n_out)
    if transform == "asymmetric":
        return o / scale
    raise ValueError(f"resample: unknown coordinate transformation {transform!r}; valid: {TRANSFORMS}")


def resample_matrix(n_in, n_out, mode="nearest", transform="asymmetric", dtype=np.float32):
    """Return the ``n_out x n_in`` matrix resampling one axis.

    Parameters
    ----------
    n_in, n_out : int
        Input and output lengths.
    mode : {"nearest", "linear"}
    transform : str
        ONNX coordinate transformation mode (one of :data:`TRANSFORMS`).
    dtype : numpy dtype

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> resample_matrix(2, 4, "nearest")
    array([[1., 0.],
           [1., 0.],
           [0., 1.],
           [0., 1.]], dtype=float32)
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"resample: sizes must be positive, got {n_in} -> {n_out}")
    if mode not in MODES:
        raise ValueError(f"resample: unknown mode {mode!r}; valid: {MODES}")
    src = _source(n_in, n_out, transform)
    m = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if mode == "nearest":
        # ONNX's default nearest rounding for asymmetric is floor; round-half-down otherwise
        idx = np.floor(src) if transform == "asymmetric" else np.ceil(src - 0.5)
        m[rows, np.clip(idx.astype(np.int64), 0, n_in - 1)] = 1.0
    else:
        src = np.clip(src, 0, n_in - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, n_in - 1)
        f = src - lo
        np.add.at(m, (rows, lo), 1.0 - f)
        np.add.at(m, (rows, hi), f)
    return m.astype(dtype)


def _apply(x, out, mats, transpose):
    nsp = x.ndim - 2
    if len(mats) != nsp:
        raise ValueError(f"resample: {len(mats)} matrices for {nsp} spatial axes")
    cur = x
    axes = range(nsp) if not transpose else reversed(range(nsp))
    for step, i in enumerate(axes):
        m = mats[i].T if transpose else mats[i]
        if m.shape[1] != cur.shape[2 + i]:
            raise ValueError(f"resample: matrix {m.shape} does not fit axis {i} of {cur.shape}")
        lead = int(np.prod(cur.shape[:2 + i]))
        t = cur.reshape(lead, cur.shape[2 + i], -1)
        shape = cur.shape[:2 + i] + (m.shape[0],) + cur.shape[3 + i:]
        last = step == nsp - 1
        dst = out if last else np.empty(shape, dtype=x.dtype)
        if dst.shape != shape:
            raise ValueError(f"resample: output shape {dst.shape}, expected {shape}")
        np.matmul(m, t, out=dst.reshape(lead, m.shape[0], -1))
        cur = dst
    return out


def resample(x, out, mats):
    """``out`` = ``x`` resampled along every spatial axis by ``mats`` (one matrix per axis).

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    return _apply(x, out, mats, False)


def resample_backward(dy, dx, mats, accumulate=False):
    """``dx (=|+=)`` the gradient of :func:`resample` (the transposed maps).

    Returns
    -------
    numpy.ndarray
        ``dx``.
    """
    if accumulate:
        dx += _apply(dy, np.empty_like(dx), mats, True)
        return dx
    return _apply(dy, dx, mats, True)
