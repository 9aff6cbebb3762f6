"""Export of every layer class: the ONNX model passes the full checker, and onnxruntime and the
ONNX reference evaluator compute what our own inference computes, at batch sizes 1 and 3.

Every registered layer class needs at least one case in :data:`CASES` or an entry in
:data:`NOT_EXPORTABLE` saying why it has no ONNX form
(:func:`test_every_registered_layer_is_covered`).
"""

import os
import sys

import numpy as np
import onnx
import pytest

import eddl
from eddl.layers import conv as _conv
from eddl.layers.activations import ACTIVATIONS, Activation
from eddl.layers.registry import LAYERS
from eddl.layers.upsampling import Resize as _resize

sys.path.insert(0, os.path.dirname(__file__))
from _onnx_util import BATCHES, build, check_export, feeds_of, ort_run, ours, ref_run  # noqa: E402

#: registered classes without an export case, and why
NOT_EXPORTABLE = {
    "Input": "a graph input, not a node (every case has one)",
    "GetStates": "it feeds initial states to a recurrent layer, a form not exported yet",
    "HLSinf": "a fused FPGA kernel launch made by eddl.toFPGA: export the original model",
}

CASES = []


def case(cls, ident, shapes, make, **opts):
    """One export case: a layer of class ``cls`` made by ``make(*inputs)`` (a layer or a list
    of output layers). Options: ``low``/``high`` (input range), ``train`` (fit a few batches
    first, for batch statistics), ``inputs`` (``(rng, batch) -> list of arrays``),
    ``ref`` (False: skip the reference evaluator, with the reason as value)."""
    CASES.append(pytest.param(cls, shapes, make, opts, id=f"{cls}-{ident}"))


# -- convolutions ----------------------------------------------------------------------------
case("Conv1D", "groups-dilation-stride-same", [[4, 11]],
     lambda x: eddl.Conv1D(x, 6, [3], [2], "same", True, 2, [2]))
case("Conv1D", "valid-nobias", [[2, 9]], lambda x: eddl.Conv1D(x, 3, [4], [1], "valid", False))
case("Conv2D", "same-stride2-asymmetric", [[3, 7, 6]],
     lambda x: eddl.Conv2D(x, 4, [3, 3], [2, 2], "same"))
case("Conv2D", "explicit-asymmetric-pads", [[2, 5, 5]],
     lambda x: eddl.Conv2D(x, 3, [3, 2], [1, 1], [1, 0, 2, 1]))
case("Conv2D", "depthwise-dilation", [[4, 8, 8]],
     lambda x: eddl.DepthwiseConv2D(x, [3, 3], [1, 2], "same", True, [2, 1]))
case("Conv2D", "groups2", [[4, 6, 5]], lambda x: eddl.Conv2D(x, 6, [3, 3], [1, 1], "valid", True, 2))
case("Conv3D", "groups-stride", [[2, 5, 4, 5]],
     lambda x: eddl.Conv3D(x, 4, [2, 3, 2], [2, 1, 2], "same", True, 2))
case("Conv3D", "dilation-pads", [[1, 6, 5, 4]],
     lambda x: eddl.Conv3D(x, 2, [2, 2, 2], [1, 1, 1], [1, 0, 0, 1, 1, 1], True, 1, [2, 1, 1]))
case("ConvT1D", "stride-output-padding", [[2, 5]],
     lambda x: _conv.ConvT1D(x, 3, [3], [2], "valid", output_padding=1))
case("ConvT2D", "valid-stride2", [[2, 4, 4]], lambda x: eddl.ConvT2D(x, 3, [3, 3], [2, 2], "valid"))
case("ConvT2D", "same-stride2", [[2, 3, 4]], lambda x: eddl.ConvT2D(x, 2, [3, 3], [2, 2], "same"))
case("ConvT2D", "groups-dilation-output-padding", [[4, 3, 3]],
     lambda x: _conv.ConvT2D(x, 4, [3, 2], [2, 3], [1, 0, 0, 1], True, 2, [1, 2],
                             output_padding=[1, 2]),
     ref="onnx.reference ConvTranspose mixes up groups of several channels")
case("FusedConv", "residual-leaky", [[3, 7, 6], [4, 4, 3]],
     lambda x, r: eddl.layers.FusedConv([x, r], 4, [3, 2], [2, 2], [1, 1, 0, 1],
                                         residual=True, activation="leaky_relu", alpha=0.2))
