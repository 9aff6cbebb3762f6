"""Shapes and indexing.

Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Slice, Split, Gather (and Embedding),
Pad, Expand, Tile, Cast, CastLike.
"""

import math

import numpy as np
from onnx import TensorProto

from ...layers import broadcasting as _bc
from ...layers import reshape as _reshape
from ...layers.gather import Take
from ...layers.merge import Concat
from ...layers.upsampling import Pad
from ..folding import fold_guard, fold_values
from ..optable import exporter, importer
from ..values import Act, Batched, TimeMajor
from .generator import batched_shape, per_sample_constant


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


@exporter("Select", "Split")
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


@exporter("Tile")
def export_tile(layer, g):
    """``Tile`` (a ``Reshape`` first when it adds leading axes)"""
    x, reps, s = g.inputs(layer)[0], layer.repeats, layer.parents[0].shape
    nd = max(len(s), len(reps))
    if nd > len(s):
        x = g.node("Reshape", [x, g.ints([0] + [1] * (nd - len(s)) + list(s))])
    g.node("Tile", [x, g.ints([1] + [1] * (nd - len(reps)) + list(reps), "repeats")],
           g.output(layer))


@exporter("Expand", "Broadcast")
def export_expand(layer, g):
    """``Expand`` (a ``Reshape`` first when the input gets new or moved axes)"""
    x = g.inputs(layer)[0]
    if tuple(layer._iv) != tuple(layer.parents[0].shape):
        x = g.node("Reshape", [x, g.ints([0] + list(layer._iv), "view")])
    g.node("Expand", [x, g.ints([1] + list(layer._ov))], g.output(layer))


@exporter("Repeat")
def export_repeat(layer, g):
    """``Gather`` of every index as many times as it repeats"""
    n = layer.parents[0].shape[layer._ax]
    reps = layer.repeats * n if len(layer.repeats) == 1 else layer.repeats
    g.node("Gather", [g.inputs(layer)[0], g.ints(np.repeat(np.arange(n), reps), "indices")],
           g.output(layer), axis=layer._ax + 1)


@exporter("Embedding")
def export_embedding(layer, g):
    """``Gather`` from the table by the ids cast to int64 (``Mul`` by a mask for ``mask_zeros``)"""
    ids = g.node("Cast", g.inputs(layer), to=TensorProto.INT64)
    table = g.param(layer, "E")
    if not layer.mask_zeros:
        g.node("Gather", [table, ids], g.output(layer), axis=0)
        return
    rows = g.node("Gather", [table, ids], axis=0)
    keep = g.node("Cast", [g.node("Unsqueeze", [ids, g.ints([-1], "axes")])],
                  to=TensorProto.BOOL)
    g.node("Mul", [rows, g.node("Cast", [keep], to=TensorProto.FLOAT)], g.output(layer))


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


#: ONNX nodes reading sequences time-major (``layout=0``)
_RECURRENT_OPS = ("RNN", "LSTM", "GRU")


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
    if swap and all(n is not None and n.op_type in _RECURRENT_OPS and k in (0, 5, 6)
                    for n, k in ctx.users(node.output[0])):
        # a batch-first sequence going time-major into recurrent nodes (their X), or initial
        # states going direction-major ([directions, batch, H]) into them
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
    """Embedding (constant table), Select (a contiguous range) or Take (other constant indices)"""
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
    if not flat:
        raise ctx.unsupported("Gather of no indices")
    if flat == list(range(flat[0], flat[0] + len(flat))):
        ranges = [(0, dd) for dd in x.shape]
        ranges[ax] = (flat[0], flat[0] + len(flat))
        sel = _select(ctx, x, ranges, "_select")
        shape = list(x.shape[:ax]) + list(idx.shape) + list(x.shape[ax + 1:])
        return _reshape_to(ctx, sel.layer if isinstance(sel, Act) else sel, shape)
    return Take(x, np.asarray(flat).reshape(idx.shape), ax, name=ctx.layer_name())


@exporter("Take")
def export_take(layer, g):
    """``Gather`` with constant indices"""
    g.node("Gather", [g.inputs(layer)[0], g.const(np.asarray(layer._idx, np.int64), "indices",
                                                 np.int64)], g.output(layer), axis=layer._ax + 1)


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
        if not -rank <= a < rank:
            raise ctx.error(f"axis {a} out of range for a {rank}-D value")
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


