"""Values that do not depend on the input's values: Shape, constants and random generators.

(Nodes computed from constants only are evaluated at import whatever their op type.)

A graph input gives the batch size of layers without parents (``ExportGraph.batch``); on
import, a constant whose shape follows the batch size (``[batch, ...]``, found by the
importer's probe batch sizes) becomes a ConstOfTensor layer, one copy per sample.
"""

import numpy as np
from onnx import TensorProto, numpy_helper

from ...layers import generators as _gen
from ..folding import fold_guard, fold_values
from ..optable import exporter, importer
from ..values import Batched


@exporter("GaussGenerator", "UniformGenerator")
def export_generator(layer, g):
    """``RandomNormalLike`` / ``RandomUniformLike`` of a ``ConstantOfShape`` sized by the batch"""
    zeros = g.node("ConstantOfShape", [g.node("Concat", [g.batch(), g.ints(layer.size, "size")],
                                              axis=0)])
    if type(layer).__name__ == "GaussGenerator":
        g.node("RandomNormalLike", [zeros], g.output(layer), mean=layer.mean, scale=layer.stdev,
               dtype=TensorProto.FLOAT)
    else:
        g.node("RandomUniformLike", [zeros], g.output(layer), low=layer.low, high=layer.high,
               dtype=TensorProto.FLOAT)


@exporter("ConstOfTensor")
def export_const_of_tensor(layer, g):
    """``Expand`` of the constant to one copy per sample"""
    const = g.const(np.asarray(layer.values, dtype=np.float32)[None], "value")
    shape = g.node("Concat", [g.batch(), g.ints(layer.shape, "shape")], axis=0)
    g.node("Expand", [const, shape], g.output(layer))


@exporter("Shape")
def export_shape(layer, g):
    """``Shape`` cast to float, ``Expand``-ed to one copy per sample"""
    x = g.inputs(layer)[0]
    dims = g.node("Shape", [x], start=0 if layer.include_batch else 1)
    row = g.node("Unsqueeze", [g.node("Cast", [dims], to=TensorProto.FLOAT), g.ints([0], "axes")])
    batch = g.node("Shape", [x], end=1)
    g.node("Expand", [row, g.node("Concat", [batch, g.ints(layer.shape, "n")], axis=0)],
           g.output(layer))


def per_sample_constant(ctx, value, what="shape"):
    """Return a ConstOfTensor layer for ``value``, an array with a batch axis of length 1 first."""
    a = np.asarray(value, dtype=np.float32)
    if a.ndim < 2:
        raise ctx.unsupported(f"a {what} that is one value per sample (a 1-D batch)")
    return _gen.ConstOfTensor(np.ascontiguousarray(a[0]), name=ctx.layer_name())


def batched_shape(ctx, i):
    """Return input ``i``, a shape whose first entry is the batch size, at the first probe.

    A shape with other batch-dependent entries is refused.
    """
    v = ctx.value(i)
    mask = v.batch_mask()
    if not mask[0] or mask[1:].any():
        raise ctx.unsupported("a shape whose batch-dependent entries are not just the first one")
    return [int(d) for d in v.values[0]]


def _batch_first(v):
    mask = v.batch_mask()
    return bool(mask[0]) and not mask[1:].any()


@importer("ConstantOfShape")
def import_constant_of_shape(node, ctx):
    """a constant, or ConstOfTensor when its shape follows the batch size"""
    t = ctx.attr("value")
    fill = numpy_helper.to_array(t).reshape(-1) if t is not None else np.zeros(1, np.float32)
    if fill.size != 1:
        raise ctx.error(f"value must hold one element, it holds {fill.size}")
    v = ctx.value(0)
    if isinstance(v, Batched) and not _batch_first(v):
        # the batch on another axis (the [directions, batch, hidden] zero initial state PyTorch
        # writes before a recurrent node): a batch-dependent value for the node reading it
        return fold_values(ctx, node, [v], ctx.opset)
    if isinstance(v, Batched):
        shape = batched_shape(ctx, 0)
        fold_guard(ctx, node, [np.asarray(shape)])
        if fill.dtype.kind != "f":
            raise ctx.unsupported("a non-floating constant whose shape follows the batch size")
        return per_sample_constant(ctx, np.full([1] + shape[1:], fill[0], np.float32))
    shape = np.asarray(ctx.const(0))
    fold_guard(ctx, node, [shape])
    if shape.ndim != 1 or (shape < 0).any():
        raise ctx.error(f"invalid shape {shape.tolist()}")
    return np.full([int(d) for d in shape], fill[0], dtype=fill.dtype)


import_constant_of_shape.no_fold = True
