"""Zoo models take ONNX weights by name: a torchvision ResNet-18 exported by PyTorch loads into
``eddl.zoo.resnet18`` and computes the same outputs."""

import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
import fixtures  # noqa: E402

ort = pytest.importorskip("onnxruntime")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_torchvision_resnet18_loads_by_name_and_agrees():
    # PyTorch's dynamo exporter keeps the state_dict names in training mode (fixtures/README.md)
    model = fixtures.load_fixture("resnet18_dynamo_train")
    feeds = fixtures.sample_input(model, batch=2, seed=1)
    logits = ort.InferenceSession(model.SerializeToString()).run(None, feeds)[0]
    net = eddl.zoo.resnet18([3, 224, 224], 1000, pretrained=model)
    eddl.build(net, eddl.sgd(0.01), ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               init_weights=False)
    net.set_mode(0)
    net.set_inputs([next(iter(feeds.values()))])
    net.forward()
    fc = net.getLayer("fc") if hasattr(net, "getLayer") else next(l for l in net.layers if l.name == "fc")
    scale = np.abs(logits).max()
    np.testing.assert_allclose(fc.output, logits, rtol=0, atol=2e-5 * max(1.0, scale))
    np.testing.assert_allclose(net.lout[0].output, _softmax(logits), atol=1e-5)


def test_own_export_round_trips_through_pretrained():
    src = eddl.zoo.resnet18([3, 32, 32], 10)
    eddl.build(src, eddl.sgd(0.01), ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU())
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    src.set_mode(0)
    src.set_inputs([x])
    src.forward()
    want = np.array(src.lout[0].output)
    net = eddl.zoo.resnet18([3, 32, 32], 10, pretrained=eddl.serialize_net_to_onnx_string(src))
    eddl.build(net, eddl.sgd(0.01), ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               init_weights=False)
    net.set_mode(0)
    net.set_inputs([x])
    net.forward()
    np.testing.assert_array_equal(net.lout[0].output, want)


def test_mismatch_names_the_first_layer():
    model = fixtures.load_fixture("resnet18_dynamo_train")
    with pytest.raises(eddl.onnx.ONNXImportError, match="'fc'.*needs \\[512, 10\\]"):
        eddl.zoo.resnet18([3, 224, 224], 10, pretrained=model)
    src = eddl.zoo.resnet34([3, 32, 32], 10)
    eddl.build(src)
    with pytest.raises(eddl.onnx.ONNXImportError, match="no tensor 'layer1.2.conv1.K'"):
        # ResNet-18 has two blocks per stage; ResNet-34's third block finds nothing
        eddl.zoo.resnet34([3, 32, 32], 10, pretrained=eddl.serialize_net_to_onnx_string(
            _resnet18_built()))


def _resnet18_built():
    net = eddl.zoo.resnet18([3, 32, 32], 10)
    eddl.build(net)
    return net
