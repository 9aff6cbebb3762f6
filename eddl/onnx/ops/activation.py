"""Activations.

Relu, LeakyRelu, PRelu, Elu, Selu, Sigmoid, HardSigmoid, HardSwish, Tanh, Softmax,
LogSoftmax, Softplus, Softsign, Gelu, ThresholdedRelu.
"""

import math

import numpy as np

from ...layers.activations import _SELU_ALPHA, _SELU_SCALE, Activation
from ...layers.merge import Mult, Subtract
from ...layers.operators import Clamp, Scalar, Unary
from ..optable import exporter, importer

_SIMPLE = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softsign": "Softsign",
           "softplus": "Softplus", "exp": "Exp"}


@exporter("Activation")
def export_activation(layer, g):
    """the matching ONNX activation (``Gelu``/``Swish`` as their formulas)"""
    x, out, kind, p = g.inputs(layer)[0], g.output(layer), layer.activation, layer.p
    if kind in _SIMPLE:
        g.node(_SIMPLE[kind], [x], out)
    elif kind == "leaky_relu":
        g.node("LeakyRelu", [x], out, alpha=p["alpha"])
    elif kind == "elu":
        g.node("Elu", [x], out, alpha=p["alpha"])
    elif kind == "selu":
        g.node("Selu", [x], out, alpha=p["alpha"], gamma=p["scale"])
    elif kind == "thresholded_relu":
        g.node("ThresholdedRelu", [x], out, alpha=p["alpha"])
    elif kind == "hard_sigmoid":
        g.node("HardSigmoid", [x], out, alpha=0.2, beta=0.5)
    elif kind == "linear":
        g.node("Mul", [x, g.const(np.float32(p["alpha"]), "alpha")], out)
    elif kind in ("softmax", "log_softmax"):
        g.node("Softmax" if kind == "softmax" else "LogSoftmax", [x], out, axis=layer._axis)
    elif kind == "gelu":
        # opset 20's Gelu is newer than what many runtimes read: write the erf formula
        t = g.node("Erf", [g.node("Mul", [x, g.const(np.float32(1 / math.sqrt(2.0)), "rsqrt2")])])
        t = g.node("Add", [t, g.const(np.float32(1.0), "one")])
        g.node("Mul", [g.node("Mul", [x, g.const(np.float32(0.5), "half")]), t], out)
    elif kind == "swish":
        g.node("Mul", [x, g.node("Sigmoid", [x])], out)
    else:  # pragma: no cover - every activation is listed above
        raise ValueError(f"layer {layer.name!r}: activation {kind!r} has no ONNX form")


def _act(ctx, kind, params=()):
    return Activation(ctx.act(0), kind, list(params), name=ctx.layer_name())


def _simple(kind, doc):
    def imp(node, ctx):
        return _act(ctx, kind)
    imp.__doc__ = doc
    return imp


for _op, _kind in (("Relu", "relu"), ("Sigmoid", "sigmoid"), ("Tanh", "tanh"),
                   ("Softsign", "softsign"), ("Softplus", "softplus")):
    importer(_op)(_simple(_kind, f"Activation {_kind!r}"))


@importer("LeakyRelu")
def import_leaky(node, ctx):
    """Activation 'leaky_relu'"""
    return _act(ctx, "leaky_relu", [ctx.attr("alpha", 0.01)])


@importer("Elu")
def import_elu(node, ctx):
    """Activation 'elu'"""
    return _act(ctx, "elu", [ctx.attr("alpha", 1.0)])


@importer("ThresholdedRelu")
def import_thresholded(node, ctx):
    """Activation 'thresholded_relu'"""
    return _act(ctx, "thresholded_relu", [ctx.attr("alpha", 1.0)])


@importer("Selu")
def import_selu(node, ctx):
    """Activation 'selu'"""
    # Activation "selu" reads [alpha, scale], EDDL's order (ONNX calls the scale gamma)
    alpha, gamma = ctx.attr("alpha", _SELU_ALPHA), ctx.attr("gamma", _SELU_SCALE)
    return _act(ctx, "selu", [alpha, gamma])


@importer("PRelu")
def import_prelu(node, ctx):
    """Activation 'leaky_relu' (one slope), else ``relu(x) - slope * relu(-x)`` (fixed slopes)"""
    slope = np.asarray(ctx.const(1))
    if slope.size == 1 or np.all(slope == slope.reshape(-1)[0]):
        return _act(ctx, "leaky_relu", [float(slope.reshape(-1)[0])])
    from .elementwise import _const_layer

    x = ctx.act(0)
    pos = Activation(x, "relu", name=ctx.layer_name("_pos"))
    neg = Activation(Scalar(x, "mul", -1.0, name=ctx.layer_name("_neg_in")), "relu",
                     name=ctx.layer_name("_neg"))
    scaled = Mult([neg, _const_layer(ctx, 1, x)], name=ctx.layer_name("_scaled"))
    return Subtract([pos, scaled], name=ctx.layer_name())


def _hard_sigmoid(ctx, x, alpha, beta, suffix=""):
    if abs(alpha - 0.2) < 1e-7 and abs(beta - 0.5) < 1e-7:
        return Activation(x, "hard_sigmoid", name=ctx.layer_name(suffix))
    y = Scalar(x, "mul", alpha, name=ctx.layer_name(suffix + "_scale"))
    y = Scalar(y, "add", beta, name=ctx.layer_name(suffix + "_shift"))
    return Clamp(y, 0.0, 1.0, name=ctx.layer_name(suffix))


@importer("HardSigmoid")
def import_hard_sigmoid(node, ctx):
    """Activation 'hard_sigmoid' (or scale, shift and clamp for other constants)"""
    return _hard_sigmoid(ctx, ctx.act(0), float(ctx.attr("alpha", 0.2)), float(ctx.attr("beta", 0.5)))


@importer("HardSwish")
def import_hard_swish(node, ctx):
    """Mult of the input and its hard sigmoid"""
    x = ctx.act(0)
    return Mult([x, _hard_sigmoid(ctx, x, 1.0 / 6.0, 0.5, "_gate")], name=ctx.layer_name())


def _softmax(kind):
    def imp(node, ctx):
        x = ctx.act(0)
        axis = ctx.sample_axis(ctx.attr("axis", -1), len(x.shape) + 1)
        return Activation(x, kind, [axis], name=ctx.layer_name())
    imp.__doc__ = f"Activation {kind!r}"
    return imp


importer("Softmax", 13)(_softmax("softmax"))
importer("LogSoftmax", 13)(_softmax("log_softmax"))


@importer("Gelu")
def import_gelu(node, ctx):
    """Activation 'gelu'"""
    if ctx.str_attr("approximate", "none") != "none":
        raise ctx.unsupported("Gelu approximate='tanh'")
    return _act(ctx, "gelu")


@importer("Erf")
def import_erf(node, ctx):
    """Unary 'erf'"""
    return Unary(ctx.act(0), "erf", name=ctx.layer_name())
