"""Class-weighted, label-smoothed, pos_weight and focal cross-entropies; Tversky, focal
Tversky, generalized Dice and Dice+CE: values against float64 NumPy references, deltas against
central differences of the values."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.losses import get_loss
from eddl.losses.overlap import DiceCE, FocalTversky, GeneralizedDice, Tversky
from eddl.losses.weighted import (
    BinaryFocalLoss,
    FocalLoss,
    LabelSmoothingCrossEntropy,
    WeightedBinaryCrossEntropy,
    WeightedCrossEntropy,
)

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402

RNG = np.random.default_rng(11)
N, C = 4, 3
Z = RNG.normal(0, 1.5, (N, C))
P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)          # softmax rows
OH = np.eye(C)[RNG.integers(0, C, N)]
S = RNG.uniform(0.05, 0.95, (N, C))                       # sigmoid outputs
T = (RNG.random((N, C)) > 0.5).astype(float)
ZS = RNG.normal(0, 1.5, (N, C, 5, 4))                     # segmentation logits
PS = np.exp(ZS) / np.exp(ZS).sum(1, keepdims=True)
TS = np.moveaxis(np.eye(C)[RNG.integers(0, C, (N, 5, 4))], -1, 1)
TS[0, 2] = 0  # a class absent from one sample
TS[0, 0] = 1 - TS[0, 1]


def _fd(loss, t, y, eps=1e-6):
    num = np.empty_like(y)
    for i in np.ndindex(y.shape):
        yp, ym = y.copy(), y.copy()
        yp[i] += eps
        ym[i] -= eps
        num[i] = (loss.value(t, yp) - loss.value(t, ym)) / (2 * eps) / y.shape[0]
    return num


def _check_delta(loss, t, y, rtol=1e-6, atol=1e-9):
    d = np.empty_like(y)
    loss.delta(t, y, d)
    np.testing.assert_allclose(d, _fd(loss, t, y), rtol=rtol, atol=atol)


def _check_fused(loss, t, z, act, rtol=1e-6, atol=1e-9):
    """fused_delta against differences of loss(act(z)) with respect to z."""
    d = np.empty_like(z)
    loss.fused_delta(t, act(z), d)
    num = np.empty_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += 1e-6
        zm[i] -= 1e-6
        num[i] = (loss.value(t, act(zp)) - loss.value(t, act(zm))) / 2e-6 / z.shape[0]
    np.testing.assert_allclose(d, num, rtol=rtol, atol=atol)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


W = np.array([0.5, 2.0, 1.25])


@pytest.mark.parametrize("loss,ref", [
    (WeightedCrossEntropy(weights=W), -(W * OH * np.log(P)).sum()),
    (LabelSmoothingCrossEntropy(), -((OH * 0.9 + 0.1 / C) * np.log(P)).sum()),
    (WeightedCrossEntropy(weights=W, label_smoothing=0.2), -(W * (OH * 0.8 + 0.2 / C) * np.log(P)).sum()),
    (get_loss("weighted_cross_entropy"), -(OH * np.log(P)).sum()),
])
def test_weighted_and_smoothed_cross_entropy(loss, ref):
    assert loss.value(OH, P) == pytest.approx(ref, rel=1e-12)
    _check_delta(loss, OH, P)
    _check_fused(loss, OH, Z, softmax)


def test_smoothed_ce_matches_torch_style_definition():
    # label smoothing e: (1 - e) * CE + e * mean_c(-log p_c)
    e = 0.1
    ref = ((1 - e) * -(OH * np.log(P)).sum(1) + e * -np.log(P).mean(1)).sum()
    assert get_loss("label_smoothing_cross_entropy").value(OH, P) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("pw", [3.0, [0.5, 1.0, 4.0]])
def test_pos_weight_bce(pw):
    loss = WeightedBinaryCrossEntropy(pos_weight=pw)
    ref = -(np.asarray(pw) * T * np.log(S) + (1 - T) * np.log(1 - S)).sum()
    assert loss.value(T, S) == pytest.approx(ref, rel=1e-12)
    assert WeightedBinaryCrossEntropy().value(T, S) == pytest.approx(get_loss("bce").value(T, S), rel=1e-12)
    _check_delta(loss, T, S)
    _check_fused(loss, T, Z, sigmoid)


@pytest.mark.parametrize("gamma,alpha", [(2.0, 0.25), (0.5, None), (0.0, 0.7)])
def test_binary_focal(gamma, alpha):
    loss = BinaryFocalLoss(gamma=gamma, alpha=alpha)
    a, b = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)
    ref = -(a * T * (1 - S) ** gamma * np.log(S) + b * (1 - T) * S ** gamma * np.log(1 - S)).sum()
    assert loss.value(T, S) == pytest.approx(ref, rel=1e-12)
    _check_delta(loss, T, S)


@pytest.mark.parametrize("gamma,alpha", [(2.0, None), (0.5, W), (0.0, W)])
def test_multiclass_focal(gamma, alpha):
    loss = FocalLoss(gamma=gamma, alpha=alpha)
    a = 1.0 if alpha is None else alpha
    ref = -(a * OH * (1 - P) ** gamma * np.log(P)).sum()
    assert loss.value(OH, P) == pytest.approx(ref, rel=1e-12)
    _check_delta(loss, OH, P)
    if gamma == 0:
        assert loss.value(OH, P) == pytest.approx(WeightedCrossEntropy(weights=W).value(OH, P), rel=1e-12)


def _tversky_ref(t, y, a, b, g):
    out = 0.0
    for i in range(t.shape[0]):
        per = []
        for c in range(t.shape[1]):
            tt, yy = t[i, c].ravel(), y[i, c].ravel()
            tp = (yy * tt).sum()
            fp = (yy * (1 - tt)).sum()
            fn = ((1 - yy) * tt).sum()
            per.append((1 - (tp + 1e-5) / (tp + a * fp + b * fn + 1e-5)) ** g)
        out += np.mean(per)
    return out


@pytest.mark.parametrize("loss,args", [(Tversky(), (0.3, 0.7, 1.0)), (FocalTversky(), (0.3, 0.7, 0.75)),
                                       (Tversky(alpha=0.5, beta=0.5), (0.5, 0.5, 1.0))])
def test_tversky_family(loss, args):
    assert loss.value(TS, PS) == pytest.approx(_tversky_ref(TS, PS, *args), rel=1e-12)
    _check_delta(loss, TS, PS)


def test_tversky_half_half_is_dice():
    # TI(0.5, 0.5) = (2 TP + 2s) / (2 TP + FP + FN + 2s): Dice with the smoothing doubled
    ref = 0.0
    for i in range(N):
        inter = (PS[i] * TS[i]).sum((1, 2))
        tot = PS[i].sum((1, 2)) + TS[i].sum((1, 2))
        ref += (1 - (2 * inter + 2e-5) / (tot + 2e-5)).mean()
    assert Tversky(alpha=0.5, beta=0.5).value(TS, PS) == pytest.approx(ref, rel=1e-12)


def test_generalized_dice():
    ref = 0.0
    for i in range(N):
        g = TS[i].sum((1, 2))
        with np.errstate(divide="ignore"):
            w = 1 / g ** 2
        inf = np.isinf(w)
        w[inf] = 0
        w = w + inf * w.max()
        inter = (PS[i] * TS[i]).sum((1, 2))
        tot = PS[i].sum((1, 2)) + g
        ref += 1 - (2 * (w * inter).sum() + 1e-5) / ((w * tot).sum() + 1e-5)
    loss = get_loss("generalized_dice")
    assert loss.value(TS, PS) == pytest.approx(ref, rel=1e-12)
    _check_delta(loss, TS, PS)


def _dice_ce_ref(t, z, ld=1.0, lce=1.0):
    out = 0.0
    for i in range(t.shape[0]):
        zi, ti = z[i].reshape(z.shape[1], -1), t[i].reshape(t.shape[1], -1)
        if zi.shape[0] == 1:
            p = 1 / (1 + np.exp(-zi))
            ce = -(ti * np.log(p) + (1 - ti) * np.log(1 - p)).mean()
        else:
            p = np.exp(zi) / np.exp(zi).sum(0)
            ce = -(ti * np.log(p)).sum(0).mean()
        dice = (1 - (2 * (p * ti).sum(1) + 1e-5) / (p.sum(1) + ti.sum(1) + 1e-5)).mean()
        out += ld * dice + lce * ce
    return out


@pytest.mark.parametrize("ld,lce", [(1.0, 1.0), (0.3, 2.0)])
def test_dice_ce_softmax(ld, lce):
    loss = DiceCE(lambda_dice=ld, lambda_ce=lce)
    assert loss.value(TS, ZS) == pytest.approx(_dice_ce_ref(TS, ZS, ld, lce), rel=1e-12)
    _check_delta(loss, TS, ZS)


def test_dice_ce_one_channel_sigmoid():
    t = (RNG.random((3, 1, 4, 4)) > 0.5).astype(float)
    z = RNG.normal(0, 2, (3, 1, 4, 4))
    loss = get_loss("dice_ce")
    assert loss.value(t, z) == pytest.approx(_dice_ce_ref(t, z), rel=1e-12)
    _check_delta(loss, t, z)


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="label_smoothing"):
        WeightedCrossEntropy(label_smoothing=1.0)
    with pytest.raises(ValueError, match="weights"):
        WeightedCrossEntropy(weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="one value per class"):
        WeightedCrossEntropy(weights=[1.0, 2.0]).value(OH, P)
    with pytest.raises(ValueError, match="gamma"):
        FocalLoss(gamma=-1)
    with pytest.raises(ValueError, match="alpha"):
        BinaryFocalLoss(alpha=1.5)
    with pytest.raises(ValueError, match=r"\[N, C, \.\.\.\]"):
        Tversky().check_target(np.ones(3), np.ones(3), "out")


def test_string_names():
    for name, cls in [("wce", WeightedCrossEntropy), ("label_smoothing_cross_entropy", LabelSmoothingCrossEntropy),
                      ("pos_weight_bce", WeightedBinaryCrossEntropy), ("focal_loss", FocalLoss),
                      ("binary_focal_loss", BinaryFocalLoss), ("tversky", Tversky),
                      ("focal_tversky", FocalTversky), ("gdl", GeneralizedDice), ("dice_ce", DiceCE)]:
        assert type(get_loss(name)) is cls


@pytest.mark.parametrize("loss,make,targets", [
    ("focal_loss", lambda x: eddl.Softmax(eddl.Dense(x, 3)), "onehot"),
    ("wce", lambda x: eddl.Softmax(eddl.Dense(x, 3)), "onehot"),
    ("pos_weight_bce", lambda x: eddl.Sigmoid(eddl.Dense(x, 3)), "prob"),
])
def test_gradients_through_a_model(loss, make, targets):
    check_gradients(make, [(4,)], losses=loss, targets=targets, rtol=1e-5, atol=1e-8)


def test_dice_ce_gradients_through_a_conv_model():
    check_gradients(lambda x: eddl.Conv2D(x, 3, [3, 3]), [(1, 4, 5)], losses="dice_ce",
                    targets=[np.moveaxis(np.eye(3)[np.random.default_rng(0).integers(0, 3, (3, 4, 5))], -1, 1)],
                    rtol=1e-5, atol=1e-8)
