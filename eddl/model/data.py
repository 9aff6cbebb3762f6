"""Turning user data (NumPy arrays, eddl Tensors, nested lists) into batches.

User data stays on the host; a batch is gathered straight into the preallocated input and
target buffers of the model, so no per-batch array is created.
"""

import numpy as np

__all__ = ["as_array", "as_arrays", "check_arrays", "batch_count", "gather"]


def as_array(x, what):
    """Return a NumPy view (or, for other containers, a copy) of ``x``."""
    if isinstance(x, np.ndarray):
        return x
    for attr in ("getdata", "numpy"):  # eddl Tensor and array-like objects
        f = getattr(x, attr, None)
        if callable(f) and not hasattr(x, "__array__"):
            return np.asarray(f())
    try:
        a = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"{what}: cannot read {type(x).__name__} as an array ({exc})") from None
    if a.dtype == object:
        raise TypeError(f"{what}: ragged or non-numeric data of type {type(x).__name__}")
    return a


def as_arrays(xs, count, what):
    """``xs`` as a list of ``count`` arrays (a single array is accepted when ``count == 1``)."""
    if not isinstance(xs, (list, tuple)):
        xs = [xs]
    if len(xs) != count:
        raise ValueError(f"{what}: expected {count} array(s), got {len(xs)}")
    out = []
    for i, x in enumerate(xs):
        a = as_array(x, f"{what}[{i}]")
        if a.ndim < 1:
            raise ValueError(f"{what}[{i}]: needs a batch dimension, got a scalar")
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
            raise TypeError(f"{what}[{i}]: numeric data needed, got dtype {a.dtype}")
        out.append(a)
    return out


def check_arrays(xs, layers, what):
    """As :func:`as_arrays`, also checking each sample shape against its input layer."""
    arrays = as_arrays(xs, len(layers), what)
    for i, (a, l) in enumerate(zip(arrays, layers)):
        if tuple(a.shape[1:]) != tuple(l.shape) and not _shorter_sequence(a, l):
            raise ValueError(f"{what}[{i}]: samples of shape {list(a.shape[1:])} do not match input "
                             f"layer {l.name!r} of shape {list(l.shape)} (data shape {list(a.shape)})")
    return arrays


def _shorter_sequence(a, layer):
    """Tell whether ``a`` holds sequences no longer than a variable-length ``layer`` takes.

    Inputs feeding recurrent layers through their time axis accept such batches: the first
    sample axis (time) may be shorter, the others must match.
    """
    return (getattr(layer, "variable_steps", False) and a.ndim == len(layer.shape) + 1
            and 1 <= a.shape[1] <= layer.shape[0] and tuple(a.shape[2:]) == tuple(layer.shape[1:]))


def steps_of(a, layer):
    """Return the steps of a shorter sequence batch ``a`` for ``layer``, or None (full length)."""
    return a.shape[1] if a.shape[1:] != tuple(layer.shape) else None


def batch_count(arrays, indices, what):
    """Return the number of samples in this batch; all arrays must agree on their sample count."""
    counts = {a.shape[0] for a in arrays}
    if len(counts) != 1:
        raise ValueError(f"{what}: arrays hold different numbers of samples {[a.shape[0] for a in arrays]}")
    total = counts.pop()
    if indices is None:
        if total == 0:
            raise ValueError(f"{what}: no samples")
        return total
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"{what}: indices must be a non-empty 1-D list of ints")
    if idx.min() < -total or idx.max() >= total:
        raise IndexError(f"{what}: index out of range for {total} samples")
    return idx.size


def gather(src, indices, out, be):
    """Copy ``src`` (all rows, or rows ``indices``) into the buffer ``out``, casting."""
    be.from_host(src, out=out, rows=indices)
