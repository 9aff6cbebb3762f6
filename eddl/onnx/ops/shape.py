"""Shapes and indexing.

Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Slice, Split, Gather, Pad, Cast.
"""

import math

import numpy as np

from ...layers import reshape as _reshape
from ...layers.merge import Concat
from ...layers.upsampling import Pad
from ..optable import exporter, importer
from ..values import Act, Batched, TimeMajor


@exporter("Reshape", "Squeeze", "Unsqueeze")
def export_reshape(layer, g):
    """``Reshape`` (batch axis kept)"""
    g.node("Reshape", [g.inputs(layer)[0], g.ints([0] + list(layer.shape))], g.output(layer))


@exporter("Flatten")
def export_flatten(layer, g):
    """``Flatten`` with ``axis=1``"""
    g.node("Flatten", g.inputs(layer), g.output(layer), axis=1)


@exporter("Permute", "Transpose")
def export_permute(layer, g):
    """``Transpose``"""
    g.node("Transpose", g.inputs(layer), g.output(layer), perm=[0] + [d + 1 for d in layer.dims])


@exporter("Concat")
def export_concat(layer, g):
    """``Concat``"""
    nd = len(layer.shape)
    g.node("Concat", g.inputs(layer), g.output(layer), axis=(layer.axis % nd) + 1)


@exporter("Select")
def export_select(layer, g):
    """``Slice``"""
    sl = layer._sl
    g.node("Slice", [g.inputs(layer)[0], g.ints([s.start for s in sl], "starts"),
                     g.ints([s.stop for s in sl], "ends"),
                     g.ints(range(1, len(sl) + 1), "axes")], g.output(layer))


@exporter("Pad")
def export_pad(layer, g):
    """``Pad`` (constant mode, last two axes)"""
    t, r, b, l = layer.padding
    nd = len(layer.shape) + 1
    pads = [0] * (2 * nd)
    pads[nd - 2], pads[nd - 1], pads[2 * nd - 2], pads[2 * nd - 1] = t, l, b, r
    g.node("Pad", [g.inputs(layer)[0], g.ints(pads, "pads"),
                   g.const(np.float32(layer.constant), "value")], g.output(layer), mode="constant")


def _reshape_to(ctx, x, shape, suffix=""):
    shape = tuple(int(s) for s in shape)
    if shape == tuple(x.shape):
        return Act(x)
    return _reshape.Reshape(x, list(shape), name=ctx.layer_name(suffix))


@importer("Reshape")
def import_reshape(node, ctx):
    """Reshape (the batch axis must stay first)"""
    x = ctx.act(0)
    v = ctx.value(1)
    allowzero = ctx.attr("allowzero", 0)
    full = [None] + list(x.shape)
    if isinstance(v, Batched):
        target = [int(t) for t in v.values[0]]
        mask = v.batch_mask()
        if not mask[0] or mask[1:].any():
            raise ctx.unsupported("a target shape whose batch-dependent entries are not just "
                                  "the first one")
        target[0] = None
    else:
        target = [int(t) for t in np.asarray(ctx.const(1)).reshape(-1)]
    if not allowzero:
        for i, t in enumerate(target):
            if t == 0:
                if i >= len(full):
                    raise ctx.error(f"target {target}: 0 at axis {i} copies a missing input axis")
                target[i] = full[i]
    if target and target[0] is None:
        rest = target[1:]
    elif target and target[0] == -1 and -1 not in target[1:] and all(t > 0 for t in target[1:]):
        # [-1, features...]: the batch axis is kept when the features hold a whole sample
        if math.prod(target[1:]) != math.prod(x.shape):
            raise ctx.unsupported(f"reshape to {target}, which merges the batch axis")
        rest = target[1:]
    else:
        raise ctx.unsupported(f"reshape to {target} (the batch axis must stay the first axis)")
    if any(t == 0 for t in rest):
        raise ctx.unsupported("allowzero with empty axes")
    return _reshape.Reshape(x, rest, name=ctx.layer_name())


@importer("Flatten")
def import_flatten(node, ctx):
    """Flatten (``axis=1``) or Reshape"""
    x = ctx.act(0)
    axis = ctx.attr("axis", 1)
    rank = len(x.shape) + 1
    axis = axis + rank if axis < 0 else axis
    if axis != 1:
        raise ctx.unsupported(f"Flatten axis {axis} (only 1 keeps the batch axis apart)")
    return _reshape.Flatten(x, name=ctx.layer_name())


def _axes(ctx, i, attr_name, rank):
    axes = ctx.ints(i) if ctx.has(i) else ctx.attr(attr_name)
    return None if axes is None else sorted(ctx.sample_axis(a, rank) for a in axes)


@importer("Squeeze")
def import_squeeze(node, ctx):
    """Reshape"""
    v = ctx.value(0)
    if isinstance(v, TimeMajor):
        return _squeeze_time_major(ctx, v.layer)
    x = ctx.act(0)
    axes = _axes(ctx, 1, "axes", len(x.shape) + 1)
    shape = list(x.shape)
    if axes is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    for a in axes:
        if shape[a] != 1:
            raise ctx.error(f"axis {a + 1} has size {shape[a]}, not 1")
    return _reshape_to(ctx, x, [d for i, d in enumerate(shape) if i not in axes])