case("FusedConv", "relu-groups", [[4, 6, 5]],
     lambda x: eddl.layers.FusedConv([x], 6, [3, 3], [1, 1], [1, 1, 1, 1], 2, activation="relu"))
case("FusedAffine", "residual-relu", [[3, 4, 5], [3, 4, 5]],
     lambda x, r: eddl.layers.FusedAffine([x, r], residual=True, activation="relu"))
case("FusedAffine", "features-leaky", [[6]],
     lambda x: eddl.layers.FusedAffine([x], activation="leaky_relu", alpha=0.2))
case("FusedDense", "residual-relu", [[5], [3]],
     lambda x, r: eddl.layers.FusedDense([x, r], 3, residual=True, activation="relu"))
case("FusedDense", "nobias-leaky", [[5]],
     lambda x: eddl.layers.FusedDense([x], 4, False, activation="leaky_relu", alpha=0.3))
case("ConvT3D", "stride", [[2, 3, 3, 2]], lambda x: eddl.ConvT3D(x, 2, [2, 2, 2], [2, 1, 2], "valid"))

# -- activations: every kind -------------------------------------------------------------
_PARAMS = {"leaky_relu": [0.2], "elu": [0.7], "thresholded_relu": [0.4], "linear": [1.7],
           "softmax": [1], "log_softmax": [-1]}
for _kind in ACTIVATIONS:
    case("Activation", _kind, [[3, 5]],
         lambda x, k=_kind: Activation(x, k, _PARAMS.get(k, [])))
case("Activation", "softmax-axis0", [[3, 4]], lambda x: eddl.Softmax(x, 0))

# -- dense, dropout, noise -----------------------------------------------------------------
case("Dense", "2d", [[5]], lambda x: eddl.Dense(x, 3))
case("Dense", "2d-nobias", [[5]], lambda x: eddl.Dense(x, 3, use_bias=False))
case("Dense", "3d", [[2, 5]], lambda x: eddl.Dense(x, 4))
case("Dense", "3d-nobias", [[2, 5]], lambda x: eddl.Dense(x, 4, use_bias=False))
case("Dropout", "inverted", [[6]], lambda x: eddl.Dropout(x, 0.3))
case("Dropout", "not-inverted", [[6]], lambda x: eddl.Dropout(x, 0.3, iw=False))
case("GaussianNoise", "inference", [[4]], lambda x: eddl.GaussianNoise(x, 0.5))

# -- pooling ---------------------------------------------------------------------------------
case("MaxPool", "2d-same-ceil", [[2, 7, 7]],
     lambda x: eddl.MaxPool2D(x, [3, 3], [2, 2], "same", ceil_mode=True))
case("MaxPool", "2d-ceil-pads", [[2, 6, 7]],
     lambda x: eddl.MaxPool2D(x, [3, 2], [2, 2], [1, 1, 0, 1], ceil_mode=True))
case("MaxPool", "1d", [[2, 9]], lambda x: eddl.MaxPool1D(x, [3], [2]))
case("MaxPool", "3d", [[1, 4, 5, 4]], lambda x: eddl.MaxPool3D(x, [2, 2, 2], [2, 2, 2], "same"))
case("AveragePool", "1d", [[2, 9]], lambda x: eddl.AvgPool1D(x, [3], [2]))
case("AveragePool", "2d-pads-excluded", [[2, 6, 6]],
     lambda x: eddl.AvgPool2D(x, [3, 3], [2, 2], [1, 1, 1, 1]))
case("AveragePool", "2d-same-ceil", [[1, 7, 5]],
     lambda x: eddl.AvgPool2D(x, [2, 3], [2, 2], "same", ceil_mode=True))
case("AveragePool", "3d", [[1, 4, 4, 5]], lambda x: eddl.AvgPool3D(x, [2, 2, 3], [2, 2, 2]))
case("GlobalMaxPool", "2d", [[3, 4, 5]], lambda x: eddl.GlobalMaxPool2D(x))
# the reference evaluator's GlobalMaxPool reduces the wrong axes for other than 2-D inputs
case("GlobalMaxPool", "3d", [[2, 3, 4, 5]], lambda x: eddl.GlobalMaxPool3D(x),
     ref="onnx.reference GlobalMaxPool is wrong for 3-D inputs")
