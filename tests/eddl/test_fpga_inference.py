"""Whole-model inference with the fused HLSinf chains emulated (eddl.model.fpga_inference)."""

import numpy as np
import pytest

import eddl
from eddl.model import fpga_inference as fi


@pytest.fixture(scope="module")
def digits_net():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = np.eye(10, dtype=np.float32)[d.target]
    eddl.set_seed(0)
    inp = eddl.Input([1, 8, 8])
    h = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(inp, 8, [3, 3])), [2, 2])
    h = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(h, 16, [3, 3])), [2, 2])
    net = eddl.Model([inp], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 10))])
    eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["categorical_accuracy"])
    for epoch in range(10):
        idx = np.random.default_rng(epoch).permutation(1400)
        for b in range(0, 1400, 50):
            net.train_batch([x[idx[b:b + 50]]], [y[idx[b:b + 50]]])
    return net, x, d.target


def _accuracy(probs, labels):
    return float((probs.argmax(axis=1) == labels).mean())


def test_fp32_build_equals_the_cpu_model(digits_net):
    net, x, _ = digits_net
    p = fi.plan(net, 1, 0)
    assert p.partition.counts() == {"conv+relu+maxpool": 2}
    cpu = eddl.predict(net, [x[1400:]], 100)[0]
    got = fi.predict(net, [x[1400:]], p, 100)[0]
    np.testing.assert_allclose(got, cpu, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("subversion", [2, 4, 6])
def test_quantized_digits_classifier_loses_at_most_one_point(digits_net, subversion):
    net, x, labels = digits_net
    test = slice(1400, None)
    p = fi.plan(net, 1, subversion, calibration=[x[:200]])
    q0 = p.chains[0]
    assert q0.in_frac == 7 and q0.weights.dtype == np.int64  # inputs in [0, 1]: 255 >= 2**7
    float_acc = _accuracy(eddl.predict(net, [x[test]], 100)[0], labels[test])
    probs = fi.predict(net, [x[test]], p, 100)[0]
    acc = _accuracy(probs, labels[test])
    assert float_acc > 0.9
    assert acc >= float_acc - 0.01, (acc, float_acc)
    assert not np.allclose(probs, eddl.predict(net, [x[test]], 100)[0], atol=1e-6)  # quantized


@pytest.mark.parametrize("subversion", [2, 4, 6])
def test_quantized_digits_classifier_through_tofpga(digits_net, subversion):
    net, x, labels = digits_net
    test = slice(1400, None)
    fnet = eddl.toFPGA(net, 1, subversion, cs=eddl.CS_FPGA([1], emulate=True), calibration=[x[:200]])
    assert [type(l).__name__ for l in fnet.layers] == [
        "Input", "HLSinf", "HLSinf", "Flatten", "Dense", "Activation"]
    probs = np.asarray(eddl.predict(fnet, [x[test]], 100)[0])
    float_acc = _accuracy(eddl.predict(net, [x[test]], 100)[0], labels[test])
    assert _accuracy(probs, labels[test]) >= float_acc - 0.01
    p = fi.plan(net, 1, subversion, calibration=[x[:200]])
    np.testing.assert_allclose(probs, fi.predict(net, [x[test]], p, 100)[0], rtol=1e-5, atol=1e-7)


def test_plan_needs_calibration_for_fixed_point(digits_net):
    net, _, _ = digits_net
    with pytest.raises(ValueError, match="give calibration inputs"):
        fi.plan(net, 1, 2)
    with pytest.raises(ValueError, match="headroom"):
        fi.plan(net, 1, 0, headroom=0.5)
    with pytest.raises(RuntimeError, match="not built"):
        fi.plan(eddl.Model([i := eddl.Input([1, 8, 8])], [eddl.Conv2D(i, 2, [3, 3])]))


def test_fixed_point_plan_refuses_chains_without_an_integer_form(rng):
    x = eddl.Input([3, 8, 8])
    y = eddl.BatchNormalization(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])))
    net = eddl.Model([x], [y])
    eddl.build(net, eddl.sgd(), ["mse"], ["mse"], eddl.CS_CPU())
    with pytest.raises(ValueError, match=r"conv\+relu\+bn .*no fixed-point form"):
        fi.plan(net, 1, 2, calibration=[rng.uniform(0, 1, (4, 3, 8, 8)).astype(np.float32)])
