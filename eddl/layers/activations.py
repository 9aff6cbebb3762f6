"""Activation layers: one class driven by a table of forward/backward rules.

Each rule is ``(forward(xp, x, out, p), backward(xp, x, y, dy, out, p))`` where ``p`` holds the
activation's parameters (alpha, axis). Backward rules may use the input ``x`` or the output
``y``, whichever is cheaper.
"""

import math
import numbers
import warnings

from _deephealth.registry import Registry

from .base import Layer
from .registry import register_factory, register_layer

__all__ = ["Activation", "ACTIVATIONS"]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _sigmoid(xp, x, out):
    # exp(-|x|) never overflows; the two branches recombine into 1 / (1 + exp(-x))
    e = xp.exp(-xp.abs(x))
    xp.divide(xp.where(x >= 0, 1.0, e), 1.0 + e, out=out)
    return out


def _relu_f(xp, x, out, p, be):
    be.nn.relu_forward(x, out)


def _relu_b(xp, x, y, dy, out, p, be):
    be.nn.relu_backward(y, dy, out)


def _leaky_f(xp, x, out, p, be):
    xp.multiply(x, xp.where(x > 0, 1.0, p["alpha"]), out=out)


def _leaky_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, xp.where(x > 0, 1.0, p["alpha"]), out=out)


def _elu_f(xp, x, out, p, be):
    xp.copyto(out, xp.where(x > 0, x, p["alpha"] * xp.expm1(xp.minimum(x, 0))))


def _elu_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, xp.where(x > 0, 1.0, p["alpha"] * xp.exp(xp.minimum(x, 0))), out=out)


def _selu_f(xp, x, out, p, be):
    xp.copyto(out, p["scale"] * xp.where(x > 0, x, p["alpha"] * xp.expm1(xp.minimum(x, 0))))


def _selu_b(xp, x, y, dy, out, p, be):
    g = p["scale"] * xp.where(x > 0, 1.0, p["alpha"] * xp.exp(xp.minimum(x, 0)))
    xp.multiply(dy, g, out=out)


def _thr_f(xp, x, out, p, be):
    xp.multiply(x, x > p["alpha"], out=out)


def _thr_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, x > p["alpha"], out=out)


def _sigm_f(xp, x, out, p, be):
    _sigmoid(xp, x, out)


def _sigm_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, y * (1 - y), out=out)


def _hsig_f(xp, x, out, p, be):
    # EDDL/Keras hard sigmoid: clip(0.2 x + 0.5, 0, 1)
    xp.clip(0.2 * x + 0.5, 0.0, 1.0, out=out)


def _hsig_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, 0.2 * ((x > -2.5) & (x < 2.5)), out=out)


def _tanh_f(xp, x, out, p, be):
    xp.tanh(x, out=out)


def _tanh_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, 1 - y * y, out=out)


def _softsign_f(xp, x, out, p, be):
    xp.divide(x, 1 + xp.abs(x), out=out)


def _softsign_b(xp, x, y, dy, out, p, be):
    d = 1 + xp.abs(x)
    xp.divide(dy, d * d, out=out)


def _softplus_f(xp, x, out, p, be):
    xp.logaddexp(x, 0.0, out=out)


def _softplus_b(xp, x, y, dy, out, p, be):
    s = xp.empty_like(x)
    _sigmoid(xp, x, s)
    xp.multiply(dy, s, out=out)


def _exp_f(xp, x, out, p, be):
    xp.exp(x, out=out)


def _exp_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, y, out=out)


def _linear_f(xp, x, out, p, be):
    xp.multiply(x, p["alpha"], out=out)


def _linear_b(xp, x, y, dy, out, p, be):
    xp.multiply(dy, p["alpha"], out=out)


def _erf(xp, x):
    erf = getattr(xp, "erf", None)
    if erf is None:
        try:
            from scipy.special import erf  # CPU arrays only; other backends provide xp.erf
        except ImportError:  # pragma: no cover
            erf = xp.vectorize(math.erf)
    return erf(x)


def _gelu_f(xp, x, out, p, be):
    xp.multiply(0.5 * x, 1 + _erf(xp, x / math.sqrt(2.0)), out=out)


def _gelu_b(xp, x, y, dy, out, p, be):
    cdf = 0.5 * (1 + _erf(xp, x / math.sqrt(2.0)))
    pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    xp.multiply(dy, cdf + x * pdf, out=out)


