"""Import of every ONNX operator of the importer's table: hand-built graphs at the opsets where
an operator's schema changed, imported, built keeping their weights, and run against
onnxruntime at batch sizes 1 and 3.

:func:`test_every_importer_is_exercised` fails when an (operator, schema version) of
:data:`eddl.onnx.optable.IMPORTERS` reachable in the supported opsets has no case here.
"""

import os
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from eddl.onnx.optable import IMPORTERS, MAX_OPSET, MIN_OPSET, schema_version

sys.path.insert(0, os.path.dirname(__file__))
from _onnx_util import import_and_compare, make_model  # noqa: E402

N = helper.make_node
f32 = np.float32
_r = np.random.default_rng(11)


def rnd(*shape, low=-1.0, high=1.0):
    return _r.uniform(low, high, shape).astype(f32)


def i64(*v):
    return np.asarray(v, dtype=np.int64)


CASES = []


def case(ident, opsets, nodes, in_shapes, inits=(), **opts):
    """A graph of ``nodes`` (a list, or a function of the opset giving one) from inputs of
    per-sample ``in_shapes`` to the value ``y``, for each opset of ``opsets``.

    Options: ``low``/``high`` (input range), ``inputs`` (``(rng, batch) -> arrays``),
    ``check`` (``(net) -> None``, extra checks of the imported net), ``outs`` (output names),
    ``tol``.
    """
    for opset in opsets:
        CASES.append(pytest.param(ident, opset, nodes, in_shapes, inits, opts,
                                  id=f"{ident}-op{opset}"))


def layer_types(net):
    return [type(l).__name__ for l in net.layers]


def has_layer(*names):
    def check(net):
        types = layer_types(net)
        for n in names:
            assert n in types, f"no {n} layer in {types}"
    return check


# -- activations -------------------------------------------------------------------------
for _op, _ops in (("Relu", (13, 14)), ("Sigmoid", (13,)), ("Tanh", (13,)), ("Softsign", (13, 22)),
                  ("Softplus", (13, 22)), ("Erf", (13,)), ("Sqrt", (13,)), ("Exp", (13,)),
                  ("Log", (13,)), ("Abs", (13,)), ("Neg", (13,)), ("Reciprocal", (13,))):
    case(_op, _ops, [N(_op, ["x"], ["y"], name="n")], [[3, 4]],
         low=0.2 if _op in ("Sqrt", "Log", "Reciprocal") else -2.0)
case("LeakyRelu", (13, 16), [N("LeakyRelu", ["x"], ["y"], alpha=0.3)], [[5]])
case("Elu", (13, 22), [N("Elu", ["x"], ["y"], alpha=0.6)], [[5]])
case("ThresholdedRelu", (13, 22), [N("ThresholdedRelu", ["x"], ["y"], alpha=0.5)], [[5]])
case("Selu", (13, 22), [N("Selu", ["x"], ["y"])], [[5]])
case("PRelu", (13, 16), [N("PRelu", ["x", "s"], ["y"])], [[2, 5]], {"s": np.asarray([0.25], f32)})
case("HardSigmoid-default", (13, 22), [N("HardSigmoid", ["x"], ["y"])], [[6]], high=4.0, low=-4.0)
case("HardSigmoid-custom", (13,), [N("HardSigmoid", ["x"], ["y"], alpha=0.3, beta=0.4)], [[6]],
     low=-4.0, high=4.0)
case("HardSwish", (14, 22), [N("HardSwish", ["x"], ["y"])], [[6]], low=-4.0, high=4.0)
case("Softmax", (13,), [N("Softmax", ["x"], ["y"], axis=1)], [[3, 4]])
case("Softmax-last", (13,), [N("Softmax", ["x"], ["y"])], [[3, 4]])
case("LogSoftmax", (13,), [N("LogSoftmax", ["x"], ["y"], axis=-1)], [[3, 4]])
case("Gelu", (20,), [N("Gelu", ["x"], ["y"])], [[7]])

