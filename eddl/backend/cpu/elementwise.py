"""Element-wise kernels of the CPU backend.

Contract shared by every backend: ``unary(name, x, out=None, **params)`` and
``binary(name, a, b, out=None)`` follow NumPy's broadcasting and dtype rules, write into
``out`` when given (which may alias an input) and return the result array. Names are the
ones in :data:`UNARY` and :data:`BINARY`.
"""

import numpy as np

__all__ = ["UNARY", "BINARY", "unary", "binary"]


def _sigmoid(x, out):
    # 1 / (1 + exp(-x)) overflows harmlessly to 0 for very negative x.
    with np.errstate(over="ignore"):
        np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)
    return out


UNARY = {
    "abs": np.abs, "neg": np.negative, "exp": np.exp, "log": np.log, "log2": np.log2,
    "log10": np.log10, "sqrt": np.sqrt, "sqr": np.square, "floor": np.floor, "ceil": np.ceil,
    "round": np.rint, "trunc": np.trunc, "sign": np.sign, "reciprocal": np.reciprocal,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
}

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "mod": np.fmod, "maximum": np.maximum, "minimum": np.minimum,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
}


def unary(name, x, out=None, **params):
    """Apply the element-wise function ``name`` to ``x``.

    Parameters
    ----------
    name : str
        One of :data:`UNARY`, or ``'sigmoid'``, ``'relu'``, ``'clamp'`` (params ``lo``, ``hi``,
        either may be None), ``'pow_scalar'`` (param ``exponent``).
    x : numpy.ndarray
    out : numpy.ndarray, optional
        Destination; may be ``x`` itself for the in-place form.
    """
    if out is None:
        out = np.empty_like(x, dtype=np.result_type(x, np.float32) if name in _FLOAT_ONLY else x.dtype)
    if name == "sigmoid":
        return _sigmoid(x, out)
    if name == "relu":
        return np.maximum(x, 0, out=out)
    if name == "clamp":
        return np.clip(x, params.get("lo"), params.get("hi"), out=out)
    if name == "pow_scalar":
        return np.power(x, params["exponent"], out=out)
    try:
        fn = UNARY[name]
    except KeyError:
        raise ValueError(f"unknown unary op {name!r}") from None
    return fn(x, out=out)


_FLOAT_ONLY = {"exp", "log", "log2", "log10", "sqrt", "sin", "cos", "tan", "asin", "acos",
               "atan", "sinh", "cosh", "tanh", "sigmoid", "reciprocal"}


def binary(name, a, b, out=None):
    """Apply the broadcasting binary function ``name`` (one of :data:`BINARY`)."""
    try:
        fn = BINARY[name]
    except KeyError:
        raise ValueError(f"unknown binary op {name!r}") from None
    if out is None:
        return fn(a, b)
    return fn(a, b, out=out)
