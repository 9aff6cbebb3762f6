"""VGG-16/19 (Simonyan and Zisserman 2015), with or without batch normalization.

The classifier is two Dense(4096)+ReLU+Dropout layers and a Dense softmax output for inputs of
at least 32 x 32 (five 2x2 poolings); smaller heads suit small images: ``dense_units``.
"""

from ..layers import factories as _api
from ..model import Model
from ._blocks import check_classes, check_input, conv_bn_relu

__all__ = ["vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

_CFG = {16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}


def _vgg(input_shape, num_classes, depth, bn, dense_units, what):
    check_classes(num_classes, what)
    inp = check_input(input_shape, 2, what)
    if min(input_shape[1:]) < 32:
        raise ValueError(f"{what}: inputs must be at least 32 x 32, got {list(input_shape)}")
    x = inp
    for stage, n in enumerate(_CFG[depth]):
        for _ in range(n):
            x = conv_bn_relu(x, min(64 * 2 ** stage, 512), 3, 1, bn=bn)
        x = _api.MaxPool2D(x, [2, 2], [2, 2])
    x = _api.Flatten(x)
    for _ in range(2):
        x = _api.Dropout(_api.ReLu(_api.Dense(x, dense_units)), 0.5)
    return Model([inp], [_api.Softmax(_api.Dense(x, num_classes))], name=what)


# the sections the four builders share, appended to their one-line summaries below
_SECTIONS = """
    Parameters
    ----------
    input_shape : list of int
        ``[C, H, W]`` with ``H, W >= 32``.
    num_classes : int
    dense_units : int
        Width of the two hidden dense layers (4096 in the original).

    Returns
    -------
    Model
        Not built.
    """


def vgg16(input_shape, num_classes, dense_units=4096):
    """VGG-16."""
    return _vgg(input_shape, num_classes, 16, False, dense_units, "vgg16")


def vgg16_bn(input_shape, num_classes, dense_units=4096):
    """VGG-16 with batch normalization."""
    return _vgg(input_shape, num_classes, 16, True, dense_units, "vgg16_bn")


def vgg19(input_shape, num_classes, dense_units=4096):
    """VGG-19."""
    return _vgg(input_shape, num_classes, 19, False, dense_units, "vgg19")


def vgg19_bn(input_shape, num_classes, dense_units=4096):
    """VGG-19 with batch normalization."""
    return _vgg(input_shape, num_classes, 19, True, dense_units, "vgg19_bn")


for _f in (vgg16, vgg16_bn, vgg19, vgg19_bn):
    _f.__doc__ = (_f.__doc__ or "") + "\n" + _SECTIONS  # None under ``python -OO``
del _f
