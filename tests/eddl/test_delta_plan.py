"""Shared gradient buffers in training (DeltaPlan): same results, a fraction of the memory.

Training with the layers' deltas sharing buffers must give bit-identical weights to training
with one buffer per layer (the same kernels run on the same values, only the memory differs);
no two deltas live at the same backward step may share a buffer; reading an inner delta is
refused with a message, and gradients given from outside (graph-defined losses) still work.
"""

import numpy as np
import pytest

import eddl
from eddl.model.memory_plan import DeltaPlan, assign_slots


def _net(make, share, seed=0):
    eddl.set_seed(seed)
    net = make()
    eddl.build(net, eddl.sgd(0.01, 0.9), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    net.set_delta_sharing(share)
    return net


def _resnet():
    return eddl.zoo.resnet18([3, 16, 16], 5)


def _mlp():
    x = eddl.Input([12])
    h = eddl.ReLu(eddl.BatchNormalization(eddl.Dense(x, 16)))
    h = eddl.Dropout(eddl.Add([eddl.Dense(h, 16), h]), 0.2)
    return eddl.Model([x], [eddl.Softmax(eddl.Dense(h, 5))])


def _data(net, rng, n=6):
    x = rng.standard_normal((n,) + net.lin[0].shape).astype(np.float32)
    shape = net.lout[0].shape
    y = np.zeros((n,) + shape, np.float32)
    if len(shape) == 1:
        y[np.arange(n), rng.integers(0, shape[0], n)] = 1
    else:
        y[:, 0] = 1
    return x, y


@pytest.mark.parametrize("make", [_resnet, _mlp], ids=["resnet18", "mlp"])
def test_shared_deltas_train_exactly_as_separate_ones(rng, make):
    shared, alone = _net(make, True), _net(make, False)
    assert shared.delta_plan is not None and alone.delta_plan is None
    assert len(shared.delta_plan.slot_elements) < len(shared.delta_plan.slot_of)
    for step in range(3):
        x, y = _data(shared, rng, n=6 - step)  # batch sizes change: the slots are cut again
        shared.train_batch([x], [y])
        alone.train_batch([x], [y])
    for a, b in zip(shared.layers, alone.layers):
        for p, q in zip(a.params, b.params):
            np.testing.assert_array_equal(p, q)


def test_shared_delta_memory_is_a_fraction(rng):
    net = _net(_resnet, True)
    plan = net.delta_plan
    every = sum(int(np.prod(l.shape)) for l in plan.slot_of)
    assert plan.bytes_per_sample(4) < 0.3 * every * 4


def test_no_two_live_deltas_share_a_slot():
    net = _net(_resnet, True)
    back, plan = net._back, net.delta_plan
    end = {l: k for k, l in enumerate(back)}
    for i, a in enumerate(list(plan.slot_of)):
        for b in list(plan.slot_of)[i + 1:]:
            if plan.slot_of[a] == plan.slot_of[b]:
                assert end[a] < plan.starts[b] or end[b] < plan.starts[a], (a.name, b.name)
    for l in plan.slot_of:  # a delta starts at its first child's step
        kids = [end[c] for c in l.children if c in end]
        assert plan.starts[l] == min(kids + [end[l]])
    assert not set(plan.slot_of) & set(net.lout)


def test_assign_slots_on_random_intervals():
    rng = np.random.default_rng(3)
    for _ in range(50):
        items = sorted(((k, int(s), int(s + rng.integers(0, 6)), int(rng.integers(1, 9)))
                        for k, s in enumerate(rng.integers(0, 20, 15))), key=lambda t: t[1])
        slot_of, sizes = assign_slots(items)
        for a in items:
            assert sizes[slot_of[a[0]]] >= a[3]
            for b in items:
                if a[0] < b[0] and slot_of[a[0]] == slot_of[b[0]]:
                    assert a[2] < b[1] or b[2] < a[1]


def test_inner_deltas_are_refused_and_sharing_can_be_turned_off(rng):
    net = _net(_mlp, True)
    x, y = _data(net, rng)
    net.train_batch([x], [y])
    inner = next(l for l in net.layers if net.delta_plan.planned(l))
    with pytest.raises(RuntimeError, match="set_delta_sharing"):
        eddl.getDelta(inner)
    with pytest.raises(RuntimeError, match="set_delta_sharing"):
        eddl.copyDelta(inner, inner)
    assert np.isfinite(eddl.getDelta(net.lout[0]).numpy()).all()  # outputs keep theirs
    net.set_delta_sharing(False)
    net.train_batch([x], [y])
    assert np.isfinite(eddl.getDelta(inner).numpy()).all()


def test_gradients_given_for_inner_layers_turn_sharing_off(rng):
    # a graph-defined loss hands the gradient of an inner layer to backward_from: that
    # delta is live before its children's steps, which the plan did not assume
    shared, alone = _net(_mlp, True), _net(_mlp, False)
    x, _ = _data(shared, rng)
    for net in (shared, alone):
        net.set_mode(eddl.TRMODE)
        net.set_inputs([x])
        net.forward()
    add = [next(l for l in net.layers if type(l).__name__ == "Add") for net in (shared, alone)]
    assert shared.delta_plan.planned(add[0])
    d = rng.standard_normal((x.shape[0],) + add[0].shape).astype(np.float32)
    for net, layer in zip((shared, alone), add):
        net.backward_from([layer], [d])
    assert shared.delta_plan is None
    for a, b in zip(shared.layers, alone.layers):
        for p, q in zip(a.gradients, b.gradients):
            np.testing.assert_array_equal(p, q)


def test_delta_plan_keeps_inputs_and_recurrent_layers_alone():
    x = eddl.Input([5, 3])
    h = eddl.LSTM(x, 4)
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 2))])
    eddl.build(net, eddl.sgd(), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    net.input_grads = True
    net._plan()
    plan = DeltaPlan(net._back, net.lout)
    assert x not in plan.slot_of and h not in plan.slot_of
