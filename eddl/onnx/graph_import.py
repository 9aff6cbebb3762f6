"""Read an ONNX model into a net: validation, constant folding and the op-by-op build.

The importer never runs the model to import it. It

1. checks the file (``onnx.checker``, opset range, graph inputs and initializers, a bound on
   the size of every tensor) and resolves every node to an import function of
   :data:`~eddl.onnx.optable.IMPORTERS`, refusing the model with one error that lists every
   unsupported ``(op type, node, opset)``;
2. walks the nodes in topological order (a cycle or a value used before it is produced is an
   error naming the node). A node whose inputs are all constants is evaluated right away with
   ``onnx.reference`` (constant folding: the shape sub-graphs exporters write for
   ``Flatten``/``view``). ``Shape`` of an activation gives a value that depends on the batch
   size only through its batch entry; it is evaluated for two probe batch sizes and
   entries that differ are batch entries (a reshape target ``[batch, -1]``);
3. gives every other node to its import function, which builds layers.

Activations carry the batch axis first (ONNX axis 0); a node that mixes samples (an axis-0
reduction, a reshape that merges the batch axis) is refused with a message naming it.
"""

import math
from collections import Counter

import numpy as np
import onnx
from onnx import helper, numpy_helper

from . import ops  # noqa: F401  (fills the tables)
from .folding import fold_values, limits, set_max_tensor_elements
from .optable import IMPORTERS, MAX_OPSET, MIN_OPSET, resolve
from .values import Act, Batched, ONNXImportError, TimeMajor, node_key, short, unique_name

__all__ = ["ONNXImportError", "Act", "Batched", "ImportContext", "import_model",
           "set_max_tensor_elements"]

_PROBES = (11, 13)
#: inputs that only give an element type (CastLike's target): a constant stays constant
_TYPE_ONLY = {"CastLike": (1,)}


_short = short


