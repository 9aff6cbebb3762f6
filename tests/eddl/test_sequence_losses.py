"""Sequence cross-entropy with padding, token accuracy, exact match and perplexity.

References: float64 loops over the steps, scikit-learn's ``log_loss`` and ``accuracy_score``
on the valid tokens, central differences for the gradients.
"""

import math
import os
import sys

import numpy as np
import pytest

import eddl
from eddl.losses.sequence import SequenceCrossEntropy, sequence_cross_entropy
from eddl.metrics.sequence import perplexity, sequence_accuracy, token_accuracy

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402

N, T, V = 4, 5, 6


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _case(seed=0, pad_tail=True):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(N, T, V)) * 2
    ids = rng.integers(1, V, (N, T))
    if pad_tail:
        for i, n in enumerate([5, 3, 1, 4]):
            ids[i, n:] = 0
    return z, _softmax(z), ids


def _reference_nll(y, ids, pad=0, lengths=None):
    """Loop reference: list of -log y over the valid steps (float64)."""
    out = []
    for i in range(ids.shape[0]):
        for s in range(ids.shape[1]):
            if ids[i, s] == pad or (lengths is not None and s >= lengths[i]):
                continue
            out.append(-math.log(y[i, s, ids[i, s]]))
    return out


@pytest.mark.parametrize("onehot", [False, True])
def test_value_is_the_mean_over_valid_tokens(onehot):
    _, y, ids = _case()
    t = np.eye(V)[ids] if onehot else ids.astype(float)
    ref = _reference_nll(y, ids)
    assert sequence_cross_entropy(y, t) == pytest.approx(np.mean(ref), rel=1e-12)
    loss = eddl.getLoss("sequence_cross_entropy")
    # the loss protocol: the batch's mean times the batch
    assert loss.value(t, y) == pytest.approx(N * np.mean(ref), rel=1e-12)


def test_value_matches_sklearn_log_loss_on_the_valid_tokens():
    sk = pytest.importorskip("sklearn.metrics")
    _, y, ids = _case(1)
    valid = ids != 0
    expect = sk.log_loss(ids[valid], y[valid], labels=list(range(V)))
    assert sequence_cross_entropy(y, ids) == pytest.approx(expect, rel=1e-9)
    assert perplexity(y, ids) == pytest.approx(math.exp(expect), rel=1e-9)
    assert token_accuracy(y, ids) == pytest.approx(
        sk.accuracy_score(ids[valid], y[valid].argmax(axis=1)), rel=1e-12)


def test_lengths_and_pad_token_none():
    _, y, ids = _case(2, pad_tail=False)
    lengths = np.array([2, 5, 0, 3])
    ref = _reference_nll(y, ids, pad=None, lengths=lengths)
    assert sequence_cross_entropy(y, ids, pad_token=None, lengths=lengths) == \
        pytest.approx(np.mean(ref), rel=1e-12)
    ref_all = _reference_nll(y, ids, pad=None)
    assert sequence_cross_entropy(y, ids, pad_token=None) == pytest.approx(np.mean(ref_all))
    with pytest.raises(ValueError, match="lengths"):
        sequence_cross_entropy(y, ids, lengths=[1, 2, 9, 1])


def test_padding_steps_change_nothing():
    _, y, ids = _case(3)
    y2 = np.concatenate([y, _softmax(np.random.default_rng(0).normal(size=(N, 2, V)))], axis=1)
    ids2 = np.concatenate([ids, np.zeros((N, 2), dtype=ids.dtype)], axis=1)
    assert sequence_cross_entropy(y2, ids2) == pytest.approx(sequence_cross_entropy(y, ids))
    d = np.empty_like(y2)
    SequenceCrossEntropy().delta(ids2.astype(float), y2, d)
    assert not d[:, T:].any()