# -- convolutions ------------------------------------------------------------------------
case("Conv2D-pads-asym", (13, 22), [N("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 2, 1],
                                      strides=[2, 1])], [[3, 6, 5]],
     {"w": rnd(4, 3, 3, 3), "b": rnd(4)})
case("Conv2D-same-upper", (13,), [N("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER",
                                    strides=[2, 2])], [[2, 7, 6]], {"w": rnd(3, 2, 3, 2)})
case("Conv2D-same-lower", (13,), [N("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER",
                                    strides=[2, 2])], [[2, 7, 6]], {"w": rnd(3, 2, 3, 2)})
case("Conv2D-valid-groups-dilation", (13,), [N("Conv", ["x", "w", "b"], ["y"], auto_pad="VALID",
                                               group=2, dilations=[2, 1])],
     [[4, 7, 6]], {"w": rnd(6, 2, 2, 3), "b": rnd(6)})
case("Conv1D", (13,), [N("Conv", ["x", "w", "b"], ["y"], pads=[2, 1], strides=[2])], [[2, 9]],
     {"w": rnd(3, 2, 4), "b": rnd(3)})
case("Conv3D", (13,), [N("Conv", ["x", "w"], ["y"], pads=[1, 0, 1, 0, 1, 1], group=2)],
     [[2, 4, 3, 4]], {"w": rnd(4, 1, 2, 2, 2)})
case("ConvTranspose2D", (13, 22), [N("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2],
                                     pads=[1, 0, 0, 1], output_padding=[1, 0])],
     [[2, 3, 4]], {"w": rnd(2, 3, 3, 3), "b": rnd(3)})
case("ConvTranspose1D-groups", (13,), [N("ConvTranspose", ["x", "w"], ["y"], strides=[3], group=2)],
     [[4, 5]], {"w": rnd(4, 2, 3)})
case("ConvTranspose2D-same-upper", (13,), [N("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2],
                                              auto_pad="SAME_UPPER")],
     [[2, 3, 4]], {"w": rnd(2, 3, 3, 3)})

# -- dense --------------------------------------------------------------------------------
case("Gemm", (13,), [N("Gemm", ["x", "w", "c"], ["y"])], [[5]], {"w": rnd(5, 3), "c": rnd(3)})
case("Gemm-transB-alpha-beta", (13,), [N("Gemm", ["x", "w", "c"], ["y"], transB=1, alpha=0.5,
                                         beta=2.0)], [[5]], {"w": rnd(3, 5), "c": rnd(1, 3)})
case("Gemm-no-bias", (13,), [N("Gemm", ["x", "w"], ["y"], transB=1)], [[5]], {"w": rnd(4, 5)})
case("Gemm-scalar-bias", (13,), [N("Gemm", ["x", "w", "c"], ["y"])], [[5]],
     {"w": rnd(5, 3), "c": np.asarray([0.7], f32)})
case("MatMul-Add-fused", (13,), [N("MatMul", ["x", "w"], ["t"]), N("Add", ["t", "b"], ["y"])],
     [[5]], {"w": rnd(5, 3), "b": rnd(3)},
     check=lambda net: (has_layer("Dense")(net),
                        _assert(layer_types(net).count("Dense") == 1 and "Add" not in layer_types(net)
                                and "ConstOfTensor" not in layer_types(net), layer_types(net))))
case("MatMul-Add-bias-first", (13,), [N("MatMul", ["x", "w"], ["t"]), N("Add", ["b", "t"], ["y"])],
     [[2, 5]], {"w": rnd(5, 3), "b": rnd(3)}, check=lambda net: _assert(
         "Add" not in layer_types(net), layer_types(net)))
case("MatMul-shared", (13,), [N("MatMul", ["x", "w"], ["t"]), N("Add", ["t", "b"], ["u"]),
                              N("Mul", ["t", "u"], ["y"])],
     [[5]], {"w": rnd(5, 3), "b": rnd(3)})
