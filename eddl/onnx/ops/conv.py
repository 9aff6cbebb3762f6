"""Convolutions: ``Conv`` and ``ConvTranspose`` (1-D to 3-D, groups, dilation, any padding)."""

import numpy as np

from ...layers import conv as _conv
from ..optable import exporter, importer

_CONV = {1: _conv.Conv1D, 2: _conv.Conv2D, 3: _conv.Conv3D}
_CONVT = {1: _conv.ConvT1D, 2: _conv.ConvT2D, 3: _conv.ConvT3D}


@exporter("Conv1D", "Conv2D", "Conv3D", "ConvT1D", "ConvT2D", "ConvT3D")
def export_conv(layer, g):
    """``Conv`` / ``ConvTranspose`` with explicit pads"""
    ins = [g.inputs(layer)[0], g.param(layer, "K")]
    if layer.use_bias:
        ins.append(g.param(layer, "bias"))
    attrs = conv_attributes(layer)
    if layer.transposed:
        if any(layer.output_padding):
            attrs["output_padding"] = list(layer.output_padding)
        # "same" transposed padding may need output padding the config does not spell out
        expect = [(n - 1) * s + d * (k - 1) + 1 - b - a + op for n, s, d, k, (b, a), op in zip(
            layer.parents[0].shape[1:], layer.strides, layer.dilation_rate, layer.kernel_size,
            layer.pads, layer.output_padding)]
        if list(expect) != list(layer.shape[1:]):
            attrs["output_padding"] = [o - e + op for o, e, op in
                                       zip(layer.shape[1:], expect, layer.output_padding)]
        g.node("ConvTranspose", ins, g.output(layer), **attrs)
    else:
        g.node("Conv", ins, g.output(layer), **attrs)


def conv_attributes(layer):
    """The ``Conv`` attributes of a convolution layer."""
    return dict(kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                dilations=list(layer.dilation_rate), group=layer.groups,
                pads=[p[0] for p in layer.pads] + [p[1] for p in layer.pads])


def _pads(ctx, spatial, kernel, strides, dilations, transposed=False):
    """Per-axis ``[before, after]`` pads from ``pads``/``auto_pad`` (flattened for the layer)."""
    n = len(spatial)
    if any(int(v) < 1 for v in list(kernel) + list(strides) + list(dilations)):
        raise ctx.error(f"kernel_shape {list(kernel)}, strides {list(strides)} and dilations "
                        f"{list(dilations)} must be >= 1")
    auto = ctx.str_attr("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        pads = ctx.attr("pads", [0] * (2 * n))
        if len(pads) != 2 * n or any(p < 0 for p in pads):
            raise ctx.error(f"pads {list(pads)} must be {2 * n} non-negative ints")
        return [v for i in range(n) for v in (pads[i], pads[n + i])]
    if auto == "VALID":
        return [0] * (2 * n)
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise ctx.unsupported(f"auto_pad {auto!r}")
    out = []
    for size, k, s, d in zip(spatial, kernel, strides, dilations):
        if transposed:
            total = max((size - 1) * s + d * (k - 1) + 1 - size * s, 0)
        else:
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        small, big = total // 2, total - total // 2
        out += [small, big] if auto == "SAME_UPPER" else [big, small]
    return out


@importer("Conv")
def import_conv(node, ctx):
    """Conv1D / Conv2D / Conv3D"""
    return _import(node, ctx, transposed=False)


@importer("ConvTranspose")
def import_convt(node, ctx):
    """ConvT1D / ConvT2D / ConvT3D"""
    return _import(node, ctx, transposed=True)


def _import(node, ctx, transposed):
    x = ctx.act(0)
    w = np.asarray(ctx.const(1))
    nsp = w.ndim - 2
    if nsp not in _CONV or len(x.shape) != nsp + 1:
        raise ctx.unsupported(f"weights of shape {list(w.shape)} on a sample of shape {list(x.shape)}")
    kernel = [int(k) for k in ctx.attr("kernel_shape", w.shape[2:])]
    if kernel != list(w.shape[2:]):
        raise ctx.error(f"kernel_shape {kernel} does not match the weights {list(w.shape)}")
    strides = list(ctx.attr("strides", [1] * nsp))
    dil = list(ctx.attr("dilations", [1] * nsp))
    group = int(ctx.attr("group", 1))
    if len(strides) != nsp or len(dil) != nsp:
        raise ctx.error(f"strides {strides} / dilations {dil} need {nsp} values")
    pads = _pads(ctx, x.shape[1:], kernel, strides, dil, transposed)
    b = ctx.const(2)
    if transposed:
        filters = w.shape[1] * group
        if ctx.attr("output_shape") is not None:
            raise ctx.unsupported("ConvTranspose output_shape attribute (give pads instead)")
        op = list(ctx.attr("output_padding", [0] * nsp))
        layer = _CONVT[nsp](x, filters, kernel, strides=strides, padding=pads, use_bias=b is not None,
                            groups=group, dilation_rate=dil, name=ctx.layer_name(), output_padding=op)
    else:
        filters = w.shape[0]
        if w.shape[1] * group != x.shape[0]:
            raise ctx.error(f"weights {list(w.shape)} with group={group} need {w.shape[1] * group} "
                            f"input channels, the input has {x.shape[0]}")
        layer = _CONV[nsp](x, filters, kernel, strides=strides, padding=pads, use_bias=b is not None,
                           groups=group, dilation_rate=dil, name=ctx.layer_name())
    weights = {"K": w}
    if b is not None:
        weights["bias"] = b
    ctx.set_weights(layer, **weights)
    return layer
