"""Segmentation losses and metrics: soft Jaccard, binary cross-entropy on logits, pixel
accuracy, and the PyEDDL/Keras aliases; values against NumPy, gradients by finite differences."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.losses import get_loss
from eddl.metrics import get_metric

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402

RNG = np.random.default_rng(5)
Y = RNG.uniform(0.05, 0.95, (4, 2, 3, 5))
T = (RNG.uniform(0.0, 1.0, (4, 2, 3, 5)) > 0.5).astype(float)
Z = RNG.normal(0, 3, (4, 2, 3, 5))


def _flat(a):
    return a.reshape(a.shape[0], -1)


def test_jaccard_loss_value():
    i = _flat(Y * T).sum(1)
    u = _flat(Y).sum(1) + _flat(T).sum(1) - i
    for name in ("jaccard", "iou", "jaccard_loss", "iou_loss"):
        assert get_loss(name).value(T, Y) == pytest.approx((1 - (i + 1) / (u + 1)).sum(), rel=1e-12)


def test_bce_with_logits_matches_bce_of_sigmoid_and_survives_huge_logits():
    ref = get_loss("bce").value(T, 1 / (1 + np.exp(-Z)))
    for name in ("binary_cross_entropy_with_logits", "bce_with_logits", "bce_logits"):
        assert get_loss(name).value(T, Z) == pytest.approx(ref, rel=1e-9)
    z = np.array([[-800.0, 800.0, 0.0]])
    t = np.array([[1.0, 0.0, 1.0]])
    loss = get_loss("bce_with_logits")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert loss.value(t, z) == pytest.approx(1600 + np.log(2))
        d = np.empty_like(z)
        loss.delta(t, z, d)
    np.testing.assert_allclose(d, [[-1.0, 1.0, -0.5]])


@pytest.mark.parametrize("loss,make", [
    ("jaccard", lambda x: eddl.Sigmoid(eddl.Conv2D(x, 2, [3, 3]))),
    ("dice_loss", lambda x: eddl.Sigmoid(eddl.Conv2D(x, 2, [3, 3]))),
    ("bce_with_logits", lambda x: eddl.Conv2D(x, 2, [3, 3])),
])
def test_gradients(loss, make):
    check_gradients(make, [(1, 4, 5)], losses=loss, targets="prob", rtol=1e-5, atol=1e-8)


def test_pixel_accuracy_multichannel_and_binary():
    ref = _flat(Y.argmax(1) == T.argmax(1)).mean(1).sum()
    assert get_metric("pixel_accuracy").value(T, Y) == pytest.approx(ref, rel=1e-12)
    y1, t1 = Y[:, :1], T[:, :1]
    ref1 = _flat((y1 > 0.5) == (t1 > 0.5)).mean(1).sum()
    assert get_metric("pixel_acc").value(t1, y1) == pytest.approx(ref1, rel=1e-12)
    # a perfect prediction scores one per sample
    assert get_metric("pixel_accuracy").value(T, T) == 4


def test_metric_aliases():
    yb, tb = _flat(Y > 0.5), _flat(T > 0.5)
    iou = ((yb & tb).sum(1) + 1e-7) / ((yb | tb).sum(1) + 1e-7)
    for name in ("iou", "jaccard", "jaccard_index"):
        assert get_metric(name).value(T, Y) == pytest.approx(iou.sum(), rel=1e-9)
    assert get_metric("dice_coefficient").value(T, Y) == get_metric("dice").value(T, Y)


def test_segmentation_net_trains_with_logits_loss():
    eddl.set_seed(0)
    x = eddl.Input([1, 8, 8])
    out = eddl.Conv2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), 1, [3, 3])
    net = eddl.Model([x], [out])
    eddl.build(net, eddl.adam(0.01), ["bce_with_logits"], ["pixel_accuracy"], eddl.CS_CPU(th=1))
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    ys = (xs > 0.3).astype(np.float32)
    first = None
    for _ in range(200):
        eddl.reset_loss(net)
        eddl.train_batch(net, [xs], [ys])
        first = first if first is not None else eddl.get_losses(net)[0]
    eddl.reset_loss(net)
    eddl.evaluate(net, [xs], [ys], verbose=0)
    assert eddl.get_losses(net)[0] < 0.3 * first
    # logits: 0 is the decision boundary, so threshold the sigmoid for pixel accuracy
    pred = eddl.predict(net, [xs])[0]
    assert ((np.asarray(pred) > 0) == (ys > 0.5)).mean() > 0.95
