"""ResNet-18/34 (basic blocks) and ResNet-50/101 (bottleneck blocks), He et al. 2016."""

from ..layers import factories as _api
from ..model import Model
from ._blocks import check_classes, check_input, classifier_head, conv_bn_relu
from .pretrained import load_onnx_weights

__all__ = ["resnet18", "resnet34", "resnet50", "resnet101"]


# Layers carry torchvision's module names and padding (k // 2 on each side), so a torchvision
# ResNet exported to ONNX loads by name and computes the same function.

def _cbr(x, filters, kernel, stride, at, k, relu=True):
    return conv_bn_relu(x, filters, kernel, stride, relu=relu, padding=kernel // 2,
                        names=(f"{at}.conv{k}", f"{at}.bn{k}"))


def _shortcut(x, filters, stride, at):
    if stride == 1 and x.shape[0] == filters:
        return x
    return conv_bn_relu(x, filters, 1, stride, relu=False, padding=0,
                        names=(f"{at}.downsample.0", f"{at}.downsample.1"))


def _basic(x, filters, stride, at):
    y = _cbr(x, filters, 3, stride, at, 1)
    y = _cbr(y, filters, 3, 1, at, 2, relu=False)
    return _api.ReLu(_api.Add([y, _shortcut(x, filters, stride, at)]))


def _bottleneck(x, filters, stride, at):
    y = _cbr(x, filters, 1, 1, at, 1)
    y = _cbr(y, filters, 3, stride, at, 2)
    y = _cbr(y, 4 * filters, 1, 1, at, 3, relu=False)
    return _api.ReLu(_api.Add([y, _shortcut(x, 4 * filters, stride, at)]))


def _resnet(input_shape, num_classes, blocks, block, what, pretrained):
    check_classes(num_classes, what)
    inp = check_input(input_shape, 2, what)
    x = conv_bn_relu(inp, 64, 7, 2, padding=3, names=("conv1", "bn1"))
    x = _api.MaxPool2D(x, [3, 3], [2, 2], 1, name="maxpool")
    for stage, n in enumerate(blocks):
        for i in range(n):
            x = block(x, 64 * 2 ** stage, 2 if (i == 0 and stage > 0) else 1, f"layer{stage + 1}.{i}")
    net = Model([inp], [classifier_head(x, num_classes, name="fc")], name=what)
    if pretrained is not None:
        load_onnx_weights(net, pretrained)
    return net


def resnet18(input_shape, num_classes, pretrained=None):
    """ResNet-18 for ``input_shape = [C, H, W]`` images.

    Parameters
    ----------
    input_shape : list of int
    num_classes : int
    pretrained : str, os.PathLike, bytes or onnx.ModelProto, optional
        ONNX weights to start from, matched by name and shape (see
        :func:`eddl.zoo.load_onnx_weights`): a file written by this toolkit or a torchvision
        ResNet exported with its ``state_dict`` names. Build with ``init_weights=False`` to
        keep them.

    Returns
    -------
    Model
        Not built.
    """
    return _resnet(input_shape, num_classes, [2, 2, 2, 2], _basic, "resnet18", pretrained)


def resnet34(input_shape, num_classes, pretrained=None):
    """ResNet-34 (see :func:`resnet18`).

    Parameters
    ----------
    input_shape : list of int
    num_classes : int
    pretrained : str, os.PathLike, bytes or onnx.ModelProto, optional
        As in :func:`resnet18`.

    Returns
    -------
    Model
    """
    return _resnet(input_shape, num_classes, [3, 4, 6, 3], _basic, "resnet34", pretrained)


def resnet50(input_shape, num_classes, pretrained=None):
    """ResNet-50 with bottleneck blocks (25,557,032 parameters with 1000 classes on RGB).

    Parameters
    ----------
    input_shape : list of int
    num_classes : int
    pretrained : str, os.PathLike, bytes or onnx.ModelProto, optional
        As in :func:`resnet18`.

    Returns
    -------
    Model
    """
    return _resnet(input_shape, num_classes, [3, 4, 6, 3], _bottleneck, "resnet50", pretrained)


def resnet101(input_shape, num_classes, pretrained=None):
    """ResNet-101 with bottleneck blocks.

    Parameters
    ----------
    input_shape : list of int
    num_classes : int
    pretrained : str, os.PathLike, bytes or onnx.ModelProto, optional
        As in :func:`resnet18`.

    Returns
    -------
    Model
    """
    return _resnet(input_shape, num_classes, [3, 4, 23, 3], _bottleneck, "resnet101", pretrained)
