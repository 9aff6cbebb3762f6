"""U-Net (Ronneberger et al. 2015) in 2-D and 3-D, with "same" padding.

Each level has two Conv-BN-ReLU blocks; the encoder halves the size with max pooling and the
decoder doubles it with a stride-2 transposed convolution, then concatenates the skip.
"""

from ..layers import factories as _api
from ..model import Model
from ._blocks import check_classes, check_input, conv_bn_relu

__all__ = ["unet", "unet3d"]


def _unet(input_shape, num_classes, depth, base, nsp, what):
    check_classes(num_classes, what)
    inp = check_input(input_shape, nsp, what)
    f = 2 ** depth
    if any(s % f for s in input_shape[1:]):
        raise ValueError(f"{what}: spatial sizes {list(input_shape[1:])} must be multiples of "
                         f"2**depth = {f}")
    pool = _api.MaxPool2D if nsp == 2 else _api.MaxPool3D
    convt = _api.ConvT2D if nsp == 2 else _api.ConvT3D

    def block(x, filters):
        x = conv_bn_relu(x, filters, 3, nsp=nsp)
        return conv_bn_relu(x, filters, 3, nsp=nsp)

    skips, x = [], inp
    for level in range(depth):
        x = block(x, base * 2 ** level)
        skips.append(x)
        x = pool(x, [2] * nsp, [2] * nsp)
    x = block(x, base * 2 ** depth)
    for level in reversed(range(depth)):
        x = convt(x, base * 2 ** level, [2] * nsp, [2] * nsp, "valid")
        x = block(_api.Concat([x, skips[level]]), base * 2 ** level)
    out = (_api.Conv2D if nsp == 2 else _api.Conv3D)(x, num_classes, [1] * nsp)
    out = _api.Sigmoid(out) if num_classes == 1 else _api.Softmax(out, axis=0)
    return Model([inp], [out], name=what)


def unet(input_shape, num_classes=1, depth=4, base_filters=64):
    """2-D U-Net for ``[C, H, W]`` inputs (sizes multiple of ``2**depth``).

    Parameters
    ----------
    input_shape : list of int
    num_classes : int
        1 gives a sigmoid mask; more a softmax over channels.
    depth : int
        Number of poolings.
    base_filters : int
        Filters of the first level (doubled at each level).

    Returns
    -------
    Model
        Not built.
    """
    return _unet(input_shape, num_classes, depth, base_filters, 2, "unet")


def unet3d(input_shape, num_classes=1, depth=3, base_filters=16):
    """3-D U-Net for ``[C, D, H, W]`` volumes (see :func:`unet`).

    Parameters
    ----------
    input_shape : list of int
    num_classes : int
    depth : int
    base_filters : int

    Returns
    -------
    Model
    """
    return _unet(input_shape, num_classes, depth, base_filters, 3, "unet3d")