def _swish_f(xp, x, out, p, be):
    s = xp.empty_like(x)
    _sigmoid(xp, x, s)
    xp.multiply(x, s, out=out)


def _swish_b(xp, x, y, dy, out, p, be):
    s = xp.empty_like(x)
    _sigmoid(xp, x, s)
    xp.multiply(dy, s * (1 + x * (1 - s)), out=out)


def _softmax_f(xp, x, out, p, be):
    be.nn.softmax_forward(x, out, axis=p["axis"])


def _softmax_b(xp, x, y, dy, out, p, be):
    be.nn.softmax_backward(y, dy, out, axis=p["axis"])


def _log_softmax_f(xp, x, out, p, be):
    ax = p["axis"]
    shifted = x - x.max(axis=ax, keepdims=True)
    xp.subtract(shifted, xp.log(xp.exp(shifted).sum(axis=ax, keepdims=True)), out=out)


def _log_softmax_b(xp, x, y, dy, out, p, be):
    xp.subtract(dy, xp.exp(y) * dy.sum(axis=p["axis"], keepdims=True), out=out)


#: name -> (forward, backward, default params); the params' order is the order of EDDL's
#: ``Activation(parent, name, params)`` list (src/layers/core/layer_activation.cpp)
ACTIVATIONS = {
    "relu": (_relu_f, _relu_b, {}),
    "leaky_relu": (_leaky_f, _leaky_b, {"alpha": 0.01}),
    "elu": (_elu_f, _elu_b, {"alpha": 1.0}),
    "selu": (_selu_f, _selu_b, {"alpha": _SELU_ALPHA, "scale": _SELU_SCALE}),
    "thresholded_relu": (_thr_f, _thr_b, {"alpha": 1.0}),
    "sigmoid": (_sigm_f, _sigm_b, {}),
    "hard_sigmoid": (_hsig_f, _hsig_b, {}),
    "tanh": (_tanh_f, _tanh_b, {}),
    "softsign": (_softsign_f, _softsign_b, {}),
    "softplus": (_softplus_f, _softplus_b, {}),
    "exp": (_exp_f, _exp_b, {}),
    "linear": (_linear_f, _linear_b, {"alpha": 1.0}),
    "gelu": (_gelu_f, _gelu_b, {}),
    "swish": (_swish_f, _swish_b, {}),
    "softmax": (_softmax_f, _softmax_b, {"axis": -1}),
    "log_softmax": (_log_softmax_f, _log_softmax_b, {"axis": -1}),
}
_ALIASES = {"swish": ("silu",), "softmax": ("softmax_deprecated",), "exp": ("exponential",)}
#: activation names (aliases included) -> canonical name
_NAMES = Registry("activation")
for _k in ACTIVATIONS:
    _NAMES.register(_k, *_ALIASES.get(_k, ()), obj=_k)


@register_layer()
class Activation(Layer):
    """Element-wise (or, for softmax, per-axis) activation of the parent's output.

    Parameters
    ----------
    parent : Layer
    activation : str
        One of :data:`ACTIVATIONS` (plus ``"silu"``, ``"softmax_deprecated"``).
    params : list of float
        As EDDL reads them: ``[alpha]`` for leaky_relu, elu, thresholded_relu and linear,
        ``[alpha, scale]`` for selu, ``[axis]`` for softmax; missing values take the defaults
        of the named factories (``LeakyReLu``'s 0.01, ...). Activations without parameters
        ignore any given, as EDDL does, with a warning.
    name : str

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([4])
    >>> eddl.Activation(x, "leaky_relu", [0.02]).p
    {'alpha': 0.02}
    >>> eddl.Activation(x, "softmax", [0]).p
    {'axis': 0}
    """

    prefix = "activation"

    def __init__(self, parent, activation, params=(), name=""):
        if activation not in _NAMES:
            raise ValueError(f"Activation: unknown activation {activation!r}; valid: "
                             f"{_NAMES.names()}")
        key = _NAMES.canonical(activation)
        self.activation = key
        self._f, self._b, defaults = ACTIVATIONS[key]
        self.p = _read_params(activation, key, defaults, params)
        self.prefix = key
        #: set by Model.build when a cross-entropy loss supplies d(loss)/d(input) directly
        self.fused_loss = False
        super().__init__([parent], name)

    def compute_shape(self, s):
        if "axis" in self.p:
            ax = self.p["axis"]
            if not -len(s) <= ax < len(s):
                raise self.shape_error(f"softmax axis {ax} out of range for a {len(s)}-D sample")
            # stored as an axis of the batched array
            self._axis = ax + 1 if ax >= 0 else ax
        return s

    def _params(self):
        if "axis" in self.p:
            return {"axis": self._axis}
        return self.p

    def forward(self):
        self._f(self.be.xp, self.parents[0].output, self.output, self._params(), self.be)

    def backward(self):
        if self.fused_loss:
            self.put_delta(0, lambda out: out.__setitem__(Ellipsis, self.delta))
            return
        x = self.parents[0].output
        self.put_delta(0, lambda out: self._b(self.be.xp, x, self.output, self.delta, out,
                                              self._params(), self.be))


