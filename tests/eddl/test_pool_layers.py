"""Pooling layers: forward against a NumPy window reference, gradients, shapes, errors."""

import itertools
import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402


def pool_reference(x, size, stride, pads, out_shape, kind):
    nsp = x.ndim - 2
    y = np.zeros(x.shape[:2] + tuple(out_shape))
    for o in itertools.product(*[range(n) for n in out_shape]):
        sl = []
        for i in range(nsp):
            a = o[i] * stride[i] - pads[i][0]
            sl.append(slice(max(a, 0), min(a + size[i], x.shape[2 + i])))
        win = x[(slice(None), slice(None)) + tuple(sl)].reshape(x.shape[:2] + (-1,))
        y[(slice(None), slice(None)) + o] = win.max(-1) if kind == "max" else win.mean(-1)
    return y


FACT = {("max", 1): eddl.MaxPool1D, ("max", 2): eddl.MaxPool2D, ("max", 3): eddl.MaxPool3D,
        ("avg", 1): eddl.AveragePool1D, ("avg", 2): eddl.AvgPool2D, ("avg", 3): eddl.AveragePool3D}
CASES = [  # nsp, size, stride, padding, ceil
    (1, [2], [2], "none", False),
    (1, [3], [2], "same", False),
    (2, [2, 2], [2, 2], "none", False),
    (2, [3, 3], [2, 2], "same", False),
    (2, [3, 2], [2, 1], [1, 0], True),
    (2, [2, 2], [2, 2], "none", True),
    (3, [2, 2, 2], [2, 2, 2], "none", True),
    (3, [3, 1, 2], [1, 1, 2], "same", False),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("nsp,size,stride,padding,ceil", CASES)
def test_pool_forward_and_gradients(kind, nsp, size, stride, padding, ceil):
    spatial = {1: (7,), 2: (5, 7), 3: (3, 5, 4)}[nsp]
    rng = np.random.default_rng(0)
    make = lambda i: FACT[kind, nsp](i, size, stride, padding, ceil_mode=ceil)  # noqa: E731
    net = build_net(make, [(2,) + spatial])
    x = rng.standard_normal((3, 2) + spatial)
    net.set_inputs([x])
    net.forward()
    layer = net.lout[0]
    ref = pool_reference(x, layer.pool_size, layer.strides, layer.pads, layer.shape[1:], kind)
    np.testing.assert_allclose(layer.output, ref, rtol=1e-12, atol=1e-12)
    check_gradients(make, [(2,) + spatial], batch=2)


def test_ceil_mode_shape_matches_pytorch_rule():
    x = eddl.Input([1, 6, 7])
    assert eddl.MaxPool2D(x, [2, 2], [2, 2]).shape == (1, 3, 3)
    assert eddl.MaxPool2D(x, [2, 2], [2, 2], ceil_mode=True).shape == (1, 3, 4)
    # the last window must start inside the input or its left padding
    assert eddl.MaxPool1D(eddl.Input([1, 5]), [2], [2], [1, 1], ceil_mode=True).shape == (1, 3)


@pytest.mark.parametrize("factory,kind", [(eddl.GlobalMaxPool2D, "max"),
                                          (eddl.GlobalAveragePool2D, "avg"),
                                          (eddl.GlobalAvgPool1D, "avg"),
                                          (eddl.GlobalMaxPool3D, "max")])
def test_global_pools(factory, kind):
    shape = {"2": (3, 4, 5), "1": (3, 6), "3": (2, 3, 2, 3)}[factory.__name__[-2]]
    net = build_net(factory, [shape])
    x = np.random.default_rng(1).standard_normal((2,) + shape)
    net.set_inputs([x])
    net.forward()
    red = x.reshape(2, shape[0], -1)
    ref = red.max(-1) if kind == "max" else red.mean(-1)
    assert net.lout[0].shape == (shape[0],) + (1,) * (len(shape) - 1)
    np.testing.assert_allclose(net.lout[0].output.reshape(2, -1), ref, rtol=1e-12)
    check_gradients(factory, [shape], batch=2)


def test_max_pool_propagates_nan():
    net = build_net(lambda i: eddl.MaxPool2D(i), [(1, 2, 2)])
    net.set_inputs([np.array([[[[1.0, np.nan], [3.0, 2.0]]]])])
    net.forward()
    assert np.isnan(net.lout[0].output).all()


@pytest.mark.parametrize("make,match", [
    (lambda: eddl.MaxPool2D(eddl.Input([3, 1, 1]), [2, 2]), r"output size \[0, 0\]"),
    (lambda: eddl.MaxPool2D(eddl.Input([3, 8]), [2, 2]), "expects a 3-D input"),
    (lambda: eddl.AvgPool2D(eddl.Input([3, 8, 8]), [2, 2], [2, 2], [2, 2]), "smaller than the pool"),
    (lambda: eddl.MaxPool2D(eddl.Input([3, 8, 8]), [2, 2], [0, 2]), "strides must be >= 1"),
])
def test_bad_pool_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()
