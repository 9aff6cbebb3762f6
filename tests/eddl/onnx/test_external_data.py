"""Weights beyond protobuf's 2 GB limit go to ONNX external data (tested with a lowered limit)."""

import os

import numpy as np
import onnx
import pytest

import eddl
from eddl.onnx import api

ort = pytest.importorskip("onnxruntime")


def _net():
    x = eddl.Input([16], name="x")
    net = eddl.Model([x], [eddl.Dense(eddl.ReLu(eddl.Dense(x, 64, name="fc1")), 4, name="fc2")])
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU())
    return net


def test_big_models_write_external_data(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "_PROTO_LIMIT", 1000)
    net = _net()
    path = tmp_path / "big.onnx"
    eddl.save_net_to_onnx_file(net, path)
    assert os.path.isfile(str(path) + ".data")
    model = onnx.load(str(path), load_external_data=False)
    assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    onnx.checker.check_model(str(path), full_check=True)
    x = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    ref = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    net.set_mode(0)
    net.set_inputs([x])
    net.forward()
    np.testing.assert_allclose(net.lout[0].output, ref, atol=1e-5)
    back = eddl.import_net_from_onnx_file(path)
    eddl.build(back, init_weights=False)
    back.set_inputs([x])
    back.forward()
    np.testing.assert_array_equal(back.lout[0].output, net.lout[0].output)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_small_models_are_one_file(tmp_path):
    path = tmp_path / "small.onnx"
    eddl.save_net_to_onnx_file(_net(), path)
    assert sorted(os.listdir(tmp_path)) == ["small.onnx"]


def test_log_level_is_checked(tmp_path):
    path = tmp_path / "m.onnx"
    eddl.save_net_to_onnx_file(_net(), path)
    assert eddl.import_net_from_onnx_file(path, log_level=eddl.LOG_LEVEL.NO_LOGS).lin
    with pytest.raises(ValueError, match="log_level must be one of"):
        eddl.import_net_from_onnx_file(path, log_level=9)