case("GlobalMaxPool", "1d", [[2, 5]], lambda x: eddl.GlobalMaxPool1D(x),
     ref="onnx.reference GlobalMaxPool is wrong for 1-D inputs")
case("GlobalAveragePool", "2d", [[3, 4, 5]], lambda x: eddl.GlobalAvgPool(x))
case("GlobalAveragePool", "1d", [[3, 6]], lambda x: eddl.GlobalAvgPool1D(x))

# -- normalizations --------------------------------------------------------------------------
case("BatchNormalization", "trained", [[3, 4, 4]],
     lambda x: eddl.BatchNormalization(x, True, 0.8, 1e-3), train=True)
case("BatchNormalization", "no-affine-1d", [[5]],
     lambda x: eddl.BatchNormalization(x, False), train=True)
case("LayerNormalization", "all-axes", [[3, 5]], lambda x: eddl.LayerNormalization(x, False))
case("LayerNormalization", "last-axis", [[3, 5]],
     lambda x: eddl.LayerNormalization(x, True, 1e-5, axis=1), train=True)
case("GroupNormalization", "affine", [[4, 3, 3]], lambda x: eddl.GroupNormalization(x, 2),
     train=True)
case("GroupNormalization", "plain", [[6, 5]], lambda x: eddl.GroupNormalization(x, 3, affine=False))
case("Norm", "", [[2, 3, 3]], lambda x: eddl.Norm(x, 0.01))
case("NormMax", "", [[2, 3, 3]], lambda x: eddl.NormMax(x))
case("NormMinMax", "", [[2, 3, 3]], lambda x: eddl.NormMinMax(x))

# -- element-wise ------------------------------------------------------------------------
for _cls, _make in (("Add", lambda a, b: eddl.Add([a, b])), ("Subtract", lambda a, b: eddl.Diff(a, b)),
                    ("Mult", lambda a, b: eddl.Mult(a, b)), ("Div", lambda a, b: eddl.Div(a, b)),
                    ("Maximum", lambda a, b: eddl.Maximum([a, b])),
                    ("Minimum", lambda a, b: eddl.Minimum([a, b])),
                    ("Average", lambda a, b: eddl.Average([a, b]))):
    case(_cls, "same-shape", [[3, 4], [3, 4]], _make, low=0.5)
    case(_cls, "broadcast", [[2, 3, 4], [1, 3, 1]], _make, low=0.5)
    case(_cls, "broadcast-both", [[1, 4], [3, 1]], _make, low=0.5,
         ref=_cls == "Average" and "onnx.reference Mean accumulates into its first input")
case("Add", "three", [[3], [3], [3]], lambda a, b, c: eddl.Add([a, b, c]))
case("Maximum", "three-broadcast", [[2, 3], [1, 3], [2, 1]], lambda a, b, c: eddl.Maximum([a, b, c]))
case("Average", "three", [[3], [3], [3]], lambda a, b, c: eddl.Average([a, b, c]))
for _f in ("Abs", "Exp", "Log", "Sqrt", "Log2", "Log10"):
    case("Unary", _f.lower(), [[4]], lambda x, f=_f: getattr(eddl, f)(x), low=0.1)
case("Unary", "erf", [[4]], lambda x: eddl.layers.operators.Unary(x, "erf"))
case("Scalar", "add", [[4]], lambda x: eddl.Sum(x, 1.5))
case("Scalar", "sub", [[4]], lambda x: eddl.Sub(x, 1.5))
case("Scalar", "rsub", [[4]], lambda x: eddl.Sub(1.5, x))
case("Scalar", "mul", [[4]], lambda x: eddl.Mult(x, -2.0))
case("Scalar", "div", [[4]], lambda x: eddl.Div(x, 4.0))
case("Scalar", "rdiv", [[4]], lambda x: eddl.Div(2.0, x), low=0.5)
case("Scalar", "pow", [[4]], lambda x: eddl.Pow(x, 1.5), low=0.1)
case("Clamp", "", [[4]], lambda x: eddl.Clip(x, -0.7, 1.2))

