"""The public ONNX functions (PyEDDL's names and their pythonic twins)."""

import json
import os

import numpy as np
import onnx

from _deephealth.atomic import atomic_path

from .graph_export import CONFIG_KEY, GRAPH_HASH_KEY, graph_hash, net_to_model
from .graph_import import ONNXImportError, import_model
from .optable import EXPORT_OPSET
from .values import short
from .weights import assign, named_arrays, read_model

__all__ = ["to_onnx", "from_onnx", "save_net_to_onnx_file", "serialize_net_to_onnx_string",
           "import_net_from_onnx_file", "import_net_from_onnx_string", "set_weights_from_onnx",
           "apply_grads_from_onnx"]

#: protobuf cannot hold more than 2 GiB in one message
_PROTO_LIMIT = 2**31 - 2**20


def to_onnx(net, training=False, gradients=False, opset=EXPORT_OPSET):
    """Return ``net`` as an ``onnx.ModelProto`` (standard operators, dynamic batch axis).

    Parameters
    ----------
    net : eddl.Model
        A built net, or an imported one (weights present).
    training : bool
        Write BatchNormalization and Dropout in their training forms (batch statistics,
        random dropping); by default the inference forms, as PyTorch's exporter does.
    gradients : bool
        Write the gradients of the last backward pass instead of the weights (for distributed
        training; see :func:`apply_grads_from_onnx`).
    opset : int
        ONNX opset, 17 or newer.

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    eddl.onnx.ExportError
        For a layer ONNX cannot express (the message names it).

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([3, 8, 8])
    >>> net = eddl.Model([x], [eddl.ReLu(eddl.Conv2D(x, 4, [3, 3]))])
    >>> eddl.build(net)
    >>> [n.op_type for n in eddl.onnx.to_onnx(net).graph.node]
    ['Conv', 'Relu']
    """
    return net_to_model(net, training=training, gradients=gradients, opset=opset)


def serialize_net_to_onnx_string(net, gradients=False, training=False):
    """Return ``net`` (or its gradients) as ONNX bytes (PyEDDL's name).

    See :func:`to_onnx` for the parameters.
    """
    return to_onnx(net, training=training, gradients=gradients).SerializeToString()


def save_net_to_onnx_file(net, path, seq_len=0, training=False, opset=EXPORT_OPSET):
    """Write ``net`` to the ONNX file ``path`` (PyEDDL's name).

    The file appears complete or not at all. Weights over 2 GB go to ONNX external data, a
    file ``<path>.data`` beside the model.

    Parameters
    ----------
    net : eddl.Model
    path : str or os.PathLike
    seq_len : int
        PyEDDL's sequence length for recurrent nets (recurrent layers are not part of this
        release; must be 0).
    training : bool
        See :func:`to_onnx`.
    opset : int
    """
    if seq_len:
        raise ValueError(f"save_net_to_onnx_file: seq_len={seq_len} is only meaningful for "
                         f"recurrent nets, which this net is not")
    model = to_onnx(net, training=training, opset=opset)
    path = os.fspath(path)
    big = sum(int(np.prod(t.dims, dtype=np.int64)) * 4 for t in model.graph.initializer) > _PROTO_LIMIT
    if big:
        # the data file is complete before the model that refers to it appears
        with atomic_path(path) as tmp:
            onnx.save_model(model, tmp, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=os.path.basename(path) + ".data", size_threshold=1024)
        return
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(model.SerializeToString())


def from_onnx(model, input_shape=None):
    """Return the net of an ONNX model (unbuilt; its weights are kept by ``build(..., init_weights=False)``).

    A file written by this toolkit is rebuilt from the layer configuration it carries (an exact
    round trip, layer types included), as long as its graph is unchanged; any other model is
    imported node by node (:mod:`eddl.onnx.graph_import`).

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str or os.PathLike
        The model, its bytes, or a file path.
    input_shape : list of int, optional
        Per-sample input shape replacing the declared one (single-input models).

    Returns
    -------
    eddl.Model

    Raises
    ------
    eddl.onnx.ONNXImportError
        Unsupported operators (all listed in one message), invalid or hostile files.
    """
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        try:
            return _from_model(_load_file(path), input_shape)
        except ONNXImportError as exc:
            if path in str(exc):
                raise
            raise ONNXImportError(f"ONNX file {path!r}: {exc}") from None
    return _from_model(read_model(model), input_shape)


