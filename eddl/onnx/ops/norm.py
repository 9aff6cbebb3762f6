"""Normalizations: BatchNormalization, LayerNormalization, Group/InstanceNormalization, Norm*."""

import numpy as np

from ...layers import normalization as _norm
from ..optable import exporter, importer


def _affine_inputs(layer, g, shape):
    if layer.affine:
        return [g.param(layer, "bn_g"), g.param(layer, "bn_b")]
    return [g.const(np.ones(shape), "scale"), g.const(np.zeros(shape), "bias")]


@exporter("BatchNormalization")
def export_batchnorm(layer, g):
    """``BatchNormalization`` (``training_mode=1`` in the training form)"""
    c = layer.shape[0]
    ins = [g.inputs(layer)[0]] + _affine_inputs(layer, g, (c,)) + [
        g.param(layer, "mean"), g.param(layer, "variance")]
    if g.training:
        g.node("BatchNormalization", ins, [g.output(layer), g.tmp("running_mean"),
                                           g.tmp("running_var")],
               epsilon=layer.epsilon, momentum=layer.momentum, training_mode=1)
    else:
        g.node("BatchNormalization", ins, g.output(layer), epsilon=layer.epsilon,
               momentum=layer.momentum)


@exporter("LayerNormalization", "Norm")
def export_layernorm(layer, g):
    """``LayerNormalization``"""
    shape = tuple(layer.shape[layer._axis:]) if hasattr(layer, "_axis") else tuple(layer.shape)
    axis = getattr(layer, "_axis", 0) + 1
    g.node("LayerNormalization", [g.inputs(layer)[0]] + _affine_inputs(layer, g, shape),
           g.output(layer), axis=axis, epsilon=layer.epsilon)


@exporter("GroupNormalization")
def export_groupnorm(layer, g):
    """``Reshape`` + ``InstanceNormalization`` + per-channel ``Mul``/``Add``"""
    c, groups = layer.shape[0], layer.groups
    x = g.node("Reshape", [g.inputs(layer)[0], g.ints([0, groups, -1])])
    y = g.node("InstanceNormalization", [x, g.const(np.ones(groups), "ones"),
                                         g.const(np.zeros(groups), "zeros")],
               epsilon=layer.epsilon)
    back = [0] + list(layer.shape)
    if not layer.affine:
        g.node("Reshape", [y, g.ints(back)], g.output(layer))
        return
    y = g.node("Reshape", [y, g.ints(back)])
    pshape = (c,) + (1,) * (len(layer.shape) - 1)
    gamma = g.node("Reshape", [g.param(layer, "bn_g"), g.ints(pshape)])
    beta = g.node("Reshape", [g.param(layer, "bn_b"), g.ints(pshape)])
    g.node("Add", [g.node("Mul", [y, gamma]), beta], g.output(layer))


@exporter("NormMax", "NormMinMax")
def export_normmax(layer, g):
    """``(x - min) / (max - min + eps)`` with ``ReduceMax``/``ReduceMin``"""
    x = g.inputs(layer)[0]
    axes = list(range(1, len(layer.shape) + 1))
    hi = g.reduce("ReduceMax", x, axes)
    eps = g.const(np.float32(layer.epsilon), "eps")
    if layer.use_min:
        lo = g.reduce("ReduceMin", x, axes)
        num = g.node("Sub", [x, lo])
        den = g.node("Add", [g.node("Sub", [hi, lo]), eps])
    else:
        num = x
        den = g.node("Add", [hi, eps])
    g.node("Div", [num, den], g.output(layer))


@importer("BatchNormalization")
def import_batchnorm(node, ctx):
    """BatchNormalization"""
    x = ctx.act(0)
    scale, bias, mean, var = (np.asarray(ctx.const(i), dtype=np.float32) for i in range(1, 5))
    c = x.shape[0]
    for what, a in (("scale", scale), ("B", bias), ("mean", mean), ("var", var)):
        if a.shape != (c,):
            raise ctx.error(f"{what} has shape {list(a.shape)}, the input has {c} channels")
    layer = _norm.BatchNormalization(x, True, momentum=float(ctx.attr("momentum", 0.9)),
                                     epsilon=float(ctx.attr("epsilon", 1e-5)),
                                     name=ctx.layer_name())
    ctx.set_weights(layer, bn_g=scale, bn_b=bias, mean=mean, variance=var)
    outs = [layer]
    if len(node.output) > 1:
        # the training form's running statistics outputs are the layer's states
        outs += [mean, var]
    return outs


@importer("LayerNormalization")
def import_layernorm(node, ctx):
    """LayerNormalization"""
    x = ctx.act(0)
    rank = len(x.shape) + 1
    axis = ctx.sample_axis(ctx.attr("axis", -1), rank)
    if len(node.output) > 1 and any(node.output[1:]):
        raise ctx.unsupported("Mean / InvStdDev outputs")
    pshape = tuple(x.shape[axis:])
    scale = np.broadcast_to(np.asarray(ctx.const(1), np.float32), pshape)
    b = ctx.const(2)
    bias = np.zeros(pshape, np.float32) if b is None else np.broadcast_to(np.asarray(b, np.float32), pshape)
    layer = _norm.LayerNormalization(x, True, epsilon=float(ctx.attr("epsilon", 1e-5)),
                                     name=ctx.layer_name(), axis=axis)
    ctx.set_weights(layer, bn_g=scale, bn_b=bias)
    return layer


def _group(ctx, x, groups, scale, bias, eps):
    c = x.shape[0]
    if len(x.shape) < 2:
        raise ctx.error(f"needs a channels x spatial input, got a sample shape {list(x.shape)}")
    if groups < 1 or c % groups:
        raise ctx.error(f"num_groups {groups} does not divide the {c} channels")
    layer = _norm.GroupNormalization(x, groups, epsilon=eps, affine=True, name=ctx.layer_name())
    ctx.set_weights(layer, bn_g=scale, bn_b=bias)
    return layer


@importer("InstanceNormalization")
def import_instancenorm(node, ctx):
    """GroupNormalization (one group per channel)"""
    x = ctx.act(0)
    c = x.shape[0]
    scale, bias = (np.asarray(ctx.const(i), np.float32) for i in (1, 2))
    if scale.shape != (c,) or bias.shape != (c,):
        raise ctx.error(f"scale/B shapes {list(scale.shape)}/{list(bias.shape)} need [{c}]")
    return _group(ctx, x, c, scale, bias, float(ctx.attr("epsilon", 1e-5)))


@importer("GroupNormalization")
def import_groupnorm(node, ctx):
    """GroupNormalization"""
    x = ctx.act(0)
    c = x.shape[0]
    groups = int(ctx.attr("num_groups"))
    scale, bias = (np.asarray(ctx.const(i), np.float32) for i in (1, 2))
    if ctx.attr("stash_type", 1) != 1:
        raise ctx.unsupported("stash_type other than float32")
    if scale.shape == (groups,) and ctx.opset < 21 and groups != c:
        # opset 18's scale and bias are per group
        scale, bias = np.repeat(scale, c // groups), np.repeat(bias, c // groups)
    if scale.shape != (c,) or bias.shape != (c,):
        raise ctx.error(f"scale/bias shapes {list(scale.shape)}/{list(bias.shape)} do not match "
                        f"{c} channels")
    return _group(ctx, x, groups, scale, bias, float(ctx.attr("epsilon", 1e-5)))
