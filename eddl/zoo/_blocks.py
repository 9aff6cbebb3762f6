"""Building blocks shared by the zoo builders."""

from ..layers import factories as _api

__all__ = ["conv_bn_relu", "check_input", "classifier_head"]


def check_input(input_shape, ndim, what):
    """Validate ``input_shape`` (channels first, ``ndim`` spatial axes) and return an Input."""
    shape = list(input_shape)
    if len(shape) != ndim + 1:
        raise ValueError(f"{what}: input_shape must be [channels, {ndim} spatial sizes], got {shape}")
    return _api.Input(shape)


def conv_bn_relu(x, filters, kernel=3, stride=1, bn=True, relu=True, groups=1, nsp=2, padding="same",
                 names=("", "")):
    """Convolution (no bias when followed by batch normalization), BN, ReLU.

    ``names`` are the names of the convolution and batch-normalization layers (automatic when
    empty); the zoo uses torchvision's module names, so pretrained weights match by name.
    """
    conv = {1: _api.Conv1D, 2: _api.Conv2D, 3: _api.Conv3D}[nsp]
    x = conv(x, filters, [kernel] * nsp, [stride] * nsp, padding, not bn, groups, name=names[0])
    if bn:
        x = _api.BatchNormalization(x, True, name=names[1])
    if relu:
        x = _api.ReLu(x)
    return x


def classifier_head(x, num_classes, name=""):
    """Global average pooling, Flatten, Dense (named ``name``), Softmax."""
    x = _api.Flatten(_api.GlobalAveragePool(x))
    return _api.Softmax(_api.Dense(x, num_classes, name=name))


def check_classes(num_classes, what):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{what}: num_classes must be a positive int, got {num_classes!r}")
