"""Comparisons, logic and value tests of :class:`~eddl.Tensor`.

Comparisons return bool tensors; their PyEDDL in-place forms (``greater_(v)``) store 1/0 in
the tensor's own dtype.
"""

import numpy as np

from ._base import TensorBase

__all__ = ["CompareMixin", "COMPARE_METHODS"]

COMPARE_METHODS = {
    "greater": ("gt", ">"), "greater_equal": ("ge", ">="), "less": ("lt", "<"),
    "less_equal": ("le", "<="), "equal": ("eq", "=="), "not_equal": ("ne", "!="),
}

_DOC = """Element-wise ``x {sym} other``{extra}.

Parameters
----------
other : Tensor or float
    Value or broadcastable tensor to compare with.

Returns
-------
Tensor
    {ret}
"""


def _compare_methods(name, op, sym):
    def out_of_place(self, other):
        return self._binary(op, other, name)

    def in_place(self, other):
        return self._binary(op, other, name, inplace=True)

    out_of_place.__doc__ = _DOC.format(sym=sym, extra="", ret="A new bool tensor.")
    in_place.__doc__ = _DOC.format(sym=sym, extra=", stored in place as 1/0",
                                   ret="This tensor, modified in place.")
    out_of_place.__name__, in_place.__name__ = name, name + "_"
    return out_of_place, in_place


class CompareMixin(TensorBase):
    """Comparison, logic and value-test methods."""

    def _test(self, fn, name):
        if self._data.dtype.kind not in "biuf":
            raise TypeError(f"{name}: unsupported dtype {self._data.dtype}")
        return self._new(fn(self._data))

    def isnan(self):
        """Return a bool tensor, True where the element is NaN."""
        return self._test(np.isnan, "isnan")

    def isinf(self):
        """Return a bool tensor, True where the element is +inf or -inf."""
        return self._test(np.isinf, "isinf")

    def isposinf(self):
        """Return a bool tensor, True where the element is +inf."""
        return self._test(np.isposinf, "isposinf")

    def isneginf(self):
        """Return a bool tensor, True where the element is -inf."""
        return self._test(np.isneginf, "isneginf")

    def isfinite(self):
        """Return a bool tensor, True where the element is neither NaN nor infinite."""
        return self._test(np.isfinite, "isfinite")

    def anynan(self):
        """Return True when any element is NaN."""
        return bool(np.isnan(self._data).any())

    def _logic(self, fn, other, name):
        b = self._operand(other, name)
        try:
            np.broadcast_shapes(self._data.shape, b.shape)
        except ValueError:
            raise ValueError(f"{name}: shapes {self._data.shape} and {b.shape} cannot be "
                             "broadcast together") from None
        return self._new(fn(self._data.astype(bool, copy=False), b.astype(bool, copy=False)))

    def logical_and(self, other):
        """Element-wise logical AND (non-zero is True); returns a bool tensor."""
        return self._logic(np.logical_and, other, "logical_and")

    def logical_or(self, other):
        """Element-wise logical OR (non-zero is True); returns a bool tensor."""
        return self._logic(np.logical_or, other, "logical_or")

    def logical_xor(self, other):
        """Element-wise logical XOR (non-zero is True); returns a bool tensor."""
        return self._logic(np.logical_xor, other, "logical_xor")

    def logical_not(self):
        """Element-wise logical NOT (non-zero is True); returns a bool tensor."""
        return self._new(np.logical_not(self._data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Bool tensor, True where ``|x - other| <= atol + rtol * |other|``."""
        b = self._operand(other, "isclose")
        try:
            return self._new(np.isclose(self._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
        except ValueError:
            raise ValueError(f"isclose: shapes {self._data.shape} and {b.shape} cannot be "
                             "broadcast together") from None

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Return True when :meth:`isclose` holds for every element."""
        return bool(self.isclose(other, rtol, atol, equal_nan)._data.all())

    @staticmethod
    def equivalent(A, B, atol=1e-08, rtol=1e-05, equal_nan=False, verbose=True):
        """Return 1 when ``A`` and ``B`` have the same shape and close values, else 0.

        The tolerances come in PyEDDL's order: ``atol`` first.
        """
        if A.shape != B.shape:
            if verbose:
                print(f"equivalent: shapes differ: {A.shape} vs {B.shape}")
            return 0
        ok = A.allclose(B, rtol=rtol, atol=atol, equal_nan=equal_nan)
        if not ok and verbose:
            print("equivalent: values differ beyond tolerance")
        return int(ok)

    @staticmethod
    def sameShape(A, B):
        """1 when ``A`` and ``B`` have the same shape, else 0."""
        return int(A.shape == B.shape)

    eqsize = sameShape

    @staticmethod
    def sameSize(A, B):
        """Return True when ``A`` and ``B`` hold the same number of elements."""
        return A.size == B.size

    @staticmethod
    def sameDevice(A, B):
        """Return True when ``A`` and ``B`` are on the same device."""
        return A.device == B.device

    @staticmethod
    def where(condition, A, B, C=None):
        """Elements of ``A`` where ``condition`` is non-zero, else of ``B`` (broadcasting).

        Parameters
        ----------
        condition : Tensor
        A, B : Tensor or float
        C : Tensor, optional
            Output written in place (PyEDDL four-argument form).

        Returns
        -------
        Tensor
            ``C`` when given, else a new tensor.
        """
        # Python numbers stay weakly typed, so where(c, 0.0, float32_tensor) stays float32.
        a = A if type(A) in (int, float) else condition._operand(A, "where")
        b = B if type(B) in (int, float) else condition._operand(B, "where")
        try:
            r = np.where(condition._data.astype(bool, copy=False), a, b)
        except ValueError:
            raise ValueError(f"where: shapes {condition.shape}, {np.shape(a)} and {np.shape(b)} "
                             "cannot be broadcast together") from None
        if C is None:
            return condition._new(r)
        if C.shape != r.shape:
            raise ValueError(f"where: output shape {C.shape} differs from {r.shape}")
        C._data[...] = r
        return C

    def sort(self, descending=False, stable=True):
        """Return a copy sorted along the last axis."""
        return self.clone().sort_(descending, stable)

    def sort_(self, descending=False, stable=True):
        """Sort along the last axis in place; returns this tensor."""
        if self.ndim == 0:
            return self
        s = np.sort(self._data, axis=-1, kind="stable" if stable else None)
        self._data[...] = s[..., ::-1] if descending else s
        return self

    def argsort(self, descending=False, stable=True):
        """Return the indices (int64 tensor) that sort the last axis."""
        x = -self._data if descending and self.dtype.kind in "fi" else self._data
        if descending and self.dtype.kind not in "fi":
            idx = np.argsort(self._data, axis=-1, kind="stable")[..., ::-1].copy()
        else:
            idx = np.argsort(x, axis=-1, kind="stable" if stable else None)
        return self._new(idx.astype(np.int64, copy=False))

    def nonzero(self, sort_indices=False):
        """Flat indices (int64 tensor) of the non-zero elements, in increasing order."""
        return self._new(np.flatnonzero(self._data).astype(np.int64, copy=False))


for _name, (_op, _sym) in COMPARE_METHODS.items():
    for _m in _compare_methods(_name, _op, _sym):
        setattr(CompareMixin, _m.__name__, _m)
del _name, _op, _sym, _m
