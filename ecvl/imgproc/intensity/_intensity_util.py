"""Helpers shared by the intensity and noise operations (random generators, dtype scale)."""

import numpy as np

from ...core.errors import EcvlValueError
from .._kernutil import saturate_cast

__all__ = []


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _full_scale(dtype):
    return 1.0 if np.dtype(dtype).kind == "f" else float(np.iinfo(dtype).max)


def _wide(a):
    return a.astype(np.float64) if a.dtype != np.float32 else a


def _finish(values, like):
    return saturate_cast(values, like.dtype) if like.dtype.kind != "f" else \
        values.astype(like.dtype, copy=False)


def _per_channel(value, nch, op, name):
    v = np.asarray(value, dtype=np.float64).ravel()
    if v.size not in (1, nch):
        raise EcvlValueError(f"{op}: {name} needs 1 or {nch} values, got {value!r}")
    return v

