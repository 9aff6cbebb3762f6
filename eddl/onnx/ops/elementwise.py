"""Element-wise arithmetic.

Add/Sub/Mul/Div/Pow (with broadcasting), Sum/Mean/Max/Min, Sqrt/Exp/Log/Abs/Neg/Reciprocal/Erf,
Clip, Where.
"""

import math

import numpy as np
from onnx import TensorProto

from ...layers import merge as _merge
from ...layers.operators import Clamp, Scalar, Unary
from ..optable import exporter, importer
from ..values import Act

_MERGE_OPS = {"Add": "Add", "Subtract": "Sub", "Mult": "Mul", "Div": "Div", "Maximum": "Max",
              "Minimum": "Min", "Average": "Mean"}


@exporter(*_MERGE_OPS)
def export_merge(layer, g):
    """``Add``/``Sub``/``Mul``/``Div``/``Max``/``Min``/``Mean`` (chained for more than two inputs)"""
    op = _MERGE_OPS[type(layer).__name__]
    xs = g.inputs(layer)
    if op in ("Max", "Min", "Mean") or len(xs) == 2:
        g.node(op, xs, g.output(layer))
        return
    acc = xs[0]
    for k, x in enumerate(xs[1:], 1):
        acc = g.node(op, [acc, x], g.output(layer) if k == len(xs) - 1 else None)


_UNARY = {"abs": "Abs", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "erf": "Erf"}


@exporter("Unary")
def export_unary(layer, g):
    """``Abs``/``Exp``/``Log``/``Sqrt``/``Erf`` (``log2``/``log10`` as ``Log`` and ``Div``)"""
    x = g.inputs(layer)[0]
    if layer.op in _UNARY:
        g.node(_UNARY[layer.op], [x], g.output(layer))
    else:
        base = 2.0 if layer.op == "log2" else 10.0
        g.node("Div", [g.node("Log", [x]), g.const(np.float32(math.log(base)), "ln_base")],
               g.output(layer))


_SCALAR = {"add": ("Add", False), "sub": ("Sub", False), "rsub": ("Sub", True),
           "mul": ("Mul", False), "div": ("Div", False), "rdiv": ("Div", True),
           "pow": ("Pow", False)}


@exporter("Scalar")
def export_scalar(layer, g):
    """``Add``/``Sub``/``Mul``/``Div``/``Pow`` with a scalar constant"""
    op, reverse = _SCALAR[layer.op]
    x, k = g.inputs(layer)[0], g.const(np.float32(layer.k), "k")
    g.node(op, [k, x] if reverse else [x, k], g.output(layer))


@exporter("Clamp")
def export_clamp(layer, g):
    """``Clip``"""
    g.node("Clip", [g.inputs(layer)[0], g.const(np.float32(layer.lo), "min"),
                    g.const(np.float32(layer.hi), "max")], g.output(layer))


def _scalar_of(ctx, i):
    """Input ``i`` as a Python float when it is a constant with a single value, else None."""
    if ctx.is_act(i):
        return None
    v = np.asarray(ctx.const(i))
    if v.size == 1:
        return float(v.reshape(-1)[0])
    if v.size and np.all(v == v.reshape(-1)[0]):
        return float(v.reshape(-1)[0])
    return None


def _const_layer(ctx, i, like):
    """A constant tensor operand as a layer, aligned with the activation ``like`` (batch first)."""
    from ...layers import registry

    v = np.asarray(ctx.const(i), dtype=np.float32)
    rank = len(like.shape) + 1
    if v.ndim > rank:
        raise ctx.error(f"constant input {i} of shape {list(v.shape)} has more axes than the "
                        f"activation it combines with")
    if v.ndim == rank:
        if v.shape[0] != 1:
            raise ctx.unsupported(f"a constant of shape {list(v.shape)} that differs per sample")
        v = v[0]
    v = v.reshape((1,) * (rank - 1 - v.ndim) + v.shape)
    if "ConstOfTensor" not in registry.LAYERS:
        raise ctx.unsupported(f"a constant tensor operand of shape {list(v.shape)}")
    return registry.LAYERS.get("ConstOfTensor")(v, name=ctx.layer_name(f"_const{i}"))


