"""Resampling: Resize and Upsample (nearest and linear), from the Resize/Scale/UpSampling layers."""

import numpy as np

from ...layers.upsampling import Resize
from ..optable import exporter, importer
from ..values import Act, Batched, ExportError


@exporter("Resize", "Scale", "UpSampling2D", "UpSampling3D")
def export_resize(layer, g):
    """``Resize`` with explicit output sizes"""
    if getattr(layer, "reshape", True) is False:
        raise ExportError(f"layer {layer.name!r}: {type(layer).__name__} with reshape=False (a "
                          f"canvas of the input's size) has no ONNX form")
    nearest = layer.interp == "nearest"
    attrs = dict(mode="nearest" if nearest else "linear",
                 coordinate_transformation_mode=layer.transform)
    if nearest:
        attrs["nearest_mode"] = "floor" if layer.transform == "asymmetric" else "round_prefer_floor"
    sizes = g.node("Concat", [g.node("Slice", [g.node("Shape", [g.inputs(layer)[0]]),
                                              g.ints([0], "zero"), g.ints([1], "one")]),
                              g.ints(layer.shape, "sizes")], axis=0)
    g.node("Resize", [g.inputs(layer)[0], "", "", sizes], g.output(layer), **attrs)


_TRANSFORMS = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")


def _resize(ctx, x, sizes, mode, transform, nearest_mode):
    if mode not in ("nearest", "linear"):
        raise ctx.unsupported(f"Resize mode {mode!r}")
    if transform not in _TRANSFORMS:
        raise ctx.unsupported(f"coordinate_transformation_mode {transform!r}")
    if mode == "nearest":
        want = "floor" if transform == "asymmetric" else "round_prefer_floor"
        if nearest_mode != want:
            raise ctx.unsupported(f"nearest_mode {nearest_mode!r} with {transform!r} coordinates "
                                  f"(supported: {want!r})")
    if sizes[0] != x.shape[0]:
        raise ctx.unsupported("resizing the channel axis")
    if list(sizes) == list(x.shape) and mode == "nearest":
        return Act(x)
    return Resize(x, [int(s) for s in sizes[1:]], True, "constant", 0.0, transform,
                  name=ctx.layer_name(), interpolation=mode)


def _sizes_from_scales(ctx, x, scales):
    scales = [float(s) for s in np.asarray(scales).reshape(-1)]
    rank = len(x.shape) + 1
    if len(scales) != rank or scales[0] != 1.0:
        raise ctx.error(f"scales {scales} must have {rank} values with 1 for the batch axis")
    sizes = []
    for n, s in zip(x.shape, scales[1:]):
        out = int(np.floor(n * s))
        if abs(out - n * s) > 1e-6:
            raise ctx.unsupported(f"scale {s} that does not give a whole size for {n}")
        sizes.append(out)
    return sizes


@importer("Resize")
def import_resize(node, ctx):
    """Resize"""
    x = ctx.act(0)
    for a, bad in (("antialias", 0), ("exclude_outside", 0)):
        if ctx.attr(a, bad) != bad:
            raise ctx.unsupported(f"{a}={ctx.attr(a)}")
    if ctx.str_attr("keep_aspect_ratio_policy", "stretch") != "stretch":
        raise ctx.unsupported("keep_aspect_ratio_policy other than 'stretch'")
    if ctx.attr("axes") is not None:
        raise ctx.unsupported("the axes attribute")
    if ctx.has(3):
        v = ctx.value(3)
        if isinstance(v, Batched):
            mask = v.batch_mask()
            if not mask[0] or mask[1:].any():
                raise ctx.unsupported("sizes that depend on the batch size beyond axis 0")
            sizes = [int(s) for s in v.values[0][1:]]
        else:
            s = ctx.ints(3)
            sizes = s[1:]
    else:
        scales = ctx.const(2)
        if scales is None or np.asarray(scales).size == 0:
            raise ctx.error("neither scales nor sizes given")
        sizes = _sizes_from_scales(ctx, x, scales)
    if len(sizes) != len(x.shape):
        raise ctx.error(f"sizes {sizes} do not match a sample of shape {list(x.shape)}")
    return _resize(ctx, x, sizes, ctx.str_attr("mode", "nearest"),
                   ctx.str_attr("coordinate_transformation_mode", "half_pixel"),
                   ctx.str_attr("nearest_mode", "round_prefer_floor"))

