"""show_profile / reset_profile: per-layer times and memory, nothing done while off."""

import numpy as np
import pytest

import eddl
from eddl.model import profile


@pytest.fixture(autouse=True)
def _profiling_off():
    yield
    profile.set_profiling(False)


def _net():
    x = eddl.Input([5], name="in")
    h = eddl.ReLu(eddl.Dense(x, 7, name="fc1"), name="act")
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(h, 3, name="fc2"), name="out")])
    eddl.build(net, eddl.sgd(0.1), ["soft_cross_entropy"], ["accuracy"])
    return net


X = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]


def test_off_by_default_and_the_profiled_loops_are_not_entered(monkeypatch):
    net = _net()
    assert not profile.profiling()

    def boom(*a):
        raise AssertionError("profiled loop entered while profiling is off")
    monkeypatch.setattr(profile, "forward", boom)
    monkeypatch.setattr(profile, "backward", boom)
    eddl.train_batch(net, [X], [Y])
    eddl.predict(net, [X])


def test_records_every_layer_pass_and_memory(capsys):
    net = _net()
    eddl.reset_profile()
    for _ in range(3):
        eddl.train_batch(net, [X], [Y])
    eddl.predict(net, [X])
    recs = {r[0].name: r for r in profile._records.values()}
    assert set(recs) == {"fc1", "act", "fc2", "out"}          # inputs do no work
    assert all(r[2] == 4 for r in recs.values())              # 3 training + 1 predict forwards
    assert recs["fc1"][4] == 3 and recs["fc1"][1] > 0 and recs["fc1"][3] > 0
    text = eddl.show_profile()
    assert text in capsys.readouterr().out
    assert text.startswith("Profile: 4 forward and 3 backward passes since reset_profile() (recording)")
    fc1 = net.get_layer("fc1")
    act, weights, scratch = profile._memory(fc1)
    assert weights == sum(a.nbytes for a in fc1.params + fc1.gradients)
    assert act == fc1.output.nbytes + fc1.delta.nbytes
    row = next(l for l in text.splitlines() if l.startswith("fc1 (Dense)")).split()
    assert row[-3:] == [f"{act / 2**20:.2f}", f"{weights / 2**20:.2f}", f"{scratch / 2**20:.2f}"]
    shares = [float(l.split()[-4]) for l in text.splitlines()
              if l.split() and l.split()[0] in recs]
    assert sum(shares) == pytest.approx(100, abs=0.3)


def test_stop_and_reset():
    net = _net()
    eddl.reset_profile()
    eddl.train_batch(net, [X], [Y])
    eddl.show_profile(stop=True)
    assert not profile.profiling()
    eddl.train_batch(net, [X], [Y])
    assert profile._passes == {"forward": 1, "backward": 1}
    eddl.reset_profile()
    assert profile._records == {} and profile.profiling()
    assert "nothing recorded" in eddl.show_profile()
