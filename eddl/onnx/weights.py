"""Weights and gradients as ONNX: by name, for fine-tuning, pretrained files and distributed steps.

Every parameter or state ``p`` of layer ``l`` is the ONNX initializer ``"l.p"`` (the name the
exporter writes). Distributed training in the style of the EDDL deliverable (D2.1, section
3.5) exchanges whole models: a worker serializes its gradients, the master applies them, or
the master averages workers' weights.
"""

import numpy as np
import onnx
from onnx import numpy_helper

from .graph_import import ONNXImportError
from .values import short

__all__ = ["named_arrays", "net_arrays", "assign", "average_weights", "read_model"]


def read_model(data, what="ONNX data"):
    """Parse ONNX bytes (or pass a ``ModelProto`` through); errors name ``what``."""
    if isinstance(data, onnx.ModelProto):
        return data
    if isinstance(data, str):
        data = data.encode("latin-1")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what}: expected bytes or an onnx.ModelProto, got {type(data).__name__}")
    try:
        return onnx.load_from_string(bytes(data))
    except Exception as exc:  # noqa: BLE001 - protobuf's decode errors have several types
        raise ONNXImportError(f"{what}: not a valid ONNX model ({short(exc, 120)})") from None


def named_arrays(model):
    """Return ``{initializer name: array}`` of a model."""
    out = {}
    for t in model.graph.initializer:
        try:
            out[t.name] = numpy_helper.to_array(t)
        except Exception as exc:  # noqa: BLE001
            raise ONNXImportError(f"ONNX initializer {short(t.name)!r}: unreadable ({short(exc)})") from None
    return out


def net_arrays(net, gradients=False):
    """``[(name, layer, index, array)]`` for every parameter (and state) of a built net."""
    out = []
    for l in net.layers:
        names = list(l.param_names)
        arrays = list(l.gradients if gradients else l.params)
        if not gradients:
            names += list(l.state_names)
            arrays += list(l.states)
        for i, (n, a) in enumerate(zip(names, arrays)):
            out.append((f"{l.name}.{n}", l, i, a))
    return out


def assign(net, arrays, gradients=False, what="set_weights_from_onnx", require_all=True):
    """Copy ``arrays`` (``{name: array}``) into the net's weights (or gradients), by name.

    Every value is checked (name and shape) before anything is written, so a bad file leaves
    the net unchanged.
    """
    if not net.isbuild:
        raise RuntimeError(f"{what}: build the net first (eddl.build)")
    pending = []
    for name, layer, _, a in net_arrays(net, gradients):
        if name not in arrays:
            if require_all:
                raise ONNXImportError(f"{what}: the ONNX data has no tensor {name!r} for layer "
                                      f"{layer.name!r}")
            continue
        v = np.asarray(arrays[name])
        if tuple(v.shape) != tuple(a.shape):
            raise ONNXImportError(f"{what}: tensor {name!r} has shape {list(v.shape)}, layer "
                                  f"{layer.name!r} needs {list(a.shape)}")
        pending.append((a, v))
    be = net.be
    for a, v in pending:
        a[...] = be.from_host(np.ascontiguousarray(v, dtype=np.dtype(net.dtype)))
    return len(pending)


def average_weights(models):
    """Average several serialized weight sets (as from ``serialize_net_to_onnx_string``).

    Parameters
    ----------
    models : list of bytes or onnx.ModelProto
        Models of the same net (same tensor names and shapes), e.g. one per worker.

    Returns
    -------
    bytes
        The first model with every initializer replaced by the element-wise mean.

    Raises
    ------
    ONNXImportError
        When the models do not hold the same tensors.
    """
    models = [read_model(m, f"model {k}") for k, m in enumerate(models)]
    if not models:
        raise ValueError("average_weights: no models given")
    sets = [named_arrays(m) for m in models]
    first = sets[0]
    for k, s in enumerate(sets[1:], 1):
        if s.keys() != first.keys():
            diff = sorted(s.keys() ^ first.keys())[:3]
            raise ONNXImportError(f"average_weights: model {k} holds other tensors than model 0 "
                                  f"(e.g. {diff})")
        for n, a in s.items():
            if a.shape != first[n].shape:
                raise ONNXImportError(f"average_weights: tensor {n!r} has shape {list(a.shape)} in "
                                      f"model {k} and {list(first[n].shape)} in model 0")
    out = onnx.ModelProto()
    out.CopyFrom(models[0])
    for t in out.graph.initializer:
        if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
            mean = np.mean([s[t.name].astype(np.float64) for s in sets], axis=0)
            t.CopyFrom(numpy_helper.from_array(mean.astype(first[t.name].dtype), t.name))
    return out.SerializeToString()
