"""Layer features the ONNX importer relies on: broadcasting merges, Take, LayerNormalization
over trailing axes, log_softmax and erf — values against NumPy, gradients by finite differences."""

import os
import sys

import numpy as np
import pytest
from scipy.special import erf, log_softmax

import eddl
from eddl.layers.activations import Activation
from eddl.layers.gather import Take
from eddl.layers.merge import Add, Average, Div, Maximum, Mult, Subtract
from eddl.layers.normalization import LayerNormalization
from eddl.layers.operators import Unary

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402


def _out(net, xs):
    # check_gradients leaves the last perturbed evaluation in place: run the inputs again
    net.set_inputs(xs)
    net.forward()
    return net.lout[0].output


@pytest.mark.parametrize("cls", [Add, Mult, Div, Subtract, Maximum, Average])
@pytest.mark.parametrize("shapes", [([3, 4, 5], [3, 1, 5]), ([1, 4, 1], [3, 4, 5])])
def test_broadcasting_merges_match_numpy_and_finite_differences(cls, shapes):
    rng = np.random.default_rng(1)
    xs = [rng.uniform(1, 2, (2, *s)) for s in shapes]
    net = check_gradients(lambda a, b: cls([a, b]), shapes, batch=2, inputs=xs)
    ref = {Add: np.add, Mult: np.multiply, Div: np.divide, Subtract: np.subtract,
           Maximum: np.maximum, Average: lambda a, b: (a + b) / 2}[cls](*xs)
    np.testing.assert_allclose(_out(net, xs), ref, rtol=1e-12)


def test_merge_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match="broadcastable"):
        Add([eddl.Input([3, 4]), eddl.Input([3, 2])])
    with pytest.raises(ValueError, match="same rank"):
        Add([eddl.Input([3, 4]), eddl.Input([4])])


@pytest.mark.parametrize("indices, axis", [([[4, 0], [1, 1]], 1), ([2, 0, 2, -1], 0), (3, 1)])
def test_take_matches_numpy_and_finite_differences(indices, axis):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5))
    net = check_gradients(lambda a: Take(a, indices, axis), [[4, 5]], batch=3, inputs=[x])
    np.testing.assert_array_equal(_out(net, [x]), np.take(x, indices, axis=axis + 1))


def test_take_refuses_indices_out_of_range():
    with pytest.raises(ValueError, match="indices must be in \\[-5, 4\\]"):
        Take(eddl.Input([4, 5]), [5], axis=1)


@pytest.mark.parametrize("axis, shape", [(-1, [3, 4]), (1, [2, 3, 4]), (0, [2, 3])])
def test_layer_normalization_over_trailing_axes(axis, shape):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, *shape))
    net = check_gradients(lambda a: LayerNormalization(a, axis=axis), [shape], batch=2, inputs=[x])
    first = axis % len(shape) + 1
    axes = tuple(range(first, len(shape) + 1))
    ref = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_out(net, [x]), ref, rtol=1e-10, atol=1e-12)


def test_log_softmax_and_erf():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    net = check_gradients(lambda a: Activation(a, "log_softmax", [0]), [[3, 4]], batch=2, inputs=[x])
    np.testing.assert_allclose(_out(net, [x]), log_softmax(x, axis=1), rtol=1e-12)
    net = check_gradients(lambda a: Unary(a, "erf"), [[3, 4]], batch=2, inputs=[x])
    np.testing.assert_allclose(_out(net, [x]), erf(x), rtol=1e-12)