def _read_params(activation, key, defaults, params):
    """``params`` (EDDL's positional list) as a dict over ``defaults``, validated."""
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError(f"Activation {activation!r}: params must be a list of numbers, got "
                        f"{type(params).__name__} {params!r}")
    params = list(params)
    names = list(defaults)
    for v in params:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"Activation {activation!r}: params {params} holds {v!r}; "
                             f"expected finite numbers ({', '.join(names) or 'none'})")
    if len(params) > len(names):
        if "axis" in defaults:
            # EDDL: "Only one axis is supported" (LActivation::Softmax)
            raise ValueError(f"Activation {activation!r}: params={params}; only one axis is "
                             f"supported, e.g. [-1]")
        reads = (f"reads only {', '.join(names)}; params={params} beyond that are" if names
                 else f"takes no parameters; params={params} are")
        warnings.warn(f"Activation {activation!r} {reads} ignored, as in EDDL", UserWarning,
                      stacklevel=4)
    p = dict(defaults)
    for n, v in zip(names, params):
        if n == "axis" and v != int(v):
            raise ValueError(f"Activation {activation!r}: the softmax axis must be an integer, "
                             f"got params={params}")
        p[n] = int(v) if n == "axis" else float(v)
    return p


# --- PyEDDL names ------------------------------------------------------------------------------

def _doc(text, param=None, default=None, extra=""):
    return text + """

    Parameters
    ----------
    parent : Layer
""" + (f"""    {param} : float, default {default}
""" if param else "") + extra + """    name : str

    Returns
    -------
    Layer
"""


for _name, _kind, _text in [
        ("ReLu", "relu", "``max(x, 0)``."),
        ("Sigmoid", "sigmoid", "``1 / (1 + exp(-x))``."),
        ("HardSigmoid", "hard_sigmoid", "``clip(0.2 x + 0.5, 0, 1)``."),
        ("Tanh", "tanh", "Hyperbolic tangent."),
        ("Softsign", "softsign", "``x / (1 + |x|)`` (EDDL's fast tanh)."),
        ("Softplus", "softplus", "``log(1 + exp(x))``."),
        ("Exponential", "exp", "``exp(x)``."),
        ("Selu", "selu", "Scaled ELU with the self-normalising constants."),
        ("Gelu", "gelu", "``x * Phi(x)`` with the exact normal CDF."),
        ("Swish", "swish", "``x * sigmoid(x)``."),
        ("Silu", "swish", "``x * sigmoid(x)`` (same as Swish).")]:
    register_factory(_name, Activation, params="parent, name=''",
                     fixed={"activation": _kind, "params": []}, doc=_doc(_text))

for _name, _kind, _text, _default in [
        ("LeakyReLu", "leaky_relu", "``x`` if positive else ``alpha * x``.", 0.01),
        ("Elu", "elu", "``x`` if positive else ``alpha * (exp(x) - 1)``.", 1.0),
        ("ThresholdedReLu", "thresholded_relu", "``x`` if ``x > alpha`` else 0.", 1.0),
        ("Linear", "linear", "``alpha * x``.", 1.0)]:
    register_factory(_name, Activation, params=f"parent, value={_default!r}, name=''",
                     fixed={"activation": _kind}, pack={"params": ["value"]},
                     doc=_doc(_text, "alpha", _default))

register_factory("Softmax", Activation, params="parent, axis=-1, name=''",
                 fixed={"activation": "softmax"}, pack={"params": ["axis"]},
                 doc=_doc("Softmax over ``axis`` of each sample (batch excluded; -1 is the last axis).",
                          extra="    axis : int\n"))
register_factory("SoftmaxDeprecated", Activation, params="parent, name=''",
                 fixed={"activation": "softmax", "params": [-1]},
                 doc=_doc("Softmax over the last axis (EDDL's older layer)."))