case("MatMul-activations", (13,), [N("MatMul", ["x0", "x1"], ["y"])], [[2, 3], [3, 4]])
case("Dropout", (13, 22), [N("Dropout", ["x", "r"], ["y"])], [[5]], {"r": np.asarray(0.3, f32)})
case("Identity", (13, 14, 16, 19, 21, 23), [N("Identity", ["x"], ["t"]), N("Relu", ["t"], ["y"])],
     [[4]])


def _assert(cond, what):
    assert cond, what


# -- element-wise ------------------------------------------------------------------------
for _op in ("Add", "Sub", "Mul", "Div"):
    _pos = {"low": 0.5} if _op == "Div" else {}
    case(f"{_op}-acts-broadcast", (13, 14), [N(_op, ["x0", "x1"], ["y"])], [[2, 3, 4], [1, 3, 1]], **_pos)
    case(f"{_op}-scalar", (13,), [N(_op, ["x", "k"], ["y"])], [[3]], {"k": np.asarray(1.7, f32)})
    case(f"{_op}-scalar-first", (13,), [N(_op, ["k", "x"], ["y"])], [[3]],
         {"k": np.asarray([[1.7]], f32)}, **_pos)
    for _shape in ((4,), (3, 1), (1, 3, 4), (1, 1, 3, 1)):
        _k = rnd(*_shape, low=0.5, high=1.5)
        case(f"{_op}-const-rank{len(_shape)}-{'x'.join(map(str, _shape))}", (13,),
             [N(_op, ["x", "k"], ["y"])], [[2, 3, 4]], {"k": _k})
    case(f"{_op}-const-first", (13,), [N(_op, ["k", "x"], ["y"])], [[3, 4]],
         {"k": rnd(3, 1, low=0.5, high=1.5)}, **_pos)
case("Pow-scalar", (13, 15), [N("Pow", ["x", "k"], ["y"])], [[4]], {"k": np.asarray(2.5, f32)},
     low=0.1)
for _op in ("Sum", "Mean", "Max", "Min"):
    case(f"{_op}-three", (13,), [N(_op, ["x0", "x1", "x2"], ["y"])], [[2, 3], [2, 3], [2, 3]])
    case(f"{_op}-one", (13,), [N(_op, ["x"], ["t"]), N("Relu", ["t"], ["y"])], [[3]])
case("Clip", (13,), [N("Clip", ["x", "lo", "hi"], ["y"])], [[5]],
     {"lo": np.asarray(-0.5, f32), "hi": np.asarray(0.7, f32)})
case("Clip-min-only", (13,), [N("Clip", ["x", "lo"], ["y"])], [[5]], {"lo": np.asarray(-0.5, f32)})
case("Clip-max-only", (13,), [N("Clip", ["x", "", "hi"], ["y"])], [[5]], {"hi": np.asarray(0.2, f32)})
case("Where-acts", (13, 16), [N("Cast", ["x2"], ["c"], to=TensorProto.BOOL),
                           N("Where", ["c", "x0", "x1"], ["y"])], [[3, 2], [3, 2], [3, 2]],
     inputs=lambda rng, n: [rng.normal(size=(n, 3, 2)).astype(f32),
                            rng.normal(size=(n, 3, 2)).astype(f32),
                            rng.integers(0, 2, (n, 3, 2)).astype(f32)])
case("Where-const-cond", (13,), [N("Where", ["c", "x", "k"], ["y"])], [[2, 3]],
     {"c": np.asarray([[True, False, True], [False, False, True]]), "k": np.asarray(0.5, f32)})