class ImportContext:
    """What an import function sees: the current node, its values, and the layers built so far.

    Import functions read inputs with :meth:`act` (an activation's layer), :meth:`const`
    (a constant array), :meth:`attr`; they return one entry per node output: a layer or a
    constant array.
    """

    def __init__(self, opset, consumers, users=None):
        self.opset = opset
        self.values = {}
        self.node = None
        self.consumers = consumers
        self._users = users or {}
        #: value name -> the node reading it, for values with exactly one reader
        self.next_nodes = {v: us[0][0] for v, us in self._users.items()
                           if len(us) == 1 and us[0][0] is not None}
        self._layer_names = set()
        #: nodes folded into the layer of an earlier node (e.g. the bias Add after a MatMul),
        #: and the value each one's output stands for
        self.fused = set()
        self.alias = {}
        #: value name -> the node producing it
        self.producers = {}

    # -- errors ---------------------------------------------------------------------------
    def where(self):
        """Describe the current node for messages."""
        n = self.node
        return f"node {_short(n.name or n.output[0])!r} ({n.op_type}, opset {self.opset})"

    def error(self, msg):
        """Return an :class:`ONNXImportError` naming the current node."""
        return ONNXImportError(f"ONNX {self.where()}: {msg}")

    # -- inputs -----------------------------------------------------------------------------
    def has(self, i):
        """Whether the node has a (non-empty) input ``i``."""
        return i < len(self.node.input) and self.node.input[i] != ""

    def value(self, i):
        """Return input ``i`` as an :class:`Act`, a :class:`Batched` or an array."""
        name = self.node.input[i]
        if name not in self.values:
            raise self.error(f"input {i} {_short(name)!r} is not produced by any earlier node")
        return self.values[name]

    def act(self, i):
        """Return the layer whose output is input ``i`` (which must be an activation)."""
        v = self.value(i)
        if isinstance(v, TimeMajor):
            raise self.error(f"input {i} is time-major (the batch on axis 1, as recurrent nodes "
                             f"write sequences); only a recurrent node or a Transpose swapping "
                             f"axes 0 and 1 can read it")
        if not isinstance(v, Act):
            raise self.error(f"input {i} must be computed from the model input, but it is a "
                             f"constant; this placement is not supported")
        return v.layer

    def const(self, i, default=None):
        """Input ``i`` as a constant array (None/``default`` when the optional input is absent)."""
        if not self.has(i):
            return default
        v = self.value(i)
        if isinstance(v, Batched):
            raise self.error(f"input {i} depends on the batch size; only constant values are "
                             f"supported there")
        if isinstance(v, Act):
            raise self.error(f"input {i} must be a constant (an initializer or a value computed "
                             f"from constants), but it depends on the model input")
        return v

    def ints(self, i, default=None):
        """Return constant input ``i`` as a list of ints (``default`` when absent)."""
        v = self.const(i, None)
        return default if v is None else [int(x) for x in np.asarray(v).reshape(-1)]

    def is_act(self, i):
        """Whether input ``i`` is an activation."""
        return self.has(i) and isinstance(self.value(i), Act)

    def attr(self, name, default=None):
        """Return the node attribute ``name`` as a Python value (``default`` when absent)."""
        for a in self.node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def str_attr(self, name, default=None):
        """Return a string attribute as ``str``."""
        v = self.attr(name, default)
        return v.decode() if isinstance(v, bytes) else v

    def sample_axis(self, axis, rank, what="axis"):
        """ONNX ``axis`` of a batched value of ``rank`` as a per-sample axis (batch refused)."""
        a = int(axis)
        if not -rank <= a < rank:
            raise self.error(f"{what} {a} out of range for a {rank}-D value")
        a = a + rank if a < 0 else a
        if a == 0:
            raise self.error(f"{what} 0 is the batch axis; operations across samples are not "
                             f"supported")
        return a - 1

    def unsupported(self, what):
        """Return the error for an unsupported feature ``what`` of the current node."""
        return self.error(f"unsupported {what}")

    # -- outputs ----------------------------------------------------------------------------
    def layer_name(self, suffix=""):
        """Return a unique layer name for the current node (its name, else its first output)."""
        base = self.node.name or self.node.output[0] or self.node.op_type.lower()
        return unique_name(base + suffix, self._layer_names)

    def set_weights(self, layer, **arrays):
        """Give ``layer`` imported parameter/state values (by parameter or state name)."""
        names = [s[0] for s in layer.param_specs()]
        shapes = {s[0]: tuple(s[1]) for s in layer.param_specs()}
        params, states = [], dict(zip(layer.state_names, getattr(layer, "_import_states", [])))
        for n in names:
            if n not in arrays:
                raise self.error(f"no value for parameter {n!r} of layer {layer.name!r}")
            a = np.asarray(arrays.pop(n), dtype=np.float32)
            if a.shape != shapes[n]:
                raise self.error(f"parameter {n!r} of layer {layer.name!r} has shape "
                                 f"{list(a.shape)}, the layer needs {list(shapes[n])}")
            params.append(np.ascontiguousarray(a))
        for n in list(arrays):
            if n not in layer.state_names:
                raise self.error(f"layer {layer.name!r} has no parameter or state {n!r}")
            states[n] = np.ascontiguousarray(np.asarray(arrays.pop(n), dtype=np.float32))
        layer.preset_weights(params, [states[n] for n in layer.state_names if n in states])

    def known_constant(self, value_name):
        """Return ``value_name`` as an array when it is a constant known before its turn, else None.

        For looking ahead at the nodes after the current one: a value computed already, or the
        output of a ``Constant`` node not reached yet in the walk.
        """
        v = self.values.get(value_name)
        if isinstance(v, np.ndarray):
            return v
        node = self.producers.get(value_name)
        if node is not None and node.op_type == "Constant" and len(node.attribute) == 1 \
                and node.attribute[0].name == "value":
            return numpy_helper.to_array(node.attribute[0].t)
        return None

    def n_consumers(self, value_name):
        """Return how many nodes (and graph outputs) read ``value_name``."""
        return self.consumers.get(value_name, 0)

    def users(self, value_name):
        """``[(node, input index)]`` reading ``value_name`` (``(None, -1)``: a graph output)."""
        return list(self._users.get(value_name, ()))

# --- loading and validation ------------------------------------------------------------------

def _opset(model):
    opset = None
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            opset = o.version
    if opset is None:
        raise ONNXImportError("ONNX model declares no opset of the default domain")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ONNXImportError(f"ONNX model opset {opset} is outside the supported range "
                              f"{MIN_OPSET}-{MAX_OPSET}; convert it with "
                              f"onnx.version_converter.convert_version(model, {MAX_OPSET if opset > MAX_OPSET else MIN_OPSET})")
    return opset


def _check_sizes(graph):
    limit = limits["elements"]
    for t in graph.initializer:
        n = math.prod(t.dims) if t.dims else 1
        if any(d < 0 for d in t.dims) or n > limit:
            raise ONNXImportError(f"ONNX initializer {_short(t.name)!r}: dims {list(t.dims)[:8]} "
                                  f"are negative or larger than the limit of {limit} elements")


def _constant_nodes(order, constants):
    """Ids of the nodes computed from constants only (``Shape`` counts as constant): folded."""
    known = set(constants)
    out = set()
    for n in order:
        skip = _TYPE_ONLY.get(n.op_type, ())
        if n.op_type == "Shape" or all(not i or i in known or k in skip for k, i in enumerate(n.input)):
            out.add(id(n))
            known.update(o for o in n.output if o)
    return out


