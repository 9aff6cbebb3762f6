"""Graph-defined losses and metrics (newloss/newmetric): values against NumPy, gradients by
finite differences (float64), the upstream training loop and bad input."""

import numpy as np
import pytest

import eddl


def mse_loss(ins):
    d = eddl.Diff(ins[0], ins[1])
    return eddl.Mult(d, d)


def dice_loss(ins):
    num = eddl.Mult(2, eddl.ReduceSum(eddl.Mult(ins[0], ins[1]), [0]))
    den = eddl.ReduceSum(eddl.Sum(ins[0], ins[1]), [0])
    return eddl.Diff(1.0, eddl.Div(num, den))


def _net(dtype="float64", reg=False):
    eddl.set_seed(3)
    x = eddl.Input([6])
    target = eddl.Sigmoid(x)
    h = eddl.Tanh(eddl.Dense(x, 5))
    d = eddl.Dense(h, 6)
    if reg:
        d = eddl.L2(d, 0.01)
    out = eddl.Sigmoid(d)
    net = eddl.Model([x], [])
    eddl.build(net, eddl.sgd(0.5, 0.9), [], [], eddl.CS_CPU(th=1), dtype=dtype) if dtype == "float32" \
        else net.build(eddl.sgd(0.5, 0.9), None, None, eddl.CS_CPU(th=1), dtype=dtype)
    return net, out, target


def test_model_without_outputs_holds_every_computable_layer():
    net, out, target = _net()
    assert out in net.layers and target in net.layers and net.lout == []


@pytest.mark.parametrize("fn,ref", [
    (mse_loss, lambda y, t: ((y - t) ** 2).mean(axis=1).sum()),
    (dice_loss, lambda y, t: (1 - 2 * (y * t).sum(1) / (y + t).sum(1)).sum()),
])
def test_value_matches_numpy(fn, ref):
    net, out, target = _net()
    L = eddl.newloss(fn, [out, target], "l")
    x = np.random.default_rng(0).standard_normal((4, 6))
    eddl.forward(net, [x])
    v = eddl.compute_loss(L)
    assert v == pytest.approx(ref(out.output, 1 / (1 + np.exp(-x))), rel=1e-12)
    assert L.value == v and eddl.compute_metric(L) == pytest.approx(v)


@pytest.mark.parametrize("fn", [mse_loss, dice_loss])
def test_gradient_by_finite_differences(fn):
    net, out, target = _net(reg=False)
    L = eddl.newloss(fn, [out, target], "l")
    x = np.random.default_rng(1).standard_normal((3, 6))
    eddl.forward(net, [x])
    eddl.zeroGrads(net)
    eddl.optimize(L)
    n = 3

    def objective():
        eddl.forward(net, [x])
        return eddl.compute_loss(L) / n

    checked = 0
    for l in net.layers:
        for p, g in zip(l.params, [gg.copy() for gg in l.gradients]):
            num = np.empty_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + 1e-6
                fp = objective()
                p[i] = old - 1e-6
                fm = objective()
                p[i] = old
                num[i] = (fp - fm) / 2e-6
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-9, err_msg=l.name)
            checked += 1
    assert checked == 4


def test_list_of_losses_sums_gradients_and_backward_alias():
    net, out, target = _net()
    a, b = eddl.newloss(mse_loss, [out, target], "a"), eddl.newloss(dice_loss, [out, target], "b")
    x = np.random.default_rng(2).standard_normal((3, 6))
    grads = []
    for L in (a, b, [a, b]):
        eddl.forward(net, [x])
        eddl.optimize(L)
        grads.append([g.copy() for l in net.layers for g in l.gradients])
    for ga, gb, gab in zip(*grads):
        np.testing.assert_allclose(gab, ga + gb, rtol=1e-12, atol=1e-15)
    eddl.forward(net, [x])
    eddl.backward(a)
    for g, ga in zip([g for l in net.layers for g in l.gradients], grads[0]):
        np.testing.assert_array_equal(g, ga)


def test_upstream_training_loop_reduces_the_loss():
    net, out, target = _net("float32")
    L = eddl.newloss(mse_loss, [out, target], "mse_loss")
    x = np.random.default_rng(3).standard_normal((64, 6)).astype(np.float32)
    losses = []
    for _ in range(30):
        total = 0.0
        for j in range(4):
            eddl.zeroGrads(net)
            eddl.forward(net, [x[j * 16:(j + 1) * 16]])
            total += eddl.compute_loss(L) / 16
            eddl.optimize(L)
            eddl.update(net)
        losses.append(total / 4)
    assert losses[-1] < 0.3 * losses[0]


def test_newmetric_computes_but_has_no_gradient():
    net, out, target = _net()
    M = eddl.newmetric(mse_loss, [out, target], "m")
    x = np.random.default_rng(4).standard_normal((2, 6))
    eddl.forward(net, [x])
    assert eddl.compute_metric(M) == pytest.approx(((out.output - 1 / (1 + np.exp(-x))) ** 2).mean(1).sum())
    with pytest.raises(TypeError, match="metric"):
        eddl.optimize(M)


def test_bad_input():
    net, out, target = _net()
    with pytest.raises(TypeError, match="in_"):
        eddl.newloss(mse_loss, "out", "l")
    with pytest.raises(TypeError, match="return a layer"):
        eddl.newloss(lambda ins: 3, [out, target], "l")
    with pytest.raises(ValueError, match="weights"):
        eddl.newloss(lambda i: eddl.Dense(i, 2), out, "l")
    with pytest.raises(TypeError, match="newloss"):
        eddl.compute_loss(net)
    stray = eddl.Dense(eddl.Input([3]), 2)
    L = eddl.newloss(lambda i: eddl.Abs(i), stray, "l")
    with pytest.raises(RuntimeError, match="built model"):
        eddl.compute_loss(L)