# -- reductions ------------------------------------------------------------------------------
for _op in ("Mean", "Sum", "Max", "Min", "Var"):
    case("Reduce", f"{_op.lower()}-keepdims", [[3, 4]],
         lambda x, op=_op: getattr(eddl, f"Reduce{op}")(x, [1], True))
    case("Reduce", f"{_op.lower()}-drop", [[2, 3, 4]],
         lambda x, op=_op: getattr(eddl, f"Reduce{op}")(x, [0, 2], False))
case("Reduce", "mean-all-axes", [[2, 3]], lambda x: eddl.ReduceMean(x, [0, 1], False))
case("Reduce", "argmax-keepdims", [[3, 4]], lambda x: eddl.ReduceArgMax(x, [1], True))
case("Reduce", "argmax-drop", [[3, 4]], lambda x: eddl.ReduceArgMax(x, [0], False))

# -- shapes ----------------------------------------------------------------------------------
case("Reshape", "", [[2, 6]], lambda x: eddl.Reshape(x, [3, -1]))
case("Flatten", "", [[2, 3, 2]], lambda x: eddl.Flatten(x))
case("Squeeze", "", [[3, 1, 2]], lambda x: eddl.Squeeze(x, 1))
case("Unsqueeze", "", [[3, 2]], lambda x: eddl.Unsqueeze(x, 1))
case("Permute", "", [[2, 3, 4]], lambda x: eddl.Permute(x, [2, 0, 1]))
case("Transpose", "", [[2, 3]], lambda x: eddl.Transpose(x))
case("Select", "", [[4, 5]], lambda x: eddl.Select(x, ["1:3", ":"]))
case("Select", "3d", [[4, 5, 3]], lambda x: eddl.Select(x, ["0:2", "3:5", "1"]))
case("Split", "all-parts", [[2, 6]], lambda x: eddl.Split(x, [2, 5], 1))
case("Split", "axis0", [[4, 3]], lambda x: eddl.Split(x, [1], 0)[1])
case("Concat", "axis0", [[2, 3], [4, 3]], lambda a, b: eddl.Concat([a, b], 0))
case("Concat", "axis-last-three", [[2, 1], [2, 3], [2, 2]], lambda a, b, c: eddl.Concat([a, b, c], -1))
case("Pad", "", [[1, 3, 4]], lambda x: eddl.Pad(x, [1, 0, 2, 1], 3.0))
case("Pad", "2d", [[3, 4]], lambda x: eddl.Pad(x, [0, 2, 1, 1]))

# -- resampling --------------------------------------------------------------------------
for _interp in ("nearest", "linear"):
    for _mode in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
        case("Resize", f"{_interp}-{_mode}-up", [[2, 4, 5]],
             lambda x, i=_interp, m=_mode: _resize(x, [7, 8], coordinate_transformation_mode=m,
                                                       interpolation=i))
        case("Resize", f"{_interp}-{_mode}-down", [[1, 7, 6]],
             lambda x, i=_interp, m=_mode: _resize(x, [3, 4], coordinate_transformation_mode=m,
                                                       interpolation=i))
case("Resize", "linear-1d", [[2, 5]], lambda x: eddl.Resize(x, [8], coordinate_transformation_mode="half_pixel"))
case("Scale", "", [[2, 6, 6]], lambda x: eddl.Scale(x, [4, 9], True, "constant", 2.0,
                                                    coordinate_transformation_mode="align_corners"))
case("UpSampling2D", "nearest", [[2, 3, 4]], lambda x: eddl.UpSampling(x, [2, 3]))
case("UpSampling2D", "bilinear", [[2, 3, 4]], lambda x: eddl.UpSampling(x, [2, 3], "bilinear"))
case("UpSampling3D", "", [[1, 3, 4, 4]], lambda x: eddl.UpSampling3D(x, [5, 6, 3]))

