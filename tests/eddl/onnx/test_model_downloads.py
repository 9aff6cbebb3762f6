"""PyEDDL's download_<model>() against a loopback server serving a generated ONNX classifier."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.download import sources

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import fixtures  # noqa: E402
from _http_server import FileServer, refused_url  # noqa: E402

ort = pytest.importorskip("onnxruntime")


def _served(key, data):
    m = sources.MODELS[key]
    return {f"/{m.share_id}/{m.file}": data}


def test_download_resnet18_cuts_the_head_and_names_input_and_top(tmp_path, monkeypatch):
    model = fixtures.load_fixture("resnet_small_dynamo_eval")
    monkeypatch.chdir(tmp_path)
    with FileServer(_served("resnet18", model.SerializeToString())) as srv:
        net = eddl.download_resnet18(base_url=srv.url(), cache_dir=tmp_path / "cache", progress=False)
    assert os.path.isfile(tmp_path / "resnet18.onnx")  # left in the current folder, as PyEDDL
    assert net.lin[0].name == "input" and net.lout[0].name == "top"
    assert all(type(l).__name__ != "Dense" for l in net.layers)
    # a new head on "top" trains
    top = net.lout[0]
    out = eddl.Softmax(eddl.Dense(eddl.Flatten(top) if len(top.shape) > 1 else top, 3))
    new = eddl.Model([net.lin[0]], [out])
    eddl.build(new, eddl.adam(0.01), ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               init_weights=False)
    x = fixtures.sample_input(model, batch=6)["input"].astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    first = new.train_batch([x], [y])[0]
    for _ in range(10):
        last = new.train_batch([x], [y])[0]
    assert last < first
    # the features below the cut are the imported ones: equal to onnxruntime's
    full = eddl.download_resnet18(top=False, base_url=srv.url(), cache_dir=tmp_path / "cache",
                                  progress=False)
    eddl.build(full, init_weights=False)
    full.set_mode(0)
    full.set_inputs([x])
    full.forward()
    ref = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})[0]
    np.testing.assert_allclose(full.lout[0].output, ref, atol=1e-5)


def test_offline_download_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = refused_url("")
    with pytest.raises(eddl.DownloadError, match="resnet50.onnx"):
        eddl.download_resnet50(base_url=url, cache_dir=tmp_path / "cache", progress=False)
