"""Model building, coarse and fine-grained training, persistence and error messages."""

import os

import numpy as np
import pytest

import eddl
from eddl.model import NonFiniteLossError


def mlp(n_in=8, hidden=16, n_out=3, act=eddl.ReLu):
    x = eddl.Input([n_in])
    h = act(eddl.Dense(x, hidden))
    y = eddl.Softmax(eddl.Dense(h, n_out))
    return eddl.Model([x], [y])


def blobs(n=240, n_in=8, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_out, n_in)) * 3
    lab = rng.integers(0, n_out, n)
    x = (centers[lab] + rng.standard_normal((n, n_in))).astype(np.float32)
    return x, np.eye(n_out, dtype=np.float32)[lab]


def built(opt=None, seed=0, **kw):
    eddl.set_seed(seed)
    net = mlp(**kw)
    eddl.build(net, opt or eddl.sgd(0.05, 0.9), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    return net


def test_listing6_shape_network_learns_blobs(capsys):
    x, y = blobs()
    net = built(eddl.rmsprop(0.01))
    hist = eddl.fit(net, [x], [y], 32, 5)
    out = capsys.readouterr().out
    assert "Epoch 5/5" in out and "loss[soft_cross_entropy]" in out and "secs/batch" in out
    assert hist[-1]["loss"][0] < hist[0]["loss"][0]
    losses, metrics = eddl.evaluate(net, [eddl.Tensor(x)], [eddl.Tensor(y)])
    assert metrics[0] > 0.95
    p = eddl.predict(net, [x])[0].numpy()
    assert p.shape == (240, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    assert ((p.argmax(1) == y.argmax(1)).mean()) == pytest.approx(metrics[0])


def test_fit_is_the_fine_grained_loop():
    x, y = blobs(64)
    a, b = built(seed=3), built(seed=3)
    eddl.fit(a, [x], [y], 16, 1, verbose=0, shuffle=False)
    for s in range(0, 64, 16):
        eddl.train_batch(b, [x], [y], list(range(s, s + 16)))
    for pa, pb in zip(eddl.get_parameters(a), eddl.get_parameters(b)):
        for ta, tb in zip(pa, pb):
            np.testing.assert_array_equal(ta.numpy(), tb.numpy())


def test_manual_forward_backward_update_matches_train_batch():
    x, y = blobs(20)
    a, b = built(seed=5), built(seed=5)
    a.train_batch([x], [y])
    eddl.forward(b, [eddl.Tensor(x)])
    eddl.zeroGrads(b)
    eddl.backward(b, [eddl.Tensor(y)])
    eddl.update(b)
    for la, lb in zip(a.layers, b.layers):
        for pa, pb in zip(la.params, lb.params):
            np.testing.assert_allclose(pa, pb, rtol=1e-6)
    assert eddl.get_losses(b)[0] == pytest.approx(eddl.get_losses(a)[0], rel=1e-6)


def test_seed_makes_training_reproducible():
    x, y = blobs(64)
    runs = []
    for _ in range(2):
        net = built(seed=11)
        net.lout[0].parents[0].parents[0]  # graph unchanged
        eddl.fit(net, [x], [y], 16, 2, verbose=0)
        runs.append(np.concatenate([p.ravel() for l in net.layers for p in l.params]))
    np.testing.assert_array_equal(runs[0], runs[1])
    other = built(seed=12)
    assert not np.array_equal(runs[0][:50], np.concatenate([p.ravel() for l in other.layers for p in l.params])[:50])


def test_multi_input_multi_output_dag():
    eddl.set_seed(0)
    a, b = eddl.Input([4]), eddl.Input([3])
    shared = eddl.Tanh(eddl.Dense(eddl.Concat([a, b]), 8))
    o1 = eddl.Softmax(eddl.Dense(shared, 2))
    o2 = eddl.Dense(eddl.Add([eddl.Dense(shared, 5), eddl.Dense(b, 5)]), 1)
    net = eddl.Model([a, b], [o1, o2])
    eddl.build(net, eddl.adam(0.01), ["soft_cross_entropy", "mse"], ["categorical_accuracy", "mse"])
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((50, 4)), rng.standard_normal((50, 3))
    y1 = np.eye(2)[(xa[:, 0] > 0).astype(int)]
    y2 = xb.sum(axis=1, keepdims=True)
    h = eddl.fit(net, [xa, xb], [y1, y2], 10, 30, verbose=0)
    assert h[-1]["loss"][1] < 0.2 * h[0]["loss"][1]
    assert h[-1]["metric"][0] > 0.9


def test_frozen_layer_is_not_updated_and_unfreeze():
    x, y = blobs(32)
    net = built()
    first = net.layers[1]
    eddl.setTrainable(net, first.name, False)
    before = first.params[0].copy()
    eddl.fit(net, [x], [y], 16, 1, verbose=0)
    np.testing.assert_array_equal(first.params[0], before)
    eddl.unfreeze(net)
    eddl.fit(net, [x], [y], 16, 1, verbose=0)
    assert not np.array_equal(first.params[0], before)


def test_copy_params_between_nets_and_set_mode():
    a, b = built(seed=1), built(seed=2)
    for la, lb in zip(a.layers, b.layers):
        if la.params:
            eddl.copyParam(la, lb)
    x, _ = blobs(10)
    np.testing.assert_array_equal(eddl.predict(a, [x])[0].numpy(), eddl.predict(b, [x])[0].numpy())
    eddl.set_mode(a, 0)
    assert all(l.mode == 0 for l in a.layers)


@pytest.mark.parametrize("fmt", ["bin", "npz"])
def test_save_load_roundtrip(tmp_path, fmt):
    a, b = built(seed=1), built(seed=2)
    f = str(tmp_path / f"w.{fmt}")
    eddl.save(a, f, fmt)
    eddl.load(b, f, fmt)
    for la, lb in zip(a.layers, b.layers):
        for pa, pb in zip(la.params, lb.params):
            np.testing.assert_array_equal(pa, pb)


def test_bin_layout_is_eddls(tmp_path):
    net = built()
    f = str(tmp_path / "w.bin")
    eddl.save(net, f)
    raw = open(f, "rb").read()
    assert np.frombuffer(raw[:12], "<i4").tolist() == [2, 8, 16]
    np.testing.assert_array_equal(np.frombuffer(raw[12:12 + 4 * 128], "<f4").reshape(8, 16),
                                  net.layers[1].params[0])
    expected = sum(4 + 4 * p.ndim + 4 * p.size for l in net.layers for p in l.params)
    assert len(raw) == expected


def test_load_errors_name_the_problem(tmp_path):
    net = built()
    other = built(hidden=17)
    f = str(tmp_path / "w.bin")
    eddl.save(net, f)
    with pytest.raises(ValueError, match=r"dense\d+/W.*\[8, 16\].*\[8, 17\]"):
        eddl.load(other, f)
    open(f, "r+b").truncate(100)
    with pytest.raises(ValueError, match="truncated|ends before"):
        eddl.load(net, f)
    g = str(tmp_path / "w.npz")
    with open(g, "wb") as fh:
        fh.write(b"not a zip file at all")
    with pytest.raises(ValueError, match="npz"):
        eddl.load(net, g, "npz")
    eddl.save(net, g, "npz")
    with pytest.raises(ValueError, match="W"):
        eddl.load(other, g, "npz")
    with pytest.raises(ValueError, match="format"):
        eddl.save(net, g, "pickle")


def test_npz_with_object_arrays_is_refused(tmp_path):
    net = built()
    f = str(tmp_path / "evil.npz")
    names = {f"{l.name}/{n}": np.array([object()], dtype=object) for l in net.layers for n in l.param_names}
    np.savez(f, **names)
    with pytest.raises(ValueError):
        eddl.load(net, f, "npz")


def test_build_errors():
    net = mlp()
    with pytest.raises(ValueError, match="unknown loss 'nope'.*soft_cross_entropy"):
        eddl.build(net, eddl.sgd(), ["nope"], ["accuracy"])
    with pytest.raises(ValueError, match="unsupported metric.*categorical_accuracy"):
        eddl.build(net, eddl.sgd(), ["mse"], ["nope"])
    with pytest.raises(ValueError, match="2 losses given for 1 outputs"):
        eddl.build(net, eddl.sgd(), ["mse", "mse"], ["mse", "mse"])
    with pytest.raises(ValueError, match="both"):
        eddl.build(net, eddl.sgd(), ["mse"])
    with pytest.raises(ValueError, match="unknown optimizer.*adam"):
        from eddl.optimizers import get_optimizer
        get_optimizer("adamm")
    with pytest.raises(RuntimeError, match="not built"):
        eddl.fit(mlp(), [np.zeros((2, 8))], [np.zeros((2, 3))], 1, 1)


def test_shape_errors_name_layers_and_shapes():
    a = eddl.Input([4], name="a")
    b = eddl.Input([5], name="b")
    with pytest.raises(ValueError, match=r"Add layer.*same shape.*a \[4\].*b \[5\]"):
        eddl.Add([a, b])
    with pytest.raises(ValueError, match=r"Reshape.*\[4\]"):
        eddl.Reshape(a, [3])
    with pytest.raises(ValueError, match="not among the model inputs"):
        eddl.Model([a], [eddl.Add([eddl.Dense(a, 3), eddl.Dense(b, 3)])])


def test_fit_data_errors():
    net = built()
    x, y = blobs(20)
    with pytest.raises(ValueError, match="different numbers of samples"):
        eddl.fit(net, [x], [y[:10]], 5, 1)
    with pytest.raises(ValueError, match=r"\[7\].*input1|input.*\[8\]"):
        eddl.fit(net, [x[:, :7]], [y], 5, 1)
    with pytest.raises(ValueError, match=r"targets\[0\].*\[4\]"):
        eddl.fit(net, [x], [np.zeros((20, 4))], 5, 1)
    with pytest.raises(ValueError, match="expected 1 array"):
        eddl.fit(net, [x, x], [y], 5, 1)


def test_nan_loss_stops_with_epoch_and_batch(capsys):
    net = built()
    x, y = blobs(64)
    x[40] = np.nan
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, batch 3/4"):
        eddl.fit(net, [x], [y], 16, 2, verbose=0, shuffle=False)
    net = built()
    assert eddl.fit(net, [x], [y], 16, 2, verbose=0, shuffle=False, on_nan="warn") == []
    assert "non-finite loss" in capsys.readouterr().err


def test_summary_and_plot(tmp_path, capsys):
    net = built()
    text = eddl.summary(net)
    assert "Total params: 195" in text and "Trainable params: 195" in text  # 8*16+16 + 16*3+3
    assert "[None, 16]" in text
    # per-sample output memory: 8 + 16 + 3 (+ 3 for the softmax) float32 values
    assert "Act. KiB" in text and "Activations per sample: 0.00 MiB" in text
    row = next(r for r in text.splitlines() if "[None, 16]" in r)
    assert " 0.1 " in row  # 16 float32 = 64 bytes = 0.0625 KiB
    f = str(tmp_path / "net.png")
    try:
        assert eddl.plot(net, f) == f and os.path.getsize(f) > 0
    except RuntimeError as exc:
        assert "Graphviz" in str(exc)
        dot = open(f + ".dot").read()
        assert "digraph" in dot and "->" in dot


def test_accessors_are_live_and_checked():
    net = built()
    x, y = blobs(10)
    eddl.forward(net, [x])
    out = eddl.getOutput(net.lout[0])
    assert out.shape == [10, 3] or tuple(out.shape) == (10, 3)
    w = eddl.getParam(net.layers[1], 0)
    w.numpy()[0, 0] = 123.0
    assert net.layers[1].params[0][0, 0] == 123.0
    with pytest.raises(IndexError):
        eddl.getParam(net.layers[1], 5)
    assert eddl.getLayer(net, net.layers[1].name) is net.layers[1]
    with pytest.raises(KeyError, match="no layer"):
        eddl.getLayer(net, "missing")


def test_schedules_change_lr():
    from eddl.optimizers import StepDecay
    net = built()
    net.optimizer.set_schedule(StepDecay(1, 0.5))
    x, y = blobs(16)
    eddl.fit(net, [x], [y], 8, 2, verbose=0)
    assert net.optimizer.lr == pytest.approx(0.05 * 0.25)
    eddl.setlr(net, [0.3, 0.5])
    assert net.optimizer.lr == 0.3 and net.optimizer.mu == 0.5


def test_sparse_labels_train():
    x, y = blobs()
    eddl.set_seed(0)
    net = mlp()
    eddl.build(net, eddl.adam(0.01), ["sparse_categorical_cross_entropy"], ["none"])
    eddl.fit(net, [x], [y.argmax(1)], 32, 5, verbose=0)
    p = eddl.predict(net, [x])[0].numpy()
    assert (p.argmax(1) == y.argmax(1)).mean() > 0.95


def test_digits_example_reaches_97_percent():
    pytest.importorskip("sklearn")
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "digits_mlp.py")
    spec = importlib.util.spec_from_file_location("digits_mlp", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(epochs=30, verbose=0) >= 0.97


@pytest.mark.slow
def test_listing6_example_runs(tmp_path, capsys):
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "mnist_mlp.py")
    spec = importlib.util.spec_from_file_location("mnist_mlp", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    eddl.set_seed(0)
    losses, metrics = mod.main(data=str(tmp_path), epochs=1, synthetic_sizes=(3000, 500))
    assert "synthetic" in capsys.readouterr().out
    assert metrics[0] > 0.5 and np.isfinite(losses[0])
