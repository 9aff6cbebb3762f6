"""Activation(parent, name, params): which activations read params, as in EDDL.

EDDL's src/layers/core/layer_activation.cpp reads params[0] as alpha for leaky_relu, elu,
thresholded_relu and linear, params[0..1] as alpha and scale for selu, params[0] as the axis
for softmax, and nothing for the others; pyeddl tests/test_eddl.py calls
``Activation(in2d, "relu", [0.02])``.
"""

import os
import sys
import warnings

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402

X = np.random.default_rng(0).normal(size=(3, 6)) * 2


def _elu(x, a):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


REFS = {
    "leaky_relu": ([0.2], lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": ([0.5], lambda x: _elu(x, 0.5)),
    "thresholded_relu": ([0.7], lambda x: np.where(x > 0.7, x, 0.0)),
    "linear": ([3.0], lambda x: 3.0 * x),
    "selu": ([1.5, 2.0], lambda x: 2.0 * _elu(x, 1.5)),
    "softmax": ([0], lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
}


def _run(layer_fn, x):
    inp = eddl.Input([x.shape[1]])
    net = eddl.Model([inp], [layer_fn(inp)])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU(), dtype="float64")
    (out,) = eddl.predict(net, [x])
    return np.asarray(out)


@pytest.mark.parametrize("name", sorted(REFS))
def test_params_are_read_as_eddl(name):
    params, ref = REFS[name]
    got = _run(lambda l: eddl.Activation(l, name, params), X)
    np.testing.assert_allclose(got, ref(X), rtol=1e-12, atol=1e-12)


def test_named_factories_equal_activation_with_params():
    np.testing.assert_allclose(_run(lambda l: eddl.LeakyReLu(l, 0.2), X),
                               _run(lambda l: eddl.Activation(l, "leaky_relu", [0.2]), X))
    # EDDL's Selu passes {alpha, scale} = {1.6732632..., 1.0507009...}
    np.testing.assert_allclose(_run(eddl.Selu, X),
                               _run(lambda l: eddl.Activation(l, "selu",
                                                              [1.6732632423543772, 1.0507009873554805]), X))
    # without params the factory defaults apply (EDDL would read past the end of the list)
    np.testing.assert_allclose(_run(lambda l: eddl.Activation(l, "leaky_relu"), X),
                               _run(eddl.LeakyReLu, X))


def test_selu_params_gradient():
    check_gradients(lambda x: eddl.Activation(eddl.Dense(x, 4), "selu", [1.2, 0.8]), [(3,)],
                    inputs=[X[:, :3].copy()], rtol=1e-4, atol=1e-7)


def test_params_of_activations_without_parameters_are_ignored_with_a_warning():
    x = eddl.Input([4])
    with pytest.warns(UserWarning, match=r"'relu' takes no parameters; params=\[0.02\]"):
        a = eddl.Activation(x, "relu", [0.02])
    with pytest.warns(UserWarning, match=r"'relu' takes no parameters"):
        eddl.Activation(x, "relu", [0.02], "foo")
    assert a.p == {}
    with pytest.warns(UserWarning, match="ignored, as in EDDL"):
        relu = _run(lambda l: eddl.Activation(l, "relu", [0.5]), X)
    np.testing.assert_array_equal(relu, np.maximum(X, 0))
    with pytest.warns(UserWarning, match="reads only alpha"):
        eddl.Activation(x, "elu", [1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eddl.Activation(x, "elu", [1.0])


def test_bad_params_name_the_value():
    x = eddl.Input([4])
    with pytest.raises(ValueError, match=r"only one axis is supported"):
        eddl.Activation(x, "softmax", [0, 1])
    with pytest.raises(ValueError, match=r"softmax axis must be an integer.*\[0.5\]"):
        eddl.Activation(x, "softmax", [0.5])
    with pytest.raises(ValueError, match=r"params \['a'\] holds 'a'; expected finite numbers \(alpha\)"):
        eddl.Activation(x, "elu", ["a"])
    with pytest.raises(TypeError, match="params must be a list of numbers, got float 0.1"):
        eddl.Activation(x, "elu", 0.1)


def test_selu_params_survive_onnx_export_and_import():
    from eddl.onnx.api import from_onnx, to_onnx
    inp = eddl.Input([6])
    net = eddl.Model([inp], [eddl.Activation(inp, "selu", [1.5, 2.0])])
    model = to_onnx(net)
    (node,) = [n for n in model.graph.node if n.op_type == "Selu"]
    attrs = {a.name: a.f for a in node.attribute}
    assert attrs == pytest.approx({"alpha": 1.5, "gamma": 2.0})
    back = from_onnx(model)
    eddl.build(back, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU(), dtype="float64")
    (out,) = eddl.predict(back, [X])
    np.testing.assert_allclose(np.asarray(out), REFS["selu"][1](X), rtol=1e-6)
    assert back.onnx_pretrained and not net.onnx_pretrained
