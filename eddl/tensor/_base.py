"""Machinery shared by the tensor mixins: wrapping results and calling the backend."""

import numpy as np

from eddl.backend.contract import COMPARE, FLOAT_ONLY

from ._checks import check_numeric, is_scalar
from .device import backend_for

__all__ = ["TensorBase", "result_dtype", "FLOAT_ONLY"]


def result_dtype(op, a_dtype, b_dtype=None):
    """Dtype NumPy's rules give to ``op`` (a backend op name) on these operand dtypes."""
    if b_dtype is None:
        if op in FLOAT_ONLY and a_dtype.kind in "biu":
            return np.result_type(a_dtype, np.float32)
        return a_dtype
    if op in COMPARE:
        return np.dtype(bool)
    rt = np.result_type(a_dtype, b_dtype)
    if op == "div" and rt.kind in "biu":
        return np.result_type(rt, np.float64)
    return rt


class TensorBase:
    """Attributes and helpers every mixin relies on (``_data``, ``_device``, backend calls)."""

    _data: np.ndarray
    _device: int

    @classmethod
    def _wrap(cls, arr, dev):
        """Make a tensor around backend array ``arr`` without copying or validating it."""
        t = object.__new__(cls)
        t._data = arr
        t._device = dev
        return t

    def _new(self, arr):
        return type(self)._wrap(arr, self._device)

    @property
    def _backend(self):
        return backend_for(self._device)

    def _same_device(self, other, op):
        if other._device != self._device:
            raise ValueError(f"{op}: tensors are on different devices ({self._device} and "
                             f"{other._device}); move one with toDevice() first")

    def _check_writeable(self, name):
        if not self._data.flags.writeable:
            raise ValueError(f"{name}_: the tensor is read-only (e.g. a broadcast view); "
                             "clone() it first")

    def _operand(self, other, op):
        """Return ``other`` (Tensor, ndarray or number) as a backend array.

        Scalars become 0-d arrays of the dtype NumPy's weak-scalar rules give them against
        this tensor, so a float32 tensor plus ``2.0`` stays float32 on every backend.
        """
        if isinstance(other, TensorBase):
            self._same_device(other, op)
            return other._data
        # ``type(...) is`` first: a fast path for the common ``t * 2.0`` (bool and NumPy
        # scalars take the general is_scalar check)
        if type(other) is float or type(other) is int or is_scalar(other):
            if isinstance(other, (complex, np.complexfloating)):
                raise TypeError(f"{op}: complex operands are not supported")
            dt = np.result_type(self._data.dtype, other)
            try:
                return self._backend.scalar(other, dt)
            except OverflowError:
                raise ValueError(f"{op}: scalar {other!r} does not fit in a "
                                 f"{self._data.dtype.name} tensor") from None
        if isinstance(other, np.ndarray):
            if other.dtype.kind not in "biuf":
                raise TypeError(f"{op}: unsupported operand dtype {other.dtype}")
            if self._device != 0:
                raise ValueError(f"{op}: NumPy operands need a CPU tensor; wrap them in a Tensor "
                                 "on the same device")
            return other
        raise TypeError(f"{op}: expected a Tensor, an array or a number, "
                        f"got {type(other).__name__}")

    def _unary(self, op, name, inplace=False, **params):
        check_numeric(self._data.dtype, name)
        x = self._data
        rt = result_dtype(op, x.dtype)
        with np.errstate(all="ignore"):
            if inplace:
                self._check_writeable(name)
                if not np.can_cast(rt, x.dtype, "same_kind"):
                    raise TypeError(f"{name}_: result is {rt.name} but the tensor is "
                                    f"{x.dtype.name}; "
                                    f"use the out-of-place {name}() or convert with astype()")
                self._backend.unary(op, x, out=x, **params)
                return self
            return self._new(self._backend.unary(op, x, **params))

    def _binary(self, op, other, name, inplace=False, reverse=False):
        a = self._data
        b = self._operand(other, name)
        if op not in COMPARE:
            check_numeric(a.dtype, name)
            check_numeric(b.dtype, name)
        try:
            same = b.shape == a.shape or not b.shape
            shape = a.shape if same else np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast "
                             "together") from None
        x, y = (b, a) if reverse else (a, b)
        with np.errstate(all="ignore"):
            if not inplace:
                return self._new(self._backend.binary(op, x, y))
            self._check_writeable(name)
            if shape != a.shape:
                raise ValueError(f"{name}_: result shape {shape} differs from the tensor's "
                                 f"shape {a.shape}; in-place ops cannot grow a tensor")
            rt = result_dtype(op, x.dtype, y.dtype)
            if op in COMPARE:
                a[...] = self._backend.binary(op, x, y)
                return self
            if not np.can_cast(rt, a.dtype, "same_kind"):
                raise TypeError(f"{name}_: result is {rt.name} but the tensor is {a.dtype.name}; "
                                f"use the out-of-place {name}() or convert with astype()")
            self._backend.binary(op, x, y, out=a)
            return self
