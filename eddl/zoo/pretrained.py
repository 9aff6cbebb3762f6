"""Pretrained weights for the zoo: ONNX initializers matched to layers by name and shape."""

import os

import numpy as np

__all__ = ["load_onnx_weights"]

#: our parameter name -> the PyTorch/torchvision name of the same tensor
_TORCH = {"K": "weight", "W": "weight", "bias": "bias", "bn_g": "weight", "bn_b": "bias",
          "mean": "running_mean", "variance": "running_var", "E": "weight"}


def load_onnx_weights(net, source):
    """Give every weighted layer of an unbuilt ``net`` its tensor from an ONNX model.

    A tensor is found by name: ``<layer>.<param>`` as this toolkit writes it, or
    ``<layer>.<torch name>`` as PyTorch's exporter writes a ``state_dict``
    (``conv1.weight``, ``bn1.running_mean``; a Dense weight may be stored transposed, as
    ``nn.Linear`` keeps it). Every tensor is checked before any is assigned.

    Parameters
    ----------
    net : eddl.Model
    source : str, os.PathLike, bytes or onnx.ModelProto

    Raises
    ------
    eddl.onnx.ONNXImportError
        Naming the first layer whose tensor is missing or has another shape.

    Examples
    --------
    >>> import eddl
    >>> src = eddl.zoo.resnet18([3, 32, 32], 10)
    >>> eddl.build(src)
    >>> data = eddl.serialize_net_to_onnx_string(src)
    >>> net = eddl.zoo.resnet18([3, 32, 32], 10, pretrained=data)
    >>> eddl.build(net, init_weights=False)
    """
    import onnx

    from ..onnx.values import ONNXImportError
    from ..onnx.weights import named_arrays, read_model

    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"pretrained weights {path!r}: no such file")
        model = onnx.load(path)
    else:
        model = read_model(source, "pretrained weights")
    arrays = named_arrays(model)
    plan = []
    for layer in net.layers:
        specs = [(n, tuple(s)) for n, s, _ in layer.param_specs()]
        states = [(n, (layer.shape[0],)) for n in layer.state_names]
        if not specs and not states:
            continue
        values = [_find(arrays, layer, n, shape, ONNXImportError) for n, shape in specs + states]
        plan.append((layer, values[:len(specs)], values[len(specs):]))
    for layer, params, states in plan:
        layer.preset_weights(params, states)
    net.onnx_pretrained = True
    return net


def _find(arrays, layer, pname, shape, error):
    names = [f"{layer.name}.{pname}"]
    if pname in _TORCH:
        names.append(f"{layer.name}.{_TORCH[pname]}")
    for n in names:
        a = arrays.get(n)
        if a is None:
            continue
        if a.shape == shape:
            return np.ascontiguousarray(a, dtype=np.float32)
        if pname == "W" and a.ndim == 2 and a.T.shape == shape:
            return np.ascontiguousarray(a.T, dtype=np.float32)
        raise error(f"pretrained weights: tensor {n!r} has shape {list(a.shape)}, layer "
                    f"{layer.name!r} needs {list(shape)}")
    raise error(f"pretrained weights: no tensor {' or '.join(map(repr, names))} for layer "
                f"{layer.name!r} ({type(layer).__name__})")
