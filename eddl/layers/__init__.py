"""Layer classes (the PyEDDL-named functions in ``eddl`` build these).

One module per family: :mod:`.core`, :mod:`.activations`, :mod:`.reshape`, :mod:`.merge`,
:mod:`.operators`, :mod:`.reductions`, :mod:`.noise`. A new family (convolution, pooling,
normalization) is a new module whose classes subclass :class:`Layer`. Each class registers
itself and its PyEDDL names in :mod:`.registry`; :mod:`.factories` generates the functions.
"""

from .activations import ACTIVATIONS, Activation
from .base import TRMODE, TSMODE, Layer
from .core import Dense, Dropout, Input
from .merge import Add, Average, Concat, Div, MatMul, Maximum, Minimum, Mult, Subtract, Where
from .noise import GaussianNoise
from .operators import SCALAR_OPS, UNARY_OPS, Clamp, Scalar, Unary
from .reductions import REDUCE_OPS, Reduce
from .reshape import (
    Bypass,
    Flatten,
    Permute,
    Reshape,
    Select,
    Split,
    Squeeze,
    Transpose,
    Unsqueeze,
)

__all__ = ["ACTIVATIONS", "Activation", "Add", "Average", "Clamp", "Concat", "Dense", "Div",
           "Dropout", "Flatten", "GaussianNoise", "Input", "Layer", "Maximum", "Minimum", "Mult",
           "Permute", "REDUCE_OPS", "Reduce", "Reshape", "SCALAR_OPS", "Scalar", "Select",
           "Squeeze", "Subtract", "TRMODE", "TSMODE", "Transpose", "UNARY_OPS", "Unary",
           "Unsqueeze"]

# ONNX-style operators: broadcasting, generators and constants, embeddings
from .broadcasting import Broadcast, Expand, Repeat, Tile  # noqa: E402
from .embedding import Embedding  # noqa: E402
from .gather import Take  # noqa: E402
from .generators import ConstOfTensor, GaussGenerator, Shape, UniformGenerator  # noqa: E402

__all__ += ["Broadcast", "Bypass", "ConstOfTensor", "Embedding", "Expand", "GaussGenerator",
            "MatMul", "Repeat", "Shape", "Split", "Take", "Tile", "UniformGenerator", "Where"]

# convolutional stack
from .conv import Conv, Conv1D, Conv2D, Conv3D, ConvT, ConvT1D, ConvT2D, ConvT3D  # noqa: E402
from .normalization import (  # noqa: E402
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    Norm,
    NormMax,
    NormMinMax,
)
from .pool import AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool, Pool  # noqa: E402
from .upsampling import Pad, Resample, Resize, Scale, UpSampling2D, UpSampling3D  # noqa: E402

__all__ += ["AveragePool", "BatchNormalization", "Conv", "Conv1D", "Conv2D", "Conv3D", "ConvT",
            "ConvT1D", "ConvT2D", "ConvT3D", "GlobalAveragePool", "GlobalMaxPool",
            "GroupNormalization", "LayerNormalization", "MaxPool", "Norm", "NormMax",
            "NormMinMax", "Pad", "Pool", "Resample", "Resize", "Scale", "UpSampling2D",
            "UpSampling3D"]

# data augmentation
from .da import (  # noqa: E402
    CenteredCrop,
    Crop,
    CropScale,
    Cutout,
    Flip,
    RandomCrop,
    RandomCropScale,
    RandomCutout,
    RandomFlip,
    RandomRotation,
    RandomScale,
    RandomShift,
    Rotate,
    Shift,
)

__all__ += ["CenteredCrop", "Crop", "CropScale", "Cutout", "Flip", "RandomCrop",
            "RandomCropScale", "RandomCutout", "RandomFlip", "RandomRotation", "RandomScale",
            "RandomShift", "Rotate", "Shift"]

# recurrent layers over [T, D] sequences
from .recurrent import GRU, LSTM, RNN, GetStates, Recurrent  # noqa: E402

__all__ += ["GRU", "GetStates", "LSTM", "RNN", "Recurrent"]

# attention and positional encodings over [T, D] sequences
from .attention import (  # noqa: E402
    AdditiveAttention,
    AttentionWeights,
    MultiHeadAttention,
    ScaledDotProductAttention,
)
from .positional import LearnedPositionalEncoding, PositionalEncoding  # noqa: E402

__all__ += ["AdditiveAttention", "AttentionWeights", "LearnedPositionalEncoding",
            "MultiHeadAttention", "PositionalEncoding", "ScaledDotProductAttention"]

# FPGA: the fused HLSinf chain of a model converted by eddl.toFPGA
from .hlsinf import HLSinf  # noqa: E402

__all__ += ["HLSinf"]

# inference: a convolution fused with its normalization, residual sum and activation
from .fused import FusedAffine, FusedConv, FusedDense  # noqa: E402

__all__ += ["FusedAffine", "FusedConv", "FusedDense"]