def _squeeze_time_major(ctx, x):
    """Squeeze axis 0 (of size 1) of a time-major value: the batch comes first again."""
    rank = len(x.shape) + 1
    raw = ctx.ints(1) if ctx.has(1) else ctx.attr("axes")
    axes = None if raw is None else sorted(int(a) % rank for a in raw)
    if axes not in ([0], None) or x.shape[0] != 1 or (axes is None and 1 in x.shape[1:]):
        raise ctx.unsupported(f"Squeeze of a time-major sequence of sample shape "
                              f"{list(x.shape)} on axes {raw} (only axis 0 of size 1)")
    return _reshape_to(ctx, x, list(x.shape[1:]))


@importer("Unsqueeze")
def import_unsqueeze(node, ctx):
    """Reshape"""
    x = ctx.act(0)
    raw = ctx.ints(1) if ctx.has(1) else ctx.attr("axes")
    if raw is None:
        raise ctx.error("no axes given")
    out_rank = len(x.shape) + 1 + len(raw)
    axes = sorted(ctx.sample_axis(a, out_rank) for a in raw)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return _reshape_to(ctx, x, shape)


@importer("Transpose")
def import_transpose(node, ctx):
    """Permute"""
    v = ctx.value(0)
    x = v.layer if isinstance(v, TimeMajor) else ctx.act(0)
    rank = len(x.shape) + 1
    perm = list(ctx.attr("perm", list(range(rank))[::-1]))
    if sorted(perm) != list(range(rank)):
        raise ctx.error(f"perm {perm} is not a permutation of {rank} axes")
    swap = rank >= 3 and perm == [1, 0] + list(range(2, rank))
    if isinstance(v, TimeMajor):
        if not swap:
            raise ctx.unsupported(f"perm {perm} of a time-major sequence (only axes 0 and 1 "
                                  f"swapped back)")
        return Act(x)
    if swap:
        # a sequence going time-major into a recurrent node (or coming back from one)
        return TimeMajor(x)
    if perm[0] != 0:
        raise ctx.unsupported(f"perm {perm}, which moves the batch axis")
    if perm == list(range(rank)):
        return Act(x)
    return _reshape.Permute(x, [p - 1 for p in perm[1:]], name=ctx.layer_name())


@importer("Concat")
def import_concat(node, ctx):
    """Concat"""
    xs = [ctx.act(i) for i in range(len(node.input))]
    rank = len(xs[0].shape) + 1
    axis = ctx.sample_axis(ctx.attr("axis"), rank)
    if len(xs) == 1:
        return Act(xs[0])
    return Concat(xs, axis, name=ctx.layer_name())


def _select(ctx, x, ranges, suffix=""):
    """Select the per-sample ``ranges`` (list of (start, stop)) of ``x``."""
    if all(a == 0 and b == d for (a, b), d in zip(ranges, x.shape)):
        return Act(x)
    for (a, b), d in zip(ranges, x.shape):
        if not 0 <= a < b <= d:
            raise ctx.unsupported(f"an empty slice [{a}:{b}] of an axis of size {d}")
    return _reshape.Select(x, [f"{a}:{b}" for a, b in ranges], name=ctx.layer_name(suffix))


@importer("Slice")
def import_slice(node, ctx):
    """Select (unit steps)"""
    x = ctx.act(0)
    rank = len(x.shape) + 1
    starts, ends = ctx.ints(1), ctx.ints(2)
    axes = ctx.ints(3, list(range(len(starts))))
    steps = ctx.ints(4, [1] * len(starts))
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ctx.error("starts, ends, axes and steps differ in length")
    ranges = [(0, d) for d in x.shape]
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = a + rank if a < 0 else a
        if a == 0:
            if (s, st) == (0, 1) and e >= 2**31 - 1:
                continue
            raise ctx.unsupported("slicing the batch axis")
        ax = ctx.sample_axis(a, rank)
        if st != 1:
            raise ctx.unsupported(f"slice step {st}")
        d = x.shape[ax]
        s = min(max(s + d if s < 0 else s, 0), d)
        e = min(max(e + d if e < 0 else e, 0), d)
        ranges[ax] = (s, e)
    return _select(ctx, x, ranges)


