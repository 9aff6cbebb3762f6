"""Dense (Gemm / MatMul), MatMul of two activations, Dropout, Bypass and Identity."""

import numpy as np

from ...layers.core import Dense, Dropout
from ..optable import exporter, importer
from ..values import Act, node_key


@exporter("Dense")
def export_dense(layer, g):
    """``Gemm`` on 2-D inputs, ``MatMul`` (+ ``Add``) otherwise"""
    x = g.inputs(layer)[0]
    w = g.param(layer, "W")
    if len(layer.parents[0].shape) == 1:
        ins = [x, w] + ([g.param(layer, "bias")] if layer.use_bias else [])
        g.node("Gemm", ins, g.output(layer))
    elif layer.use_bias:
        y = g.node("MatMul", [x, w])
        g.node("Add", [y, g.param(layer, "bias")], g.output(layer))
    else:
        g.node("MatMul", [x, w], g.output(layer))


@exporter("MatMul")
def export_matmul(layer, g):
    """``MatMul`` of the samples seen as the layer's matrix views (``Reshape`` around it)"""
    a, b = g.inputs(layer)
    # the views add the unit axes NumPy's rule adds, so the batch axes line up in ONNX too
    a = g.node("Reshape", [a, g.ints((0,) + layer._av, "a_view")])
    b = g.node("Reshape", [b, g.ints((0,) + layer._bv, "b_view")])
    y = g.node("MatMul", [a, b])
    g.node("Reshape", [y, g.ints([0] + list(layer.shape))], g.output(layer))


@exporter("Dropout")
def export_dropout(layer, g):
    """``Dropout`` in training form, ``Identity`` (or ``Mul`` by ``1 - rate`` if not inverted) at inference"""
    x, out = g.inputs(layer)[0], g.output(layer)
    keep = None if layer.iw else g.const(np.float32(1.0 - layer.rate), "keep")
    if g.training:
        y = g.node("Dropout", [x, g.const(np.float32(layer.rate), "ratio"),
                               g.const(np.bool_(True), "training_mode")],
                   out if keep is None else None)
        if keep is not None:
            # ONNX drops with inverted scaling: undo it
            g.node("Mul", [y, keep], out)
    elif keep is None:
        g.node("Identity", [x], out)
    else:
        g.node("Mul", [x, keep], out)


@exporter("Bypass")
def export_bypass(layer, g):
    """``Identity``"""
    g.node("Identity", g.inputs(layer), g.output(layer))


def _dense(ctx, parent, w, b):
    layer = Dense(parent, int(w.shape[1]), use_bias=b is not None, name=ctx.layer_name())
    weights = {"W": w}
    if b is not None:
        weights["bias"] = np.broadcast_to(b, (w.shape[1],))
    ctx.set_weights(layer, **weights)
    return layer


@importer("Gemm")
def import_gemm(node, ctx):
    """Dense"""
    x = ctx.act(0)
    if len(x.shape) != 1:
        raise ctx.error(f"Gemm needs a 2-D input, got a sample shape {list(x.shape)}")
    if ctx.attr("transA", 0):
        raise ctx.unsupported("transA=1 on the activation input")
    w = np.asarray(ctx.const(1), dtype=np.float64)
    if w.ndim != 2:
        raise ctx.error(f"B must be 2-D, got shape {list(w.shape)}")
    if ctx.attr("transB", 0):
        w = w.T
    w = w * ctx.attr("alpha", 1.0)
    if w.shape[0] != x.shape[0]:
        raise ctx.error(f"B has {w.shape[0]} rows for {x.shape[0]} input features")
    b = ctx.const(2)
    if b is not None:
        b = np.asarray(b, dtype=np.float64) * ctx.attr("beta", 1.0)
        if b.size not in (1, w.shape[1]) or (b.ndim == 2 and b.shape[0] != 1):
            raise ctx.error(f"C of shape {list(b.shape)} does not broadcast to [batch, {w.shape[1]}]")
        b = b.reshape(-1)
    return _dense(ctx, x, w, b)


@importer("MatMul")
def import_matmul(node, ctx):
    """Dense (constant right operand) or MatMul"""
    if ctx.is_act(0) and not ctx.is_act(1):
        x = ctx.act(0)
        w = ctx.const(1)
        if w.ndim != 2:
            raise ctx.unsupported(f"constant right operand of rank {w.ndim} (Dense needs 2-D)")
        if w.shape[0] != x.shape[-1]:
            raise ctx.error(f"right operand has {w.shape[0]} rows for {x.shape[-1]} features")
        bias = _fused_bias(ctx, node, w.shape[1])
        return _dense(ctx, x, w, bias)
    if ctx.is_act(0) and ctx.is_act(1):
        from ...layers import registry

        if "MatMul" not in registry.LAYERS:
            raise ctx.unsupported("MatMul of two activations")
        cls = registry.LAYERS.get("MatMul")
        return cls([ctx.act(0), ctx.act(1)], name=ctx.layer_name())
    raise ctx.unsupported("MatMul with a constant left operand")


def _fused_bias(ctx, node, units):
    """A following ``Add`` of a constant vector becomes the Dense bias (the pair torch writes)."""
    out = node.output[0]
    nxt = ctx.next_nodes.get(out)
    if ctx.n_consumers(out) != 1 or nxt is None or nxt.op_type != "Add":
        return None
    other = nxt.input[1] if nxt.input[0] == out else nxt.input[0]
    b = ctx.values.get(other)
    if not isinstance(b, np.ndarray) or b.size != units or b.shape[-1] != units:
        return None
    ctx.fused.add(node_key(nxt))
    ctx.alias[nxt.output[0]] = out
    return b.reshape(-1)


@importer("Dropout")
def import_dropout(node, ctx):
    """Dropout (identity at inference)"""
    ratio = ctx.const(1)
    rate = float(ctx.attr("ratio", 0.5)) if ratio is None else float(np.asarray(ratio))
    return Dropout(ctx.act(0), rate, name=ctx.layer_name())


@importer("Identity")
def import_identity(node, ctx):
    """no layer (the input passes through)"""
    return Act(ctx.act(0))
