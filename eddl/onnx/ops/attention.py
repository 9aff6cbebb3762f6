"""Attention layers and positional encodings, exported as standard operators.

``MatMul``, ``Transpose``, ``Reshape``, ``Softmax``, ``Add``, ``Clip``, ``Where`` and friends, at any
opset from 17, rather than opset 23's ``Attention`` (which onnxruntime and the reference
evaluator do not all run, and which has no additive attention). A masked key gets the score
:data:`~eddl.layers.attention.MASKED` added, as in the layers. The multi-head layer's packed
``in_proj_weight`` is written as it is and split in the graph, so weights keep their names
and layout. Nets holding these layers come back from their own export exactly (through the
configuration the exporter embeds); without it, the graph imports node by node as the
generic layers it is made of (``MatMul``, ``Softmax``, ...), computing the same.
"""

import math

import numpy as np
import onnx

from ...layers.attention import MASKED
from ...layers.positional import sinusoids
from ..optable import exporter
from ..values import ExportError


def _mask_bias(layer, g, tq, tk, heads_axis):
    """Return the value added to the scores for ``layer``'s mask (None without one)."""
    if layer.mask is None:
        return None
    m = g.inputs(layer)[-1]
    if layer.mask == "additive":
        bias = m if tq is not None else g.node("Unsqueeze", [m, g.ints([1], "axes")])
    else:
        neg, zero = g.const(np.float32(MASKED), "masked"), g.const(np.float32(0.0), "zero")
        if layer.mask == "lengths":
            # clip(j + 1 - length, 0, 1): 1 at keys j >= length (integer lengths)
            index = g.const(np.arange(1, tk + 1, dtype=np.float32), "key_index")
            hidden = g.node("Clip", [g.node("Sub", [index, m]), zero,
                                     g.const(np.float32(1.0), "one")])
            bias = g.node("Mul", [hidden, neg])
        else:
            flags = g.node("Cast", [m], to=onnx.TensorProto.BOOL)
            bias = g.node("Where", [flags, neg, zero])
        bias = g.node("Unsqueeze", [bias, g.ints([1], "axes")])
    if heads_axis:
        bias = g.node("Unsqueeze", [bias, g.ints([1], "axes")])
    return bias


def _weights(layer, g, scores, tq, tk, heads_axis):
    """Masks, ``Softmax`` and (training form) ``Dropout``: the weights the context uses."""
    bias = _mask_bias(layer, g, tq, tk, heads_axis)
    if bias is not None:
        scores = g.node("Add", [scores, bias])
    if layer.causal:
        causal = np.triu(np.full((tq, tk), MASKED, dtype=np.float32), 1)
        scores = g.node("Add", [scores, g.const(causal, "causal")])
    w = g.node("Softmax", [scores], axis=-1)
    if g.training and layer.dropout > 0:
        w = g.node("Dropout", [w, g.const(np.float32(layer.dropout), "ratio"),
                               g.const(np.bool_(True), "training_mode")])
    g.shared[("attention_weights", layer.name)] = w
    return w


@exporter("ScaledDotProductAttention")
def export_sdpa(layer, g):
    """``MatMul`` + ``Mul`` + masks (``Clip``, ``Where``, ``Add``) + ``Softmax`` + ``MatMul``"""
    q, k, v = g.inputs(layer)[:3]
    tq, tk = layer._score_dims()
    kt = g.node("Transpose", [k], perm=[0, 2, 1])
    s = g.node("Mul", [g.node("MatMul", [q, kt]), g.const(np.float32(layer.factor), "scale")])
    w = _weights(layer, g, s, tq, tk, False)
    g.node("MatMul", [w, v], g.output(layer))


def _linear(g, x, w, b):
    y = g.node("MatMul", [x, g.node("Transpose", [w], perm=[1, 0])])
    return y if b is None else g.node("Add", [y, b])