# -- data augmentation at inference ----------------------------------------------------
case("Flip", "horizontal", [[2, 4, 5]], lambda x: eddl.HorizontalFlip(x))
case("Flip", "vertical", [[2, 4, 5]], lambda x: eddl.VerticalFlip(x))
case("RandomFlip", "", [[2, 4, 5]], lambda x: eddl.RandomVerticalFlip(x))
case("Crop", "reshape", [[1, 6, 6]], lambda x: eddl.Crop(x, [1, 2], [4, 4]))
case("Crop", "canvas", [[1, 6, 6]], lambda x: eddl.Crop(x, [1, 2], [4, 4], False, 5.0))
case("CenteredCrop", "", [[1, 7, 6]], lambda x: eddl.CenteredCrop(x, [3, 4]))
case("RandomCrop", "", [[1, 7, 6]], lambda x: eddl.RandomCrop(x, [5, 3]))
case("Cutout", "", [[2, 6, 6]], lambda x: eddl.Cutout(x, [1, 1], [3, 4], 7.0))
case("RandomCutout", "", [[2, 6, 6]], lambda x: eddl.RandomCutout(x, [0.1, 0.3], [0.2, 0.4]))
case("CropScale", "", [[1, 6, 6]], lambda x: eddl.CropScale(x, [1, 1], [4, 7], "wrap"))
case("RandomCropScale", "", [[1, 6, 6]], lambda x: eddl.RandomCropScale(x, [0.5, 0.9]))
case("Rotate", "", [[1, 6, 6]], lambda x: eddl.Rotate(x, 30.0, [1, 0], "constant", 1.0))
case("RandomRotation", "", [[1, 6, 6]], lambda x: eddl.RandomRotation(x, [-20.0, 20.0]))
case("RandomScale", "", [[1, 6, 6]], lambda x: eddl.RandomScale(x, [0.8, 1.2]))
case("Shift", "", [[1, 6, 6]], lambda x: eddl.Shift(x, [2, -1], "mirror"))
case("RandomShift", "", [[1, 6, 6]], lambda x: eddl.RandomShift(x, [-0.2, 0.2], [0.0, 0.3]))

# -- the ONNX-style layers ---------------------------------------------------------------
case("MatMul", "2d", [[2, 3], [3, 4]], lambda a, b: eddl.MatMul([a, b]))
case("MatMul", "broadcast-batch-axes", [[2, 3, 4], [4, 5]], lambda a, b: eddl.MatMul([a, b]))
case("MatMul", "vector-left", [[3], [2, 3, 4]], lambda a, b: eddl.MatMul([a, b]))
case("MatMul", "vector-right", [[2, 3], [3]], lambda a, b: eddl.MatMul([a, b]))
case("Repeat", "equal", [[2, 3]], lambda x: eddl.Repeat(x, 2, 0))
case("Repeat", "counts", [[2, 3]], lambda x: eddl.Repeat(x, [1, 0, 2], -1))
case("Tile", "", [[2, 3]], lambda x: eddl.Tile(x, [2, 1]))
case("Tile", "new-axes", [[3]], lambda x: eddl.Tile(x, [2, 1, 2]))
case("Broadcast", "trailing", [[4], [3, 4]], lambda a, b: eddl.Broadcast(a, b))
case("Broadcast", "eddl-rows", [[3], [3, 4]], lambda a, b: eddl.Broadcast(a, b))
case("Expand", "int", [[3, 1]], lambda x: eddl.Expand(x, 4))
case("Expand", "list", [[3, 1]], lambda x: eddl.Expand(x, [2, -1, 4]))
case("Shape", "with-batch", [[2, 3]], lambda x: [eddl.Shape(x)])
case("Shape", "without-batch", [[2, 3]], lambda x: eddl.Shape(x, False))
case("Where", "", [[3, 2], [3, 2], [3, 2]], lambda a, b, c: eddl.Where(a, b, c),
     inputs=lambda rng, n: [rng.normal(size=(n, 3, 2)).astype(np.float32),
                            rng.normal(size=(n, 3, 2)).astype(np.float32),
                            rng.integers(0, 2, (n, 3, 2)).astype(np.float32)])
case("ConstOfTensor", "", [[2]], lambda x: [eddl.ConstOfTensor([[1.0, 2.0], [3.0, 4.5]]), x])
case("Bypass", "", [[3]], lambda x: eddl.Bypass(x, "identity"))
case("Take", "", [[3, 5]], lambda x: eddl.layers.Take(x, [[4, 0], [1, 1]], axis=1))
case("Take", "axis0", [[4, 2]], lambda x: eddl.layers.Take(x, [3, 0, -1], axis=0))


def _ids(rng, n):
    return [rng.integers(0, 5, (n, 4)).astype(np.float32)]



case("Embedding", "", [[4]], lambda x: eddl.Embedding(x, 5, 4, 3), inputs=_ids)
case("Embedding", "mask-zeros", [[4]], lambda x: eddl.Embedding(x, 5, 4, 3, True), inputs=_ids)

