"""Optimizer state export/import: a restored optimizer continues exactly where it stopped."""

import io

import numpy as np
import pytest

import eddl
from eddl.optimizers import SGD, AdaDelta, Adagrad, Adam, Adamax, AdamW, Nadam, ReduceLROnPlateau, RMSProp

MAKERS = {
    "sgd": lambda: SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda: Adam(0.01),
    "amsgrad": lambda: Adam(0.01, amsgrad=True),
    "adamw": lambda: AdamW(0.01, weight_decay=0.1),
    "rmsprop": lambda: RMSProp(0.01),
    "adagrad": lambda: Adagrad(0.05),
    "adadelta": lambda: AdaDelta(1.0),
    "adamax": lambda: Adamax(0.01),
    "nadam": lambda: Nadam(0.01),
}


def _net(make, seed=0):
    eddl.set_seed(seed)
    x = eddl.Input([5])
    h = eddl.ReLu(eddl.Dense(x, 7))
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, 3))])
    eddl.build(net, make(), ["softmax_cross_entropy"], ["categorical_accuracy"])
    return net


def _data(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
    return x, y


def _steps(net, n, x, y):
    for _ in range(n):
        eddl.train_batch(net, [x], [y])


def _weights(net):
    return [p.copy() for l in net.layers for p in l.params]


def _roundtrip(state):
    buf = io.BytesIO()
    np.savez(buf, **state)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_restored_optimizer_continues_exactly(name):
    x, y = _data()
    ref = _net(MAKERS[name])
    _steps(ref, 3, x, y)
    saved_w, saved_s = _weights(ref), _roundtrip(ref.optimizer.get_state())
    assert int(saved_s["iterations"]) == 3 and str(saved_s["optimizer"]) == ref.optimizer.name
    _steps(ref, 4, x, y)

    resumed = _net(MAKERS[name], seed=9)  # other initial weights: all must come from the save
    for p, w in zip((p for l in resumed.layers for p in l.params), saved_w):
        p[...] = w
    resumed.optimizer.set_state(saved_s)
    _steps(resumed, 4, x, y)
    for a, b in zip(_weights(ref), _weights(resumed)):
        np.testing.assert_array_equal(a, b)

    # the same restart without the optimizer state takes another path (the test can fail)
    fresh = _net(MAKERS[name], seed=9)
    for p, w in zip((p for l in fresh.layers for p in l.params), saved_w):
        p[...] = w
    _steps(fresh, 4, x, y)
    assert any(not np.array_equal(a, b) for a, b in zip(_weights(ref), _weights(fresh)))


def test_state_is_a_copy_and_plain_arrays():
    x, y = _data()
    net = _net(MAKERS["adam"])
    _steps(net, 2, x, y)
    state = net.optimizer.get_state()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state.values())
    before = state["slot/0/0"].copy()
    _steps(net, 1, x, y)
    np.testing.assert_array_equal(state["slot/0/0"], before)
    assert not np.array_equal(net.optimizer.states[0][0], before)
    assert "slot/0/2" not in state  # AMSGrad's maximum only exists when enabled


def test_set_state_rejects_mismatches_and_changes_nothing():
    x, y = _data()
    net = _net(MAKERS["adam"])
    _steps(net, 2, x, y)
    good = net.optimizer.get_state()
    other = _net(MAKERS["adam"], seed=3)
    snapshot = other.optimizer.get_state()

    def bad(**change):
        st = dict(good)
        for k, v in change.items():
            if v is None:
                del st[k.replace("__", "/")]
            else:
                st[k.replace("__", "/")] = v
        return st

    cases = [
        (bad(optimizer=np.array("sgd")), "for optimizer 'sgd'"),
        (bad(iterations=np.array(-1)), "iterations"),
        (bad(iterations=np.array(1.5)), "iterations"),
        (bad(lr=np.array(np.nan)), "lr"),
        (bad(slot__1__1=None), "missing"),
        (bad(slot__9__0=np.zeros(3, np.float32)), "unexpected"),
        (bad(slot__0__0=np.zeros((2, 2), np.float32)), "slot/0/0"),
        (bad(slot__0__1=np.zeros(good["slot/0/1"].shape, np.int32)), "slot/0/1"),
        (bad(lr=None), "'lr'"),
    ]
    for state, match in cases:
        with pytest.raises(ValueError, match=match):
            other.optimizer.set_state(state)
    after = other.optimizer.get_state()
    for k in snapshot:
        np.testing.assert_array_equal(after[k], snapshot[k])
    with pytest.raises(ValueError, match="built model"):
        Adam(0.01).get_state()
    with pytest.raises(ValueError, match="built model"):
        Adam(0.01).set_state(good)


def test_schedule_and_learning_rate_travel_with_the_state():
    x, y = _data()
    net = _net(MAKERS["sgd"])
    sched = ReduceLROnPlateau(factor=0.5, patience=0)
    net.optimizer.set_schedule(sched)
    for loss in (1.0, 2.0, 3.0):
        sched.on_epoch_end(0, loss)
    assert net.optimizer.lr == pytest.approx(0.0125)
    state = _roundtrip(net.optimizer.get_state())
    other = _net(MAKERS["sgd"])
    other_sched = ReduceLROnPlateau(factor=0.5, patience=0)
    other.optimizer.set_schedule(other_sched)
    other.optimizer.set_state(state)
    assert other.optimizer.lr == pytest.approx(0.0125)
    assert other_sched.best == 1.0 and other_sched.wait == sched.wait
    other_sched.on_epoch_end(0, 4.0)
    sched.on_epoch_end(0, 4.0)
    assert other.optimizer.lr == net.optimizer.lr