def _unsupported(order, opset, constant):
    bad = []
    for n in order:
        if id(n) in constant and n.domain in ("", "ai.onnx"):
            continue  # evaluated at import by the reference runtime
        if n.domain not in ("", "ai.onnx"):
            bad.append(f"({n.op_type}, {_short(n.name)!r}, domain {_short(n.domain)!r})")
        elif resolve(n.op_type, opset) is None:
            known = n.op_type in IMPORTERS
            why = f"opset {opset}" + ("" if not known else " (this op's schema at this opset is not supported)")
            bad.append(f"({_short(n.op_type)}, {_short(n.name)!r}, {why})")
    return bad


def _deprecated_but_supported(message, opset):
    """Tell whether the checker refused only a deprecated schema that an import function reads.

    GroupNormalization 18 is deprecated, yet onnxruntime runs it; the walk validates the rest.
    """
    import re

    m = re.search(r"Op registered for (\w+) is deprecated in domain_version of (\d+)", message)
    return bool(m) and resolve(m.group(1), opset) is not None


def _topological(graph, known):
    """Nodes in an order where every input is produced before use (cycles are errors)."""
    producers = {}
    for n in graph.node:
        for o in n.output:
            if o:
                if o in producers or o in known:
                    raise ONNXImportError(f"ONNX value {_short(o)!r} is produced twice "
                                          f"(node {_short(n.name)!r})")
                producers[o] = n
    order, state = [], {}
    for root in graph.node:
        if id(root) in state:
            continue
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                state[id(node)] = 2
                order.append(node)
                continue
            s = state.get(id(node))
            if s == 2:
                continue
            if s == 1:
                continue
            state[id(node)] = 1
            stack.append((node, True))
            for i in node.input:
                if not i or i in known:
                    continue
                p = producers.get(i)
                if p is None:
                    raise ONNXImportError(f"ONNX node {_short(node.name)!r} ({node.op_type}): "
                                          f"input {_short(i)!r} is neither a graph input, an "
                                          f"initializer nor the output of a node")
                ps = state.get(id(p))
                if ps == 1:
                    raise ONNXImportError(f"ONNX graph has a cycle through node "
                                          f"{_short(p.name)!r} ({p.op_type})")
                if ps is None:
                    stack.append((p, False))
    return order


def _input_shape(vi, override):
    t = vi.type.tensor_type
    if not vi.type.HasField("tensor_type"):
        raise ONNXImportError(f"ONNX graph input {_short(vi.name)!r} is not a tensor")
    dims = []
    for d in t.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else None)
    if override is not None:
        return [int(s) for s in override]
    if len(dims) < 1:
        raise ONNXImportError(f"ONNX graph input {_short(vi.name)!r} has no batch axis; give "
                              f"input_shape=")
    sample = dims[1:]
    if any(d is None or d < 1 for d in sample):
        raise ONNXImportError(f"ONNX graph input {_short(vi.name)!r} has symbolic or invalid "
                              f"sample dims {dims}; give input_shape= (without the batch axis)")
    return sample


