"""Recurrent layers: fused CPU loops against the step-by-step form, per-sample lengths
(ONNX's ``sequence_lens``), batches shorter than the built sequence length, and memory."""

import os
import sys
import tracemalloc

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402
from test_recurrent import CONFIGS, _config_id, _inputs, _make, _ref_kw, _set_weights, reference  # noqa: E402


def _net(make, shapes, backend="cpu", dtype="float64", loss="mse_mean"):
    ins = [eddl.Input(list(s)) for s in shapes]
    out = make(*ins)
    net = eddl.Model(ins, [out])
    net.input_grads = True
    net.build(eddl.sgd(0.0), [loss], ["none"], eddl.CS_CPU(backend=backend), dtype=dtype)
    return net


def _run(net, xs, target_seed=0):
    """Forward and backward of an MSE loss; return the output, the gradients and dx."""
    net.set_inputs(xs)
    net.forward()
    rng = np.random.default_rng(target_seed)
    t = rng.standard_normal(net.lout[0].output.shape)
    net.set_targets([t])
    net.backward()
    layer = net.lout[0]
    return (np.array(layer.output), [np.array(g) for g in layer.gradients],
            np.array(net.lin[0].delta))


# --- the fused loops of the CPU backend against the step-by-step form -----------------------
def test_the_cpu_backend_has_the_fused_family():
    from eddl.backend import registry
    assert registry.get("cpu").rnn is not None
    assert getattr(registry.get("reference"), "rnn", None) is None


