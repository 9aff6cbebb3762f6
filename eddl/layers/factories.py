"""The PyEDDL layer functions (``eddl.Dense(parent, 1024)``, ``eddl.Conv2D(...)``, ...).

Nearly all of them are generated from the layer registry (:mod:`eddl.layers.registry`): each
layer class declares its PyEDDL names beside its definition, and this module exports one
function per name, with the signature and docstring of the declaration. The few written here
choose between layer classes (a merge of two layers or an operator with a constant) or compute
an argument from the parent's shape; they are registered in the same table.
"""

from . import (  # noqa: F401
    activations,
    attention,
    broadcasting,
    conv,
    core,
    da,
    embedding,
    gather,
    generators,
    merge,
    noise,
    normalization,
    operators,
    pool,
    positional,
    reductions,
    reshape,
    upsampling,
)
from .activations import Activation
from .base import Layer
from .registry import PYEDDL, factory_function, register_factory


def _binary(what, a, b, merge_cls, op, rop, name):
    """Return a layer-layer merge, or a layer-constant operator (either side)."""
    if isinstance(a, Layer) and isinstance(b, Layer):
        return merge_cls([a, b], name)
    if isinstance(a, Layer):
        return operators.Scalar(a, op, b, name)
    if isinstance(b, Layer):
        return operators.Scalar(b, rop, a, name)
    raise TypeError(f"{what}: at least one operand must be a layer")


_RET = """
    Returns
    -------
    Layer
"""
_N = "    name : str\n"
_L = "    layers : list of Layer\n"
_AB = "    l1, l2 : Layer or float\n        One of them must be a layer.\n"


def _doc(text, params):
    return f"{text}\n\n    Parameters\n    ----------\n{params}{_RET}"


def _list_name(layers, other, name):
    """Read PyEDDL's list form ``Add([a, b], "name")``: a string second argument is the name."""
    if isinstance(other, str) and not isinstance(layers, Layer) and not name:
        return None, other
    return other, name


def Add(layers, other=None, name=""):
    other, name = _list_name(layers, other, name)
    if other is None:
        return merge.Add(list(layers), name) if not isinstance(layers, Layer) else merge.Add([layers], name)
    return _binary("Add", layers, other, merge.Add, "add", "add", name)


def Subtract(layers, other=None, name=""):
    other, name = _list_name(layers, other, name)
    if other is None:
        return merge.Subtract(list(layers), name)
    return _binary("Subtract", layers, other, merge.Subtract, "sub", "rsub", name)


def Sum(l1, l2, name=""):
    return _binary("Sum", l1, l2, merge.Add, "add", "add", name)


def Diff(l1, l2, name=""):
    return _binary("Diff", l1, l2, merge.Subtract, "sub", "rsub", name)


def Mult(l1, l2=None, name=""):
    l2, name = _list_name(l1, l2, name)
    if l2 is None:
        return merge.Mult(list(l1), name)
    return _binary("Mult", l1, l2, merge.Mult, "mul", "mul", name)


def Div(l1, l2, name=""):
    return _binary("Div", l1, l2, merge.Div, "div", "rdiv", name)


# PyEDDL's signature (list defaults, as every generated factory shows); the defaults are never
# mutated or kept: Conv2D turns them into tuples and its configuration snapshots a copy
def DepthwiseConv2D(parent, kernel_size, strides=[1, 1], padding="same", use_bias=True,  # noqa: B006
                    dilation_rate=[1, 1], name=""):  # noqa: B006
    """Per-channel 2-D convolution (``groups`` = channels, one filter per channel).

    Parameters
    ----------
    parent : Layer
    kernel_size : int or list of int
    strides : int or list of int
    padding : str or list of int
        As in :func:`Conv2D`.
    use_bias : bool
    dilation_rate : int or list of int
    name : str

    Returns
    -------
    Layer
    """
    c = parent.shape[0] if parent.shape else 1
    return conv.Conv2D(parent, c, kernel_size, strides, padding, use_bias, c, dilation_rate, name)


def Split(l, indexes, axis=-1, merge_sublayers=False, name=""):  # noqa: E741 - PyEDDL's name
    """Split the samples along ``axis`` at the points ``indexes``; returns one layer per part.

    Parameters
    ----------
    l : Layer
    indexes : list of int
        Strictly increasing split points, each in ``1 .. n - 1`` for an axis of length ``n``.
    axis : int
        Sample axis (batch excluded; -1 is the last).
    merge_sublayers : bool
        Kept for export (EDDL's flag); it does not change the computation.
    name : str
        Parts are named ``name_0``, ``name_1``, ... (automatic names when empty).

    Returns
    -------
    list of Layer
        ``len(indexes) + 1`` :class:`~eddl.layers.Split` layers.

    Examples
    --------
    >>> import eddl
    >>> [p.shape for p in eddl.Split(eddl.Input([2, 10]), [3, 7])]
    [(2, 3), (2, 4), (2, 3)]
    """
    first = reshape.Split(l, indexes, axis, 0, merge_sublayers, f"{name}_0" if name else "")
    parts = [first]
    for i in range(1, len(first.indexes) + 1):
        parts.append(reshape.Split(l, indexes, axis, i, merge_sublayers,
                                   f"{name}_{i}" if name else ""))
    return parts


Add.__doc__ = _doc("Sum of layers (``Add([a, b])``), or ``Add(a, b)`` with layers or a constant.",
                   _L + "    other : Layer or float, optional\n" + _N)
Subtract.__doc__ = _doc("``a - b`` (``Subtract([a, b])`` or ``Subtract(a, b)``).",
                        _L + "    other : Layer or float, optional\n" + _N)
Sum.__doc__ = _doc("``l1 + l2``.", _AB + _N)
Diff.__doc__ = _doc("``l1 - l2``.", _AB + _N)
Mult.__doc__ = _doc("``l1 * l2`` (or the product of a list of layers).", _AB + _N)
Div.__doc__ = _doc("``l1 / l2``.", _AB + _N)

for _f, _cls in [(Add, merge.Add), (Subtract, merge.Subtract), (Sum, merge.Add),
                 (Diff, merge.Subtract), (Mult, merge.Mult), (Div, merge.Div),
                 (DepthwiseConv2D, conv.Conv2D), (Split, reshape.Split)]:
    register_factory(_f.__name__, _cls, func=_f)
register_factory("Sub", merge.Subtract, func=Diff)

#: every PyEDDL layer name, plus the Activation class (PyEDDL exports it under its own name)
__all__ = PYEDDL.names() + ["Activation"]
globals().update({_n: factory_function(_n) for _n in PYEDDL.names()})
