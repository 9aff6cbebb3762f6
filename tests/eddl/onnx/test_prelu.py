"""PRelu with one slope per channel imports as relu(x) - slope * relu(-x), equal to onnxruntime."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import eddl

ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1, 3, 1, 1), (4,)])
def test_per_channel_prelu(slope_shape):
    rng = np.random.default_rng(0)
    slope = rng.uniform(0.05, 0.5, slope_shape).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("PRelu", ["x", "s"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 5, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 5, 4])],
        [numpy_helper.from_array(slope, "s")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    net = eddl.onnx.from_onnx(m)
    eddl.build(net, init_weights=False)
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    net.set_mode(0)
    net.set_inputs([x])
    net.forward()
    ref = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(net.lout[0].output, ref, atol=1e-6)