# -- recurrent layers (more cases, and PyTorch's exports, in test_recurrent_onnx.py) -----------
case("RNN", "last", [[5, 3]], lambda x: eddl.RNN(x, 4))
case("RNN", "relu-bidirectional-sequences", [[5, 3]],
     lambda x: eddl.RNN(x, 4, "relu", bidirectional=True, return_sequences=True),
     ref="onnx.reference RNN knows only the Tanh activation")
case("LSTM", "last", [[5, 3]], lambda x: eddl.LSTM(x, 4))
case("LSTM", "bidirectional-sequences", [[5, 3]],
     lambda x: eddl.LSTM(x, 4, bidirectional=True, return_sequences=True))
case("GRU", "last", [[5, 3]], lambda x: eddl.GRU(x, 4))
case("GRU", "reset-first-bidirectional-sequences", [[5, 3]],
     lambda x: eddl.GRU(x, 4, bidirectional=True, return_sequences=True,
                        linear_before_reset=False))

# -- attention and positional encodings (more in test_attention.py) ---------------------------
def _attention_inputs(shapes, tk, mask):
    """Random query/key/value inputs, then valid key lengths or padding flags."""
    def make(rng, n):
        xs = [rng.normal(size=(n,) + tuple(s)).astype(np.float32) for s in shapes]
        if mask == "lengths":
            xs.append(rng.integers(1, tk + 1, (n, 1)).astype(np.float32))
        else:
            xs.append((rng.random((n, tk)) < 0.4).astype(np.float32))
            xs[-1][:, 0] = 0  # a query keeps at least one key, even with a causal mask
        return xs
    return make


case("ScaledDotProductAttention", "causal-weights", [[4, 6], [5, 6], [5, 3]],
     lambda q, k, v: [eddl.ScaledDotProductAttention([q, k, v], causal=True),
                      eddl.AttentionWeights(eddl.ScaledDotProductAttention([q, k, v]))])
case("ScaledDotProductAttention", "lengths-scale", [[4, 6], [5, 6], [5, 3], [1]],
     lambda q, k, v, m: eddl.ScaledDotProductAttention([q, k, v, m], mask="lengths", scale=0.5),
     inputs=_attention_inputs([[4, 6], [5, 6], [5, 3]], 5, "lengths"))
case("ScaledDotProductAttention", "additive", [[4, 6], [5, 6], [5, 3], [4, 5]],
     lambda q, k, v, m: eddl.ScaledDotProductAttention([q, k, v, m], mask="additive"))
case("MultiHeadAttention", "self-causal-padding-weights", [[5, 8], [5]],
     lambda x, m: (lambda a: [a, eddl.AttentionWeights(a)])(eddl.MultiHeadAttention(
         [x, x, x, m], 8, 2, causal=True, mask="padding")),
     inputs=_attention_inputs([[5, 8]], 5, "padding"))
case("MultiHeadAttention", "cross-kdim-vdim-nobias-heads", [[3, 8], [5, 6], [5, 4]],
     lambda q, k, v: (lambda a: [a, eddl.AttentionWeights(a, average=False)])(
         eddl.MultiHeadAttention([q, k, v], 8, 4, bias=False, kdim=6, vdim=4)))
case("AdditiveAttention", "sequence-lengths-weights", [[3, 4], [6, 5], [1]],
     lambda q, k, m: (lambda a: [a, eddl.AttentionWeights(a)])(
         eddl.AdditiveAttention([q, k, m], 7, mask="lengths")),
     inputs=_attention_inputs([[3, 4], [6, 5]], 6, "lengths"))
case("AdditiveAttention", "single-query-additive", [[4], [6, 5], [6]],
     lambda q, k, m: (lambda a: [a, eddl.AttentionWeights(a)])(
         eddl.AdditiveAttention([q, k, m], 7, mask="additive")))
case("AttentionWeights", "", [[5, 8]],
     lambda x: eddl.AttentionWeights(eddl.MultiHeadAttention([x, x, x], 8, 2)))
case("PositionalEncoding", "", [[6, 5]], lambda x: eddl.PositionalEncoding(x))
case("LearnedPositionalEncoding", "", [[6, 4]], lambda x: eddl.LearnedPositionalEncoding(x),
     train=True)