@importer("Split")
def import_split(node, ctx):
    """one Select per output"""
    x = ctx.act(0)
    rank = len(x.shape) + 1
    ax = ctx.sample_axis(ctx.attr("axis", 0), rank)
    d = x.shape[ax]
    n = len(node.output)
    sizes = ctx.ints(1) if ctx.has(1) else ctx.attr("split")
    if sizes is None:
        chunk = -(-d // n)
        sizes = [min(chunk, d - i * chunk) for i in range(n)]
    sizes = [int(s) for s in sizes]
    if len(sizes) != n or sum(sizes) != d or any(s < 1 for s in sizes):
        raise ctx.error(f"split sizes {sizes} do not cut an axis of {d} into {n} parts")
    outs, start = [], 0
    for k, s in enumerate(sizes):
        ranges = [(0, dd) for dd in x.shape]
        ranges[ax] = (start, start + s)
        outs.append(_select(ctx, x, ranges, f"_{k}"))
        start += s
    return outs


@importer("Gather")
def import_gather(node, ctx):
    """Embedding (constant table) or Select (constant indices)"""
    from ...layers import registry

    if not ctx.is_act(0) and ctx.is_act(1):
        table = np.asarray(ctx.const(0), np.float32)
        ids = ctx.act(1)
        if ctx.attr("axis", 0) != 0 or table.ndim != 2:
            raise ctx.unsupported(f"Gather from a constant of shape {list(table.shape)} "
                                  f"(only a 2-D table on axis 0, an embedding)")
        if "Embedding" not in registry.LAYERS:
            raise ctx.unsupported("Gather as an embedding")
        length = math.prod(ids.shape)
        src = ids if len(ids.shape) == 1 else _reshape.Reshape(ids, [length], name=ctx.layer_name("_ids"))
        emb = registry.LAYERS.get("Embedding")(src, table.shape[0], length, table.shape[1],
                                                name=ctx.layer_name())
        ctx.set_weights(emb, **{emb.param_specs()[0][0]: table})
        out_shape = list(ids.shape) + [table.shape[1]]
        return _reshape_to(ctx, emb, out_shape, "_shape") if list(emb.shape) != out_shape else emb
    x = ctx.act(0)
    rank = len(x.shape) + 1
    ax = ctx.sample_axis(ctx.attr("axis", 0), rank)
    idx = np.asarray(ctx.const(1))
    d = x.shape[ax]
    flat = [int(i) + d if int(i) < 0 else int(i) for i in idx.reshape(-1)]
    if any(not 0 <= i < d for i in flat):
        raise ctx.error(f"index out of range for an axis of size {d}")
    if not flat or flat != list(range(flat[0], flat[0] + len(flat))):
        raise ctx.unsupported("Gather of non-contiguous indices from an activation")
    ranges = [(0, dd) for dd in x.shape]
    ranges[ax] = (flat[0], flat[0] + len(flat))
    sel = _select(ctx, x, ranges, "_select")
    sel_layer = sel.layer if hasattr(sel, "layer") else sel
    shape = list(x.shape[:ax]) + list(idx.shape) + list(x.shape[ax + 1:])
    return _reshape_to(ctx, sel_layer, shape)


@importer("Pad")
def import_pad(node, ctx):
    """Pad (constant mode, last two axes)"""
    x = ctx.act(0)
    rank = len(x.shape) + 1
    if ctx.str_attr("mode", "constant") != "constant":
        raise ctx.unsupported(f"Pad mode {ctx.str_attr('mode')!r}")
    pads = ctx.ints(1) if ctx.has(1) else ctx.attr("pads")
    value = ctx.const(2)
    value = 0.0 if value is None else float(np.asarray(value).reshape(-1)[0])
    axes = ctx.ints(3, list(range(rank)))
    if len(pads) != 2 * len(axes):
        raise ctx.error(f"{len(pads)} pads for {len(axes)} axes")
    full = [0] * (2 * rank)
    for k, a in enumerate(axes):
        a = a + rank if a < 0 else a
        full[a], full[rank + a] = pads[k], pads[len(axes) + k]
    if any(p < 0 for p in full):
        raise ctx.unsupported("negative pads (cropping)")
    keep = [i for i in range(rank) if full[i] or full[rank + i]]
    if any(i < rank - 2 for i in keep):
        raise ctx.unsupported("padding axes other than the last two")
    t, b = full[rank - 2], full[2 * rank - 2]
    l, r = full[rank - 1], full[2 * rank - 1]
    if rank - 2 < 1 and (t or b):
        raise ctx.unsupported("padding the batch axis")
    return Pad(x, [t, r, b, l], value, name=ctx.layer_name())


@importer("Cast")
def import_cast(node, ctx):
    """no layer (activations stay floating point)"""
    from onnx import TensorProto

    if ctx.attr("to") not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
        raise ctx.unsupported("a cast of an activation to a non-floating type")
    return Act(ctx.act(0))


@importer("CastLike")
def import_castlike(node, ctx):
    """no layer (a constant becomes floating point; activations stay as they are)"""
    if not ctx.is_act(0):
        target = ctx.value(1)
        v = ctx.const(0)
        if isinstance(target, Act):
            return np.asarray(v, dtype=np.float32)
        return np.asarray(v, dtype=np.asarray(target).dtype)
    if isinstance(ctx.value(1), Act):
        return Act(ctx.act(0))
    dtype = np.asarray(ctx.value(1)).dtype
    if dtype.kind != "f":
        raise ctx.unsupported(f"a cast of an activation to {dtype}")
    return Act(ctx.act(0))
