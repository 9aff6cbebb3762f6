"""Layer construction, shapes, defaults, modes and bad-input errors; initializers."""

import numpy as np
import pytest

import eddl
from eddl.initializers import fans_of


def run(net_out, x, mode=0, seed=0):
    ins = [l for l in _sources(net_out)]
    net = eddl.Model(ins, [net_out])
    eddl.set_seed(seed)
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"])
    eddl.set_mode(net, mode)
    net.set_inputs([x])
    net.forward()
    return net, net_out.output.copy()


def _sources(l):
    seen, out, stack = set(), [], [l]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if not n.parents:
            out.append(n)
        stack.extend(n.parents)
    return out


def test_dense_forward_matches_numpy_float32_and_odd_sizes():
    x = eddl.Input([7])
    d = eddl.Dense(x, 5)
    data = np.random.default_rng(0).standard_normal((3, 7)).astype(np.float32)
    net, y = run(d, data)
    W, b = d.params
    np.testing.assert_allclose(y, data @ W + b, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32


def test_activation_forward_values():
    x = eddl.Input([5])
    data = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], np.float32)
    ref = {
        "relu": np.maximum(data, 0),
        "sigmoid": 1 / (1 + np.exp(-data)),
        "tanh": np.tanh(data),
        "softsign": data / (1 + np.abs(data)),
        "softplus": np.log1p(np.exp(data)),
        "hard_sigmoid": np.clip(0.2 * data + 0.5, 0, 1),
        "selu": 1.0507009873554805 * np.where(data > 0, data, 1.6732632423543772 * np.expm1(data)),
        "softmax": np.exp(data) / np.exp(data).sum(),
        "swish": data / (1 + np.exp(-data)),
    }
    for name, r in ref.items():
        _, y = run(eddl.Activation(x, name), data)
        np.testing.assert_allclose(y, r, rtol=1e-5, atol=1e-6, err_msg=name)
    _, y = run(eddl.LeakyReLu(x, 0.1), data)
    np.testing.assert_allclose(y, np.where(data > 0, data, 0.1 * data), rtol=1e-6)
    _, y = run(eddl.ThresholdedReLu(x, 0.4), data)
    np.testing.assert_allclose(y, np.where(data > 0.4, data, 0), rtol=1e-6)


def test_softmax_is_stable_for_large_inputs():
    x = eddl.Input([3])
    _, y = run(eddl.Softmax(x), np.array([[1000.0, 1000.0, -1000.0]], np.float32))
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]], atol=1e-7)


def test_relu_propagates_nan():
    x = eddl.Input([4])
    _, y = run(eddl.ReLu(x), np.array([[np.nan, -1, 1, 0]], np.float32))
    assert np.isnan(y[0, 0]) and y[0, 1] == 0 and y[0, 2] == 1


def test_dropout_modes():
    x = eddl.Input([10000])
    data = np.ones((2, 10000), np.float32)
    d = eddl.Dropout(x, 0.3)
    _, ytr = run(d, data, mode=1)
    kept = ytr != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(ytr[kept], 1 / 0.7, rtol=1e-6)
    _, yts = run(d, data, mode=0)
    np.testing.assert_array_equal(yts, data)
    d2 = eddl.Dropout(x, 0.3, iw=False)
    _, yts2 = run(d2, data, mode=0)
    np.testing.assert_allclose(yts2, 0.7, rtol=1e-6)


def test_shapes_of_factories():
    x = eddl.Input([2, 3, 4])
    assert eddl.Reshape(x, [-1, 4]).shape == (6, 4)
    assert eddl.Flatten(x).shape == (24,)
    assert eddl.Permute(x, [2, 0, 1]).shape == (4, 2, 3)
    assert eddl.Transpose(x).shape == (4, 3, 2)
    assert eddl.Select(x, ["0", "1:3"]).shape == (1, 2, 4)
    assert eddl.Concat([x, x], axis=2).shape == (2, 3, 8)
    assert eddl.ReduceMean(x, [1, 2]).shape == (2,)
    assert eddl.ReduceSum(x, [0], keepdims=True).shape == (1, 3, 4)
    assert eddl.Unsqueeze(eddl.Squeeze(eddl.Unsqueeze(x, 0), 0), 3).shape == (2, 3, 4, 1)
    assert eddl.Dense(x, 6).shape == (2, 3, 6)


