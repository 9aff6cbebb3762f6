"""ResNet-18/34 (basic blocks) and ResNet-50/101 (bottleneck blocks), He et al. 2016."""

from ..layers import factories as _api
from ..model import Model
from ._blocks import check_classes, check_input, classifier_head, conv_bn_relu

__all__ = ["resnet18", "resnet34", "resnet50", "resnet101"]


def _shortcut(x, filters, stride):
    if stride == 1 and x.shape[0] == filters:
        return x
    return conv_bn_relu(x, filters, 1, stride, relu=False)


def _basic(x, filters, stride):
    y = conv_bn_relu(x, filters, 3, stride)
    y = conv_bn_relu(y, filters, 3, 1, relu=False)
    return _api.ReLu(_api.Add([y, _shortcut(x, filters, stride)]))


def _bottleneck(x, filters, stride):
    y = conv_bn_relu(x, filters, 1, 1)
    y = conv_bn_relu(y, filters, 3, stride)
    y = conv_bn_relu(y, 4 * filters, 1, 1, relu=False)
    return _api.ReLu(_api.Add([y, _shortcut(x, 4 * filters, stride)]))


def _resnet(input_shape, num_classes, blocks, block, what):
    check_classes(num_classes, what)
    inp = check_input(input_shape, 2, what)
    x = conv_bn_relu(inp, 64, 7, 2)
    x = _api.MaxPool2D(x, [3, 3], [2, 2], "same")
    for stage, n in enumerate(blocks):
        for i in range(n):
            x = block(x, 64 * 2 ** stage, 2 if (i == 0 and stage > 0) else 1)
    return Model([inp], [classifier_head(x, num_classes)], name=what)


def resnet18(input_shape, num_classes):
    """ResNet-18 for ``input_shape = [C, H, W]`` images.

    Parameters
    ----------
    input_shape : list of int
    num_classes : int

    Returns
    -------
    Model
        Not built.
    """
    return _resnet(input_shape, num_classes, [2, 2, 2, 2], _basic, "resnet18")


def resnet34(input_shape, num_classes):
    """ResNet-34 (see :func:`resnet18`).

    Parameters
    ----------
    input_shape : list of int
    num_classes : int

    Returns
    -------
    Model
    """
    return _resnet(input_shape, num_classes, [3, 4, 6, 3], _basic, "resnet34")


def resnet50(input_shape, num_classes):
    """ResNet-50 with bottleneck blocks (25,557,032 parameters with 1000 classes on RGB).

    Parameters
    ----------
    input_shape : list of int
    num_classes : int

    Returns
    -------
    Model
    """
    return _resnet(input_shape, num_classes, [3, 4, 6, 3], _bottleneck, "resnet50")


def resnet101(input_shape, num_classes):
    """ResNet-101 with bottleneck blocks.

    Parameters
    ----------
    input_shape : list of int
    num_classes : int

    Returns
    -------
    Model
    """
    return _resnet(input_shape, num_classes, [3, 4, 23, 3], _bottleneck, "resnet101")
