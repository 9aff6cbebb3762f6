"""bridge: where ecvl images meet eddl tensors (conversion, data loading, training).

Examples
--------
>>> import numpy as np, ecvl
>>> from bridge import ImageToTensor
>>> img = ecvl.Image.from_canonical(np.zeros((4, 5, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
>>> ImageToTensor(img).shape
[3, 4, 5]
"""

from .convert import (
    ImageToTensor,
    TensorToImage,
    TensorToView,
    chw_shape,
    image_to_array,
    image_to_tensor,
    tensor_to_image,
    tensor_to_view,
)
from .grid import MakeGrid, make_grid
from .loader import DLDataset, SampleError
from .patches import AugLabelPatch, AugUniformPatch
from .pcqueue import ProducersConsumerQueue, ThreadCounters

__version__ = "0.1.0.dev0"

__all__ = ["DLDataset", "SampleError", "ImageToTensor", "TensorToImage", "TensorToView", "chw_shape", "image_to_array",
           "image_to_tensor", "tensor_to_image", "tensor_to_view", "MakeGrid", "make_grid",
           "ProducersConsumerQueue", "ThreadCounters", "AugUniformPatch", "AugLabelPatch"]
