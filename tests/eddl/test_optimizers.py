"""Optimizer updates against NumPy references, clipping and schedules."""

import math

import numpy as np
import pytest

import eddl
from eddl.backend import registry
from eddl.optimizers import (
    SGD,
    AdaDelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    CosineDecay,
    ExponentialDecay,
    Nadam,
    ReduceLROnPlateau,
    RMSProp,
    StepDecay,
)

BE = registry.get("cpu")


def ref_sgd(p, gs, lr, mu, wd, nesterov):
    v = np.zeros_like(p)
    for g in gs:
        g = g + wd * p
        v = mu * v - lr * g
        p = p + (mu * v - lr * g if nesterov else v)
    return p


def ref_adam(p, gs, lr, b1, b2, eps, wd, ams, decoupled=False):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vmax = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vh = (vmax if ams else v) / (1 - b2 ** t)
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(vh) + eps)
    return p


def ref_rmsprop(p, gs, lr, rho, eps, wd):
    s = np.zeros_like(p)
    for g in gs:
        g = g + wd * p
        s = rho * s + (1 - rho) * g * g
        p = p - lr * g / (np.sqrt(s) + eps)
    return p


def ref_adagrad(p, gs, lr, eps):
    a = np.zeros_like(p)
    for g in gs:
        a += g * g
        p = p - lr * g / (np.sqrt(a) + eps)
    return p


def ref_adadelta(p, gs, lr, rho, eps):
    eg = np.zeros_like(p)
    ed = np.zeros_like(p)
    for g in gs:
        eg = rho * eg + (1 - rho) * g * g
        u = np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * u * u
        p = p - lr * u
    return p


def ref_adamax(p, gs, lr, b1, b2, eps):
    m = np.zeros_like(p)
    u = np.zeros_like(p)
    for t, g in enumerate(gs, 1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr / (1 - b1 ** t) * m / (u + eps)
    return p


def ref_nadam(p, gs, lr, b1, b2, eps, sd):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    prod = 1.0
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * sd))  # noqa: E731
    for t, g in enumerate(gs, 1):
        prod *= mu(t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mh = mu(t + 1) * m / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        p = p - lr * mh / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


CASES = [
    (lambda: SGD(0.1), lambda p, gs: ref_sgd(p, gs, 0.1, 0.0, 0.0, False)),
    (lambda: SGD(0.1, 0.9), lambda p, gs: ref_sgd(p, gs, 0.1, 0.9, 0.0, False)),
    (lambda: SGD(0.1, 0.9, 0.01, True), lambda p, gs: ref_sgd(p, gs, 0.1, 0.9, 0.01, True)),
    (lambda: Adam(0.01), lambda p, gs: ref_adam(p, gs, 0.01, 0.9, 0.999, 1e-8, 0.0, False)),
    (lambda: Adam(0.01, 0.8, 0.99, 1e-6, 0.01, True),
     lambda p, gs: ref_adam(p, gs, 0.01, 0.8, 0.99, 1e-6, 0.01, True)),
    (lambda: AdamW(0.01, weight_decay=0.1),
     lambda p, gs: ref_adam(p, gs, 0.01, 0.9, 0.999, 1e-8, 0.1, False, decoupled=True)),
    (lambda: RMSProp(0.01, 0.9, 1e-5, 0.001), lambda p, gs: ref_rmsprop(p, gs, 0.01, 0.9, 1e-5, 0.001)),
    (lambda: Adagrad(0.1, 1e-8), lambda p, gs: ref_adagrad(p, gs, 0.1, 1e-8)),
    (lambda: AdaDelta(1.0, 0.95, 1e-6), lambda p, gs: ref_adadelta(p, gs, 1.0, 0.95, 1e-6)),
    (lambda: Adamax(0.01, 0.9, 0.999, 1e-8), lambda p, gs: ref_adamax(p, gs, 0.01, 0.9, 0.999, 1e-8)),
    (lambda: Nadam(0.01, 0.9, 0.999, 1e-8, 0.004),
     lambda p, gs: ref_nadam(p, gs, 0.01, 0.9, 0.999, 1e-8, 0.004)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("make,ref", CASES)
def test_update_matches_reference(make, ref, dtype):
    rng = np.random.default_rng(0)
    shapes = [(5, 7), (7,), (40000,)]   # the last one takes the threaded path
    p0 = [rng.standard_normal(s) for s in shapes]
    gs = [[rng.standard_normal(s) for _ in range(4)] for s in shapes]
    params = [p.astype(dtype) for p in p0]
    grads = [np.zeros(s, dtype) for s in shapes]
    opt = make()
    opt.setup(list(zip(params, grads)), BE)
    for k in range(4):
        for g, gl in zip(grads, gs):
            g[...] = gl[k]
        opt.step()
    tol = 1e-10 if dtype == "float64" else 2e-5
    for p, pr, gl in zip(params, p0, gs):
        np.testing.assert_allclose(p, ref(pr.copy(), gl), rtol=tol, atol=tol)


def test_clip_val_and_clip_norm():
    p = np.zeros(4)
    g = np.array([3.0, -4.0, 0.5, 0.0])
    opt = SGD(1.0)
    opt.set_clip_val(1.0)
    opt.setup([(p, g)], BE)
    opt.step()
    np.testing.assert_allclose(p, [-1.0, 1.0, -0.5, 0.0])
    p2 = np.zeros(2)
    g2 = np.array([3.0, 4.0])
    opt = SGD(1.0)
    opt.set_clip_norm(1.0)
    opt.setup([(p2, g2)], BE)
    opt.step()
    np.testing.assert_allclose(p2, [-0.6, -0.8], rtol=1e-9)


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="lr"):
        SGD(-1)
    with pytest.raises(ValueError, match="beta"):
        Adam(0.1, beta_1=1.0)
    with pytest.raises(TypeError, match="lr"):
        eddl.sgd("fast")


class _Opt:
    lr = 1.0


@pytest.mark.parametrize("sched,expected", [
    (StepDecay(2, 0.5), [1.0, 0.5, 0.5, 0.25]),
    (ExponentialDecay(0.5), [0.5, 0.25, 0.125, 0.0625]),
    (CosineDecay(4), [0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(1, 5)]),
])
def test_schedules(sched, expected):
    opt = _Opt()
    sched.attach(opt)
    got = []
    for e in range(1, 5):
        sched.on_epoch_end(e, 1.0)
        got.append(opt.lr)
    np.testing.assert_allclose(got, expected)


def test_reduce_on_plateau():
    opt = _Opt()
    s = ReduceLROnPlateau(factor=0.5, patience=1)
    s.attach(opt)
    for e, loss in enumerate([1.0, 0.5, 0.5, 0.5, 0.5, 0.1], 1):
        s.on_epoch_end(e, loss)
    assert opt.lr == 0.5


def test_pyeddl_optimizer_factories():
    assert isinstance(eddl.rmsprop(0.01), RMSProp)
    assert eddl.adam(0.1).epsilon == 1e-6
    assert isinstance(eddl.adagrad(0.1, 1e-8, 0.0), Adagrad)
    assert isinstance(eddl.adadelta(0.1, 0.9, 1e-8, 0.0), AdaDelta)
    assert isinstance(eddl.adamax(0.1, 0.9, 0.999, 1e-8, 0.0), Adamax)
    assert isinstance(eddl.nadam(0.1, 0.9, 0.999, 1e-8, 0.004), Nadam)