@exporter("MultiHeadAttention")
def export_mha(layer, g):
    """``Split``, ``MatMul`` projections, ``Reshape``/``Transpose`` into heads, ``MatMul``, ``Softmax``"""
    e, h = layer.embed_dim, layer.num_heads
    dh = e // h
    tq, tk = layer._score_dims()
    xs = g.inputs(layer)[:3]
    if layer.packed:
        ws = g.node("Split", [g.param(layer, "in_proj_weight"), g.ints([e] * 3, "split")],
                    [g.tmp(f"W{n}") for n in "qkv"], axis=0)
    else:
        ws = [g.param(layer, f"{n}_proj_weight") for n in "qkv"]
    bs = [None] * 3
    if layer.bias:
        bs = g.node("Split", [g.param(layer, "in_proj_bias"), g.ints([e] * 3, "split")],
                    [g.tmp(f"b{n}") for n in "qkv"], axis=0)
    heads = []
    for x, w, b, t, perm in zip(xs, ws, bs, (tq, tk, tk), ([0, 2, 1, 3], [0, 2, 3, 1],
                                                         [0, 2, 1, 3])):
        y = g.node("Reshape", [_linear(g, x, w, b), g.ints([0, t, h, dh])])
        heads.append(g.node("Transpose", [y], perm=perm))
    qh, kt, vh = heads
    s = g.node("Mul", [g.node("MatMul", [qh, kt]), g.const(np.float32(1 / math.sqrt(dh)),
                                                          "scale")])
    w = _weights(layer, g, s, tq, tk, True)
    ctx = g.node("Transpose", [g.node("MatMul", [w, vh])], perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.ints([0, tq, e])])
    bo = g.param(layer, "out_proj_bias") if layer.bias else None
    y = g.node("MatMul", [ctx, g.node("Transpose", [g.param(layer, "out_proj_weight")],
                                      perm=[1, 0])])
    if bo is None:
        g.node("Identity", [y], g.output(layer))
    else:
        g.node("Add", [y, bo], g.output(layer))


@exporter("AdditiveAttention")
def export_additive(layer, g):
    """``MatMul`` projections, broadcast ``Add`` + ``Tanh``, ``MatMul``, ``Softmax``, ``MatMul``"""
    q, k = g.inputs(layer)[:2]
    tq, tk = layer._score_dims()
    u = layer.units
    if tq is None:
        q = g.node("Unsqueeze", [q, g.ints([1], "axes")])
    pq = g.node("Add", [g.node("MatMul", [q, g.param(layer, "Wq")]), g.param(layer, "bias")])
    pk = g.node("MatMul", [k, g.param(layer, "Wk")])
    hidden = g.node("Tanh", [g.node("Add", [g.node("Unsqueeze", [pq, g.ints([2], "axes")]),
                                            g.node("Unsqueeze", [pk, g.ints([1], "axes")])])])
    v = g.node("Reshape", [g.param(layer, "v"), g.ints([u, 1])])
    s = g.node("Squeeze", [g.node("MatMul", [hidden, v]), g.ints([3], "axes")])
    w = _weights(layer, g, s, tq, tk, False)
    if tq is None:
        ctx = g.node("MatMul", [w, k])
        g.node("Squeeze", [ctx, g.ints([1], "axes")], g.output(layer))
        g.shared[("attention_weights", layer.name)] = g.node("Squeeze", [w, g.ints([1], "axes")])
    else:
        g.node("MatMul", [w, k], g.output(layer))


@exporter("AttentionWeights")
def export_attention_weights(layer, g):
    """The attention layer's ``Softmax`` output (``ReduceMean`` over the heads)"""
    parent = layer.parents[0]
    w = g.shared.get(("attention_weights", parent.name))
    if w is None:
        raise ExportError(f"layer {layer.name!r}: its attention layer {parent.name!r} was not "
                          f"exported before it")
    if layer.average and parent.heads > 1:
        g.reduce("ReduceMean", w, [1], g.output(layer), keepdims=0)
    else:
        g.node("Identity", [w], g.output(layer))


@exporter("PositionalEncoding")
def export_positional(layer, g):
    """``Add`` of the sinusoids (a constant)"""
    table = g.const(sinusoids(*layer.shape), "sinusoids")
    g.node("Add", [g.inputs(layer)[0], table], g.output(layer))


@exporter("LearnedPositionalEncoding")
def export_learned_positional(layer, g):
    """``Add`` of the table ``P``"""
    g.node("Add", [g.inputs(layer)[0], g.param(layer, "P")], g.output(layer))