#: random generators: compared by shape and statistics (test_export_generators)
GENERATORS = ("GaussGenerator", "UniformGenerator")


def _covered():
    return {p.values[0] for p in CASES} | set(GENERATORS)


def test_every_registered_layer_is_covered():
    canonical = {n for n in LAYERS.names() if LAYERS.canonical(n) == n}
    missing = sorted(canonical - _covered() - set(NOT_EXPORTABLE))
    assert not missing, f"registered layers with neither an export case nor a reason: {missing}"
    assert not (_covered() | set(NOT_EXPORTABLE)) - canonical
    assert not _covered() & set(NOT_EXPORTABLE)


def _train(net, rng):
    eddl.build(net, eddl.sgd(0.05), ["mse"] * len(net.lout), ["mse"] * len(net.lout),
               init_weights=False)
    xs = [rng.normal(0.3, 1.5, (8,) + tuple(l.shape)).astype(np.float32) for l in net.lin]
    ys = [rng.normal(size=(8,) + tuple(l.shape)).astype(np.float32) for l in net.lout]
    eddl.model.training.fit(net, xs, ys, 4, 2, verbose=0)


@pytest.mark.parametrize("cls, shapes, make, opts", CASES)
def test_export_matches_inference(cls, shapes, make, opts):
    rng = np.random.default_rng(3)
    ins = [eddl.Input(s) for s in shapes]
    out = make(*ins)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    assert any(type(l).__name__ == cls for l in outs)
    net = build(ins, outs)
    if opts.get("train"):
        _train(net, rng)
    make_inputs = (lambda b: opts["inputs"](rng, b)) if "inputs" in opts else None
    if opts.get("ref"):
        # the reference evaluator is skipped for this case: onnxruntime alone
        model = eddl.onnx.to_onnx(net)
        onnx.checker.check_model(model, full_check=True)
        from _onnx_util import assert_close, inputs

        for b in BATCHES:
            xs = inputs(net, rng, b, opts.get("low", -2.0), opts.get("high", 2.0))
            for g, w in zip(ort_run(model, feeds_of(net, xs)), ours(net, xs)):
                assert_close(g, w, what=f"ort batch {b}")
        return
    check_export(net, rng, opts.get("low", -2.0), opts.get("high", 2.0), make_inputs)


@pytest.mark.parametrize("kind", GENERATORS)
def test_export_generators(kind):
    x = eddl.Input([2], name="x")
    gen = (eddl.GaussGenerator(0.5, 2.0, [40, 50]) if kind == "GaussGenerator"
           else eddl.UniformGenerator(-1.0, 3.0, [40, 50]))
    net = build([x], [gen, x])
    model = eddl.onnx.to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    for b in BATCHES:
        xs = [np.zeros((b, 2), np.float32)]
        for runner in (ort_run, ref_run):
            y = np.asarray(runner(model, feeds_of(net, xs))[0], np.float64)
            assert y.shape == (b, 40, 50)
            # 2000+ draws: the mean is within 5 standard errors
            if kind == "GaussGenerator":
                assert abs(y.mean() - 0.5) < 5 * 2.0 / np.sqrt(y.size)
                assert abs(y.std() - 2.0) < 0.15
            else:
                assert y.min() >= -1.0 and y.max() < 3.0
                assert abs(y.mean() - 1.0) < 5 * (4 / np.sqrt(12)) / np.sqrt(y.size)


@pytest.mark.parametrize("cls", ["Resize", "Scale"])
def test_resize_canvas_is_not_exportable(cls):
    x = eddl.Input([1, 6, 6])
    net = build([x], [getattr(eddl, cls)(x, [4, 4], False)])
    with pytest.raises(eddl.onnx.ExportError, match="reshape=False"):
        eddl.onnx.to_onnx(net)


def test_support_table_lists_every_layer():
    table = eddl.onnx.support_table()
    for name in _covered():
        assert f"| `{name}` |" in table
    assert "not exportable" in table  # Input


