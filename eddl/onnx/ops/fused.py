"""Fused inference layers: exported as the chain of standard operators they replaced.

Export only: an importer meets ``Conv``, ``Gemm``, ``Add`` and ``Relu`` and rebuilds plain
layers, which :func:`eddl.optimize_for_inference` fuses again.
"""

from ..optable import exporter
from .conv import conv_attributes

_ACT = {"relu": "Relu", "leaky_relu": "LeakyRelu"}


def _epilogue(layer, g, head):
    """Write ``head(out)`` (the fused layer's first operator), then its residual sum and activation."""
    steps = (["Add"] if layer.residual else []) + (
        [_ACT[layer.activation]] if layer.activation != "none" else [])
    y = head(None if steps else g.output(layer))
    for k, op in enumerate(steps):
        out = g.output(layer) if k == len(steps) - 1 else None
        if op == "Add":
            y = g.node("Add", [y, g.inputs(layer)[1]], out)
        else:
            y = g.node(op, [y], out, alpha=layer.alpha if op == "LeakyRelu" else None)


@exporter("FusedConv")
def export_fused_conv(layer, g):
    """``Conv``, then ``Add`` of the residual and ``Relu`` / ``LeakyRelu``, as fused"""
    _epilogue(layer, g, lambda out: g.node(
        "Conv", [g.inputs(layer)[0], g.param(layer, "K"), g.param(layer, "bias")], out,
        **conv_attributes(layer)))


@exporter("FusedDense")
def export_fused_dense(layer, g):
    """``Gemm``, then ``Add`` of the residual and ``Relu`` / ``LeakyRelu``, as fused"""
    ins = [g.inputs(layer)[0], g.param(layer, "W")] + (
        [g.param(layer, "bias")] if layer.use_bias else [])
    _epilogue(layer, g, lambda out: g.node("Gemm", ins, out))


@exporter("FusedAffine")
def export_fused_affine(layer, g):
    """``Mul`` by the scale, ``Add`` of the shift, then the residual ``Add`` and activation"""
    bshape = g.ints((-1,) + (1,) * (len(layer.shape) - 1), "channels")

    def affine(out):
        # the weights keep their names and shapes (a round trip reads them back), reshaped
        # to broadcast over the channel axis in the graph
        scale = g.node("Reshape", [g.param(layer, "scale"), bshape])
        shift = g.node("Reshape", [g.param(layer, "shift"), bshape])
        return g.node("Add", [g.node("Mul", [g.inputs(layer)[0], scale]), shift], out)
    _epilogue(layer, g, affine)
