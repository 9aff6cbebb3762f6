"""The global random stream of eddl and the random tensor creators.

Every random draw of the library (``Tensor.randn``, ``fill_rand_*``, weight initialisers that
use :func:`get_generator`) comes from one NumPy ``Generator`` that :func:`manual_seed` resets,
so a seeded run is reproducible.
"""

import threading

import numpy as np

from ._base import TensorBase
from ._checks import as_dtype, is_scalar, norm_shape

__all__ = ["manual_seed", "set_seed", "get_generator", "RandomMixin"]

_lock = threading.Lock()
_generator = np.random.default_rng()


def manual_seed(seed):
    """Reset the global random stream so later random tensors are reproducible.

    Parameters
    ----------
    seed : int
        Non-negative seed.

    Examples
    --------
    >>> manual_seed(0); a = Tensor.randn([3])
    >>> manual_seed(0); bool((Tensor.randn([3]) == a).all())
    True
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    with _lock:
        _generator = np.random.default_rng(int(seed))


set_seed = manual_seed


def get_generator():
    """Return the global :class:`numpy.random.Generator` (reset by :func:`manual_seed`)."""
    return _generator


def _float_dtype(dtype, op):
    dt = as_dtype(dtype, f"{op}: dtype")
    if dt.kind != "f":
        raise TypeError(f"{op}: random values need a float dtype, got {dt.name}")
    return dt


class RandomMixin(TensorBase):
    """Random creators (static) and in-place random fills."""

    @classmethod
    def _random(cls, shape, dev, dtype, op, draw):
        from .creation import _placed
        shape = norm_shape(shape, f"{op}: shape")
        dt = _float_dtype(dtype, op)
        arr = draw(_generator, shape, dt)
        return _placed(cls, arr, dev)

    @classmethod
    def randu(cls, shape, dev=0, dtype="float32"):
        """Uniform random values in ``[0, 1)``.

        Parameters
        ----------
        shape : sequence of int
        dev : int, default DEV_CPU
        dtype : str or numpy.dtype, default "float32"

        Returns
        -------
        Tensor
        """
        return cls._random(shape, dev, dtype, "randu", lambda g, s, d: g.random(s, dtype=d))

    rand = randu

    @classmethod
    def randn(cls, shape, dev=0, dtype="float32"):
        """Return standard normal random values (see :meth:`randu` for the parameters)."""
        return cls._random(shape, dev, dtype, "randn",
                           lambda g, s, d: g.standard_normal(s, dtype=d))

    @classmethod
    def rand_uniform(cls, shape, low=0.0, high=1.0, dev=0, dtype="float32"):
        """Uniform random values in ``[low, high)``."""
        if not low <= high:
            raise ValueError(f"rand_uniform: low {low} is greater than high {high}")
        return cls._random(shape, dev, dtype, "rand_uniform",
                           lambda g, s, d: (g.random(s, dtype=d) * d.type(high - low)
                                            + d.type(low)).astype(d, copy=False))

    @classmethod
    def rand_normal(cls, shape, mean=0.0, std=1.0, dev=0, dtype="float32"):
        """Return normal random values with the given mean and standard deviation."""
        if std < 0:
            raise ValueError(f"rand_normal: std must be non-negative, got {std}")
        return cls._random(shape, dev, dtype, "rand_normal",
                           lambda g, s, d: (g.standard_normal(s, dtype=d) * d.type(std)
                                            + d.type(mean)).astype(d, copy=False))

    @classmethod
    def rand_binary(cls, shape, p=0.5, dev=0, dtype="float32"):
        """Random 0/1 values, 1 with probability ``p``."""
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"rand_binary: p must be in [0, 1], got {p}")
        return cls._random(shape, dev, dtype, "rand_binary",
                           lambda g, s, d: (g.random(s) < p).astype(d))

    @classmethod
    def randint(cls, low, high, shape, dev=0, dtype="int64"):
        """Random integers in ``[low, high)``."""
        from .creation import _placed
        dt = as_dtype(dtype, "randint: dtype")
        if low >= high:
            raise ValueError(f"randint: low {low} must be smaller than high {high}")
        shape = norm_shape(shape, "randint: shape")
        return _placed(cls, _generator.integers(low, high, shape).astype(dt), dev)

    def _fill_random(self, values, op):
        if self._data.dtype.kind != "f":
            raise TypeError(f"{op}: needs a float tensor, got {self._data.dtype.name}")
        self._data[...] = values
        return self

    def fill_rand_uniform_(self, v=1.0):
        """Fill with uniform values in ``[0, v)``; returns this tensor."""
        return self._fill_random(_generator.random(self.shape) * v, "fill_rand_uniform_")

    def fill_rand_signed_uniform_(self, v=1.0):
        """Fill with uniform values in ``[-v, v)``; returns this tensor."""
        return self._fill_random((_generator.random(self.shape) * 2 - 1) * v,
                                 "fill_rand_signed_uniform_")

    def fill_rand_normal_(self, m=0.0, s=1.0, fast_math=True):
        """Fill with normal values of mean ``m`` and deviation ``s``; returns this tensor."""
        if not (is_scalar(m) and is_scalar(s)) or s < 0:
            raise ValueError(f"fill_rand_normal_: need numbers with s >= 0, got m={m!r}, s={s!r}")
        return self._fill_random(_generator.standard_normal(self.shape) * s + m,
                                 "fill_rand_normal_")

    def fill_rand_binary_(self, v=0.5):
        """Fill with 1 where a uniform draw is below ``v``, else 0; returns this tensor."""
        return self._fill_random(_generator.random(self.shape) < v, "fill_rand_binary_")

    # EDDL's out-of-place forms return a new tensor of this shape, dtype and device, filled
    # from the same stream (src/tensor/tensor_generator.cpp)
    def fill_rand_uniform(self, v=1.0):
        """Return a new tensor like this one with uniform values in ``[0, v)``."""
        return self.clone().fill_rand_uniform_(v)

    def fill_rand_signed_uniform(self, v=1.0):
        """Return a new tensor like this one with uniform values in ``[-v, v)``."""
        return self.clone().fill_rand_signed_uniform_(v)

    def fill_rand_normal(self, m=0.0, s=1.0, fast_math=True):
        """Return a new tensor like this one with normal values (mean ``m``, deviation ``s``)."""
        return self.clone().fill_rand_normal_(m, s, fast_math)

    def fill_rand_binary(self, v=0.5):
        """Return a new tensor like this one with 1 where a uniform draw is below ``v``, else 0."""
        return self.clone().fill_rand_binary_(v)
