"""Reductions of the CPU backend.

Contract shared by every backend: ``reduce(name, x, axis=None, keepdims=False)`` where
``axis`` is None (all axes), an int or a tuple of ints, already validated by the caller.
"""

import numpy as np

__all__ = ["REDUCTIONS", "reduce"]

REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "std": np.std, "var": np.var, "argmax": np.argmax, "argmin": np.argmin,
    "median": np.median, "all": np.all, "any": np.any,
}


def reduce(name, x, axis=None, keepdims=False):
    """Reduce ``x`` with ``name`` (one of :data:`REDUCTIONS`) over ``axis``."""
    try:
        fn = REDUCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown reduction {name!r}") from None
    return fn(x, axis=axis, keepdims=keepdims)
