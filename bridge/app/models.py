"""Models of the training command: two small built-in networks plus the eddl zoo."""

import eddl
from eddl import zoo

__all__ = ["small_cnn", "small_unet", "make_model", "make_optimizer", "MODEL_NAMES"]


def small_cnn(input_shape, num_classes):
    """Build a three-block convolutional classifier, quick to train on small images.

    Parameters
    ----------
    input_shape : list of int
        ``[C, H, W]``.
    num_classes : int
        Outputs of the softmax.

    Returns
    -------
    eddl.model.Model
        Not built.

    Examples
    --------
    >>> net = small_cnn([3, 32, 32], 3)
    >>> net.lout[0].shape
    (3,)
    """
    x = eddl.Input(list(input_shape))
    h = x
    for filters in (8, 16, 32):
        h = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(h, filters, [3, 3])), [2, 2], [2, 2])
    h = eddl.Flatten(eddl.GlobalAveragePool2D(h))
    return eddl.Model([x], [eddl.Softmax(eddl.Dense(h, num_classes))], "small_cnn")


def small_unet(input_shape, num_classes=1):
    """Build a two-level U-Net with 8 base filters (sizes multiple of 4).

    Parameters
    ----------
    input_shape : list of int
        ``[C, H, W]``.
    num_classes : int, optional
        1 for a sigmoid mask.

    Returns
    -------
    eddl.model.Model
        Not built.
    """
    return zoo.unet(list(input_shape), num_classes, depth=2, base_filters=8)


_BUILTIN = {"small_cnn": small_cnn, "small_unet": small_unet}
_ZOO = {name: getattr(zoo, name) for name in zoo.__all__}
MODEL_NAMES = sorted(_BUILTIN) + sorted(_ZOO)


def make_model(name, input_shape, num_outputs, task):
    """Build (not compile) the network called ``name`` for the data.

    Parameters
    ----------
    name : str
        ``"auto"`` (small_cnn or small_unet by task), a built-in or a zoo name.
    input_shape : list of int
        ``[C, H, W]`` of the loader's samples.
    num_outputs : int
        Classes (classification) or mask channels (segmentation).
    task : str
        ``"classification"`` or ``"segmentation"``.

    Returns
    -------
    eddl.model.Model
    """
    if name == "auto":
        name = "small_cnn" if task == "classification" else "small_unet"
    if name.endswith(".onnx"):
        raise ValueError(f"model {name}: ONNX models are not supported by the training command "
                         "yet; use a zoo name")
    fn = _BUILTIN.get(name) or _ZOO.get(name)
    if fn is None:
        raise ValueError(f"unknown model {name!r}; valid: {MODEL_NAMES}")
    try:
        net = fn(list(input_shape), num_outputs)
    except Exception as e:
        raise ValueError(f"model {name} cannot take inputs of shape {list(input_shape)} "
                         f"(C, H, W): {e}") from e
    got = tuple(net.lin[0].shape)
    if got != tuple(input_shape):
        raise ValueError(f"model {name} expects inputs of shape {list(got)} but the data gives "
                         f"{list(input_shape)}")
    return net


def make_optimizer(name, lr):
    """Make an eddl optimizer by name with learning rate ``lr``.

    Parameters
    ----------
    name : str
        ``adam``, ``adamw``, ``sgd`` (momentum 0.9) or ``rmsprop``.
    lr : float
        Learning rate.

    Returns
    -------
    eddl.optimizers.Optimizer
    """
    makers = {"adam": lambda: eddl.adam(lr), "adamw": lambda: eddl.adamw(lr),
              "sgd": lambda: eddl.sgd(lr, 0.9), "rmsprop": lambda: eddl.rmsprop(lr)}
    if name not in makers:
        raise ValueError(f"unknown optimizer {name!r}; valid: {sorted(makers)}")
    return makers[name]()