def import_model(model, input_shape=None):
    """Build the layers of an ONNX ``ModelProto``; return ``(inputs, outputs, name)``.

    Parameters
    ----------
    model : onnx.ModelProto
    input_shape : list of int, optional
        Per-sample shape replacing the declared one of a single-input model.

    Raises
    ------
    ONNXImportError
        For an invalid, unsupported or hostile model.
    """
    from ..layers.core import Input

    graph = model.graph
    opset = _opset(model)
    _check_sizes(graph)
    init_names = {t.name for t in graph.initializer}
    order = _topological(graph, init_names | {vi.name for vi in graph.input})
    bad = _unsupported(order, opset, _constant_nodes(order, init_names))
    if bad:
        raise ONNXImportError(f"ONNX model has {len(bad)} unsupported node(s): "
                              + "; ".join(bad[:50]) + (" ..." if len(bad) > 50 else ""))
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001 - a garbled name makes the checker raise UnicodeDecodeError
        if not _deprecated_but_supported(str(exc), opset):
            # the checker's message continues on further lines (the node it names): keep them
            raise ONNXImportError(f"invalid ONNX model: {_short(' '.join(str(exc).split()), 300)}") from None

    consumers = Counter(i for n in graph.node for i in n.input if i)
    consumers.update(o.name for o in graph.output)
    users = {}
    for n in graph.node:
        for k, i in enumerate(n.input):
            if i:
                users.setdefault(i, []).append((n, k))
    for o in graph.output:
        users.setdefault(o.name, []).append((None, -1))
    ctx = ImportContext(opset, consumers, users)
    ctx.producers.update((o, n) for n in graph.node for o in n.output if o)
    inits = {}
    for t in graph.initializer:
        try:
            inits[t.name] = numpy_helper.to_array(t)
        except Exception as exc:  # noqa: BLE001 - protobuf/numpy raise many types for bad data
            raise ONNXImportError(f"ONNX initializer {_short(t.name)!r}: unreadable data "
                                  f"({_short(exc)})") from None
    ctx.values.update(inits)
    real_inputs = [vi for vi in graph.input if vi.name not in inits]
    if not real_inputs:
        raise ONNXImportError("ONNX graph has no input that is not an initializer")
    if input_shape is not None and len(real_inputs) != 1:
        raise ONNXImportError(f"input_shape= needs a single-input model; this one has "
                              f"{len(real_inputs)} inputs")
    lin = []
    for vi in real_inputs:
        shape = _input_shape(vi, input_shape)
        if math.prod(shape) > limits["elements"]:
            raise ONNXImportError(f"ONNX graph input {_short(vi.name)!r}: shape {shape} too large")
        ctx._layer_names.add(vi.name)
        layer = Input(shape, name=vi.name)
        lin.append(layer)
        ctx.values[vi.name] = Act(layer)
    # every node is tried, so one error names every unsupported attribute value or shape;
    # nodes downstream of a refused one are skipped (their inputs do not exist)
    problems, refused = [], set()
    for node in order:
        ctx.node = node
        if any(i in refused for i in node.input):
            refused.update(node.output)
            continue
        try:
            _import_node(ctx, node, opset)
        except ONNXImportError as exc:
            problems.append(str(exc).removeprefix("ONNX "))
            refused.update(node.output)
    if len(problems) == 1:
        raise ONNXImportError(f"ONNX {problems[0]}")
    if problems:
        raise ONNXImportError(f"ONNX model has {len(problems)} problems: " + "; ".join(problems[:50])
                              + (" ..." if len(problems) > 50 else ""))
    lout = []
    for vo in graph.output:
        v = ctx.values.get(vo.name)
        if not isinstance(v, Act):
            raise ONNXImportError(f"ONNX graph output {_short(vo.name)!r} does not depend on the "
                                  f"model input")
        lout.append(v.layer)
    reached = _ancestors(lout)
    unused = [l.name for l in lin if id(l) not in reached]
    if unused:
        raise ONNXImportError(f"ONNX graph input(s) {[_short(n) for n in unused]} reach no output "
                              f"(only their shape is used, or nothing); a net's inputs must feed "
                              f"its outputs")
    return lin, lout, graph.name or "onnx_model"


def _ancestors(layers):
    seen, stack = set(), list(layers)
    while stack:
        l = stack.pop()
        if id(l) not in seen:
            seen.add(id(l))
            stack.extend(l.parents)
    return seen


def _import_node(ctx, node, opset):
    if node_key(node) in ctx.fused:
        ctx.values[node.output[0]] = ctx.values[ctx.alias[node.output[0]]]
        return
    ins = []
    for k, name in enumerate(node.input):
        if not name:
            ins.append(None)
            continue
        if name not in ctx.values:
            raise ctx.error(f"input {k} {_short(name)!r} is not available")
        ins.append(ctx.values[name])
    live = [v for v in ins if v is not None]
    fn = resolve(node.op_type, opset)
    if node.op_type == "Shape" and live and isinstance(live[0], Act):
        out = [_shape_of(ctx, live[0])]
    elif (all(not isinstance(v, (Act, TimeMajor)) for v in live)
          and not getattr(fn, "no_fold", False)):
        out = fold_values(ctx, node, ins, opset)
    else:
        try:
            out = fn(node, ctx)
        except ONNXImportError:
            raise
        except (ValueError, TypeError) as exc:
            # a layer refusing the arguments the node gave it (its message says which)
            raise ctx.error(_short(" ".join(str(exc).split()), 300)) from None
        if not isinstance(out, (list, tuple)):
            out = [out]
    if len(out) < len([o for o in node.output if o]):
        raise ctx.error(f"produces {len(out)} outputs, the node names {len(node.output)}")
    from ..layers.base import Layer

    for name, v in zip(node.output, out):
        if not name:
            continue
        if isinstance(v, Layer):
            if math.prod(v.shape) > limits["elements"]:
                raise ctx.error(f"output shape {list(v.shape)} is larger than the element limit")
            v = Act(v)
        elif not isinstance(v, (Act, Batched, TimeMajor)):
            v = np.asarray(v)
        ctx.values[name] = v


def _shape_of(ctx, act):
    start = ctx.attr("start", 0)
    end = ctx.attr("end", None)
    shapes = [np.array([b] + list(act.layer.shape), dtype=np.int64)[start:end] for b in _PROBES]
    if np.array_equal(shapes[0], shapes[1]):
        return shapes[0]
    return Batched(shapes)
