"""BatchNormalization's moving statistics travel with the weights: save/load (.bin, .npz),
get/set_parameters and copyParam between nets."""

import numpy as np
import pytest

import eddl


def _bn_net(seed):
    eddl.set_seed(seed)
    x = eddl.Input([3, 6, 6])
    h = eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3]), affine=True))
    h = eddl.BatchNormalization(eddl.Dense(eddl.Flatten(h), 5), affine=False)
    net = eddl.Model([x], [eddl.Softmax(h)])
    eddl.build(net, eddl.sgd(0.05, 0.9), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(th=1))
    return net


def _trained(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((16, 3, 6, 6)).astype(np.float32) * 2 + 1
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 16)]
    net = _bn_net(1)
    for _ in range(4):
        eddl.train_batch(net, [x], [y])
    return net, x


def _predict(net, x):
    return np.array(eddl.predict(net, [x])[0])


def _bns(net):
    return [l for l in net.layers if type(l).__name__ == "BatchNormalization"]


def test_training_moves_the_statistics():
    net, _ = _trained()
    for l in _bns(net):
        assert not np.allclose(l.states[0], 0) and not np.allclose(l.states[1], 1)


@pytest.mark.parametrize("fmt", ["bin", "npz"])
def test_save_load_restores_moving_statistics(tmp_path, fmt):
    net, x = _trained()
    ref = _predict(net, x)
    f = str(tmp_path / f"w.{fmt}")
    eddl.save(net, f, fmt)
    fresh = _bn_net(7)
    assert not np.allclose(_predict(fresh, x), ref)
    eddl.load(fresh, f, fmt)
    np.testing.assert_array_equal(_predict(fresh, x), ref)
    for a, b in zip(_bns(net), _bns(fresh)):
        for sa, sb in zip(a.states, b.states):
            np.testing.assert_array_equal(sa, sb)


def test_bin_layout_puts_statistics_after_gamma_beta(tmp_path):
    net, _ = _trained()
    f = tmp_path / "w.bin"
    eddl.save(net, str(f))
    raw = f.read_bytes()
    arrays, pos = [], 0
    while pos < len(raw):
        nd = int(np.frombuffer(raw, "<i4", 1, pos)[0])
        shape = tuple(np.frombuffer(raw, "<i4", nd, pos + 4))
        pos += 4 + 4 * nd
        n = int(np.prod(shape))
        arrays.append(np.frombuffer(raw, "<f4", n, pos).reshape(shape))
        pos += 4 * n
    expected = [a for l in net.layers for a in list(l.params) + list(l.states)]
    assert len(arrays) == len(expected)
    for a, e in zip(arrays, expected):
        np.testing.assert_array_equal(a, e)
    bn = _bns(net)[0]
    i = sum(len(l.params) + len(l.states) for l in net.layers[:net.layers.index(bn)])
    np.testing.assert_array_equal(arrays[i + 2], bn.states[0])  # bn_g, bn_b, mean, variance
    np.testing.assert_array_equal(arrays[i + 3], bn.states[1])


def test_get_set_parameters_include_states():
    net, x = _trained()
    ref = _predict(net, x)
    params = eddl.get_parameters(net, deepcopy=True)
    bn = _bns(net)[0]
    assert len(params[net.layers.index(bn)]) == 4
    fresh = _bn_net(7)
    eddl.set_parameters(fresh, params)
    np.testing.assert_array_equal(_predict(fresh, x), ref)
    # lists without the states are still accepted and leave the statistics alone
    fresh2 = _bn_net(7)
    eddl.set_parameters(fresh2, [[p for p in ps][:len(l.params)] for l, ps in zip(net.layers, params)])
    np.testing.assert_array_equal(_bns(fresh2)[0].states[1], 1)


def test_set_parameters_bad_entry_changes_nothing():
    net, _ = _trained()
    fresh = _bn_net(7)
    before = [p.copy() for ps in fresh.get_parameters() for p in ps]
    params = eddl.get_parameters(net, deepcopy=True)
    i = net.layers.index(_bns(net)[1])
    params[i] = list(params[i]) + [np.zeros(3)]
    with pytest.raises(ValueError, match="set_parameters"):
        eddl.set_parameters(fresh, params)
    params = eddl.get_parameters(net, deepcopy=True)
    params[i][1] = np.zeros(4)
    with pytest.raises(ValueError, match="shape"):
        eddl.set_parameters(fresh, params)
    for a, b in zip(before, [p for ps in fresh.get_parameters() for p in ps]):
        np.testing.assert_array_equal(a, b)


def test_copy_param_copies_states_and_get_state():
    net, x = _trained()
    ref = _predict(net, x)
    fresh = _bn_net(7)
    for a, b in zip(net.layers, fresh.layers):
        eddl.copyParam(a, b)
    np.testing.assert_array_equal(_predict(fresh, x), ref)
    bn = _bns(fresh)[0]
    np.testing.assert_array_equal(eddl.getState(bn, 0).numpy(), _bns(net)[0].states[0])
    assert len(eddl.getStates(bn)) == 2 and eddl.getStates(net.layers[0]) == []
    with pytest.raises(IndexError, match="2 states"):
        eddl.getState(bn, 2)
