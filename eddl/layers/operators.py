"""Operator layers: element-wise functions of one layer, and a layer combined with a constant.

``Unary(parent, op)`` applies one of :data:`UNARY_OPS`; ``Scalar(parent, op, k)`` computes
``x op k`` (or ``k op x`` for the ``r`` forms). Two-layer arithmetic is in :mod:`.merge`.
"""

import math

from .activations import _erf
from .base import Layer
from .registry import register_factory, register_layer

__all__ = ["Unary", "Scalar", "Clamp", "UNARY_OPS", "SCALAR_OPS"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

#: name -> (forward(xp, x, out), d/dx as a function of (xp, x, y))
UNARY_OPS = {
    "abs": (lambda xp, x, out: xp.abs(x, out=out), lambda xp, x, y: xp.sign(x)),
    "exp": (lambda xp, x, out: xp.exp(x, out=out), lambda xp, x, y: y),
    "log": (lambda xp, x, out: xp.log(x, out=out), lambda xp, x, y: 1.0 / x),
    "log2": (lambda xp, x, out: xp.log2(x, out=out), lambda xp, x, y: 1.0 / (x * _LN2)),
    "log10": (lambda xp, x, out: xp.log10(x, out=out), lambda xp, x, y: 1.0 / (x * _LN10)),
    "sqrt": (lambda xp, x, out: xp.sqrt(x, out=out), lambda xp, x, y: 0.5 / y),
    "erf": (lambda xp, x, out: xp.copyto(out, _erf(xp, x)),
            lambda xp, x, y: _TWO_OVER_SQRT_PI * xp.exp(-x * x)),
}

#: name -> (forward(xp, x, k, out), d/dx as a function of (xp, x, k))
SCALAR_OPS = {
    "add": (lambda xp, x, k, out: xp.add(x, k, out=out), lambda xp, x, k: 1.0),
    "sub": (lambda xp, x, k, out: xp.subtract(x, k, out=out), lambda xp, x, k: 1.0),
    "rsub": (lambda xp, x, k, out: xp.subtract(k, x, out=out), lambda xp, x, k: -1.0),
    "mul": (lambda xp, x, k, out: xp.multiply(x, k, out=out), lambda xp, x, k: k),
    "div": (lambda xp, x, k, out: xp.divide(x, k, out=out), lambda xp, x, k: 1.0 / k),
    "rdiv": (lambda xp, x, k, out: xp.divide(k, x, out=out), lambda xp, x, k: -k / (x * x)),
    "pow": (lambda xp, x, k, out: xp.power(x, k, out=out), lambda xp, x, k: k * xp.power(x, k - 1)),
}


@register_layer()
class Unary(Layer):
    """Element-wise ``op`` of the parent (abs, exp, log, log2, log10, sqrt, erf)."""

    prefix = "op"

    def __init__(self, parent, op, name=""):
        if op not in UNARY_OPS:
            raise ValueError(f"unknown operator {op!r}; valid: {sorted(UNARY_OPS)}")
        self.op = op
        self.prefix = op
        super().__init__([parent], name)

    def compute_shape(self, s):
        return s

    def forward(self):
        UNARY_OPS[self.op][0](self.be.xp, self.parents[0].output, self.output)

    def backward(self):
        xp = self.be.xp
        d = UNARY_OPS[self.op][1](xp, self.parents[0].output, self.output)
        self.put_delta(0, lambda out: xp.multiply(self.delta, d, out=out))


@register_layer()
class Scalar(Layer):
    """``x op k`` for a constant ``k`` (ops: add, sub, rsub, mul, div, rdiv, pow)."""

    prefix = "op"

    def __init__(self, parent, op, k, name=""):
        if op not in SCALAR_OPS:
            raise ValueError(f"unknown operator {op!r}; valid: {sorted(SCALAR_OPS)}")
        try:
            self.k = float(k)
        except (TypeError, ValueError):
            raise TypeError(f"{op}: the constant must be a number, got {type(k).__name__}") from None
        if op in ("div",) and self.k == 0:
            raise ValueError("Div: division by the constant 0")
        self.op = op
        self.prefix = op
        super().__init__([parent], name)

    def compute_shape(self, s):
        return s

    def forward(self):
        SCALAR_OPS[self.op][0](self.be.xp, self.parents[0].output, self.k, self.output)

    def backward(self):
        xp = self.be.xp
        d = SCALAR_OPS[self.op][1](xp, self.parents[0].output, self.k)
        self.put_delta(0, lambda out: xp.multiply(self.delta, d, out=out))


@register_layer("Clamp", "Clip")
class Clamp(Layer):
    """Clip values to ``[min, max]``; the gradient passes only where no clipping happened.

    Parameters
    ----------
    parent : Layer
    min, max : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "clamp"

    def __init__(self, parent, min, max, name=""):  # noqa: A002 - PyEDDL's names
        if min > max:
            raise ValueError(f"Clamp: min ({min}) > max ({max})")
        self.lo, self.hi = float(min), float(max)
        super().__init__([parent], name)

    def compute_shape(self, s):
        return s

    def forward(self):
        self.be.xp.clip(self.parents[0].output, self.lo, self.hi, out=self.output)

    def backward(self):
        xp = self.be.xp
        x = self.parents[0].output
        self.put_delta(0, lambda out: xp.multiply(self.delta, (x >= self.lo) & (x <= self.hi), out=out))


# --- PyEDDL names ------------------------------------------------------------------------------

for _name, _op, _text in [("Abs", "abs", "``|x|``."), ("Exp", "exp", "``exp(x)``."),
                          ("Log", "log", "Natural logarithm."), ("Log2", "log2", "Base-2 logarithm."),
                          ("Log10", "log10", "Base-10 logarithm."), ("Sqrt", "sqrt", "Square root.")]:
    register_factory(_name, Unary, params="l, name=''", rename={"l": "parent"}, fixed={"op": _op},
                     doc=_text + """

    Parameters
    ----------
    l : Layer
    name : str

    Returns
    -------
    Layer
    """)
register_factory("Pow", Scalar, params="l1, k, name=''", rename={"l1": "parent"},
                 fixed={"op": "pow"}, doc="""``l1 ** k``.

    Parameters
    ----------
    l1 : Layer
    k : float
    name : str

    Returns
    -------
    Layer
    """)
