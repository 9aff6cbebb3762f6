"""Functional tensor API of early PyEDDL (``pyeddl.eddlT``), as thin aliases of Tensor.

Scripts written as ``import pyeddl.eddlT as eddlT`` run after changing that line to
``import eddl.eddlT as eddlT``::

    x = eddlT.load("mnist_trX.bin")
    eddlT.div_(x, 255.0)

Every function forwards to the :class:`~eddl.Tensor` method or creator of the same name, so
the two APIs share one implementation. Functions named like Python built-ins (``sum``,
``max``, ``abs``, ``range``, ...) shadow them inside this module only.
"""

import builtins
import functools

from .tensor import DEV_CPU, DEV_FPGA, DEV_GPU, Tensor

_CREATORS = (
    "zeros", "ones", "full", "empty", "arange", "range", "linspace", "logspace", "geomspace",
    "eye", "identity", "randu", "randn", "load", "load_partial", "fromarray", "from_onnx",
    "concat", "stack", "mult2D", "interpolate", "onehot", "where", "zeros_like", "ones_like",
    "full_like", "empty_like",
)

_METHODS = (
    "getdata", "getShape", "info", "print", "save", "clone", "select", "set_select",
    "reshape", "reshape_", "flatten", "flatten_", "squeeze", "squeeze_", "unsqueeze",
    "unsqueeze_", "permute", "transpose", "moveaxis", "swapaxis", "repeat", "tile", "pad",
    "split", "broadcast", "toCPU", "toGPU", "toFPGA", "toDevice", "isCPU", "isGPU", "isFPGA",
    "numpy", "matmul", "outer", "diag", "diag_", "trace", "to_onnx", "fill_", "fill",
    "clamp", "clamp_", "clampmax", "clampmax_", "clampmin", "clampmin_", "inv", "inv_",
    "logn", "logn_", "pow", "pow_", "powb", "powb_", "sign", "sign_", "normalize", "normalize_",
    "remainder", "remainder_", "rsqrt", "rsqrt_", "maximum", "minimum",
    "sum", "sum_abs", "mean", "max", "min", "argmax", "argmin", "prod", "std", "var", "norm",
    "median", "mode", "all", "any", "isnan", "isinf", "isfinite", "anynan", "allclose",
    "isclose", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "sort", "argsort",
    "fill_rand_uniform_", "fill_rand_signed_uniform_", "fill_rand_normal_", "fill_rand_binary_",
)

_ELEMENTWISE = (
    "abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "exp", "floor", "log", "log2", "log10",
    "neg", "reciprocal", "round", "sigmoid", "sin", "sinh", "sqr", "sqrt", "tan", "tanh",
    "trunc", "relu", "add", "sub", "mult", "div", "mod",
)

__all__ = ["Tensor", "DEV_CPU", "DEV_GPU", "DEV_FPGA", "create", "copyTensor"]


def create(shape_or_array, dev=DEV_CPU):
    """Create a tensor from a shape (uninitialised) or from array values.

    Parameters
    ----------
    shape_or_array : list of int or array_like
    dev : int, default DEV_CPU

    Returns
    -------
    Tensor
    """
    if isinstance(shape_or_array, (list, tuple)) and builtins.all(
            isinstance(d, int) and not isinstance(d, bool) for d in shape_or_array):
        return Tensor(list(shape_or_array), dev)
    return Tensor.fromarray(shape_or_array, dev)


def copyTensor(A, B):
    """Copy the values of ``A`` into ``B``; returns ``B``."""
    return A.copy(B)


def _forward_creator(name):
    target = getattr(Tensor, name)

    @functools.wraps(target)
    def fn(*args, **kwargs):
        return getattr(Tensor, name)(*args, **kwargs)
    fn.__doc__ = f"Alias of :meth:`eddl.Tensor.{name}`."
    return fn


def _forward_method(name):
    def fn(t, *args, **kwargs):
        if not isinstance(t, Tensor):
            raise TypeError(f"eddlT.{name}: first argument must be a Tensor, got "
                            f"{type(t).__name__}")
        return getattr(t, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``t.{name}(...)``: alias of :meth:`eddl.Tensor.{name}`."
    return fn


for _name in _CREATORS:
    globals()[_name] = _forward_creator(_name)
for _name in _METHODS + _ELEMENTWISE + tuple(n + "_" for n in _ELEMENTWISE):
    globals()[_name] = _forward_method(_name)
__all__ += list(_CREATORS) + list(_METHODS) + list(_ELEMENTWISE) + [n + "_" for n in _ELEMENTWISE]
del _name
