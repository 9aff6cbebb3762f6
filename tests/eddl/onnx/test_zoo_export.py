"""Every zoo architecture exports to ONNX, passes the full checker and runs equal in onnxruntime."""

import os
import sys

import numpy as np
import onnx
import pytest

import eddl

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from test_layer_registry import ZOO  # noqa: E402

ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_exports_equal_to_onnxruntime(name):
    net = ZOO[name]()
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3,) + tuple(net.lin[0].shape)).astype(np.float32)
    net.set_mode(1)
    net.set_inputs([x])
    net.forward()  # batch statistics move away from the initial ones
    net.set_mode(0)
    net.forward()
    ours = np.array(net.lout[0].output)
    model = eddl.onnx.to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    ref = ort.InferenceSession(model.SerializeToString()).run(None, {net.lin[0].name: x})[0]
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(ref).max()))
