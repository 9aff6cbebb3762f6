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


# --- Norm, NormMax, NormMinMax (EDDL's per-sample normalizations without weights) ------------

def _ref_sample_norm(kind, x, eps):
    x2 = x.reshape(x.shape[0], -1).astype(np.float64)
    if kind == "Norm":
        m = x2.mean(1, keepdims=True)
        v = ((x2 - m) ** 2).mean(1, keepdims=True)
        y = (x2 - m) / np.sqrt(v + eps)
    elif kind == "NormMax":
        y = x2 / (x2.max(1, keepdims=True) + eps)
    else:
        lo, hi = x2.min(1, keepdims=True), x2.max(1, keepdims=True)
        y = (x2 - lo) / (hi - lo + eps)
    return y.reshape(x.shape)


def _untied(rng, shape, positive=False):
    """Random samples whose two largest and two smallest values differ by more than 1e-3, so a
    finite-difference step never moves the max or the min to another position."""
    while True:
        x = rng.standard_normal(shape) * 2
        if positive:
            x = np.abs(x) + 0.5
        s = np.sort(x.reshape(shape[0], -1), axis=1)
        if (s[:, -1] - s[:, -2] > 1e-3).all() and (s[:, 1] - s[:, 0] > 1e-3).all():
            return x


@pytest.mark.parametrize("kind", ["Norm", "NormMax", "NormMinMax"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 5), (2, 3, 3, 3)])
@pytest.mark.parametrize("eps", [0.001, 0.5])
def test_per_sample_norm_forward(kind, shape, eps):
    rng = np.random.default_rng(7)
    x = _untied(rng, (4,) + shape, positive=kind == "NormMax")
    net = build_net(lambda i: getattr(eddl, kind)(i, eps), [shape])
    y = run(net, x)
    assert y.output.shape == x.shape
    np.testing.assert_allclose(y.output, _ref_sample_norm(kind, x, eps), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["Norm", "NormMax", "NormMinMax"])
@pytest.mark.parametrize("shape", [(5,), (2, 3, 3), (1, 2, 3, 2)])
def test_per_sample_norm_gradients(kind, shape):
    rng = np.random.default_rng(8)
    x = _untied(rng, (3,) + shape, positive=kind == "NormMax")
    check_gradients(lambda i: getattr(eddl, kind)(i, 0.01), [shape], batch=3, inputs=[x],
                    rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["Norm", "NormMax", "NormMinMax"])
def test_per_sample_norm_float32_and_noncontiguous_input(kind):
    rng = np.random.default_rng(9)
    x = _untied(rng, (3, 4, 5), positive=kind == "NormMax")
    xt = np.ascontiguousarray(x.transpose(0, 2, 1))
    ins = [eddl.Input([4, 5])]
    net = eddl.Model(ins, [getattr(eddl, kind)(eddl.Permute(ins[0], [1, 0]))])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU(), dtype="float64")
    np.testing.assert_allclose(run(net, x).output, _ref_sample_norm(kind, xt, 0.001),
                               rtol=1e-12, atol=1e-12)
    ins = [eddl.Input([4, 5])]
    net = eddl.Model(ins, [getattr(eddl, kind)(ins[0])])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU(), dtype="float32")
    y = run(net, x.astype(np.float32))
    assert y.output.dtype == np.float32
    np.testing.assert_allclose(y.output, _ref_sample_norm(kind, x, 0.001), rtol=2e-5, atol=2e-5)


def test_extrema_norm_ties_route_the_gradient_to_the_first_extreme():
    # a valid subgradient: the max (min) term goes to the first position holding the max (min)
    x = np.array([[3.0, 1.0, 3.0, 1.0, 2.0]])
    for kind in ("NormMax", "NormMinMax"):
        net = build_net(lambda i: getattr(eddl, kind)(i, 0.5), [(5,)])
        run(net, x)
        layer = net.lout[0]
        dy = np.array([[0.3, -1.0, 0.7, 0.2, 0.5]])
        layer.delta[...] = dy
        net.lin[0]._delta_set = False
        layer.backward()
        lo = 1.0 if kind == "NormMinMax" else 0.0
        den = 3.0 - lo + 0.5
        y = (x - lo) / den
        want = dy / den
        s = (dy * y).sum() / den
        want[0, 0] -= s
        if kind == "NormMinMax":
            want[0, 1] += s - dy.sum() / den
        np.testing.assert_allclose(net.lin[0].delta, want, rtol=1e-12)


def test_per_sample_norm_exports_and_errors():
    i = eddl.Input([2, 3])
    for kind, cls in (("Norm", eddl.layers.Norm), ("NormMax", eddl.layers.NormMax),
                      ("NormMinMax", eddl.layers.NormMinMax)):
        assert kind in eddl.__all__
        layer = getattr(eddl, kind)(i, name=f"my{kind}")
        assert isinstance(layer, cls) and layer.name == f"my{kind}" and layer.epsilon == 0.001
        assert not layer.param_specs()
        with pytest.raises(ValueError, match="epsilon"):
            getattr(eddl, kind)(i, 0.0)
        with pytest.raises(ValueError, match="epsilon"):
            getattr(eddl, kind)(i, float("nan"))
