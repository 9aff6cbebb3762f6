"""Normalization layers: batch statistics, moving statistics, inference, gradients."""

import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402


def run(net, x):
    net.set_inputs([x])
    net.forward()
    return net.lout[0]


@pytest.mark.parametrize("shape", [(3, 4, 5), (6,), (2, 3, 2, 2)])
def test_batchnorm_train_and_moving_statistics(shape):
    rng = np.random.default_rng(0)
    net = build_net(lambda i: eddl.BatchNormalization(i, True, 0.8, 1e-3), [shape])
    bn = net.lout[0]
    bn.params[0][...] = rng.random(shape[0]) + 0.5
    bn.params[1][...] = rng.standard_normal(shape[0])
    x = rng.standard_normal((5,) + shape) * 3 + 1
    net.set_mode(eddl.TRMODE)
    run(net, x)
    axes = (0,) + tuple(range(2, x.ndim))
    b = (1, -1) + (1,) * (x.ndim - 2)
    m, v = x.mean(axes), x.var(axes)
    ref = (x - m.reshape(b)) / np.sqrt(v.reshape(b) + 1e-3) * bn.params[0].reshape(b) + bn.params[1].reshape(b)
    np.testing.assert_allclose(bn.output, ref, rtol=1e-10, atol=1e-10)
    cnt = x.size // shape[0]
    np.testing.assert_allclose(bn.states[0], 0.2 * m, rtol=1e-12)
    np.testing.assert_allclose(bn.states[1], 0.8 + 0.2 * v * cnt / (cnt - 1), rtol=1e-12)
    net.set_mode(eddl.TSMODE)
    run(net, x)
    mm, mv = bn.states
    ref = (x - mm.reshape(b)) / np.sqrt(mv.reshape(b) + 1e-3) * bn.params[0].reshape(b) + bn.params[1].reshape(b)
    np.testing.assert_allclose(bn.output, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(3, 2, 3), (4,)])
def test_batchnorm_gradients(affine, shape):
    check_gradients(lambda i: eddl.BatchNormalization(i, affine), [shape], batch=4, rtol=1e-4)


def test_batchnorm_inference_gradients():
    net = build_net(lambda i: eddl.BatchNormalization(i, True), [(2, 3)])
    net.lout[0].states[0][...] = [0.3, -0.2]
    net.lout[0].states[1][...] = [2.0, 0.5]
    net.set_mode(eddl.TSMODE)
    # check_gradients drives forward/backward itself; keep inference mode by freezing mode
    net.set_mode = lambda mode: None
    check_gradients(None, [(2, 3)], net=net, batch=3)


@pytest.mark.parametrize("make,shape", [
    (lambda i: eddl.GroupNormalization(i, 2), (4, 3)),
    (lambda i: eddl.GroupNormalization(i, 1, affine=False), (2, 2, 2)),
    (lambda i: eddl.LayerNormalization(i), (3, 4)),
    (lambda i: eddl.LayerNormalization(i, False), (5,)),
])
def test_sample_norm_forward_and_gradients(make, shape):
    rng = np.random.default_rng(2)
    net = build_net(make, [shape])
    layer = net.lout[0]
    for p in layer.params:
        p[...] = rng.standard_normal(p.shape)
    x = rng.standard_normal((3,) + shape) * 2 + 1
    run(net, x)
    g = getattr(layer, "groups", 1)
    xr = x.reshape(3, g, -1)
    xhat = ((xr - xr.mean(-1, keepdims=True)) / np.sqrt(xr.var(-1, keepdims=True) + layer.epsilon)).reshape(x.shape)
    if layer.affine:
        if isinstance(layer, eddl.layers.normalization.GroupNormalization):
            b = (1, -1) + (1,) * (x.ndim - 2)
            ref = xhat * layer.params[0].reshape(b) + layer.params[1].reshape(b)
        else:
            ref = xhat * layer.params[0] + layer.params[1]
    else:
        ref = xhat
    np.testing.assert_allclose(layer.output, ref, rtol=1e-10, atol=1e-10)
    check_gradients(make, [shape], batch=2, rtol=1e-4)


def test_norm_bad_input():
    with pytest.raises(ValueError, match="groups=3 must divide"):
        eddl.GroupNormalization(eddl.Input([4, 2]), 3)
    with pytest.raises(ValueError, match="epsilon"):
        eddl.BatchNormalization(eddl.Input([4]), True, 0.9, 0.0)
    with pytest.raises(ValueError, match="momentum"):
        eddl.BatchNormalization(eddl.Input([4]), True, 1.5)