def _from_model(model, input_shape):
    from ..model import Model

    props = {p.key: p.value for p in model.metadata_props}
    if CONFIG_KEY in props and props.get(GRAPH_HASH_KEY) == graph_hash(model.graph) and input_shape is None:
        net = _from_config(model, props[CONFIG_KEY])
        if net is not None:
            return net
    lin, lout, name = import_model(model, input_shape=input_shape)
    try:
        net = Model(lin, lout, name=name)
    except ValueError as exc:
        raise ONNXImportError(f"ONNX model: its layers do not form a net ({exc})") from None
    net.onnx_pretrained = True
    return net


def _load_file(path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ONNX file {path!r} does not exist")
    try:
        return onnx.load(path)
    except Exception as exc:  # noqa: BLE001 - protobuf and external-data errors vary
        raise ONNXImportError(f"ONNX file {path!r}: cannot be read ({short(exc, 160)})") from None


def _from_config(model, text):
    from ..model import Model

    try:
        config = json.loads(text)
        net = Model.from_config(config)
    except (ValueError, TypeError, KeyError):
        return None  # not ours after all: import the graph instead
    arrays = named_arrays(model)
    for l in net.layers:
        specs = l.param_specs()
        names = [s[0] for s in specs]
        if not names and not l.state_names:
            continue
        params = []
        for n, shape, _ in specs:
            a = arrays.get(f"{l.name}.{n}")
            if a is None or tuple(a.shape) != tuple(shape):
                return None
            params.append(np.ascontiguousarray(a, dtype=np.float32))
        states = [np.ascontiguousarray(arrays[f"{l.name}.{n}"], dtype=np.float32)
                  for n in l.state_names if f"{l.name}.{n}" in arrays]
        l.preset_weights(params, states)
    net.onnx_pretrained = True
    return net


def import_net_from_onnx_file(path, input_shape=None, mem=0, log_level=None):
    """Import the ONNX file ``path`` as a net (PyEDDL's name); build it with ``init_weights=False``.

    Parameters
    ----------
    path : str or os.PathLike
    input_shape : list of int, optional
        Per-sample input shape (batch excluded) replacing the declared one.
    mem : int
        PyEDDL's memory level (0, 1, 2); accepted for compatibility.
    log_level : eddl.LOG_LEVEL or int, optional
        PyEDDL's verbosity (``TRACE`` = 0 ... ``NO_LOGS`` = 5); the import prints nothing
        either way, and its errors are exceptions.

    Returns
    -------
    eddl.Model

    Examples
    --------
    >>> import eddl, tempfile, os
    >>> x = eddl.Input([4], name="x")
    >>> net = eddl.Model([x], [eddl.Dense(x, 2, name="fc")])
    >>> eddl.build(net)
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> eddl.save_net_to_onnx_file(net, path)
    >>> eddl.import_net_from_onnx_file(path).layers[1].name
    'fc'
    """
    _check_mem(mem)
    if log_level is not None:
        from ..utils import LOG_LEVEL

        try:
            LOG_LEVEL(log_level)
        except ValueError:
            raise ValueError(f"log_level must be one of {[int(v) for v in LOG_LEVEL]} "
                             f"(eddl.LOG_LEVEL), got {log_level!r}") from None
    return from_onnx(path, input_shape=input_shape)


def import_net_from_onnx_string(model_string, mem=0, input_shape=None):
    """Import ONNX bytes as a net (PyEDDL's name); see :func:`import_net_from_onnx_file`."""
    _check_mem(mem)
    return from_onnx(read_model(model_string, "import_net_from_onnx_string"), input_shape=input_shape)


def _check_mem(mem):
    if mem not in (0, 1, 2, "full_mem", "mid_mem", "low_mem"):
        raise ValueError(f"mem must be 0, 1 or 2 (or 'full_mem', 'mid_mem', 'low_mem'), got {mem!r}")


def set_weights_from_onnx(net, data):
    """Copy the weights held in ONNX bytes into a built net, matching tensors by name.

    Parameters
    ----------
    net : eddl.Model
    data : bytes or onnx.ModelProto
        As written by :func:`serialize_net_to_onnx_string` for a net of the same architecture.

    Raises
    ------
    eddl.onnx.ONNXImportError
        A missing tensor or a shape mismatch (the first one is named); nothing is changed then.
    """
    assign(net, named_arrays(read_model(data, "set_weights_from_onnx")))


def apply_grads_from_onnx(net, data):
    """Apply gradients held in ONNX bytes to a built net: one optimizer step.

    ``data`` comes from ``serialize_net_to_onnx_string(worker, gradients=True)`` on a net of
    the same architecture, after a backward pass there. The step equals the one the worker's
    own optimizer would have taken.
    """
    assign(net, named_arrays(read_model(data, "apply_grads_from_onnx")), gradients=True,
           what="apply_grads_from_onnx")
    net.update()
