"""Write a net as an ONNX model: the graph walk and the context each layer exporter writes into.

Every value of the graph has the batch axis first, left dynamic (``"batch"``). A layer's
output is the value named after the layer; its weights are initializers named
``<layer>.<param>`` (``conv1.K``, ``bn1.mean``), so weights and gradients can be matched by
name (:mod:`eddl.onnx.weights`).
"""

import json

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from . import ops  # noqa: F401  (fills the tables)
from .optable import EXPORT_OPSET, EXPORTERS
from .values import ExportError, unique_name

__all__ = ["ExportGraph", "ExportError", "net_to_model", "CONFIG_KEY", "GRAPH_HASH_KEY"]

#: metadata key holding the net's configuration (exact round trip through this toolkit)
CONFIG_KEY = "eddl.model_config"
GRAPH_HASH_KEY = "eddl.graph_sha256"
_DT = {np.dtype("float32"): TensorProto.FLOAT, np.dtype("float64"): TensorProto.DOUBLE}


class ExportGraph:
    """What a layer exporter writes into: nodes, initializers and unique value names.

    Parameters
    ----------
    training : bool
        Write BatchNormalization and Dropout in their training forms.
    gradients : bool
        Write each parameter's gradient instead of its value.
    """

    def __init__(self, training=False, gradients=False, dtype=np.float32, opset=EXPORT_OPSET):
        self.opset = opset
        self.training = training
        self.gradients = gradients
        self.dtype = np.dtype(dtype)
        self.nodes = []
        self.initializers = []
        self._names = set()
        self._layer = None
        self.batch_source = None
        self._batch = None
        #: values an exporter leaves for the exporters of later layers (key -> value name),
        #: e.g. the attention weights an AttentionWeights layer reads
        self.shared = {}

    # -- names ----------------------------------------------------------------------------
    def unique(self, hint):
        """Return a value name based on ``hint`` not used yet in the graph."""
        return unique_name(hint, self._names)

    def tmp(self, hint):
        """Return a new intermediate value name for the current layer (``<layer>/<hint>``)."""
        return self.unique(f"{self._layer.name}/{hint}")

    def inputs(self, layer):
        """Value names of ``layer``'s parents' outputs."""
        return [p.name for p in layer.parents]

    def output(self, layer):
        """Value name of ``layer``'s output."""
        return layer.name

    def batch(self):
        """Return a 1-D int64 value ``[batch]`` read from the first graph input.

        Layers without parents use it: their outputs still have one row per sample.
        """
        if self._batch is None:
            if self.batch_source is None:
                raise ExportError(f"layer {self._layer.name!r}: the net has no input to take "
                                  f"the batch size from")
            layer, self._layer = self._layer, _Named("batch")
            try:
                shape = self.node("Shape", [self.batch_source])
                self._batch = self.node("Slice", [shape, self.ints([0], "start"),
                                                  self.ints([1], "end")])
            finally:
                self._layer = layer
        return self._batch

    # -- content --------------------------------------------------------------------------
    def node(self, op_type, inputs, outputs=None, **attrs):
        """Append a node; return its single output name (or the list when several)."""
        if outputs is None:
            outputs = [self.tmp(op_type.lower())]
        elif isinstance(outputs, str):
            outputs = [outputs]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        name = self.unique(f"{self._layer.name}/{op_type}")
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def const(self, value, hint="const", dtype=None):
        """Add a constant initializer; return its name. Floats take the graph's dtype."""
        a = np.asarray(value)
        if dtype is not None:
            a = a.astype(dtype)
        elif a.dtype.kind == "f":
            a = a.astype(self.dtype)
        elif a.dtype.kind in "iub":
            a = a.astype(np.int64) if a.dtype.kind != "b" else a
        name = self.tmp(hint)
        # ascontiguousarray makes a scalar 1-D: keep scalars (Dropout's ratio) 0-D
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(a).reshape(a.shape),
                                                         name))
        return name

    def reduce(self, op_type, x, axes, outputs=None, keepdims=1):
        """Append a ``Reduce*`` node over ``axes``; return its output name.

        The axes are an input from opset 18 (13 for ``ReduceSum``), an attribute before.
        """
        if self.opset >= (13 if op_type == "ReduceSum" else 18):
            return self.node(op_type, [x, self.ints(axes, "axes")], outputs, keepdims=keepdims)
        return self.node(op_type, [x], outputs, axes=[int(a) for a in axes], keepdims=keepdims)

    def ints(self, values, hint="shape"):
        """Add an int64 constant (shapes, axes, pads); return its name."""
        return self.const(np.asarray(list(values), dtype=np.int64), hint, np.int64)

    def param(self, layer, pname, transform=None):
        """Add the initializer of parameter or state ``pname`` of ``layer`` (``<layer>.<pname>``).

        ``transform`` (a function of the host array) is for exporters whose ONNX operator
        wants the weight in another layout; weights written that way cannot be read back by
        name, so the standard layers avoid it.
        """
        a = _param_array(layer, pname, self.gradients)
        if transform is not None:
            a = transform(a)
        name = f"{layer.name}.{pname}"
        if name in self._names:
            raise ExportError(f"layer {layer.name!r}: value name {name!r} is already used")
        self._names.add(name)
        self.initializers.append(numpy_helper.from_array(
            np.ascontiguousarray(a.astype(self.dtype)), name))
        return name


