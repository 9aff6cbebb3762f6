"""eddl.callbacks.lr_finder: the range test on a tiny problem, and the exact restoration."""

import numpy as np
import pytest

import eddl
from eddl.callbacks import lr_finder

RNG = np.random.default_rng(7)
X = RNG.standard_normal((64, 4)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 1)]


def make(opt=None):
    eddl.set_seed(5)
    i = eddl.Input([4])
    h = eddl.Dropout(eddl.ReLu(eddl.BatchNormalization(eddl.Dense(i, 8))), 0.2)
    net = eddl.Model([i], [eddl.Softmax(eddl.Dense(h, 3))])
    eddl.build(net, opt or eddl.adam(0.003), ["softmax_cross_entropy"], ["accuracy"])
    return net


def _snapshot(net):
    return ([[p.copy() for p in ps] for ps in net.get_parameters()],
            {k: np.array(v, copy=True) for k, v in net.optimizer.get_state().items()})


def test_weights_optimizer_and_random_stream_restored_exactly():
    net = make()
    eddl.fit(net, [X], [Y], 16, 1, verbose=0)  # non-zero Adam moments and step count
    params, state = _snapshot(net)
    res = lr_finder(net, X, Y, 1e-5, 10.0, steps=60, batch=16)
    params2, state2 = _snapshot(net)
    for a, b in zip(params, params2):
        for p, q in zip(a, b):
            np.testing.assert_array_equal(p, q)
    assert state.keys() == state2.keys()
    for k in state:
        np.testing.assert_array_equal(state[k], state2[k])
    assert net.optimizer.lr == 0.003 and net.trmode == 1
    # training afterwards is the training without the test: the random stream (Dropout,
    # shuffling) was rewound too
    ref = make()
    eddl.fit(ref, [X], [Y], 16, 1, verbose=0)
    h = eddl.fit(net, [X], [Y], 16, 1, verbose=0)
    h_ref = eddl.fit(ref, [X], [Y], 16, 1, verbose=0)
    assert h[0]["loss"] == h_ref[0]["loss"]
    assert res.lrs.size >= 2


def test_curve_ramp_smoothing_divergence_and_suggestion(tmp_path):
    pytest.importorskip("matplotlib")  # the curve's PNG
    net = make(eddl.sgd(0.01))
    res = lr_finder(net, [X], [Y], 1e-4, 100.0, steps=80, batch=16, smooth=0.9, diverge=3.0,
                    path=tmp_path / "lr.png")
    n = res.lrs.size
    assert res.losses.size == res.raw_losses.size == n and 2 <= n <= 80
    np.testing.assert_allclose(res.lrs, 1e-4 * (1e6) ** (np.arange(n) / 79), rtol=1e-12)
    # bias-corrected exponential moving average of the raw losses
    avg, want = 0.0, []
    for i, v in enumerate(res.raw_losses):
        avg = 0.9 * avg + 0.1 * v
        want.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(res.losses, want, rtol=1e-12)
    # a rate of 100 with SGD diverges: stopped on the first smoothed loss above 3x the minimum
    assert res.diverged and n < 80
    assert res.losses[-1] > 3 * res.losses[:-1].min()
    assert (res.losses[:-1] <= 3 * np.minimum.accumulate(res.losses[:-1])).all()
    assert 1e-4 <= res.suggestion <= res.lrs[-1]
    # the suggestion is where the smoothed loss falls fastest against log(lr)
    lo, hi = 10, n - 1
    slope = np.gradient(res.losses[lo:hi], np.log(res.lrs[lo:hi]))
    assert res.suggestion == res.lrs[lo + int(np.argmin(slope))]
    assert slope.min() < 0
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"


def test_full_range_without_divergence_and_bad_arguments():
    net = make(eddl.sgd(0.01))
    res = lr_finder(net, X, Y, 1e-6, 1e-3, steps=12, batch=32)
    assert res.lrs.size == 12 and not res.diverged
    assert res.lrs[0] == 1e-6 and res.lrs[-1] == pytest.approx(1e-3, rel=1e-12)
    for kw, msg in ((dict(start_lr=1.0, end_lr=0.1), "start_lr"), (dict(steps=1), "steps"),
                    (dict(smooth=1.0), "smooth"), (dict(diverge=1.0), "diverge")):
        with pytest.raises(ValueError, match=msg):
            lr_finder(net, X, Y, **kw)
    with pytest.raises(ValueError, match="samples"):
        lr_finder(net, X, Y[:5])
