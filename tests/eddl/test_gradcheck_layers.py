"""Finite-difference checks of shape, merge, operator, reduction and noise layers."""

import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402


@pytest.mark.parametrize("make,shape", [
    (lambda x: eddl.Reshape(x, [3, -1]), (2, 6)),
    (lambda x: eddl.Flatten(x), (2, 3)),
    (lambda x: eddl.Squeeze(x, 1), (3, 1, 2)),
    (lambda x: eddl.Squeeze(x), (1, 3, 1)),
    (lambda x: eddl.Unsqueeze(x, 1), (3, 2)),
    (lambda x: eddl.Permute(x, [2, 0, 1]), (2, 3, 4)),
    (lambda x: eddl.Transpose(x), (2, 3)),
    (lambda x: eddl.Select(x, ["1:3", "-1"]), (4, 3)),
    (lambda x: eddl.Slice(x, [":", "0:2"]), (2, 3)),
])
def test_shape_layers(make, shape):
    check_gradients(make, [shape])


@pytest.mark.parametrize("make", [
    lambda a, b: eddl.Add([a, b]),
    lambda a, b: eddl.Add([a, b, a]),
    lambda a, b: eddl.Subtract([a, b]),
    lambda a, b: eddl.Average([a, b]),
    lambda a, b: eddl.Maximum([a, b]),
    lambda a, b: eddl.Minimum([a, b]),
    lambda a, b: eddl.Mult(a, b),
    lambda a, b: eddl.Mult([a, b, b]),
    lambda a, b: eddl.Div(a, eddl.Sum(eddl.Abs(b), 1.0)),
    lambda a, b: eddl.Concat([a, b], axis=1),
    lambda a, b: eddl.Concat([a, b, a], axis=0),
])
def test_merge_layers(make):
    check_gradients(make, [(2, 3), (2, 3)])


@pytest.mark.parametrize("make", [
    lambda x: eddl.Abs(x),
    lambda x: eddl.Exp(x),
    lambda x: eddl.Log(eddl.Sum(eddl.Abs(x), 0.5)),
    lambda x: eddl.Log2(eddl.Sum(eddl.Abs(x), 0.5)),
    lambda x: eddl.Log10(eddl.Sum(eddl.Abs(x), 0.5)),
    lambda x: eddl.Sqrt(eddl.Sum(eddl.Abs(x), 0.5)),
    lambda x: eddl.Pow(eddl.Sum(eddl.Abs(x), 0.5), 2.5),
    lambda x: eddl.Sum(2.0, x),
    lambda x: eddl.Diff(x, 3.0),
    lambda x: eddl.Diff(3.0, x),
    lambda x: eddl.Sub(x, x),
    lambda x: eddl.Mult(x, -2.0),
    lambda x: eddl.Div(x, 4.0),
    lambda x: eddl.Div(2.0, eddl.Sum(eddl.Abs(x), 1.0)),
    lambda x: eddl.Clamp(x, -0.5, 0.5),
])
def test_operator_layers(make):
    check_gradients(make, [(3, 4)], rtol=1e-4)


@pytest.mark.parametrize("fn", [eddl.ReduceMean, eddl.ReduceSum, eddl.ReduceMax, eddl.ReduceMin,
                                eddl.ReduceVar])
@pytest.mark.parametrize("axis,keep", [([0], False), ([1], True), ([0, 1], False)])
def test_reductions(fn, axis, keep):
    check_gradients(lambda x: fn(x, axis, keep), [(3, 4)])


def test_reduce_argmax_values():
    x = eddl.Input([3, 4])
    net = eddl.Model([x], [eddl.ReduceArgMax(x, [1])])
    eddl.build(net, eddl.sgd(0.1), ["mse_mean"], ["none"])
    data = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    out = eddl.predict(net, [data])[0].numpy()
    np.testing.assert_array_equal(out, data.argmax(axis=2))


def test_gaussian_noise_gradient_and_inference_identity():
    check_gradients(lambda x: eddl.GaussianNoise(eddl.Dense(x, 3), 0.3), [(4,)])
    x = eddl.Input([4])
    net = eddl.Model([x], [eddl.GaussianNoise(x, 1.0)])
    eddl.build(net, eddl.sgd(0.1), ["mse_mean"], ["none"])
    data = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(eddl.predict(net, [data])[0].numpy(), data)
