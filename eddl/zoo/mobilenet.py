"""A small MobileNet-v1-style network (depthwise-separable convolutions, Howard et al. 2017)."""

from ..layers import factories as _api
from ..model import Model
from ._blocks import check_classes, check_input, classifier_head, conv_bn_relu

__all__ = ["mobilenet"]

_CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
       [(1024, 2), (1024, 1)]


def mobilenet(input_shape, num_classes, width=1.0, blocks=None):
    """MobileNet v1: a stride-2 3x3 convolution and depthwise-separable blocks.

    Parameters
    ----------
    input_shape : list of int
        ``[C, H, W]``.
    num_classes : int
    width : float
        Channel multiplier (``alpha`` in the paper).
    blocks : int, optional
        Use only the first ``blocks`` separable blocks (all 13 by default), for small inputs.

    Returns
    -------
    Model
        Not built.
    """
    check_classes(num_classes, "mobilenet")
    inp = check_input(input_shape, 2, "mobilenet")
    cfg = _CFG if blocks is None else _CFG[:blocks]
    x = conv_bn_relu(inp, max(8, int(32 * width)), 3, 2)
    for filters, stride in cfg:
        x = _api.DepthwiseConv2D(x, [3, 3], [stride, stride], "same", False)
        x = _api.ReLu(_api.BatchNormalization(x, True))
        x = conv_bn_relu(x, max(8, int(filters * width)), 1, 1)
    return Model([inp], [classifier_head(x, num_classes)], name="mobilenet")
