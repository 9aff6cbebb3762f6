"""Weights and gradients exchanged as ONNX: a master applying a worker's gradients takes the
worker's own step, weights copy by name, averages equal NumPy's mean, and a file that does not
fit the net is refused naming the tensor, leaving the net unchanged."""

import os
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import eddl
from eddl.onnx.weights import named_arrays

sys.path.insert(0, os.path.dirname(__file__))
from _onnx_util import build, ours  # noqa: E402


def _net(seed, opt=None):
    x = eddl.Input([2, 6, 6], name="x")
    h = eddl.BatchNormalization(eddl.Conv2D(x, 3, [3, 3], name="conv"), name="bn")
    h = eddl.Dense(eddl.Flatten(eddl.ReLu(h)), 5, name="fc1")
    out = eddl.Dense(eddl.Tanh(h), 2, name="fc2")
    return build([x], [out], seed=seed, o=opt() if opt else eddl.sgd(0.1), lo=["mse"], me=["mse"])


def _batch(rng, n=4):
    return [rng.normal(size=(n, 2, 6, 6)).astype(np.float32)], [rng.normal(size=(n, 2)).astype(np.float32)]


def _params(net):
    return [[np.array(net.be.to_host(a)) for a in ps] for ps in net.get_parameters()]


def _assert_params_equal(a, b):
    for pa, pb in zip(a, b):
        for x, y in zip(pa, pb):
            np.testing.assert_array_equal(x, y)


def _backward(net, xs, ys):
    net.set_mode(eddl.TRMODE)
    net.set_inputs(xs)
    net.set_targets(ys)
    net.forward()
    net.compute_losses()
    net.backward()


@pytest.mark.parametrize("opt", [lambda: eddl.sgd(0.05, 0.9), lambda: eddl.adam(0.01),
                                 lambda: eddl.rmsprop(0.01)], ids=["sgd-momentum", "adam", "rmsprop"])
def test_master_applying_worker_gradients_takes_the_local_step(opt):
    rng = np.random.default_rng(0)
    master, worker = _net(0, opt), _net(1, opt)
    eddl.set_weights_from_onnx(worker, eddl.serialize_net_to_onnx_string(master))
    _assert_params_equal(_params(worker), _params(master))
    # one common step first, so the optimizers hold equal non-zero state
    xs, ys = _batch(rng)
    master.train_batch(xs, ys)
    worker.train_batch(xs, ys)
    _assert_params_equal(_params(worker), _params(master))
    xs, ys = _batch(rng)
    _backward(worker, xs, ys)
    grads = eddl.serialize_net_to_onnx_string(worker, gradients=True)
    worker.update()  # the local step
    before = _params(master)
    eddl.apply_grads_from_onnx(master, grads)
    after = _params(master)
    assert any(not np.array_equal(a, b) for pa, pb in zip(before, after) for a, b in zip(pa, pb))
    for l, pw, pm in zip(master.layers, _params(worker), after):
        for k, (w, m) in enumerate(zip(pw[:len(l.params)], pm[:len(l.params)])):
            np.testing.assert_array_equal(m, w, err_msg=f"{l.name} parameter {k}")


def test_gradient_file_holds_the_gradients():
    rng = np.random.default_rng(1)
    net = _net(0)
    xs, ys = _batch(rng)
    _backward(net, xs, ys)
    arrays = named_arrays(onnx.load_from_string(eddl.serialize_net_to_onnx_string(net, gradients=True)))
    for l in net.layers:
        for n, g in zip(l.param_names, l.gradients):
            np.testing.assert_array_equal(arrays[f"{l.name}.{n}"], np.asarray(net.be.to_host(g)))
    assert np.abs(arrays["fc2.W"]).sum() > 0


def test_set_weights_copies_parameters_and_states():
    rng = np.random.default_rng(2)
    a, b = _net(0), _net(5)
    a.train_batch(*_batch(rng))  # batch-norm statistics move away from their start
    xs = _batch(rng, 3)[0]
    assert not np.array_equal(ours(a, xs)[0], ours(b, xs)[0])
    eddl.set_weights_from_onnx(b, eddl.serialize_net_to_onnx_string(a))
    _assert_params_equal(_params(b), _params(a))
    np.testing.assert_array_equal(ours(b, xs)[0], ours(a, xs)[0])


def test_average_weights_is_the_mean():
    nets = [_net(s) for s in (0, 1, 2)]
    data = [eddl.serialize_net_to_onnx_string(n) for n in nets]
    avg = named_arrays(onnx.load_from_string(eddl.onnx.average_weights(data)))
    sets = [named_arrays(onnx.load_from_string(d)) for d in data]
    assert set(avg) == set(sets[0])
    for name, v in avg.items():
        want = np.mean([s[name].astype(np.float64) for s in sets], axis=0).astype(np.float32)
        np.testing.assert_array_equal(v, want, err_msg=name)
    target = _net(9)
    eddl.set_weights_from_onnx(target, eddl.onnx.average_weights(data))
    np.testing.assert_array_equal(np.asarray(target.be.to_host(target.get_layer("fc1").params[0])),
                                  avg["fc1.W"])


def _edit(data, name, new=None):
    """``data`` with initializer ``name`` removed, or replaced by the array ``new``."""
    m = onnx.load_from_string(data)
    inits = m.graph.initializer
    k = next(i for i, t in enumerate(inits) if t.name == name)
    if new is None:
        del inits[k]
    else:
        inits[k].CopyFrom(numpy_helper.from_array(new, name))
    return m.SerializeToString()


@pytest.mark.parametrize("what", ["missing", "shape"])
@pytest.mark.parametrize("fn", ["set_weights_from_onnx", "apply_grads_from_onnx"])
def test_mismatch_names_the_tensor_and_changes_nothing(what, fn):
    rng = np.random.default_rng(3)
    src, net = _net(0), _net(1)
    _backward(src, *_batch(rng))
    data = eddl.serialize_net_to_onnx_string(src, gradients=fn == "apply_grads_from_onnx")
    bad = _edit(data, "fc1.W", None if what == "missing" else np.zeros((3, 3), np.float32))
    before = _params(net)
    with pytest.raises(eddl.onnx.ONNXImportError, match="fc1.W") as info:
        getattr(eddl, fn)(net, bad)
    if what == "shape":
        assert "[3, 3]" in str(info.value)
    _assert_params_equal(_params(net), before)


def test_average_weights_refuses_different_nets():
    a = eddl.serialize_net_to_onnx_string(_net(0))
    with pytest.raises(eddl.onnx.ONNXImportError, match="fc2.bias"):
        eddl.onnx.average_weights([a, _edit(a, "fc2.bias")])
    with pytest.raises(eddl.onnx.ONNXImportError, match="fc2.bias"):
        eddl.onnx.average_weights([a, _edit(a, "fc2.bias", np.zeros(7, np.float32))])
    with pytest.raises(ValueError):
        eddl.onnx.average_weights([])


def test_weights_need_a_built_net_and_bytes():
    data = eddl.serialize_net_to_onnx_string(_net(0))
    x = eddl.Input([2, 6, 6])
    unbuilt = eddl.Model([x], [eddl.Dense(eddl.Flatten(x), 2)])
    with pytest.raises(RuntimeError, match="build"):
        eddl.set_weights_from_onnx(unbuilt, data)
    with pytest.raises(TypeError):
        eddl.set_weights_from_onnx(_net(0), 12)
    with pytest.raises(eddl.onnx.ONNXImportError):
        eddl.set_weights_from_onnx(_net(0), data[: len(data) // 3])
