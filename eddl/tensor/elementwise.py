"""Element-wise math of :class:`~eddl.Tensor`.

Each op exists as ``t.op()`` (new tensor), ``t.op_()`` (in place, returns ``t``) and, like
PyEDDL, ``Tensor.static_op(A, B)`` writing ``op(A)`` into ``B``. The methods are generated from
the tables below so that every op shares one validated path into the backend.
"""

import math

import numpy as np

from ._base import TensorBase
from ._checks import is_scalar

__all__ = ["ElementwiseMixin", "UNARY_METHODS", "BINARY_METHODS"]

# method name -> (backend op, what it computes)
UNARY_METHODS = {
    "abs": ("abs", "absolute value"), "acos": ("acos", "arc cosine"),
    "asin": ("asin", "arc sine"), "atan": ("atan", "arc tangent"),
    "ceil": ("ceil", "ceiling"), "cos": ("cos", "cosine"), "cosh": ("cosh", "hyperbolic cosine"),
    "exp": ("exp", "exponential"), "floor": ("floor", "floor"),
    "log": ("log", "natural logarithm"), "log2": ("log2", "base-2 logarithm"),
    "log10": ("log10", "base-10 logarithm"), "neg": ("neg", "negation"),
    "reciprocal": ("reciprocal", "reciprocal ``1 / x``"),
    "round": ("round", "rounding to the nearest integer, halves to even"),
    "sigmoid": ("sigmoid", "logistic sigmoid ``1 / (1 + exp(-x))``"),
    "sin": ("sin", "sine"), "sinh": ("sinh", "hyperbolic sine"), "sqr": ("sqr", "square"),
    "sqrt": ("sqrt", "square root"), "tan": ("tan", "tangent"),
    "tanh": ("tanh", "hyperbolic tangent"), "trunc": ("trunc", "truncation toward zero"),
    "relu": ("relu", "rectified linear unit ``max(x, 0)``"),
}

# method name -> (backend op, symbol used in the docstring)
BINARY_METHODS = {
    "add": ("add", "x + other"), "sub": ("sub", "x - other"), "mult": ("mul", "x * other"),
    "div": ("div", "x / other"), "maximum": ("maximum", "maximum(x, other)"),
    "minimum": ("minimum", "minimum(x, other)"),
    "mod": ("mod", "fmod(x, other), the sign of ``x``"),
}

_UNARY_DOC = """Element-wise {what}{inplace}.

Returns
-------
Tensor
    {ret}
"""

_BINARY_DOC = """Element-wise ``{sym}``{inplace}, with NumPy broadcasting.

Parameters
----------
other : Tensor or float
    Second operand.

Returns
-------
Tensor
    {ret}
"""

_RET_NEW = "A new tensor."
_RET_SELF = "This tensor, modified in place."


def _unary_methods(name, op, what):
    def out_of_place(self):
        return self._unary(op, name)

    def in_place(self):
        return self._unary(op, name, inplace=True)

    def static(A, B):
        A._same_device(B, f"static_{name}")
        if A.shape != B.shape:
            raise ValueError(f"static_{name}: output shape {B.shape} differs from {A.shape}")
        B._data[...] = A._unary(op, name)._data
        return B

    out_of_place.__doc__ = _UNARY_DOC.format(what=what, inplace="", ret=_RET_NEW)
    in_place.__doc__ = _UNARY_DOC.format(what=what, inplace=", in place", ret=_RET_SELF)
    static.__doc__ = f"Write the element-wise {what} of ``A`` into ``B`` (PyEDDL static form)."
    return out_of_place, in_place, staticmethod(static)


def _binary_methods(name, op, sym):
    def out_of_place(self, other):
        return self._binary(op, other, name)

    def in_place(self, other):
        return self._binary(op, other, name, inplace=True)

    out_of_place.__doc__ = _BINARY_DOC.format(sym=sym, inplace="", ret=_RET_NEW)
    in_place.__doc__ = _BINARY_DOC.format(sym=sym, inplace=", in place", ret=_RET_SELF)
    return out_of_place, in_place


