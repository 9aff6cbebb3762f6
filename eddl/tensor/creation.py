"""Static creators of :class:`~eddl.Tensor` (zeros, ones, arange, eye, ...).

All take ``dev`` (a ``DEV_*`` code, CPU by default) as in PyEDDL and a keyword ``dtype``
(float32 by default).
"""

import math

import numpy as np

from ._base import TensorBase
from ._checks import as_dtype, is_scalar, norm_shape
from .device import DEV_CPU, backend_for, device_kind

__all__ = ["CreationMixin"]


def _placed(cls, arr, dev):
    """Wrap a host array as a tensor on ``dev``, moving it there when that is not the CPU."""
    if device_kind(dev) != "cpu":
        arr = backend_for(dev).from_host(arr)
    return cls._wrap(arr, int(dev))


def _number(v, what):
    if not is_scalar(v) or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{what} must be a number, got {type(v).__name__} {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {v!r}")
    return v


class CreationMixin(TensorBase):
    """Static creators."""

    @classmethod
    def _filled(cls, shape, value, dev, dtype, op):
        shape = norm_shape(shape, f"{op}: shape")
        dt = as_dtype(dtype, f"{op}: dtype")
        if value is None:
            return _placed(cls, np.empty(shape, dt), dev)
        return _placed(cls, np.full(shape, value, dt), dev)

    @classmethod
    def zeros(cls, shape, dev=DEV_CPU, dtype="float32"):
        """Tensor of zeros.

        Parameters
        ----------
        shape : sequence of int
        dev : int, default DEV_CPU
        dtype : str or numpy.dtype, default "float32"

        Returns
        -------
        Tensor

        Examples
        --------
        >>> Tensor.zeros([2, 3]).shape
        [2, 3]
        """
        return cls._filled(shape, 0, dev, dtype, "zeros")

    @classmethod
    def ones(cls, shape, dev=DEV_CPU, dtype="float32"):
        """Tensor of ones (parameters as in :meth:`zeros`)."""
        return cls._filled(shape, 1, dev, dtype, "ones")

    @classmethod
    def full(cls, shape, value, dev=DEV_CPU, dtype="float32"):
        """Tensor filled with ``value`` (parameters as in :meth:`zeros`)."""
        if not is_scalar(value):
            raise TypeError(f"full: value must be a number, got {type(value).__name__}")
        return cls._filled(shape, value, dev, dtype, "full")

    @classmethod
    def empty(cls, shape, dev=DEV_CPU, dtype="float32"):
        """Uninitialised tensor (parameters as in :meth:`zeros`)."""
        return cls._filled(shape, None, dev, dtype, "empty")

    @staticmethod
    def zeros_like(A):
        """Zeros with the shape, dtype and device of ``A``."""
        return type(A).zeros(A.shape, A.device, A.dtype)

    @staticmethod
    def ones_like(A):
        """Ones with the shape, dtype and device of ``A``."""
        return type(A).ones(A.shape, A.device, A.dtype)

    @staticmethod
    def full_like(A, value):
        """``value`` everywhere, with the shape, dtype and device of ``A``."""
        return type(A).full(A.shape, value, A.device, A.dtype)

    @staticmethod
    def empty_like(A):
        """Uninitialised, with the shape, dtype and device of ``A``."""
        return type(A).empty(A.shape, A.device, A.dtype)

    @classmethod
    def arange(cls, start, end, step=1.0, dev=DEV_CPU, dtype="float32"):
        """Values from ``start`` up to but excluding ``end`` in steps of ``step``.

        Parameters
        ----------
        start, end, step : float
        dev : int, default DEV_CPU
        dtype : str or numpy.dtype, default "float32"

        Returns
        -------
        Tensor
            ``ceil((end - start) / step)`` elements.

        Examples
        --------
        >>> Tensor.arange(0, 2, 0.5).numpy()
        array([0. , 0.5, 1. , 1.5], dtype=float32)
        """
        n = cls._count(start, end, step, "arange", math.ceil)
        return cls._seq(start, step, n, dev, dtype, "arange")

    @classmethod
    def range(cls, start, end, step=1.0, dev=DEV_CPU, dtype="float32"):
        """Like :meth:`arange` but with ``end`` included.

        The result has ``floor((end - start) / step) + 1`` elements.
        """
        n = cls._count(start, end, step, "range", lambda q: math.floor(q + 1e-9) + 1)
        return cls._seq(start, step, n, dev, dtype, "range")

    @staticmethod
    def _count(start, end, step, op, rule):
        start, end = _number(start, f"{op}: start"), _number(end, f"{op}: end")
        step = _number(step, f"{op}: step")
        if step == 0:
            raise ValueError(f"{op}: step must not be zero")
        return max(0, int(rule((end - start) / step)))

    @classmethod
    def _seq(cls, start, step, n, dev, dtype, op):
        dt = as_dtype(dtype, f"{op}: dtype")
        vals = start + step * np.arange(n, dtype=np.float64)
        return _placed(cls, vals.astype(dt), dev)

    @classmethod
    def linspace(cls, start, end, steps=100, dev=DEV_CPU, dtype="float32"):
        """Return ``steps`` evenly spaced values from ``start`` to ``end``, both included."""
        n = cls._steps(steps, "linspace")
        vals = np.linspace(_number(start, "linspace: start"), _number(end, "linspace: end"), n)
        return _placed(cls, vals.astype(as_dtype(dtype, "linspace: dtype")), dev)

    @classmethod
    def logspace(cls, start, end, steps=100, base=10.0, dev=DEV_CPU, dtype="float32"):
        """Return ``base ** linspace(start, end, steps)``."""
        n = cls._steps(steps, "logspace")
        vals = np.logspace(_number(start, "logspace: start"), _number(end, "logspace: end"), n,
                           base=_number(base, "logspace: base"))
        return _placed(cls, vals.astype(as_dtype(dtype, "logspace: dtype")), dev)

    @classmethod
    def geomspace(cls, start, end, steps=100, dev=DEV_CPU, dtype="float32"):
        """Return ``steps`` values from ``start`` to ``end`` in geometric progression."""
        n = cls._steps(steps, "geomspace")
        start, end = _number(start, "geomspace: start"), _number(end, "geomspace: end")
        if start == 0 or end == 0 or (start < 0) != (end < 0):
            raise ValueError(f"geomspace: start {start} and end {end} must be non-zero and of "
                             "the same sign")
        vals = np.geomspace(start, end, n)
        return _placed(cls, vals.astype(as_dtype(dtype, "geomspace: dtype")), dev)

    @staticmethod
    def _steps(steps, op):
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"{op}: steps must be a non-negative int, got {steps!r}")
        return int(steps)

    @classmethod
    def eye(cls, size=None, offset=0, dev=DEV_CPU, dtype="float32", rows=None):
        """Square matrix with ones on diagonal ``offset`` and zeros elsewhere.

        Parameters
        ----------
        size : int
            Number of rows and columns (``rows=`` is accepted too, as in EDDL).
        offset : int, default 0
        dev : int, default DEV_CPU
        dtype : str or numpy.dtype, default "float32"
        rows : int, optional
            Alias of ``size``.

        Returns
        -------
        Tensor
        """
        n = size if size is not None else rows
        if n is None:
            raise TypeError("eye: missing the size")
        (n,) = norm_shape([n], "eye: size")
        return _placed(cls, np.eye(n, k=int(offset), dtype=as_dtype(dtype, "eye: dtype")), dev)

    @classmethod
    def identity(cls, rows, dev=DEV_CPU, dtype="float32"):
        """Identity matrix of ``rows`` rows (see :meth:`eye`)."""
        return cls.eye(rows, 0, dev, dtype)

    @classmethod
    def onehot(cls, in_, vocs):
        """One-hot encode integer values: shape ``(n, l)`` becomes ``(n, l, vocs)``.

        Parameters
        ----------
        in_ : Tensor
            Integer-valued codes in ``[0, vocs)``.
        vocs : int
            Vocabulary size.

        Returns
        -------
        Tensor
            Float32 tensor.
        """
        (vocs,) = norm_shape([vocs], "onehot: vocs")
        codes = np.asarray(in_._data)
        idx = codes.astype(np.int64)
        if codes.size and (np.any(idx != codes) or idx.min() < 0 or idx.max() >= vocs):
            raise ValueError(f"onehot: values must be integers in [0, {vocs})")
        out = np.zeros(codes.shape + (vocs,), np.float32)
        np.put_along_axis(out, idx[..., None], 1.0, axis=-1)
        return cls._wrap(out, in_.device)