#: integer casts of an activation are kept only for ids read by Gather (which truncates
#: them as the cast does) and the sequence lengths of recurrent nodes (which must be integers),
#: bool casts only for a Where condition ("non-zero")
_INTEGER = {TensorProto.INT64, TensorProto.INT32}


@importer("Cast")
def import_cast(node, ctx):
    """no layer (activations stay floating point)"""
    to = ctx.attr("to")
    if to in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
        return Act(ctx.act(0))
    users = ctx.users(node.output[0])
    ok = ({("Gather", 1)} | {(op, 4) for op in _RECURRENT_OPS} if to in _INTEGER
          else {("Where", 0)} if to == TensorProto.BOOL else set())
    if not users or any(n is None or (n.op_type, k) not in ok for n, k in users):
        raise ctx.unsupported("a cast of an activation to a non-floating type (except ids of "
                              "an embedding, sequence lengths and the condition of a Where)")
    return Act(ctx.act(0))


def _target_shape(ctx, i, x):
    """Return input ``i``, a shape of the ONNX broadcasting rules, as per-sample dims.

    The batch entry, if there, must be 1 or the batch size.
    """
    v = ctx.value(i)
    rank = len(x.shape) + 1
    if isinstance(v, Batched):
        mask = v.batch_mask()
        shape = [int(d) for d in v.values[0]]
        if len(shape) != rank or not mask[0] or mask[1:].any():
            raise ctx.unsupported("a shape whose batch-dependent entries are not just the first one")
        return shape[1:]
    shape = ctx.ints(i)
    if len(shape) > rank:
        raise ctx.unsupported(f"shape {shape}, which adds axes before the batch axis")
    if len(shape) == rank:
        if shape[0] != 1:
            raise ctx.unsupported(f"shape {shape}, whose batch entry is not 1 (it would depend "
                                  f"on the batch size)")
        shape = shape[1:]
    return shape


@importer("Expand")
def import_expand(node, ctx):
    """Expand (list form), or ConstOfTensor for a constant expanded to the batch size"""
    if not ctx.is_act(0):
        if not isinstance(ctx.value(1), Batched):
            return fold_values(ctx, node, [ctx.value(k) for k in range(len(node.input))],
                                ctx.opset)
        shape = batched_shape(ctx, 1)
        data = np.asarray(ctx.const(0))
        fold_guard(ctx, node, [data, np.asarray([1] + shape[1:])])
        try:
            full = np.broadcast_to(data, np.broadcast_shapes(data.shape, [1] + shape[1:]))
        except ValueError:
            raise ctx.error(f"a constant of shape {list(data.shape)} does not expand to "
                            f"{shape}") from None
        if full.ndim != len(shape) or full.shape[0] != 1:
            raise ctx.unsupported(f"a constant of shape {list(data.shape)} expanded to {shape}")
        return per_sample_constant(ctx, full)
    x = ctx.act(0)
    size = _target_shape(ctx, 1, x)
    if any(d < 0 for d in size):
        raise ctx.error(f"negative dims in shape {size}")
    try:
        out = np.broadcast_shapes(tuple(x.shape), tuple(size))
    except ValueError:
        raise ctx.error(f"shape {size} does not broadcast with {list(x.shape)}") from None
    if out == tuple(x.shape):
        return Act(x)
    return _bc.Expand(x, list(size), name=ctx.layer_name())


import_expand.no_fold = True


@importer("Tile")
def import_tile(node, ctx):
    """Tile"""
    x = ctx.act(0)
    reps = ctx.ints(1)
    if len(reps) != len(x.shape) + 1:
        raise ctx.error(f"repeats {reps} need {len(x.shape) + 1} values")
    if reps[0] != 1:
        raise ctx.unsupported("tiling the batch axis")
    if any(r < 1 for r in reps):
        raise ctx.unsupported(f"repeats {reps} (counts below 1)")
    if all(r == 1 for r in reps):
        return Act(x)
    return _bc.Tile(x, reps[1:], name=ctx.layer_name())


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