@pytest.mark.parametrize("opset", [17, 23])
@pytest.mark.parametrize("cls, shapes, make, opts", CASES)
def test_export_at_other_opsets(cls, shapes, make, opts, opset):
    """The lowest opset written and the newest one read: full check and onnxruntime."""
    from _onnx_util import assert_close, inputs

    rng = np.random.default_rng(4)
    ins = [eddl.Input(s) for s in shapes]
    out = make(*ins)
    net = build(ins, list(out) if isinstance(out, (list, tuple)) else [out])
    model = eddl.onnx.to_onnx(net, opset=opset)
    assert model.opset_import[0].version == opset
    onnx.checker.check_model(model, full_check=True)
    xs = opts["inputs"](rng, 2) if "inputs" in opts else inputs(net, rng, 2, opts.get("low", -2.0))
    for g, w in zip(ort_run(model, feeds_of(net, xs)), ours(net, xs)):
        assert_close(g, w, what=f"opset {opset}")


def test_export_refuses_old_opsets():
    x = eddl.Input([3])
    with pytest.raises(ValueError, match="opset 17 or newer"):
        eddl.onnx.to_onnx(build([x], [eddl.ReLu(x)]), opset=16)


def test_batch_axis_is_dynamic_and_weights_are_named_by_layer():
    x = eddl.Input([2, 5, 5], name="img")
    h = eddl.BatchNormalization(eddl.Conv2D(x, 3, [3, 3], name="conv"), name="bn")
    net = build([x], [eddl.Dense(eddl.Flatten(h), 4, name="fc")])
    model = eddl.onnx.to_onnx(net)
    for v in list(model.graph.input) + list(model.graph.output):
        assert v.type.tensor_type.shape.dim[0].dim_param == "batch"
    names = {t.name for t in model.graph.initializer}
    assert {"conv.K", "conv.bias", "bn.bn_g", "bn.bn_b", "bn.mean", "bn.variance", "fc.W",
            "fc.bias"} <= names
    np.testing.assert_array_equal(
        onnx.numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "fc.W")),
        np.asarray(net.be.to_host(net.get_layer("fc").params[0])))


def test_training_form_batch_norm_matches_training_mode():
    rng = np.random.default_rng(8)
    x = eddl.Input([3, 4, 4], name="x")
    net = build([x], [eddl.BatchNormalization(x, True, 0.9, 1e-3, name="bn")])
    model = eddl.onnx.to_onnx(net, training=True)
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == ["BatchNormalization"]
    xs = rng.normal(1.0, 2.0, (5, 3, 4, 4)).astype(np.float32)
    eddl.set_mode(net, eddl.TRMODE)
    eddl.forward(net, [eddl.Tensor.fromarray(xs)])
    want = np.array(eddl.getOutput(net.lout[0]))
    from _onnx_util import assert_close

    # onnxruntime's CPU kernel normalizes with the running statistics even in training mode;
    # the reference evaluator follows the operator's definition
    assert_close(ref_run(model, {"x": xs})[0], want, 1e-4)
    mean, var = xs.mean((0, 2, 3), keepdims=True), xs.var((0, 2, 3), keepdims=True)
    gamma, beta = (np.asarray(net.be.to_host(p)).reshape(1, -1, 1, 1) for p in net.lout[0].params)
    assert_close(want, (xs - mean) / np.sqrt(var + 1e-3) * gamma + beta, 1e-4)


def test_training_form_dropout_drops():
    x = eddl.Input([6, 8], name="x")
    att = eddl.MultiHeadAttention([x, x, x], 8, 2, dropout=0.5, name="mha")
    net = build([x], [eddl.Dropout(x, 0.5, name="drop"), att, eddl.AttentionWeights(att, False)])
    model = eddl.onnx.to_onnx(net, training=True)
    onnx.checker.check_model(model, full_check=True)  # Dropout's ratio is a scalar
    assert [n.op_type for n in model.graph.node].count("Dropout") == 2
    xs = np.random.default_rng(9).normal(size=(50, 6, 8)).astype(np.float32)
    # the reference evaluator: onnxruntime's full graph optimization fuses the attention
    # pattern for inference and drops nothing there
    dropped, out, weights = ref_run(model, {"x": xs})
    assert 0.4 < (dropped == 0).mean() < 0.6 and 0.4 < (weights == 0).mean() < 0.6
    assert np.isfinite(out).all()
    # the kept weights are scaled by 1 / (1 - 0.5): rows still sum to 1 on average
    np.testing.assert_allclose(weights.sum(-1).mean(), 1.0, atol=0.1)