def _binary(op, scalar_ops, merge_cls):
    fwd, rev = scalar_ops

    def imp(node, ctx):
        a_act, b_act = ctx.is_act(0), ctx.is_act(1)
        if a_act and b_act:
            return merge_cls([ctx.act(0), ctx.act(1)], name=ctx.layer_name())
        if a_act:
            k = _scalar_of(ctx, 1)
            if k is not None and fwd is not None:
                if op == "Div" and k == 0:
                    raise ctx.error("division by the constant 0")
                return Scalar(ctx.act(0), fwd, k, name=ctx.layer_name())
            if merge_cls is None:
                raise ctx.unsupported(f"{op} with a non-scalar constant exponent")
            x = ctx.act(0)
            return merge_cls([x, _const_layer(ctx, 1, x)], name=ctx.layer_name())
        k = _scalar_of(ctx, 0)
        if k is not None and rev is not None:
            return Scalar(ctx.act(1), rev, k, name=ctx.layer_name())
        if merge_cls is None:
            raise ctx.unsupported(f"{op} of a constant base and a computed exponent")
        x = ctx.act(1)
        return merge_cls([_const_layer(ctx, 0, x), x], name=ctx.layer_name())
    imp.__doc__ = (f"Scalar (a scalar constant) or {merge_cls.__name__} (broadcasting)"
                   if merge_cls else "Scalar 'pow' (a scalar constant exponent)")
    return imp


importer("Add")(_binary("Add", ("add", "add"), _merge.Add))
importer("Sub")(_binary("Sub", ("sub", "rsub"), _merge.Subtract))
importer("Mul")(_binary("Mul", ("mul", "mul"), _merge.Mult))
importer("Div")(_binary("Div", ("div", "rdiv"), _merge.Div))
importer("Pow")(_binary("Pow", ("pow", None), None))


def _variadic(cls):
    def imp(node, ctx):
        xs = [ctx.act(i) for i in range(len(node.input))]
        if len(xs) == 1:
            return Act(xs[0])
        return cls(xs, name=ctx.layer_name())
    imp.__doc__ = cls.__name__
    return imp


importer("Sum")(_variadic(_merge.Add))
importer("Mean")(_variadic(_merge.Average))
importer("Max")(_variadic(_merge.Maximum))
importer("Min")(_variadic(_merge.Minimum))


def _unary(op):
    def imp(node, ctx):
        return Unary(ctx.act(0), op, name=ctx.layer_name())
    imp.__doc__ = f"Unary {op!r}"
    return imp


for _onnx, _op in (("Sqrt", "sqrt"), ("Exp", "exp"), ("Log", "log"), ("Abs", "abs")):
    importer(_onnx)(_unary(_op))


@importer("Neg")
def import_neg(node, ctx):
    """Scalar 'mul' by -1"""
    return Scalar(ctx.act(0), "mul", -1.0, name=ctx.layer_name())


@importer("Reciprocal")
def import_reciprocal(node, ctx):
    """Scalar 'rdiv' of 1"""
    return Scalar(ctx.act(0), "rdiv", 1.0, name=ctx.layer_name())


@importer("Clip")
def import_clip(node, ctx):
    """Clamp"""
    lo = ctx.const(1)
    hi = ctx.const(2)
    lo = -math.inf if lo is None else float(np.asarray(lo).reshape(-1)[0])
    hi = math.inf if hi is None else float(np.asarray(hi).reshape(-1)[0])
    if lo > hi:
        raise ctx.error(f"min {lo} > max {hi}")
    return Clamp(ctx.act(0), lo, hi, name=ctx.layer_name())


@exporter("Where")
def export_where(layer, g):
    """``Where`` on the condition cast to bool (non-zero is true)"""
    a, b, c = g.inputs(layer)
    g.node("Where", [g.node("Cast", [c], to=TensorProto.BOOL), a, b], g.output(layer))


@importer("Where")
def import_where(node, ctx):
    """Where (constant operands as ConstOfTensor layers)"""
    acts = [ctx.act(i) for i in range(3) if ctx.is_act(i)]
    if not acts:
        raise ctx.error("no input depends on the model input")
    rank = len(acts[0].shape) + 1

    def sample_shape(i):
        if ctx.is_act(i):
            return tuple(ctx.act(i).shape)
        v = np.asarray(ctx.const(i))
        if v.ndim > rank or (v.ndim == rank and v.shape[0] != 1):
            raise ctx.unsupported(f"a constant input {i} of shape {list(v.shape)} that differs "
                                  f"per sample")
        return v.shape[1:] if v.ndim == rank else v.shape

    try:
        shape = np.broadcast_shapes(*[sample_shape(i) for i in range(3)])
    except ValueError:
        raise ctx.error("the input shapes do not broadcast") from None
    ins = []
    for i in range(3):
        if ctx.is_act(i):
            x = ctx.act(i)
            if tuple(x.shape) != tuple(shape):
                raise ctx.unsupported(f"broadcasting input {i} of shape {list(x.shape)} to "
                                      f"{list(shape)}")
            ins.append(x)
            continue
        from ...layers import registry

        v = np.asarray(ctx.const(i)).astype(np.float32)
        v = np.broadcast_to(v.reshape(v.shape[1:]) if v.ndim == rank else v, shape)
        ins.append(registry.LAYERS.get("ConstOfTensor")(np.ascontiguousarray(v),
                                                        name=ctx.layer_name(f"_const{i}")))
    cond, a, b = ins
    return _merge.Where([a, b, cond], name=ctx.layer_name())