# -- normalizations ----------------------------------------------------------------------
_bn = {"s": rnd(3, low=0.5, high=1.5), "b": rnd(3), "m": rnd(3), "v": rnd(3, low=0.5, high=2.0)}
case("BatchNormalization", (13, 14, 15), [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                                             epsilon=1e-3)], [[3, 4, 4]], _bn)
case("BatchNormalization-1d", (15,), [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
     [[3]], _bn)
case("LayerNormalization", (17,), [N("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1)],
     [[3, 5]], {"s": rnd(5), "b": rnd(5)})
case("LayerNormalization-axis1-nobias", (17,), [N("LayerNormalization", ["x", "s"], ["y"], axis=1)],
     [[3, 5]], {"s": rnd(3, 5)})
case("InstanceNormalization", (13, 22), [N("InstanceNormalization", ["x", "s", "b"], ["y"],
                                           epsilon=1e-4)], [[3, 4, 5]], {"s": rnd(3), "b": rnd(3)})
# opset 18's scale/bias are per group, opset 21's per channel
case("GroupNormalization-18", (18,), [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
     [[4, 3, 3]], {"s": rnd(2), "b": rnd(2)})
case("GroupNormalization-21", (21,), [N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
     [[4, 3, 3]], {"s": rnd(4), "b": rnd(4)})

# -- pooling -----------------------------------------------------------------------------
case("MaxPool", (13, 22), [N("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                             pads=[1, 0, 1, 1], ceil_mode=1)], [[2, 7, 6]])
case("MaxPool-same-upper", (13,), [N("MaxPool", ["x"], ["y"], kernel_shape=[2, 3], strides=[2, 2],
                                     auto_pad="SAME_UPPER")], [[2, 5, 7]])
case("MaxPool1D", (13,), [N("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2])], [[2, 9]])
case("AveragePool-exclude-pad", (13, 19, 22), [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                                 strides=[2, 2], pads=[1, 1, 1, 1])], [[2, 6, 6]])
case("AveragePool-count-include-pad", (13, 19), [N("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                                   strides=[2, 2], pads=[1, 0, 1, 1],
                                                   count_include_pad=1)], [[2, 6, 7]])
case("AveragePool-ceil", (13,), [N("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                                   ceil_mode=1)], [[1, 5, 7]])
case("AveragePool3D", (13,), [N("AveragePool", ["x"], ["y"], kernel_shape=[2, 2, 2])], [[1, 4, 4, 4]])
case("GlobalMaxPool", (13, 22), [N("GlobalMaxPool", ["x"], ["y"])], [[3, 4, 5]])
case("GlobalAveragePool", (13, 22), [N("GlobalAveragePool", ["x"], ["y"])], [[3, 4, 5]])

# -- reductions: axes as attribute before opset 18 (ReduceSum: 13), as input after -------
for _op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum"):
    _input_at = 13 if _op == "ReduceSum" else 18
    _ops = (13, 18, 20) if _op in ("ReduceMax", "ReduceMin") else (13, 18)
    for _keep in (0, 1):
        case(f"{_op}-keepdims{_keep}", _ops,
             lambda opset, op=_op, at=_input_at, keep=_keep: (
                 [N(op, ["x", "axes"], ["y"], keepdims=keep)] if opset >= at
                 else [N(op, ["x"], ["y"], axes=[1, -1], keepdims=keep)]),
             [[2, 3, 4]], lambda opset, at=_input_at: {"axes": i64(1, -1)} if opset >= at else {})
case("ArgMax", (13,), [N("ArgMax", ["x"], ["i"], axis=2, keepdims=1),
                       N("Cast", ["i"], ["y"], to=TensorProto.FLOAT)], [[3, 4]])
case("ArgMax-drop", (13,), [N("ArgMax", ["x"], ["i"], axis=-1, keepdims=0),
                            N("Cast", ["i"], ["y"], to=TensorProto.FLOAT)], [[3, 4]])

# -- resampling --------------------------------------------------------------------------
for _mode in ("nearest", "linear"):
    for _ct in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
        _nm = "floor" if _ct == "asymmetric" else "round_prefer_floor"
        _attrs = dict(mode=_mode, coordinate_transformation_mode=_ct)
        if _mode == "nearest":
            _attrs["nearest_mode"] = _nm
        case(f"Resize-sizes-{_mode}-{_ct}", (13, 18, 19),
             [N("Resize", ["x", "", "", "sizes"], ["y"], **_attrs)], [[2, 4, 5]],
             {"sizes": i64(1, 2, 7, 3)}, batches=(1,))
        case(f"Resize-scales-{_mode}-{_ct}", (13,),
             [N("Resize", ["x", "", "scales"], ["y"], **_attrs)], [[2, 3, 4]],
             {"scales": np.asarray([1, 1, 2, 1.5], f32)})
case("Resize-batch-sizes", (13,), [N("Shape", ["x"], ["s"]), N("Slice", ["s", "z", "o"], ["b"]),
                                   N("Concat", ["b", "hw"], ["sizes"], axis=0),
                                   N("Resize", ["x", "", "", "sizes"], ["y"], mode="linear")],
     [[2, 4, 4]], {"z": i64(0), "o": i64(1), "hw": i64(2, 6, 3)})

# -- shapes ----------------------------------------------------------------------------
case("Reshape", (13, 14, 19, 21, 23), [N("Reshape", ["x", "s"], ["y"])], [[2, 3, 4]],
     {"s": i64(0, -1, 4)})
case("Reshape-minus1-batch", (13,), [N("Reshape", ["x", "s"], ["y"])], [[2, 3, 4]], {"s": i64(-1, 6, 4)})
case("Flatten", (13, 21, 23), [N("Flatten", ["x"], ["y"], axis=1)], [[2, 3, 4]])
case("Squeeze", (13, 21, 23), [N("Squeeze", ["x", "a"], ["y"])], [[3, 1, 2]], {"a": i64(2)})
# without axes ONNX squeezes a batch of 1 too; the importer keeps the batch axis
case("Squeeze-all", (13,), [N("Squeeze", ["x"], ["y"])], [[3, 1, 2, 1]], batches=(3,))
case("Unsqueeze", (13, 21, 23), [N("Unsqueeze", ["x", "a"], ["y"])], [[3, 2]], {"a": i64(1, -1)})
case("Transpose", (13, 21, 23), [N("Transpose", ["x"], ["y"], perm=[0, 3, 1, 2])], [[2, 3, 4]])
case("Concat", (13,), [N("Concat", ["x0", "x1"], ["y"], axis=-1)], [[2, 3], [2, 2]])
case("Slice", (13,), [N("Slice", ["x", "st", "en", "ax"], ["y"])], [[4, 6]],
     {"st": i64(1, -4), "en": i64(3, 100), "ax": i64(1, 2)})
case("Slice-batch-all", (13,), [N("Slice", ["x", "st", "en", "ax", "sp"], ["y"])], [[4, 6]],
     {"st": i64(0, 2), "en": i64(2**63 - 1, 5), "ax": i64(0, -1), "sp": i64(1, 1)})
case("Split-13-sizes", (13,), [N("Split", ["x", "sp"], ["y", "z"], axis=2)], [[2, 5]],
     {"sp": i64(2, 3)}, outs=("y", "z"))
case("Split-13-equal", (13,), [N("Split", ["x"], ["y", "z"], axis=1)], [[4, 3]], outs=("y", "z"))
case("Split-18-num-outputs", (18,), [N("Split", ["x"], ["y", "z", "w"], axis=-1, num_outputs=3)],
     [[2, 7]], outs=("y", "z", "w"))
case("Gather-contiguous", (13,), [N("Gather", ["x", "i"], ["y"], axis=2)], [[3, 5]], {"i": i64(1, 2, 3)})
case("Gather-scalar", (13,), [N("Gather", ["x", "i"], ["y"], axis=1)], [[3, 5]], {"i": np.asarray(2)})
case("Gather-embedding", (13,), [N("Cast", ["x"], ["ids"], to=TensorProto.INT64),
                                 N("Gather", ["E", "ids"], ["y"])], [[4]], {"E": rnd(6, 3)},
     inputs=lambda rng, n: [rng.integers(0, 6, (n, 4)).astype(f32)])
# -- recurrent nodes, time-major between Transposes as PyTorch writes them ------------------
_RT, _RD, _RH = 5, 3, 4
case("LSTM-final-state", (13, 14, 22),
     [N("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
      N("LSTM", ["xt", "W", "R", "B"], ["", "yh"], hidden_size=_RH),
      N("Transpose", ["yh"], ["yb"], perm=[1, 0, 2]), N("Reshape", ["yb", "s"], ["y"])],
     [[_RT, _RD]], {"W": rnd(1, 4 * _RH, _RD), "R": rnd(1, 4 * _RH, _RH),
                    "B": rnd(1, 8 * _RH), "s": i64(0, -1)}, check=has_layer("LSTM"))
case("GRU-bidirectional-sequences", (13, 14, 22),
     [N("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
      N("GRU", ["xt", "W", "R", "B"], ["yt"], hidden_size=_RH, direction="bidirectional",
        linear_before_reset=1),
      N("Transpose", ["yt"], ["yp"], perm=[0, 2, 1, 3]), N("Reshape", ["yp", "s"], ["yr"]),
      N("Transpose", ["yr"], ["y"], perm=[1, 0, 2])],
     [[_RT, _RD]], {"W": rnd(2, 3 * _RH, _RD), "R": rnd(2, 3 * _RH, _RH),
                    "B": rnd(2, 6 * _RH), "s": i64(0, 0, -1)}, check=has_layer("GRU"))
case("RNN-sequences", (13, 14, 22),
     [N("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
      N("RNN", ["xt", "W", "R"], ["yt"], hidden_size=_RH, activations=["Relu"]),
      N("Squeeze", ["yt", "a"], ["ys"]), N("Transpose", ["ys"], ["y"], perm=[1, 0, 2])],
     [[_RT, _RD]], {"W": rnd(1, _RH, _RD), "R": rnd(1, _RH, _RH), "a": i64(1)},
     check=has_layer("RNN"))
case("Pad", (13,), [N("Pad", ["x", "p", "v"], ["y"])], [[2, 3, 4]],
     {"p": i64(0, 0, 1, 2, 0, 0, 2, 1), "v": np.asarray(1.5, f32)})
case("Pad-axes", (18, 19, 21, 23), [N("Pad", ["x", "p", "", "a"], ["y"])], [[2, 3, 4]],
     {"p": i64(1, 0, 0, 2), "a": i64(-2, -1)})
case("Cast", (13, 19, 21, 23), [N("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], [[3]])
case("CastLike", (15, 19, 21, 23), [N("CastLike", ["x", "t"], ["c"]), N("CastLike", ["k", "x"], ["kf"]),
                                   N("Add", ["c", "kf"], ["y"])], [[3]],
     {"t": np.zeros(1, f32), "k": np.asarray([1, 2, 3], np.int64)})
case("Expand", (13,), [N("Expand", ["x", "s"], ["y"])], [[3, 1]], {"s": i64(3, 4)})
case("Expand-batch-1", (13,), [N("Expand", ["x", "s"], ["y"])], [[3, 1]], {"s": i64(1, 3, 5)})
case("Expand-batch-shape", (13,), [N("Shape", ["x"], ["s0"]), N("Slice", ["s0", "z", "o"], ["b"]),
                                   N("Concat", ["b", "rest"], ["s"], axis=0),
                                   N("Expand", ["x", "s"], ["y"])],
     [[3, 1]], {"z": i64(0), "o": i64(1), "rest": i64(3, 4)})
case("Tile", (13,), [N("Tile", ["x", "r"], ["y"])], [[2, 3]], {"r": i64(1, 2, 3)})
# a constant the size of the batch, built from the input's shape (as exporters write masks)
case("ConstantOfShape-batch", (13, 20, 21, 23), [N("Shape", ["x"], ["s"]),
                                      N("ConstantOfShape", ["s"], ["c"],
                                        value=numpy_helper.from_array(np.asarray([2.5], f32))),
                                      N("Mul", ["x", "c"], ["y"])], [[2, 3]],
     check=has_layer("ConstOfTensor"))
case("Expand-const-batch", (13,), [N("Shape", ["x"], ["s"]), N("Expand", ["k", "s"], ["c"]),
                                   N("Add", ["x", "c"], ["y"])], [[2, 3]], {"k": rnd(1, 3)})
# torch's flatten: Shape -> Gather -> Unsqueeze -> Concat -> Reshape
case("Flatten-shape-subgraph", (13, 15, 20, 21, 23),
     [N("Shape", ["x"], ["s"]), N("Gather", ["s", "zero"], ["b"], axis=0),
      N("Unsqueeze", ["b", "ax"], ["b1"]), N("Concat", ["b1", "m1"], ["t"], axis=0),
      N("Reshape", ["x", "t"], ["y"])], [[2, 3, 4]],
     {"zero": np.asarray(0, np.int64), "ax": i64(0), "m1": i64(-1)})
# constants computed at import: Constant, Range, Equal, Not, Greater, Less, Cast
case("folded-constants", (13, 19, 21, 23),
     [N("Constant", [], ["c"], value=numpy_helper.from_array(np.asarray([1.0, 2.0, 3.0], f32))),
      N("Range", ["r0", "r1", "r2"], ["r"]), N("Cast", ["r"], ["rf"], to=TensorProto.FLOAT),
      N("Greater", ["rf", "c"], ["g"]), N("Less", ["rf", "c"], ["l"]), N("Equal", ["rf", "c"], ["e"]),
      N("Not", ["e"], ["ne"]), N("Where", ["g", "c", "rf"], ["w"]),
      N("Where", ["l", "w", "c"], ["w2"]), N("Where", ["ne", "w2", "rf"], ["k"]),
      N("Mul", ["x", "k"], ["y"])], [[2, 3]],
     {"r0": np.asarray(0, np.int64), "r1": np.asarray(3, np.int64), "r2": np.asarray(1, np.int64)},
     check=lambda net: _assert("Where" not in layer_types(net), layer_types(net)))


def _nodes(value, opset):
    return value(opset) if callable(value) else value


def _model(ident, opset, nodes, in_shapes, inits, opts):
    in_names = ["x"] if len(in_shapes) == 1 else [f"x{k}" for k in range(len(in_shapes))]
    return make_model(_nodes(nodes, opset), in_shapes, opts.get("outs", ("y",)),
                      _nodes(inits, opset), opset=opset, in_names=in_names)


@pytest.mark.parametrize("ident, opset, nodes, in_shapes, inits, opts", CASES)
def test_import_matches_onnxruntime(ident, opset, nodes, in_shapes, inits, opts):
    model = _model(ident, opset, nodes, in_shapes, inits, opts)
    rng = np.random.default_rng(5)
    make_inputs = (lambda b: opts["inputs"](rng, b)) if "inputs" in opts else None
    net = import_and_compare(model, rng, low=opts.get("low", -2.0), high=opts.get("high", 2.0),
                             tol=opts.get("tol", 1e-4), make_inputs=make_inputs,
                             batches=opts.get("batches", (1, 3)))
    if "check" in opts:
        opts["check"](net)


def test_every_importer_is_exercised():
    covered = set()
    for p in CASES:
        ident, opset, nodes, in_shapes, inits, opts = p.values
        for n in _nodes(nodes, opset):
            covered.add((n.op_type, schema_version(n.op_type, opset)))
    want = {(op, v) for op, table in IMPORTERS.items() for v in table
            if any(schema_version(op, o) == v for o in range(MIN_OPSET, MAX_OPSET + 1))}
    missing = sorted(want - covered)
    assert not missing, f"importers without a case (op, schema version): {missing}"
