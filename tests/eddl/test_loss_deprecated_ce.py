"""EDDL's ``"deprecated_cross_entropy"`` loss (LCrossEntropy) against NumPy references."""

import numpy as np
import pytest

import eddl
from eddl.losses import DeprecatedCrossEntropy, get_loss, loss_names

RNG = np.random.default_rng(3)
Y = RNG.uniform(0.05, 0.95, (4, 6))
T = RNG.uniform(0.0, 1.0, (4, 6))
T[0, :3] = 0.0     # terms EDDL's cpu_cent skips
T[1, :3] = 1.0


def _loss():
    with pytest.warns(DeprecationWarning, match="binary_cross_entropy"):
        return get_loss("deprecated_cross_entropy")


def test_is_a_registered_name_that_warns_like_eddl():
    # src/apis/eddl.cpp getLoss: "deprecated_cross_entropy" -> new LCrossEntropy(), whose
    # constructor shows a deprecation warning pointing at binary_cross_entropy
    assert "deprecated_cross_entropy" in loss_names()
    assert isinstance(_loss(), DeprecatedCrossEntropy)
    with pytest.warns(DeprecationWarning):
        assert isinstance(eddl.getLoss("deprecated_cross_entropy"), DeprecatedCrossEntropy)


def test_value_is_eddls_cent_sum():
    # src/hardware/cpu/nn/cpu_losses.cpp cpu_cent: c = -t log(y + 1e-5) if t != 0,
    # -(1 - t) log(1 - y + 1e-5) if t != 1; LCrossEntropy::value sums c
    ref = 0.0
    for t, y in zip(T.ravel(), Y.ravel()):
        if t != 0.0:
            ref -= t * np.log(y + 1e-5)
        if t != 1.0:
            ref -= (1 - t) * np.log(1 - y + 1e-5)
    assert _loss().value(T, Y) == pytest.approx(ref, rel=1e-12)


def test_value_stays_finite_at_saturated_predictions():
    y = np.array([[0.0, 1.0, 0.0, 1.0]])
    t = np.array([[0.0, 1.0, 1.0, 0.0]])
    v = _loss().value(t, y)
    assert np.isfinite(v)
    assert v == pytest.approx(-2 * np.log(1e-5) - 2 * np.log(1 + 1e-5), rel=1e-12)


def test_delta_is_eddls_and_the_gradient_of_the_batch_mean():
    # src/losses/loss_cross_entropy.cpp delta: ((1 - t)/(1 - y + 1e-6) - t/(y + 1e-6)) / batch
    loss = _loss()
    d = np.empty_like(Y)
    y = Y.copy()
    loss.delta(T, y, d)
    np.testing.assert_array_equal(y, Y)        # EDDL adds eps to Y in place; this does not
    ref = ((1 - T) / (1 - Y + 1e-6) - T / (Y + 1e-6)) / Y.shape[0]
    np.testing.assert_allclose(d, ref, rtol=1e-12)
    # the offsets of value and delta differ (1e-5, 1e-6), so this matches to about 1e-4
    eps = 1e-6
    num = np.empty_like(Y)
    for i in np.ndindex(Y.shape):
        yp, ym = Y.copy(), Y.copy()
        yp[i] += eps
        ym[i] -= eps
        num[i] = (loss.value(T, yp) - loss.value(T, ym)) / (2 * eps) / Y.shape[0]
    np.testing.assert_allclose(d, num, rtol=1e-3)


def test_trains_a_sigmoid_output():
    eddl.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    t = (x[:, :1] > 0).astype(np.float32)
    inp = eddl.Input([3])
    net = eddl.Model([inp], [eddl.Sigmoid(eddl.Dense(inp, 1))])
    with pytest.warns(DeprecationWarning):
        eddl.build(net, eddl.sgd(0.5), ["deprecated_cross_entropy"], ["binary_accuracy"],
                   eddl.CS_CPU())
    eddl.fit(net, [eddl.Tensor(x)], [eddl.Tensor(t)], 16, 20)
    y = eddl.predict(net, [eddl.Tensor(x)])[0].numpy()
    assert ((y > 0.5) == (t > 0.5)).mean() > 0.9
