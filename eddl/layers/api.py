"""PyEDDL-named layer factories (``eddl.Dense(parent, 1024)``) over the layer classes."""

from .activations import Activation
from .core import Dense as _Dense, Dropout as _Dropout, Input as _Input

__all__ = ["Input", "Dense", "Dropout", "Activation", "ReLu", "LeakyReLu", "Elu", "Selu",
           "Sigmoid", "HardSigmoid", "Tanh", "Softsign", "Softplus", "Softmax",
           "SoftmaxDeprecated", "Exponential", "Linear", "ThresholdedReLu", "Gelu", "Swish",
           "Silu"]


def Input(shape, name=""):
    """Input layer for samples of ``shape`` (without the batch dimension).

    Parameters
    ----------
    shape : list of int
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Input([784]).shape
    (784,)
    """
    return _Input(shape, name)


def Dense(parent, ndim, use_bias=True, name=""):
    """Fully connected layer with ``ndim`` units over the last axis.

    Parameters
    ----------
    parent : Layer
    ndim : int
        Number of output units.
    use_bias : bool
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Dense(eddl.Input([784]), 10).shape
    (10,)
    """
    return _Dense(parent, ndim, use_bias, name)


def Dropout(parent, rate, iw=True, name=""):
    """Dropout of a fraction ``rate`` of the values in training mode (``iw``: inverted scaling).

    Parameters
    ----------
    parent : Layer
    rate : float
    iw : bool
    name : str

    Returns
    -------
    Layer
    """
    return _Dropout(parent, rate, iw, name)


def _act(kind, doc, param=None, default=None):
    if param is None:
        def f(parent, name=""):
            return Activation(parent, kind, [], name)
    else:
        def f(parent, value=default, name=""):
            return Activation(parent, kind, [value], name)
    f.__doc__ = doc + """

    Parameters
    ----------
    parent : Layer
""" + (f"""    {param} : float, default {default}
""" if param else "") + """    name : str

    Returns
    -------
    Layer
"""
    return f


ReLu = _act("relu", "``max(x, 0)``.")
Sigmoid = _act("sigmoid", "``1 / (1 + exp(-x))``.")
HardSigmoid = _act("hard_sigmoid", "``clip(0.2 x + 0.5, 0, 1)``.")
Tanh = _act("tanh", "Hyperbolic tangent.")
Softsign = _act("softsign", "``x / (1 + |x|)`` (EDDL's fast tanh).")
Softplus = _act("softplus", "``log(1 + exp(x))``.")
Exponential = _act("exp", "``exp(x)``.")
Selu = _act("selu", "Scaled ELU with the self-normalising constants.")
Gelu = _act("gelu", "``x * Phi(x)`` with the exact normal CDF.")
Swish = _act("swish", "``x * sigmoid(x)``.")
Silu = _act("swish", "``x * sigmoid(x)`` (same as Swish).")
LeakyReLu = _act("leaky_relu", "``x`` if positive else ``alpha * x``.", "alpha", 0.01)
Elu = _act("elu", "``x`` if positive else ``alpha * (exp(x) - 1)``.", "alpha", 1.0)
ThresholdedReLu = _act("thresholded_relu", "``x`` if ``x > alpha`` else 0.", "alpha", 1.0)
Linear = _act("linear", "``alpha * x``.", "alpha", 1.0)
for _n, _f in [("ReLu", ReLu), ("Sigmoid", Sigmoid), ("HardSigmoid", HardSigmoid), ("Tanh", Tanh),
               ("Softsign", Softsign), ("Softplus", Softplus), ("Exponential", Exponential),
               ("Selu", Selu), ("Gelu", Gelu), ("Swish", Swish), ("Silu", Silu),
               ("LeakyReLu", LeakyReLu), ("Elu", Elu), ("ThresholdedReLu", ThresholdedReLu),
               ("Linear", Linear)]:
    _f.__name__ = _f.__qualname__ = _n


def Softmax(parent, axis=-1, name=""):
    """Softmax over ``axis`` of each sample (batch excluded; -1 is the last axis).

    Parameters
    ----------
    parent : Layer
    axis : int
    name : str

    Returns
    -------
    Layer
    """
    return Activation(parent, "softmax", [axis], name)


def SoftmaxDeprecated(parent, name=""):
    """Softmax over the last axis (EDDL's older layer).

    Parameters
    ----------
    parent : Layer
    name : str

    Returns
    -------
    Layer
    """
    return Activation(parent, "softmax", [-1], name)
