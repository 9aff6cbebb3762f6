"""Loss and metric values against NumPy references; user-defined losses and metrics."""

import numpy as np
import pytest

import eddl
from eddl.losses import get_loss, loss_names
from eddl.metrics import get_metric, metric_names

RNG = np.random.default_rng(0)
Y = RNG.uniform(0.05, 0.95, (6, 5))
T = RNG.uniform(0.0, 1.0, (6, 5))
OH = np.eye(5)[RNG.integers(0, 5, 6)]


@pytest.mark.parametrize("name,t,ref", [
    # EDDL src/losses/loss_mse.cpp: sum((T - Y)^2) / (values per sample)
    ("mse", T, ((Y - T) ** 2).sum() / 5),
    ("mae", T, np.abs(Y - T).sum() / 5),
    ("mse_mean", T, ((Y - T) ** 2).mean(1).sum()),
    ("mae_mean", T, np.abs(Y - T).mean(1).sum()),
    ("cross_entropy", OH, -(OH * np.log(Y)).sum()),
    ("soft_cross_entropy", OH, -(OH * np.log(Y)).sum()),
    ("binary_cross_entropy", T, -(T * np.log(Y) + (1 - T) * np.log(1 - Y)).sum()),
    ("dice", T, (1 - (2 * (Y * T).sum(1) + 1) / (Y.sum(1) + T.sum(1) + 1)).sum()),
    ("sparse_categorical_cross_entropy", OH.argmax(1).astype(float),
     -np.log(Y[np.arange(6), OH.argmax(1)]).sum()),
])
def test_loss_values(name, t, ref):
    assert get_loss(name).value(t, Y) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("name,t,ref", [
    ("categorical_accuracy", OH, (Y.argmax(1) == OH.argmax(1)).sum()),
    ("binary_accuracy", T, ((Y > 0.5) == (T > 0.5)).mean(1).sum()),
    # EDDL src/metrics/metric_mean_{squared,absolute,relative}_error.cpp divide by the values
    # per sample (5 here); the running sum is divided by the samples seen when reported
    ("mse", T, ((Y - T) ** 2).sum() / 5),
    ("mae", T, np.abs(Y - T).sum() / 5),
    ("mre", T, (np.abs(Y - T) / (np.abs(T) + 1e-7)).sum() / 5),
    ("sum", T, Y.sum()),
    ("iou", T, (((Y > .5) & (T > .5)).sum(1) + 1e-7).__truediv__(((Y > .5) | (T > .5)).sum(1) + 1e-7).sum()),
    ("dice", T, ((2 * ((Y > .5) & (T > .5)).sum(1) + 1e-7) / ((Y > .5).sum(1) + (T > .5).sum(1) + 1e-7)).sum()),
])
def test_metric_values(name, t, ref):
    assert get_metric(name).value(t, Y) == pytest.approx(ref, rel=1e-9)


def test_registries_list_valid_names():
    assert {"mse", "soft_cross_entropy", "dice", "bce", "none"} <= set(loss_names())
    assert {"categorical_accuracy", "accuracy", "iou", "none"} <= set(metric_names())
    assert get_loss("none") is None and get_metric("none") is None
    assert isinstance(eddl.getLoss("mse"), eddl.Loss)
    assert isinstance(eddl.getMetric("mse"), eddl.Metric)


def test_sparse_labels_are_checked():
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 5\)"):
        get_loss("sparse_categorical_cross_entropy").check_target(np.array([0, 5, 1, 1, 1, 1.0]), Y, "out")
    with pytest.raises(ValueError, match="target shape"):
        get_loss("mse").check_target(T[:, :3], Y, "out")


class PyMSE(eddl.Loss):
    # EDDL's LMeanSquaredError, written as a PyEDDL user would (pyeddl tests/test_py_loss_metric.py)
    def value(self, t, y):
        return float(((y - t) ** 2).sum()) / (y.size // y.shape[0])

    def delta(self, t, y, d):
        d[...] = (y - t) / y.shape[0]


class PyAcc(eddl.Metric):
    def value(self, t, y):
        return float((y.argmax(1) == t.argmax(1)).sum())


def test_user_defined_loss_and_metric_match_builtins():
    x = np.random.default_rng(1).standard_normal((20, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.arange(20) % 3]
    results = []
    for lo, me in [(PyMSE("py_mse"), PyAcc("py_acc")), ("mse", "categorical_accuracy")]:
        eddl.set_seed(7)
        i = eddl.Input([4])
        net = eddl.Model([i], [eddl.Sigmoid(eddl.Dense(i, 3))])
        eddl.build(net, eddl.sgd(0.1), [lo], [me])
        h = eddl.fit(net, [x], [y], 5, 2, verbose=0, shuffle=False)
        results.append((h[-1]["loss"][0], h[-1]["metric"][0]))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    assert results[0][1] == results[1][1]


def test_mse_and_mae_scale_as_eddl():
    # the example: zeros vs ones of shape [2, 10]. EDDL src/losses/loss_mse.cpp:
    # value = sum((T - Y)^2) / (size / batch) = 20 / 10 = 2.0; delta = (Y - T) / batch = 0.5.
    t, y = np.zeros((2, 10)), np.ones((2, 10))
    d = np.empty_like(y)
    mse = eddl.getLoss("mse")
    assert mse.value(t, y) == 2.0
    mse.delta(t, y, d)
    np.testing.assert_array_equal(d, np.full((2, 10), 0.5))
    assert eddl.getMetric("mse").value(t, y) == 2.0
    assert eddl.getMetric("mean_absolute_error").value(t, y) == 2.0
    mae = eddl.getLoss("mae")
    mae.delta(t, -y, d)
    np.testing.assert_array_equal(d, np.full((2, 10), -0.5))
    # the *_mean names have the exact gradient of the reported mean: 2 (Y - T) / (10 * 2)
    eddl.getLoss("mse_mean").delta(t, y, d)
    np.testing.assert_allclose(d, np.full((2, 10), 0.1))
    eddl.getLoss("mae_mean").delta(t, y, d)
    np.testing.assert_allclose(d, np.full((2, 10), 0.05))


@pytest.mark.parametrize("name", ["mse_mean", "mae_mean"])
def test_mean_losses_delta_is_the_gradient_of_the_mean(name):
    # finite differences of value / batch, the objective the reported loss averages
    loss = get_loss(name)
    d = np.empty_like(Y)
    loss.delta(T, Y, d)
    eps = 1e-6
    num = np.empty_like(Y)
    for i in np.ndindex(Y.shape):
        yp, ym = Y.copy(), Y.copy()
        yp[i] += eps
        ym[i] -= eps
        num[i] = (loss.value(T, yp) - loss.value(T, ym)) / (2 * eps) / Y.shape[0]
    np.testing.assert_allclose(d, num, rtol=1e-6, atol=1e-9)


def test_fit_reports_the_mean_over_values_as_eddl():
    # EDDL's print_loss divides the summed batch values by the samples seen, so a constant
    # error of 1 on every value reports loss 1.0 and metric 1.0 whatever the output width
    i = eddl.Input([3])
    net = eddl.Model([i], [eddl.Dense(i, 7, use_bias=False)])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["mse"])
    net.layers[1].params[0][...] = 0
    h = eddl.fit(net, [np.ones((4, 3), np.float32)], [np.ones((4, 7), np.float32)], 2, 1, verbose=0)
    assert h[-1]["loss"][0] == pytest.approx(1.0) and h[-1]["metric"][0] == pytest.approx(1.0)