@pytest.mark.parametrize("call,match", [
    (lambda x: eddl.Dense(x, 0), "positive int"),
    (lambda x: eddl.Dropout(x, 1.0), r"rate must be in \[0, 1\)"),
    (lambda x: eddl.Activation(x, "relu6"), "unknown activation 'relu6'.*valid"),
    (lambda x: eddl.Softmax(x, axis=3), "axis 3 out of range"),
    (lambda x: eddl.Select(x, ["5:9"]), "out of range"),
    (lambda x: eddl.Select(x, ["a"]), "invalid index"),
    (lambda x: eddl.Permute(x, [0, 0]), "not a permutation"),
    (lambda x: eddl.Squeeze(x, 0), "not a size-1"),
    (lambda x: eddl.Concat([x, eddl.Input([3, 5])], axis=0), "differ outside axis"),
    (lambda x: eddl.Pow(x, "two"), "must be a number"),
    (lambda x: eddl.Div(x, 0.0), "division by the constant 0"),
    (lambda x: eddl.ReduceArgMax(x, [0, 1]), "single axis"),
    (lambda x: eddl.Input([0]), "positive ints"),
    (lambda x: eddl.Dense("x", 3), "must be a layer"),
    (lambda x: eddl.Clamp(x, 1, 0), "min"),
])
def test_bad_layer_arguments(call, match):
    x = eddl.Input([4, 4])
    with pytest.raises((ValueError, TypeError), match=match):
        call(x)


@pytest.mark.parametrize("wrap,std", [
    (eddl.GlorotNormal, np.sqrt(2 / (300 + 200))),
    (eddl.GlorotUniform, np.sqrt(2 / (300 + 200))),
    (eddl.HeNormal, np.sqrt(2 / 300)),
    (eddl.HeUniform, np.sqrt(2 / 300)),
    (eddl.LeCunNormal, np.sqrt(1 / 300)),
    (eddl.LeCunUniform, np.sqrt(1 / 300)),
])
def test_scaled_initializers(wrap, std):
    x = eddl.Input([300])
    d = wrap(eddl.Dense(x, 200))
    net = eddl.Model([x], [d])
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["none"])
    W = d.params[0]
    assert abs(W.std() / std - 1) < 0.03
    assert abs(W.mean()) < 0.01 * std * 10
    np.testing.assert_array_equal(d.params[1], 0)


def test_other_initializers_and_seed():
    x = eddl.Input([50])
    a = eddl.RandomNormal(eddl.Dense(x, 40), 1.0, 0.5, seed=3)
    b = eddl.RandomUniform(eddl.Dense(x, 40), -2.0, -1.0)
    c = eddl.Constant(eddl.Dense(x, 40), 0.25)
    o = eddl.Orthogonal(eddl.Dense(x, 40))
    net = eddl.Model([x], [a, b, c, o])
    eddl.build(net, eddl.sgd(0.1), ["mse"] * 4, ["none"] * 4)
    assert abs(a.params[0].mean() - 1.0) < 0.05 and abs(a.params[0].std() - 0.5) < 0.05
    assert b.params[0].min() >= -2.0 and b.params[0].max() < -1.0
    np.testing.assert_array_equal(c.params[0], 0.25)
    W = o.params[0].astype(np.float64)
    np.testing.assert_allclose(W.T @ W, np.eye(40), atol=1e-5)
    same = eddl.RandomNormal(eddl.Dense(x, 40), 1.0, 0.5, seed=3)
    net2 = eddl.Model([x], [same])
    eddl.build(net2, eddl.sgd(0.1), ["mse"], ["none"])
    np.testing.assert_array_equal(same.params[0], a.params[0])
    assert fans_of((8, 3, 5, 5)) == (75, 200)


def test_regularizer_needs_weights():
    with pytest.raises(ValueError, match="no weights"):
        eddl.L2(eddl.ReLu(eddl.Input([3])), 0.1)


def test_compserv_arguments():
    assert eddl.CS_CPU().hw == "CPU"
    with pytest.raises(ValueError, match="mem"):
        eddl.CS_CPU(mem="lots")
    with pytest.raises(ValueError, match="threads"):
        eddl.CS_CPU(th=0)
    with pytest.raises(NotImplementedError):
        eddl.CS_COMPSS("x.xml")
    x = eddl.Input([2])
    net = eddl.Model([x], [eddl.Dense(x, 2)])
    with pytest.raises(RuntimeError, match="cuda"):
        eddl.build(net, eddl.sgd(), ["mse"], ["none"], eddl.CS_GPU([1]))