class ElementwiseMixin(TensorBase):
    """Element-wise methods; the table-driven ones are attached below the class."""

    def clamp(self, min=None, max=None):
        """Clamp every element into ``[min, max]`` (either bound may be None).

        Parameters
        ----------
        min, max : float, optional
            Bounds; ``min`` must not exceed ``max``.

        Returns
        -------
        Tensor
            A new tensor.

        Examples
        --------
        >>> Tensor.fromarray([-2.0, 0.5, 3.0]).clamp(0, 1).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
        """
        return self._clamp(min, max, False)

    def clamp_(self, min=None, max=None):
        """In-place :meth:`clamp`; returns this tensor."""
        return self._clamp(min, max, True)

    def _clamp(self, lo, hi, inplace):
        for v, n in ((lo, "min"), (hi, "max")):
            if v is not None and not is_scalar(v):
                raise TypeError(f"clamp: {n} must be a number or None, got {type(v).__name__}")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clamp: min {lo} is greater than max {hi}")
        return self._unary("clamp", "clamp", inplace, lo=lo, hi=hi)

    def clampmin(self, min):
        """Clamp from below: ``maximum(x, min)``; returns a new tensor."""
        return self._clamp(min, None, False)

    def clampmin_(self, min):
        """In-place :meth:`clampmin`; returns this tensor."""
        return self._clamp(min, None, True)

    def clampmax(self, max):
        """Clamp from above: ``minimum(x, max)``; returns a new tensor."""
        return self._clamp(None, max, False)

    def clampmax_(self, max):
        """In-place :meth:`clampmax`; returns this tensor."""
        return self._clamp(None, max, True)

    clip = clamp
    clip_ = clamp_

    def pow(self, exp):
        """Element-wise power ``x ** exp`` (``exp`` a number or a broadcastable tensor)."""
        if is_scalar(exp) and not isinstance(exp, bool):
            self._operand(exp, "pow")
            return self._unary("pow_scalar", "pow", exponent=exp)
        return self._binary("pow", exp, "pow")

    def pow_(self, exp):
        """In-place :meth:`pow`; returns this tensor."""
        if is_scalar(exp) and not isinstance(exp, bool):
            r = self.pow(exp)
            if not np.can_cast(r.dtype, self.dtype, "same_kind"):
                raise TypeError(f"pow_: result is {r.dtype.name} but the tensor is "
                                f"{self.dtype.name}")
            self._data[...] = r._data
            return self
        return self._binary("pow", exp, "pow", inplace=True)

    def powb(self, base):
        """Element-wise ``base ** x`` for a number ``base``; returns a new tensor."""
        return self._binary("pow", base, "powb", reverse=True)

    def powb_(self, base):
        """In-place :meth:`powb`; returns this tensor."""
        return self._binary("pow", base, "powb", inplace=True, reverse=True)

    def inv(self, v=1.0):
        """Element-wise ``v / x``; returns a new tensor."""
        if v == 1.0 and self.dtype.kind == "f":
            return self._unary("reciprocal", "inv")
        return self._binary("div", v, "inv", reverse=True)

    def inv_(self, v=1.0):
        """In-place :meth:`inv`; returns this tensor."""
        if v == 1.0 and self.dtype.kind == "f":
            return self._unary("reciprocal", "inv", inplace=True)
        return self._binary("div", v, "inv", inplace=True, reverse=True)

    def rsqrt(self):
        """Element-wise ``1 / sqrt(x)``; returns a new tensor."""
        return self.sqrt()._unary("reciprocal", "rsqrt", inplace=True)

    def rsqrt_(self):
        """In-place :meth:`rsqrt`; returns this tensor."""
        return self.sqrt_()._unary("reciprocal", "rsqrt", inplace=True)

    @staticmethod
    def static_rsqrt(A, B):
        """Write ``1 / sqrt(A)`` into ``B`` (PyEDDL static form); returns ``B``."""
        A._same_device(B, "static_rsqrt")
        if A.shape != B.shape:
            raise ValueError(f"static_rsqrt: output shape {B.shape} differs from {A.shape}")
        B._data[...] = A.rsqrt()._data
        return B

    def logn(self, n):
        """Element-wise logarithm in base ``n``; returns a new tensor."""
        if not is_scalar(n) or n <= 0 or n == 1:
            raise ValueError(f"logn: base must be a positive number other than 1, got {n!r}")
        return self.log()._binary("div", math.log(n), "logn", inplace=True)

    def logn_(self, n):
        """In-place :meth:`logn`; returns this tensor."""
        if not is_scalar(n) or n <= 0 or n == 1:
            raise ValueError(f"logn: base must be a positive number other than 1, got {n!r}")
        return self.log_()._binary("div", math.log(n), "logn", inplace=True)

    def remainder(self, v):
        """Element-wise remainder with the sign of the divisor (Python's ``%``)."""
        r = self._binary("mod", v, "remainder")
        return r._fix_remainder(v)

    def remainder_(self, v):
        """In-place :meth:`remainder`; returns this tensor."""
        return self._binary("mod", v, "remainder", inplace=True)._fix_remainder(v)

    def _fix_remainder(self, v):
        d = np.broadcast_to(self._operand(v, "remainder"), self._data.shape)
        fix = (self._data != 0) & ((self._data < 0) != (d < 0))
        self._data[fix] += d[fix]
        return self

    def sign(self, zero_sign=0.0):
        """Element-wise sign (-1, 0 or 1); ``zero_sign`` is the value given to zeros."""
        r = self._unary("sign", "sign")
        if zero_sign != 0.0:
            r._data[self._data == 0] = zero_sign
        return r

    def sign_(self, zero_sign=0.0):
        """In-place :meth:`sign`; returns this tensor."""
        zeros = self._data == 0 if zero_sign != 0.0 else None
        self._unary("sign", "sign", inplace=True)
        if zeros is not None:
            self._data[zeros] = zero_sign
        return self

    def normalize(self, min=0.0, max=1.0):
        """Rescale linearly so the smallest element maps to ``min`` and the largest to ``max``.

        A constant tensor becomes all ``min``.

        Returns
        -------
        Tensor
            A new tensor.
        """
        return self.clone().normalize_(min, max)

    def normalize_(self, min=0.0, max=1.0):
        """In-place :meth:`normalize`; returns this tensor."""
        if min > max:
            raise ValueError(f"normalize: min {min} is greater than max {max}")
        if self.dtype.kind != "f":
            raise TypeError(f"normalize_: needs a floating tensor, got {self.dtype.name}")
        if self.size == 0:
            return self
        be = self._backend
        lo, hi = float(be.reduce("min", self._data)), float(be.reduce("max", self._data))
        if hi == lo:
            return self.fill_(min)
        self.sub_(lo).mult_((max - min) / (hi - lo)).add_(min)
        return self

    def fill_(self, v):
        """Set every element to ``v``; returns this tensor."""
        if not is_scalar(v):
            raise TypeError(f"fill_: value must be a number, got {type(v).__name__}")
        self._data[...] = self._operand(v, "fill_")
        return self

    def fill(self, v):
        """Return a new tensor of this shape and dtype filled with ``v``."""
        return self.clone().fill_(v)

    @staticmethod
    def _static_binary(name, op, A, B, C):
        r = A._binary(op, B, name)
        if C.shape != r.shape:
            raise ValueError(f"{name}: output shape {C.shape} differs from the result shape "
                             f"{r.shape}")
        C._data[...] = r._data
        return C

    @staticmethod
    def static_add(A, B, C):
        """``C = A + B`` (PyEDDL static form)."""
        return ElementwiseMixin._static_binary("static_add", "add", A, B, C)

    @staticmethod
    def static_sub(A, B, C):
        """``C = A - B`` (PyEDDL static form)."""
        return ElementwiseMixin._static_binary("static_sub", "sub", A, B, C)

    @staticmethod
    def static_mult(A, B, C):
        """``C = A * B`` element-wise (PyEDDL static form)."""
        return ElementwiseMixin._static_binary("static_mult", "mul", A, B, C)

    @staticmethod
    def static_div(A, B, C):
        """``C = A / B`` element-wise (PyEDDL static form)."""
        return ElementwiseMixin._static_binary("static_div", "div", A, B, C)

    @staticmethod
    def el_mult(A, B, C, incC=0):
        """``C = A * B`` element-wise, or ``C += A * B`` when ``incC`` is true."""
        r = A._binary("mul", B, "el_mult")
        return C.add_(r) if incC else ElementwiseMixin._static_binary("el_mult", "mul", A, B, C)

    @staticmethod
    def el_div(A, B, C, incC=0):
        """``C = A / B`` element-wise, or ``C += A / B`` when ``incC`` is true."""
        r = A._binary("div", B, "el_div")
        return C.add_(r) if incC else ElementwiseMixin._static_binary("el_div", "div", A, B, C)

    @staticmethod
    def inc(A, B):
        """``B += A`` (PyEDDL static form)."""
        return B.add_(A)

    @staticmethod
    def static_maximum(A, B):
        """Element-wise maximum of ``A`` and ``B`` (a tensor or a number); a new tensor."""
        return A.maximum(B)

    @staticmethod
    def static_minimum(A, B):
        """Element-wise minimum of ``A`` and ``B`` (a tensor or a number); a new tensor."""
        return A.minimum(B)


for _name, (_op, _what) in UNARY_METHODS.items():
    _f, _fi, _fs = _unary_methods(_name, _op, _what)
    for _n, _m in ((_name, _f), (_name + "_", _fi), ("static_" + _name, _fs)):
        getattr(_m, "__func__", _m).__name__ = _n
        getattr(_m, "__func__", _m).__qualname__ = f"ElementwiseMixin.{_n}"
        setattr(ElementwiseMixin, _n, _m)

for _name, (_op, _sym) in BINARY_METHODS.items():
    for _n, _m in zip((_name, _name + "_"), _binary_methods(_name, _op, _sym)):
        _m.__name__ = _n
        _m.__qualname__ = f"ElementwiseMixin.{_n}"
        setattr(ElementwiseMixin, _n, _m)

# Pythonic spellings beside PyEDDL's.
for _alias, _target in (("mul", "mult"), ("mul_", "mult_"), ("negative", "neg"),
                        ("square", "sqr"), ("fmod", "mod"), ("fmod_", "mod_")):
    setattr(ElementwiseMixin, _alias, getattr(ElementwiseMixin, _target))
del _name, _op, _what, _sym, _f, _fi, _fs, _n, _m, _alias, _target
