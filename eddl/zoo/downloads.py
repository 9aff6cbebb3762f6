"""PyEDDL's ``download_<model>()``: EDDL's pretrained ONNX models as nets.

Each function fetches the original file (:func:`eddl.download.fetch_model`: cache, checksum,
resume, offline message), leaves it in the current folder as PyEDDL does, imports it, names
its input layer ``"input"`` and, with ``top=True``, cuts the classifier head so that the last
remaining layer, named ``"top"``, is where a new head is connected. The net is not built.
"""

from ..download.local import place_in_cwd
from ..download.models import fetch_model
from ..download.sources import MODELS

__all__ = ["download_vgg16", "download_vgg16_bn", "download_vgg19", "download_vgg19_bn",
           "download_resnet18", "download_resnet34", "download_resnet50", "download_resnet101",
           "download_resnet152", "download_densenet121", "net_from_model_file"]


def net_from_model_file(path, top=True, input_shape=None):
    """Import an ONNX classifier the way PyEDDL's ``download_*`` functions present it.

    Parameters
    ----------
    path : str or os.PathLike
    top : bool
        Remove the classifier head: the layers after the last global pooling/flatten, back
        to and including the last Dense; the layer before it is renamed ``"top"``.
    input_shape : list of int, optional
        Per-sample input shape replacing the file's.

    Returns
    -------
    eddl.Model
        Not built; build with ``init_weights=False`` to keep the weights.
    """
    from ..layers.core import Dense
    from ..model import Model
    from ..onnx import import_net_from_onnx_file

    net = import_net_from_onnx_file(path, input_shape=input_shape)
    if len(net.lin) != 1 or len(net.lout) != 1:
        raise ValueError(f"{path}: expected a classifier with one input and one output, got "
                         f"{len(net.lin)} and {len(net.lout)}")
    _rename(net, net.lin[0], "input")
    if not top:
        return net
    out = net.lout[0]
    while not isinstance(out, Dense):
        if len(out.parents) != 1:
            raise ValueError(f"{path}: cannot find the classifier head (layer {out.name!r} "
                             f"has {len(out.parents)} inputs)")
        out = out.parents[0]
    feat = out.parents[0]
    for child in list(feat.children):
        if child not in net.layers or child is out:
            feat.children.remove(child)
    _rename(net, feat, "top")
    new = Model(net.lin, [feat], name=net.name)
    new.onnx_pretrained = True
    return new


def _rename(net, layer, name):
    if layer.name == name:
        return
    if any(l.name == name for l in net.layers):
        raise ValueError(f"the model already has a layer named {name!r}")
    net._by_name.pop(layer.name, None)
    layer.name = name
    net._by_name[name] = layer


def _download(key):
    model = MODELS[key]

    def download(top=True, input_shape=None, **options):
        path = fetch_model(key, **options)
        place_in_cwd(path, model.file)
        return net_from_model_file(path, top=top, input_shape=input_shape or None)
    download.__name__ = download.__qualname__ = f"download_{key}"
    download.__doc__ = f"""Download EDDL's pretrained ``{model.file}`` and return it as a net (PyEDDL's name).

    Parameters
    ----------
    top : bool
        Cut the classifier head; the last remaining layer is named ``"top"``.
    input_shape : list of int, optional
        Per-sample input shape (e.g. ``[3, 224, 224]``).
    **options
        ``cache_dir``, ``base_url``, ``sha256``, ``progress`` of
        :func:`eddl.download.fetch_model`.

    Returns
    -------
    eddl.Model
        Not built (``eddl.build(net, ..., init_weights=False)`` keeps the weights); its input
        layer is named ``"input"``.

    Raises
    ------
    eddl.DownloadError
        Offline or on an HTTP error; the message says where to put the file by hand.
    """
    return download


download_vgg16 = _download("vgg16")
download_vgg16_bn = _download("vgg16_bn")
download_vgg19 = _download("vgg19")
download_vgg19_bn = _download("vgg19_bn")
download_resnet18 = _download("resnet18")
download_resnet34 = _download("resnet34")
download_resnet50 = _download("resnet50")
download_resnet101 = _download("resnet101")
download_resnet152 = _download("resnet152")
download_densenet121 = _download("densenet121")
