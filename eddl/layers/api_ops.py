"""PyEDDL-named factories of the shape, merge, operator, reduction and noise layers."""

from . import merge as _m
from . import operators as _o
from . import reshape as _r
from .base import Layer
from .noise import GaussianNoise as _GaussianNoise
from .reductions import Reduce as _Reduce

__all__ = ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Permute", "Transpose", "Select", "Slice",
           "Add", "Subtract", "Average", "Maximum", "Minimum", "Concat", "Sum", "Sub", "Diff",
           "Mult", "Div", "Abs", "Exp", "Log", "Log2", "Log10", "Sqrt", "Pow", "Clamp", "Clip",
           "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceVar", "ReduceArgMax",
           "GaussianNoise"]

_RET = """
    Returns
    -------
    Layer
"""


def _doc(f, text, params):
    f.__doc__ = f"{text}\n\n    Parameters\n    ----------\n{params}{_RET}"
    return f


def Reshape(parent, shape, name=""):
    return _r.Reshape(parent, shape, name)


def Flatten(parent, name=""):
    return _r.Flatten(parent, name)


def Squeeze(parent, axis=-1, name=""):
    return _r.Squeeze(parent, axis, name)


def Unsqueeze(parent, axis=0, name=""):
    return _r.Unsqueeze(parent, axis, name)


def Permute(l, dims, name=""):
    return _r.Permute(l, dims, name)


def Transpose(parent, name=""):
    return _r.Transpose(parent, name)


def Select(l, indices, name=""):
    return _r.Select(l, indices, name)


def Slice(l, indices, name=""):
    return _r.Select(l, indices, name)


_P = "    parent : Layer\n"
_N = "    name : str\n"
_doc(Reshape, "New per-sample shape (one entry may be -1).", _P + "    shape : list of int\n" + _N)
_doc(Flatten, "Flatten each sample to one dimension.", _P + _N)
_doc(Squeeze, "Remove size-1 dimension ``axis`` (all of them when -1).", _P + "    axis : int\n" + _N)
_doc(Unsqueeze, "Insert a size-1 dimension at ``axis``.", _P + "    axis : int\n" + _N)
_doc(Permute, "Reorder the sample dimensions.", "    l : Layer\n    dims : list of int\n" + _N)
_doc(Transpose, "Reverse the order of the sample dimensions.", _P + _N)
_doc(Select, "Region of each sample given by EDDL index strings such as ``[\"0:2\", \":\"]``.",
     "    l : Layer\n    indices : list of str\n" + _N)
_doc(Slice, "Same as :func:`Select`.", "    l : Layer\n    indices : list of str\n" + _N)


def _binary(what, a, b, merge_cls, op, rop, name):
    """A layer-layer merge, or a layer-constant operator (either side)."""
    if isinstance(a, Layer) and isinstance(b, Layer):
        return merge_cls([a, b], name)
    if isinstance(a, Layer):
        return _o.Scalar(a, op, b, name)
    if isinstance(b, Layer):
        return _o.Scalar(b, rop, a, name)
    raise TypeError(f"{what}: at least one operand must be a layer")


def Add(layers, other=None, name=""):
    if other is None:
        return _m.Add(list(layers), name) if not isinstance(layers, Layer) else _m.Add([layers], name)
    return _binary("Add", layers, other, _m.Add, "add", "add", name)


def Subtract(layers, other=None, name=""):
    if other is None:
        return _m.Subtract(list(layers), name)
    return _binary("Subtract", layers, other, _m.Subtract, "sub", "rsub", name)


def Sum(l1, l2, name=""):
    return _binary("Sum", l1, l2, _m.Add, "add", "add", name)


def Diff(l1, l2, name=""):
    return _binary("Diff", l1, l2, _m.Subtract, "sub", "rsub", name)


Sub = Diff


def Mult(l1, l2=None, name=""):
    if l2 is None:
        return _m.Mult(list(l1), name)
    return _binary("Mult", l1, l2, _m.Mult, "mul", "mul", name)


def Div(l1, l2, name=""):
    return _binary("Div", l1, l2, _m.Div, "div", "rdiv", name)


def Average(layers, name=""):
    return _m.Average(list(layers), name)


def Maximum(layers, name=""):
    return _m.Maximum(list(layers), name)


def Minimum(layers, name=""):
    return _m.Minimum(list(layers), name)


def Concat(layers, axis=0, name=""):
    return _m.Concat(list(layers), axis, name)


_L = "    layers : list of Layer\n"
_AB = "    l1, l2 : Layer or float\n        One of them must be a layer.\n"
_doc(Add, "Sum of layers (``Add([a, b])``), or ``Add(a, b)`` with layers or a constant.",
     _L + "    other : Layer or float, optional\n" + _N)
_doc(Subtract, "``a - b`` (``Subtract([a, b])`` or ``Subtract(a, b)``).",
     _L + "    other : Layer or float, optional\n" + _N)
_doc(Sum, "``l1 + l2``.", _AB + _N)
_doc(Diff, "``l1 - l2``.", _AB + _N)
_doc(Mult, "``l1 * l2`` (or the product of a list of layers).", _AB + _N)
_doc(Div, "``l1 / l2``.", _AB + _N)
_doc(Average, "Element-wise mean of the layers.", _L + _N)
_doc(Maximum, "Element-wise maximum of the layers.", _L + _N)
_doc(Minimum, "Element-wise minimum of the layers.", _L + _N)
_doc(Concat, "Concatenate along ``axis`` (0 = first non-batch axis).", _L + "    axis : int\n" + _N)


def _unary(op, text):
    def f(l, name=""):
        return _o.Unary(l, op, name)
    f.__name__ = f.__qualname__ = op.capitalize()
    return _doc(f, text, "    l : Layer\n" + _N)


Abs = _unary("abs", "``|x|``.")
Exp = _unary("exp", "``exp(x)``.")
Log = _unary("log", "Natural logarithm.")
Log2 = _unary("log2", "Base-2 logarithm.")
Log10 = _unary("log10", "Base-10 logarithm.")
Sqrt = _unary("sqrt", "Square root.")


def Pow(l1, k, name=""):
    return _o.Scalar(l1, "pow", k, name)


def Clamp(parent, min, max, name=""):  # noqa: A002
    return _o.Clamp(parent, min, max, name)


Clip = Clamp
_doc(Pow, "``l1 ** k``.", "    l1 : Layer\n    k : float\n" + _N)
_doc(Clamp, "Clip values to ``[min, max]``.", _P + "    min, max : float\n" + _N)


def _reduce(op, text):
    def f(l, axis, keepdims=False):
        return _Reduce(l, op, axis, keepdims)
    f.__name__ = f.__qualname__ = "Reduce" + {"argmax": "ArgMax"}.get(op, op.capitalize())
    return _doc(f, text, "    l : Layer\n    axis : int or list of int\n        Sample axes "
                         "(the batch axis is excluded).\n    keepdims : bool\n")


ReduceMean = _reduce("mean", "Mean over sample axes.")
ReduceSum = _reduce("sum", "Sum over sample axes.")
ReduceMax = _reduce("max", "Maximum over sample axes.")
ReduceMin = _reduce("min", "Minimum over sample axes.")
ReduceVar = _reduce("var", "Variance over sample axes.")
ReduceArgMax = _reduce("argmax", "Index of the maximum along one sample axis.")


def GaussianNoise(parent, stddev, name=""):
    return _GaussianNoise(parent, stddev, name)


_doc(GaussianNoise, "Add Gaussian noise of ``stddev`` in training mode.", _P + "    stddev : float\n" + _N)
