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
    ("mse", T, ((Y - T) ** 2).sum()),
    ("mae", T, np.abs(Y - T).sum()),
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
    ("mse", T, ((Y - T) ** 2).sum()),
    ("mae", T, np.abs(Y - T).sum()),
    ("mre", T, (np.abs(Y - T) / (np.abs(T) + 1e-7)).sum()),
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
    def value(self, t, y):
        return float(((y - t) ** 2).sum())

    def delta(self, t, y, d):
        d[...] = 2 * (y - t) / y.shape[0]


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