def _numeric(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (f(xp) - f(xm)) / (2 * eps)
    return g


@pytest.mark.parametrize("onehot", [False, True])
def test_delta_matches_finite_differences(onehot):
    _, y, ids = _case(4)
    t = np.eye(V)[ids] if onehot else ids.astype(float)
    loss = SequenceCrossEntropy()
    d = np.empty_like(y)
    loss.delta(t, y, d)
    num = _numeric(lambda a: loss.value(t, a) / N, y)
    np.testing.assert_allclose(d, num, rtol=1e-6, atol=1e-9)


def test_fused_delta_is_the_gradient_through_the_softmax():
    z, y, ids = _case(5)
    loss = SequenceCrossEntropy()
    d = np.empty_like(y)
    loss.fused_delta(ids.astype(float), y, d)
    num = _numeric(lambda a: loss.value(ids.astype(float), _softmax(a)) / N, z)
    np.testing.assert_allclose(d, num, rtol=1e-6, atol=1e-9)


def test_a_model_trains_through_the_fused_softmax():
    def make(x):
        return eddl.Softmax(eddl.Dense(eddl.GRU(x, 3, return_sequences=True), V))

    rng = np.random.default_rng(6)
    ids = rng.integers(0, V, (3, T)).astype(float)
    ids[0, 3:] = 0
    net = build_net(make, [(T, 2)], "sequence_cross_entropy")
    assert net._fused == [True]
    check_gradients(None, [(T, 2)], batch=3, targets=[ids], net=net)


def test_metrics_against_loops():
    _, y, ids = _case(7)
    pred = y.argmax(axis=2)
    valid = ids != 0
    assert token_accuracy(y, ids) == pytest.approx((pred == ids)[valid].mean())
    exact = [all(pred[i, s] == ids[i, s] for s in range(T) if ids[i, s]) for i in range(N)]
    assert sequence_accuracy(y, ids) == pytest.approx(np.mean(exact))
    y_right = np.eye(V)[ids] * 0.9 + 0.1 / V
    y_right[0, 4] = np.roll(y_right[0, 4], 1)    # one wrong token in sample 0
    assert sequence_accuracy(y_right, ids) == pytest.approx(0.75)
    assert token_accuracy(y_right, ids) == pytest.approx(1 - 1 / valid.sum())


def test_epoch_metrics_are_exact_over_batches():
    """The model's running mean equals the metric over all the tokens seen."""
    _, y, ids = _case(8)
    t = ids.astype(float)
    for name, fn in [("token_accuracy", token_accuracy), ("perplexity", perplexity),
                     ("sequence_accuracy", sequence_accuracy)]:
        m = eddl.getMetric(name)
        total = m.value(t[:3], y[:3]) + m.value(t[3:], y[3:])
        assert total / N == pytest.approx(fn(y, t), rel=1e-12), name
        m.reset()
        assert m.value(t[3:], y[3:]) == pytest.approx(fn(y[3:], t[3:]), rel=1e-12)


def test_sequence_loss_and_metrics_in_a_decoder_net():
    eddl.set_seed(0)
    src = eddl.Input([3])
    words = eddl.setDecoder(eddl.Input([T]), start_token=1)
    states = eddl.Reshape(eddl.Dense(src, 4), [1, 4])
    rec = eddl.GRU([eddl.Embedding(words, V, T, 3), states], 4, return_sequences=True)
    net = eddl.Model([src], [eddl.Softmax(eddl.Dense(rec, V))])
    eddl.build(net, eddl.adam(0.05), ["sequence_cross_entropy"], ["token_accuracy"],
               eddl.CS_CPU())
    rng = np.random.default_rng(9)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    ids = rng.integers(2, V, (8, T))
    ids[:, 3:] = 0   # padded after 3 tokens: an ids target is fed back shifted
    losses = [net.train_batch([x], [ids.astype(np.float32)])[0] / 8 for _ in range(60)]
    assert losses[-1] < 0.5 * losses[0]
    y = eddl.evaluate(net, [x], [ids.astype(np.float32)])
    assert y[1][0] > 0.9


def test_errors_name_the_problem():
    _, y, ids = _case(10)
    loss = eddl.getLoss("sequence_cross_entropy")
    with pytest.raises(ValueError, match=r"token id 6.0 is invalid; valid: integers in \[0, 5\]"):
        loss.check_target(np.full((N, T), 6.0), y, "out")
    with pytest.raises(ValueError, match="token id 1.5"):
        loss.check_target(np.full((N, T), 1.5), y, "out")
    with pytest.raises(ValueError, match="vocabulary size mismatch"):
        loss.check_target(np.zeros((N, T, V + 1)), y, "out")
    with pytest.raises(ValueError, match=r"one distribution per step, \[batch, T, V\]"):
        loss.check_target(ids[:, 0], y[:, 0], "out")
    with pytest.raises(ValueError, match="do not match the output"):
        loss.check_target(ids[:, :2].astype(float), y, "out")
    with pytest.raises(ValueError, match="pad_token=-1"):
        SequenceCrossEntropy(pad_token=-1)
    with pytest.raises(ValueError, match="token id 9"):
        token_accuracy(y, np.full((N, T), 9))