@pytest.mark.parametrize("dtype,tol", [("float32", 2e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("kind,kw", CONFIGS, ids=_config_id)
def test_fused_loops_equal_the_step_by_step_form(kind, kw, seq, dtype, tol):
    rng = np.random.default_rng(11)
    x = _inputs(rng, 4, 5, 3, kw.get("mask_zeros", False))
    results = []
    for backend in ("cpu", "reference"):
        net = _net(_make(kind, 6, return_sequences=seq, **kw), [(5, 3)], backend, dtype)
        _set_weights(net.lout[0], np.random.default_rng(12))
        results.append(_run(net, [x]))
    (y1, g1, dx1), (y2, g2, dx2) = results
    np.testing.assert_allclose(y1, y2, rtol=tol, atol=tol)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(dx1, dx2, rtol=tol, atol=tol * 10)


def test_fused_kernels_refuse_bad_arguments():
    from eddl.backend.cpu import rnn
    g = np.zeros((3, 2, 8), np.float32)
    R = np.zeros((8, 2), np.float32)
    s = np.zeros((4, 2, 2), np.float32)
    c, tc = np.zeros_like(s), np.zeros((3, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"R has shape \[8, 2\], expected \[6, 2\]"):
        rnn.gru_forward(np.zeros((3, 2, 6), np.float32), R, np.zeros(2, np.float32), s,
                        np.zeros((3, 2, 6), np.float32), True)
    with pytest.raises(TypeError, match="s is float64 but the other arrays are float32"):
        rnn.lstm_forward(g, R, s.astype(np.float64), c, tc)
    with pytest.raises(ValueError, match="C-contiguous"):
        rnn.lstm_forward(g, R, s, c, np.zeros((3, 2, 4), np.float32)[..., :2])
    with pytest.raises(ValueError, match=r"keep has shape \[2, 2\], expected \[3, 2\]"):
        rnn.lstm_forward(g, R, s, c, tc, keep=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"s has shape \[3, 2, 2\], expected \[4, 2, 2\]"):
        rnn.lstm_forward(g, R, s[:3], c, tc)
    with pytest.raises(ValueError, match="activation='softmax' is invalid"):
        rnn.rnn_forward(g[..., :2], R[:2], s, "softmax")


# --- per-sample lengths ----------------------------------------------------------------------
def lengths_reference(kind, x, lens, params, seq, **kw):
    """ONNX's sequence_lens: each sample run alone on its first ``len`` steps, zeros after."""
    b, t_len, _ = x.shape
    outs = []
    for i in range(b):
        n = int(lens[i])
        if n == 0:
            hid = params[1].shape[2] * params[0].shape[0]
            outs.append(np.zeros((t_len, hid)) if seq else np.zeros(hid))
            continue
        y = reference(kind, x[i:i + 1, :n], *params, seq=seq, **kw)[0]
        if seq:
            y = np.concatenate([y, np.zeros((t_len - n, y.shape[1]))])
        outs.append(y)
    return np.stack(outs)


LENGTH_CASES = [("rnn", {}), ("rnn", {"activation": "relu", "bidirectional": True}),
                ("lstm", {}), ("lstm", {"bidirectional": True}),
                ("lstm", {"mask_zeros": True}),
                ("gru", {}), ("gru", {"bidirectional": True, "linear_before_reset": False})]


def _with_lengths(kind, h, **kw):
    def make(x, lens):
        return _make(kind, h, lengths=lens, **kw)(x)
    return make


@pytest.mark.parametrize("backend", ["cpu", "reference"])
@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("kind,kw", LENGTH_CASES, ids=_config_id)
def test_lengths_match_the_reference(kind, kw, seq, backend):
    rng = np.random.default_rng(13)
    x = _inputs(rng, 4, 6, 3, kw.get("mask_zeros", False))
    lens = np.array([[6], [2], [4], [0]], np.float64)
    net = _net(_with_lengths(kind, 3, return_sequences=seq, **kw), [(6, 3), (1,)], backend)
    layer = net.lout[0]
    _set_weights(layer, rng)
    net.set_inputs([x, lens])
    net.forward()
    want = lengths_reference(kind, x, lens[:, 0], [np.array(p) for p in layer.params], seq,
                             **_ref_kw(kw))
    np.testing.assert_allclose(np.array(layer.output), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind,kw", LENGTH_CASES, ids=_config_id)
def test_gradients_with_lengths(kind, kw):
    rng = np.random.default_rng(14)
    x = _inputs(rng, 3, 4, 2, kw.get("mask_zeros", False))
    lens = np.array([[4], [1], [3]], np.float64)
    for seq in (False, True):
        net = build_net(_with_lengths(kind, 2, return_sequences=seq, **kw), [(4, 2), (1,)])
        _set_weights(net.lout[0], rng)
        # the lengths are integers: their finite differences mean nothing
        check_gradients(None, [(4, 2), (1,)], inputs=[x, lens], net=net, check_inputs=False)
        # steps past a sample's length get no input gradient
        dx = np.array(net.lin[0].delta)
        assert not np.any(dx[1, 1:]) and not np.any(dx[2, 3:])
        assert np.any(dx[0, 1]) and np.any(dx[2, 2])


def test_lengths_are_checked():
    net = _net(_with_lengths("lstm", 2), [(4, 2), (1,)])
    x = np.ones((2, 4, 2))
    for bad, match in [([[5], [1]], r"lengths must be integers in \[0, 4\].*\[5.0, 1.0\]"),
                       ([[1.5], [1]], r"lengths must be integers"),
                       ([[-1], [1]], r"lengths must be integers")]:
        net.set_inputs([x, np.array(bad, float)])
        with pytest.raises(ValueError, match=match):
            net.forward()
    with pytest.raises(ValueError, match=r"lengths must have sample shape \[1\]"):
        eddl.LSTM(eddl.Input([4, 2]), 2, lengths=eddl.Input([2]))
    with pytest.raises(TypeError, match="lengths must be a layer"):
        eddl.LSTM(eddl.Input([4, 2]), 2, lengths=3)


def test_lengths_round_trip_through_json():
    x, lens = eddl.Input([4, 2], name="x"), eddl.Input([1], name="lens")
    st = eddl.States([2, 3], name="st")
    out = eddl.LSTM([x, st], 3, lengths=lens, return_sequences=True, name="rec")
    net = eddl.Model([x, st, lens], [out])
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU(), dtype="float64")
    twin = eddl.model_from_json(net.to_json())
    eddl.build(twin, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU(), dtype="float64")
    eddl.set_parameters(twin, eddl.get_parameters(net))
    assert [p.name for p in twin.lout[0].parents] == ["x", "st", "lens"]
    rng = np.random.default_rng(15)
    xs = [rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 2, 3)), np.array([[2.], [4.]])]
    outs = []
    for m in (net, twin):
        m.set_inputs(xs)
        m.forward()
        outs.append(np.array(m.lout[0].output))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.any(outs[0][0, 2:])


# --- batches shorter than the built sequence length ------------------------------------------
@pytest.mark.parametrize("backend", ["cpu", "reference"])
@pytest.mark.parametrize("kind,kw", [("lstm", {}), ("lstm", {"bidirectional": True}),
                                     ("gru", {"linear_before_reset": False}),
                                     ("rnn", {"bidirectional": True})], ids=_config_id)
def test_a_shorter_batch_equals_a_net_built_for_its_length(kind, kw, backend):
    rng = np.random.default_rng(16)
    for seq in (False, True):
        long_net = _net(_make(kind, 4, return_sequences=seq, **kw), [(8, 3)], backend)
        short_net = _net(_make(kind, 4, return_sequences=seq, **kw), [(3, 3)], backend)
        _set_weights(long_net.lout[0], rng)
        for p, q in zip(long_net.lout[0].params, short_net.lout[0].params):
            q[...] = p
        x = rng.standard_normal((5, 3, 3))
        y_long, g_long, dx_long = _run(long_net, [x]) if not seq else (None, None, None)
        y_short, g_short, dx_short = _run(short_net, [x]) if not seq else (None, None, None)
        if not seq:
            np.testing.assert_allclose(y_long, y_short, rtol=1e-13, atol=1e-13)
            for a, b in zip(g_long, g_short):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
            np.testing.assert_allclose(dx_long[:, :3], dx_short, rtol=1e-12, atol=1e-13)
            assert not np.any(dx_long[:, 3:])
        else:
            for m in (long_net, short_net):
                m.set_inputs([x])
                m.forward()
            y_long = np.array(long_net.lout[0].output)
            np.testing.assert_allclose(y_long[:, :3], np.array(short_net.lout[0].output),
                                       rtol=1e-13, atol=1e-13)
            assert not np.any(y_long[:, 3:])
        # and the full length still runs every step afterwards
        x8 = rng.standard_normal((5, 8, 3))
        long_net.set_inputs([x8])
        long_net.forward()
        want = reference(kind, x8, *[np.array(p) for p in long_net.lout[0].params], seq=seq,
                         **_ref_kw(kw))
        np.testing.assert_allclose(np.array(long_net.lout[0].output), want, rtol=1e-12,
                                   atol=1e-12)


def test_a_shorter_batch_through_an_embedding():
    rng = np.random.default_rng(17)

    def make(n):
        return lambda ids: eddl.LSTM(eddl.Embedding(ids, 10, n, 4), 3)

    long_net, short_net = _net(make(7), [(7,)]), _net(make(4), [(4,)])
    for a, b in zip(long_net.layers, short_net.layers):
        for p, q in zip(a.params, b.params):
            p[...] = rng.standard_normal(p.shape)
            q[...] = p
    ids = rng.integers(1, 10, (3, 4)).astype(float)
    outs = []
    for m in (long_net, short_net):
        m.set_inputs([ids])
        m.forward()
        outs.append(np.array(m.lout[0].output))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-13)


def test_only_sequence_inputs_accept_shorter_batches():
    net = _net(lambda x: eddl.Dense(x, 2), [(4, 3)])
    with pytest.raises(ValueError, match=r"samples of shape \[2, 3\] do not match input"):
        net.set_inputs([np.ones((2, 2, 3))])
    net = _net(_make("lstm", 2), [(4, 3)])
    with pytest.raises(ValueError, match=r"samples of shape \[5, 3\] do not match input"):
        net.set_inputs([np.ones((2, 5, 3))])
    with pytest.raises(ValueError, match=r"samples of shape \[2, 2\] do not match input"):
        net.set_inputs([np.ones((2, 2, 2))])


def test_alternating_lengths_allocate_nothing_after_warm_up():
    rng = np.random.default_rng(18)
    x_in = eddl.Input([80, 8])
    h = eddl.LSTM(x_in, 16, return_sequences=True)
    out = eddl.Dense(eddl.GRU(h, 16, bidirectional=True), 4)
    net = eddl.Model([x_in], [out])
    eddl.build(net, eddl.adam(0.001), ["mse"], ["mse"], eddl.CS_CPU())
    batches = [(rng.standard_normal((16, t, 8)).astype(np.float32),
                rng.standard_normal((16, 4)).astype(np.float32)) for t in (30, 80)]
    for x, y in batches * 2:  # warm-up: every buffer reaches its size
        net.train_batch([x], [y])
    tracemalloc.start()
    try:
        for x, y in batches:
            net.train_batch([x], [y])
        before = tracemalloc.get_traced_memory()[0]
        for x, y in batches * 5:
            net.train_batch([x], [y])
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # a single per-batch buffer of the smallest layer would be 16 x 30 x 16 x 4 bytes
    assert grown < 8 * 1024, grown


@pytest.mark.parametrize("kind,kw", [("lstm", {}), ("gru", {}),
                                     ("gru", {"linear_before_reset": False}),
                                     ("rnn", {"activation": "relu"})], ids=_config_id)
def test_gemms_split_over_threads_give_the_one_thread_results(kind, kw):
    # products of >= SERIAL_MACS multiply-adds split their columns over the OpenMP threads
    from _deephealth.runtime import get_num_threads
    from eddl.backend.cpu.blas_policy import SERIAL_MACS
    b, h = 32, 160
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    assert b * gates * h * h >= SERIAL_MACS or kind == "rnn"
    rng = np.random.default_rng(19)
    x = _inputs(rng, b, 4, 8)
    x[:, 3] = 0
    lens = rng.integers(1, 5, (b, 1)).astype(np.float32)
    old = get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            eddl.set_num_threads(threads)
            units = 1500 if kind == "rnn" else h  # an Elman step needs more units to split
            net = _net(_with_lengths(kind, units, return_sequences=True, **kw), [(4, 8), (1,)],
                       dtype="float32")
            _set_weights(net.lout[0], np.random.default_rng(20), scale=0.05)
            results.append(_run(net, [x.astype(np.float32), lens]))
    finally:
        eddl.set_num_threads(old)
    (y1, g1, dx1), (y2, g2, dx2) = results
    np.testing.assert_allclose(y2, y1, rtol=1e-5, atol=1e-6)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(c, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx2, dx1, rtol=1e-4, atol=1e-5)


def test_the_split_time_loop_equals_the_whole_one():
    from eddl.backend.cpu import _rnn
    rng = np.random.default_rng(21)
    t, b, h = 3, 5, 80  # 4h and h columns: both products split
    g0 = rng.standard_normal((t, b, 4 * h)).astype(np.float32)
    R = (0.1 * rng.standard_normal((4 * h, h))).astype(np.float32)
    keep = np.ones((t, b), np.uint8)
    keep[1, 2] = 0
    outs = []
    for nt in (1, 2, 3):
        g, s = g0.copy(), np.zeros((t + 1, b, h), np.float32)
        s[0] = 0.5
        c, tc = np.zeros_like(s), np.zeros((t, b, h), np.float32)
        _rnn.lstm_forward(g, R, s, c, tc, keep, nt)
        dg, dh, dc = np.zeros_like(g), np.ones((b, h), np.float32), np.zeros((b, h), np.float32)
        _rnn.lstm_backward(g, R, c, tc, dg, dh, dc, np.zeros_like(dh), None, keep, nt)
        outs.append((s, dg, dh, dc))
    for other in outs[1:]:
        for a, c in zip(outs[0], other):
            np.testing.assert_allclose(c, a, rtol=1e-6, atol=1e-7)
