"""Pooling: MaxPool, AveragePool (ceil mode, padding), GlobalMaxPool, GlobalAveragePool."""

from ...layers import pool as _pool
from ...layers.upsampling import Pad
from ..optable import exporter, importer
from .conv import _pads


@exporter("MaxPool", "AveragePool")
def export_pool(layer, g):
    """``MaxPool`` / ``AveragePool`` (padding excluded from averages)"""
    attrs = dict(kernel_shape=list(layer.pool_size), strides=list(layer.strides),
                 pads=[p[0] for p in layer.pads] + [p[1] for p in layer.pads],
                 ceil_mode=int(layer.ceil_mode))
    if layer.kind == "avg":
        attrs["count_include_pad"] = 0
    g.node("MaxPool" if layer.kind == "max" else "AveragePool", g.inputs(layer), g.output(layer),
           **attrs)


@exporter("GlobalMaxPool", "GlobalAveragePool")
def export_global_pool(layer, g):
    """``GlobalMaxPool`` / ``GlobalAveragePool``"""
    g.node("GlobalMaxPool" if layer.kind == "max" else "GlobalAveragePool", g.inputs(layer),
           g.output(layer))


def _import_pool(node, ctx, cls):
    x = ctx.act(0)
    nsp = len(x.shape) - 1
    kernel = [int(k) for k in ctx.attr("kernel_shape")]
    if len(kernel) != nsp or not 1 <= nsp <= 3:
        raise ctx.error(f"kernel_shape {kernel} does not fit a sample of shape {list(x.shape)}")
    strides = [int(s) for s in ctx.attr("strides", [1] * nsp)]
    if any(d != 1 for d in ctx.attr("dilations", [1] * nsp)):
        raise ctx.unsupported("pooling with dilations")
    if ctx.attr("storage_order", 0):
        raise ctx.unsupported("storage_order=1")
    if len(node.output) > 1 and node.output[1]:
        raise ctx.unsupported("the Indices output of MaxPool")
    pads = _pads(ctx, x.shape[1:], kernel, strides, [1] * nsp)
    name = ctx.layer_name()
    if cls is _pool.AveragePool and ctx.attr("count_include_pad", 0) and any(pads):
        # padding counted in the average: pad with zeros first, then average the windows
        if nsp != 2:
            raise ctx.unsupported("count_include_pad=1 with padding on 1-D or 3-D inputs")
        x = Pad(x, [pads[0], pads[3], pads[1], pads[2]], 0.0, name=ctx.layer_name("_pad"))
        pads = [0] * (2 * nsp)
    return cls(x, kernel, strides, pads, bool(ctx.attr("ceil_mode", 0)), name=name, nsp=nsp)


@importer("MaxPool")
def import_maxpool(node, ctx):
    """MaxPool"""
    return _import_pool(node, ctx, _pool.MaxPool)


@importer("AveragePool")
def import_avgpool(node, ctx):
    """AveragePool"""
    return _import_pool(node, ctx, _pool.AveragePool)


@importer("GlobalMaxPool")
def import_global_max(node, ctx):
    """GlobalMaxPool"""
    return _pool.GlobalMaxPool(ctx.act(0), name=ctx.layer_name())


@importer("GlobalAveragePool")
def import_global_avg(node, ctx):
    """GlobalAveragePool"""
    return _pool.GlobalAveragePool(ctx.act(0), name=ctx.layer_name())
