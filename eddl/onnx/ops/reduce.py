"""Reductions: ReduceMean/Sum/Max/Min, ArgMax (never over the batch axis)."""

from ...layers.reductions import Reduce
from ..optable import exporter, importer
from ..values import Act

_OPS = {"mean": "ReduceMean", "sum": "ReduceSum", "max": "ReduceMax", "min": "ReduceMin"}


@exporter("Reduce")
def export_reduce(layer, g):
    """``ReduceMean``/``ReduceSum``/``ReduceMax``/``ReduceMin``/``ArgMax`` (``var`` as its formula)"""
    x, out = g.inputs(layer)[0], g.output(layer)
    axes = list(layer._axes)
    keep = int(layer.keepdims)
    natural = layer._kept if keep else tuple(d for i, d in enumerate(layer._kept) if i + 1 not in axes)
    squeeze_to = None if tuple(natural) == tuple(layer.shape) else layer.shape
    target = g.tmp("reduced") if squeeze_to is not None else out
    if squeeze_to is not None:
        # keep the reduced axes and reshape after: the intermediate is never a 1-D batch
        keep = 1
    if layer.op == "argmax":
        y = g.node("ArgMax", [x], axis=axes[0], keepdims=keep)
        g.node("Cast", [y], target, to=1)
    elif layer.op == "var":
        mean = g.reduce("ReduceMean", x, axes)
        d = g.node("Sub", [x, mean])
        g.reduce("ReduceMean", g.node("Mul", [d, d]), axes, target, keepdims=keep)
    else:
        g.reduce(_OPS[layer.op], x, axes, target, keepdims=keep)
    if squeeze_to is not None:
        # a full reduction keeps one value per sample
        g.node("Reshape", [target, g.ints([0] + list(squeeze_to))], out)


def _reduce(op):
    onnx_op = _OPS[op]

    def imp(node, ctx):
        x = ctx.act(0)
        rank = len(x.shape) + 1
        raw = ctx.ints(1) if ctx.has(1) else ctx.attr("axes")
        if raw is None or len(raw) == 0:
            if ctx.attr("noop_with_empty_axes", 0):
                return Act(x)
            raise ctx.unsupported("a reduction over all axes, the batch axis included")
        axes = sorted({ctx.sample_axis(a, rank) for a in raw})
        keep = bool(ctx.attr("keepdims", 1))
        if not keep and len(axes) == len(x.shape):
            raise ctx.unsupported("a reduction of every sample axis without keepdims "
                                  "(it would leave a 1-D batch)")
        return Reduce(x, op, axes, keep, name=ctx.layer_name())
    imp.__doc__ = f"Reduce {op!r}"
    importer(onnx_op)(imp)


for _op in _OPS:
    _reduce(_op)


@importer("ArgMax")
def import_argmax(node, ctx):
    """Reduce 'argmax' (indices as floats)"""
    x = ctx.act(0)
    if ctx.attr("select_last_index", 0):
        raise ctx.unsupported("select_last_index=1")
    ax = ctx.sample_axis(ctx.attr("axis", 0), len(x.shape) + 1)
    keep = bool(ctx.attr("keepdims", 1))
    if not keep and len(x.shape) == 1:
        raise ctx.unsupported("ArgMax of 1-D samples without keepdims")
    return Reduce(x, "argmax", [ax], keep, name=ctx.layer_name())


