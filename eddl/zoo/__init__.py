"""Model zoo: builders of classic architectures with random weights.

Each builder is ``name(input_shape, num_classes, ...) -> Model`` and returns a model that is not
yet built (call :func:`eddl.build`). Pretrained weights come through ONNX import.

Examples
--------
>>> import eddl
>>> net = eddl.zoo.resnet18([3, 64, 64], 10)
>>> net.lout[0].shape
(10,)
"""

from .downloads import *  # noqa: F401,F403
from .downloads import __all__ as _download_names
from .mobilenet import mobilenet
from .pretrained import load_onnx_weights
from .resnet import resnet18, resnet34, resnet50, resnet101
from .unet import unet, unet3d
from .vgg import vgg16, vgg16_bn, vgg19, vgg19_bn

#: names of the architecture builders
BUILDERS = ("mobilenet", "resnet18", "resnet34", "resnet50", "resnet101", "unet", "unet3d",
            "vgg16", "vgg16_bn", "vgg19", "vgg19_bn")

__all__ = ["BUILDERS", "load_onnx_weights", *BUILDERS] + list(_download_names)
