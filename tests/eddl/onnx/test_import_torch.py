"""Models written by PyTorch's exporters (dynamo at opset 20, TorchScript at opset 17) import
and run equal to onnxruntime, then train further and export again.

The models are committed fixtures (see ``fixtures/README.md``); PyTorch is not needed.
"""

import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
import fixtures  # noqa: E402

ort = pytest.importorskip("onnxruntime")

SMALL = [n for n in fixtures.FIXTURES if not n.startswith(("vgg16", "resnet50"))]
BIG = [n for n in fixtures.FIXTURES if n.startswith(("vgg16", "resnet50"))]


def _training_bn(model):
    return any(n.op_type == "BatchNormalization" and len([o for o in n.output if o]) > 1
               for n in model.graph.node)


def _run_ours(net, feeds, train_mode):
    net.set_mode(1 if train_mode else 0)
    net.set_inputs([np.asarray(feeds[l.name], np.float32) for l in net.lin])
    net.forward()
    return np.array(net.lout[0].output)


def _import(model, optimizer=None):
    net = eddl.onnx.from_onnx(model)
    eddl.build(net, optimizer or eddl.sgd(0.01), ["mse_mean"], ["mse"], eddl.CS_CPU(),
               init_weights=False)
    return net


def _close(ours, ref):
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5 * scale)


@pytest.mark.parametrize("name", SMALL)
def test_imports_equal_to_onnxruntime(name):
    model = fixtures.load_fixture(name)
    sess = ort.InferenceSession(model.SerializeToString())
    net = _import(model)
    for batch in (1, 3):
        feeds = fixtures.sample_input(model, batch=batch, seed=batch)
        _close(_run_ours(net, feeds, _training_bn(model)), sess.run(None, feeds)[0])


@pytest.mark.parametrize("name", BIG)
def test_big_torchvision_models_import_equal_to_onnxruntime(name):
    model = fixtures.load_fixture(name)
    feeds = fixtures.sample_input(model, batch=1)
    ref = ort.InferenceSession(model.SerializeToString()).run(None, feeds)[0]
    net = _import(model)
    del model
    _close(_run_ours(net, feeds, False), ref)


@pytest.mark.parametrize("name", ["resnet_small_dynamo_eval", "mlp_embed_torchscript_eval",
                                  "unet_small_torchscript_train"])
def test_imported_net_trains_and_exports_again(name, tmp_path):
    model = fixtures.load_fixture(name)
    net = _import(model, eddl.adam(1e-3))
    feeds = fixtures.sample_input(model, batch=8, seed=3)
    xs = [np.asarray(feeds[l.name], np.float32) for l in net.lin]
    ys = [np.zeros((8,) + tuple(l.shape), np.float32) for l in net.lout]
    net.set_mode(0)
    before = net.lout[0]
    losses = []
    for _ in range(5):
        losses.append(sum(net.train_batch(xs, ys)))
    assert losses[-1] < losses[0], losses
    # the trained net exports and runs equal in onnxruntime
    path = tmp_path / "trained.onnx"
    eddl.save_net_to_onnx_file(net, path)
    again = ort.InferenceSession(str(path)).run(None, {l.name: x for l, x in zip(net.lin, xs)})[0]
    _close(_run_ours(net, feeds, False), again)
    assert before is net.lout[0]


def test_frozen_layer_keeps_imported_weights():
    model = fixtures.load_fixture("resnet_small_dynamo_eval")
    net = eddl.onnx.from_onnx(model)
    conv = next(l for l in net.layers if type(l).__name__ == "Conv2D")
    conv.trainable = False
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=False)
    kept = np.array(conv.params[0])
    feeds = fixtures.sample_input(model, batch=4)
    xs = [np.asarray(feeds[l.name], np.float32) for l in net.lin]
    net.train_batch(xs, [np.ones((4,) + tuple(net.lout[0].shape), np.float32)])
    np.testing.assert_array_equal(conv.params[0], kept)


def test_head_of_imported_net_replaced_with_removeLayer():
    model = fixtures.load_fixture("resnet_small_torchscript_eval")
    net = eddl.onnx.from_onnx(model)
    head = net.lout[0]
    assert type(head).__name__ == "Dense"
    features = head.parents[0]
    with pytest.warns(UserWarning, match="removed from the outputs"):
        eddl.removeLayer(net, head.name)
    eddl.set_seed(0)  # the new head's initialisation: the test must not depend on the order
    out = eddl.Softmax(eddl.Dense(eddl.getLayer(net, features.name), 2, name="new_head"))
    new = eddl.Model(net.lin, [out])
    eddl.build(new, eddl.adam(1e-2), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(), init_weights=False)
    feeds = fixtures.sample_input(model, batch=8, seed=5)
    x = np.asarray(feeds[net.lin[0].name], np.float32)
    y = np.eye(2, dtype=np.float32)[[0, 1] * 4]
    first = new.train_batch([x], [y])[0]
    for _ in range(15):
        last = new.train_batch([x], [y])[0]
    assert last < first