class _Named:
    """Stands for a layer when naming values shared by several layers."""

    def __init__(self, name):
        self.name = name


def _param_array(layer, pname, gradients=False):
    names = list(layer.param_names) + list(layer.state_names)
    if pname not in names:
        raise ExportError(f"layer {layer.name!r} has no parameter {pname!r}; it has {names}")
    i = names.index(pname)
    n = len(layer.param_names)
    if i < n:
        arrays = layer.gradients if gradients else layer.params
        arr = arrays[i] if i < len(arrays) else None
    else:
        arr = layer.states[i - n] if i - n < len(layer.states) else None
        if gradients:
            arr = None if arr is None else np.zeros(np.shape(arr))
    if arr is None:
        raise ExportError(f"layer {layer.name!r} has no value for {pname!r} yet: build the net "
                          f"(eddl.build) or import weights before exporting")
    be = getattr(layer, "be", None)
    return np.asarray(be.to_host(arr) if be is not None else arr)


def _value_info(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, ["batch"] + [int(s) for s in shape])


def graph_hash(graph):
    """SHA-256 of a graph's nodes and value names (not its weights)."""
    import hashlib

    h = hashlib.sha256()
    for n in graph.node:
        h.update(n.SerializeToString(deterministic=True))
    for v in list(graph.input) + list(graph.output):
        h.update(v.SerializeToString(deterministic=True))
    return h.hexdigest()


def net_to_model(net, training=False, gradients=False, opset=EXPORT_OPSET, dtype=np.float32):
    """Return the ONNX ``ModelProto`` of ``net``.

    Parameters
    ----------
    net : eddl.Model
    training : bool
        BatchNormalization and Dropout in their training forms (default: inference forms).
    gradients : bool
        Initializers hold the gradients of the last backward pass instead of the weights.
    opset : int
    dtype : numpy dtype
        Element type of the floating values.

    Raises
    ------
    ExportError
        For a layer without an exporter or a configuration ONNX cannot express; the message
        names the layer.
    """
    if opset < 17:
        raise ValueError(f"ONNX export writes opset 17 or newer, got opset {opset}")
    g = ExportGraph(training=training, gradients=gradients, dtype=dtype, opset=opset)
    elem = _DT[np.dtype(dtype)]
    for l in net.layers:
        g._names.add(l.name)
    inputs = []
    g.batch_source = net.lin[0].name if net.lin else None
    for l in net.layers:
        g._layer = l
        cls = type(l).__name__
        if l.is_input:
            inputs.append(_value_info(l.name, l.shape, elem))
            continue
        if cls not in EXPORTERS:
            raise ExportError(f"layer {l.name!r} ({cls}) has no ONNX exporter")
        EXPORTERS.get(cls)(l, g)
    outputs = [_value_info(l.name, l.shape, elem) for l in net.lout]
    graph = helper.make_graph(g.nodes, net.name or "eddl", inputs, outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="eddl", producer_version=_version())
    model.ir_version = min(model.ir_version, 10)
    try:
        config = json.dumps(net.get_config(), separators=(",", ":"))
    except (TypeError, ValueError):
        config = None
    if config is not None:
        helper.set_model_props(model, {CONFIG_KEY: config, GRAPH_HASH_KEY: graph_hash(graph)})
    return model


def _version():
    from .. import __version__
    return __version__

