"""Constant folding of ONNX nodes at import, and the bound on the tensors an import creates.

Nodes whose inputs are all constants are evaluated with ``onnx.reference``; values that depend
on the batch size (:class:`~eddl.onnx.values.Batched`) are evaluated once per probe batch size.
Both the importer and the import functions of :mod:`eddl.onnx.ops` fold through here, so the
size limit is checked in one place.
"""

import math

import numpy as np
from onnx import helper

from .values import Batched, ONNXImportError

__all__ = ["limits", "set_max_tensor_elements", "fold_guard", "fold_values"]

#: the largest tensor (in elements) an import may create
limits = {"elements": 1 << 30}


def set_max_tensor_elements(n):
    """Set the largest tensor (in elements) an ONNX import may create; return the old value.

    A constant folded at import time, an initializer or a layer output larger than this is
    refused, so a hostile file cannot make the importer allocate without bound.
    """
    old = limits["elements"]
    limits["elements"] = int(n)
    return old


def _evaluate(node, inputs, opset):
    """Evaluate ``node`` on constant ``inputs`` with onnx.reference; return its outputs."""
    from onnx.reference import ReferenceEvaluator

    names = [f"i{k}" for k in range(len(inputs))]
    ins = [names[k] if node.input[k] else "" for k in range(len(inputs))]
    n = helper.make_node(node.op_type, ins, [f"o{k}" for k in range(len(node.output))])
    n.attribute.extend(node.attribute)
    g = helper.make_graph(
        [n], "fold",
        [helper.make_tensor_value_info(names[k], helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for k, v in enumerate(inputs) if node.input[k]],
        [helper.make_empty_tensor_value_info(f"o{k}") for k in range(len(node.output))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    feeds = {names[k]: v for k, v in enumerate(inputs) if node.input[k]}
    return ReferenceEvaluator(m).run(None, feeds)


def fold_guard(ctx, node, consts):
    """Refuse folding ops whose output size would exceed the element limit."""
    limit = limits["elements"]
    op = node.op_type
    size = None
    try:
        if op == "ConstantOfShape":
            size = math.prod(int(x) for x in consts[0].reshape(-1))
        elif op == "Expand":
            size = math.prod(np.broadcast_shapes(consts[0].shape, tuple(int(x) for x in consts[1])))
        elif op == "Tile":
            size = consts[0].size * math.prod(int(x) for x in consts[1])
        elif op == "Range":
            start, stop, step = (float(np.asarray(c).reshape(-1)[0]) for c in consts[:3])
            size = math.ceil((stop - start) / step) if step else math.inf
    except (ValueError, TypeError, IndexError, OverflowError):
        raise ctx.error("invalid constant shape inputs") from None
    if size is not None and (size < 0 or size > limit):
        raise ctx.error(f"would create {size} elements, more than the limit of {limit}")


def fold_values(ctx, node, ins, opset):
    """Evaluate ``node`` on its constant (or batch-dependent) inputs ``ins``; return its outputs.

    An output that differs between the probe batch sizes is a :class:`Batched` value.
    """
    batched = any(isinstance(v, Batched) for v in ins)
    runs = []
    for p in range(2 if batched else 1):
        arrays = [None if v is None else (v.values[p] if isinstance(v, Batched) else v) for v in ins]
        fold_guard(ctx, node, arrays)
        try:
            runs.append(_evaluate(node, [np.zeros(0, np.float32) if a is None else a for a in arrays],
                                  opset))
        except ONNXImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - the reference runtime raises many types
            raise ctx.error(f"cannot evaluate on its constant inputs: "
                            f"{' '.join(str(exc).split())[:200]}") from None
    out = []
    for k in range(len(runs[0])):
        if len(runs) == 1 or np.array_equal(runs[0][k], runs[1][k]):
            out.append(np.asarray(runs[0][k]))
        else:
            out.append(Batched([runs[0][k], runs[1][k]]))
    return out
