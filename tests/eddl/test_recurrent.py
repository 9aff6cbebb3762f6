"""RNN, LSTM and GRU against a float64 NumPy reference of the ONNX equations, and through time."""

import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402


# --- reference (ONNX's equations, gates [i, o, f, c] and [z, r, h]) -------------------------
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


_ACT = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda a: np.maximum(a, 0),
        "hard_sigmoid": lambda a: np.clip(0.2 * a + 0.5, 0, 1), "none": lambda a: a}


def _cell(kind, x, h, c, w, r, wb, rb, act, lbr):
    """One step of one direction for a batch: returns (h, c)."""
    if kind == "rnn":
        return _ACT[act](x @ w.T + h @ r.T + wb + rb), c
    if kind == "lstm":
        a = x @ w.T + h @ r.T + wb + rb
        i, o, f, g = np.split(a, 4, axis=1)
        i, o, f, g = _sigmoid(i), _sigmoid(o), _sigmoid(f), np.tanh(g)
        c = f * c + i * g
        return o * np.tanh(c), c
    hid = h.shape[1]
    z = _sigmoid(x @ w[:hid].T + h @ r[:hid].T + wb[:hid] + rb[:hid])
    rr = _sigmoid(x @ w[hid:2 * hid].T + h @ r[hid:2 * hid].T + wb[hid:2 * hid]
                  + rb[hid:2 * hid])
    if lbr:
        n = np.tanh(x @ w[2 * hid:].T + wb[2 * hid:] + rr * (h @ r[2 * hid:].T + rb[2 * hid:]))
    else:
        n = np.tanh(x @ w[2 * hid:].T + wb[2 * hid:] + (rr * h) @ r[2 * hid:].T + rb[2 * hid:])
    return (1 - z) * n + z * h, c


def reference(kind, x, w, r, bias, act="tanh", lbr=True, mask_zeros=False, seq=False,
              states=None, final=False):
    """Outputs for a batch ``x`` ``[B, T, D]`` with packed ONNX weights (one row per direction).

    ``states`` ``[B, n_states, nd * H]`` are the initial states (zeros when None); ``final``
    returns the final states ``[B, n_states, nd * H]`` too.
    """
    b, t_len, _ = x.shape
    hid = r.shape[2]
    outs, finals = [], []
    for d in range(w.shape[0]):
        gh = w.shape[1]
        wb, rb = bias[d, :gh], bias[d, gh:]
        cols = slice(d * hid, (d + 1) * hid)
        h = np.zeros((b, hid)) if states is None else states[:, 0, cols]
        c = np.zeros((b, hid)) if states is None or kind != "lstm" else states[:, 1, cols]
        ys = np.zeros((b, t_len, hid))
        order = range(t_len) if d == 0 else range(t_len - 1, -1, -1)
        for t in order:
            hn, cn = _cell(kind, x[:, t], h, c, w[d], r[d], wb, rb, act, lbr)
            if mask_zeros:
                keep = np.any(x[:, t] != 0, axis=1)[:, None]
                hn, cn = np.where(keep, hn, h), np.where(keep, cn, c)
            h, c = hn, cn
            ys[:, t] = h
        outs.append(ys if seq else h)
        finals.append(np.stack([h, c] if kind == "lstm" else [h], axis=1))
    out = np.concatenate(outs, axis=-1)
    return (out, np.concatenate(finals, axis=-1)) if final else out


def _make(kind, units, **kw):
    layer = {"rnn": eddl.RNN, "lstm": eddl.LSTM, "gru": eddl.GRU}[kind]
    return lambda x: layer(x, units, **kw)


def _inputs(rng, b, t_len, d, zero_steps=False):
    x = rng.standard_normal((b, t_len, d))
    if zero_steps:
        # padding at the end of one sample, a hole inside another, a leading zero in a third
        x[0, -2:] = 0
        x[1, 1] = 0
        x[2 % b, 0] = 0
    return x


def _set_weights(layer, rng, scale=0.6):
    for p in layer.params:
        p[...] = scale * rng.standard_normal(p.shape)


CONFIGS = [
    ("rnn", {}),
    ("rnn", {"activation": "relu"}),
    ("rnn", {"activation": "sigmoid", "bidirectional": True}),
    ("rnn", {"activation": "hard_sigmoid"}),
    ("rnn", {"activation": "none", "use_bias": False}),
    ("lstm", {}),
    ("lstm", {"bidirectional": True}),
    ("lstm", {"mask_zeros": True}),
    ("lstm", {"mask_zeros": True, "bidirectional": True}),
    ("gru", {}),
    ("gru", {"linear_before_reset": False}),
    ("gru", {"bidirectional": True, "mask_zeros": True}),
    ("gru", {"linear_before_reset": False, "mask_zeros": True, "bidirectional": True}),
]


def _config_id(value):
    if isinstance(value, dict):
        return "-".join(f"{k}={v}" for k, v in value.items()) or "default"
    return value


def _ref_kw(kw):
    return {"act": kw.get("activation", "tanh"), "lbr": kw.get("linear_before_reset", True),
            "mask_zeros": kw.get("mask_zeros", False)}


@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("kind,kw", CONFIGS, ids=_config_id)
def test_forward_matches_the_reference(kind, kw, seq):
    rng = np.random.default_rng(1)
    b, t_len, d, h = 3, 5, 4, 3
    net = build_net(_make(kind, h, return_sequences=seq, **kw), [(t_len, d)])
    layer = net.lout[0]
    _set_weights(layer, rng)
    if not kw.get("use_bias", True):
        layer.params[2][...] = 0
    x = _inputs(rng, b, t_len, d, kw.get("mask_zeros", False))
    net.set_inputs([x])
    net.forward()
    want = reference(kind, x, *[np.array(p) for p in layer.params], seq=seq, **_ref_kw(kw))
    assert layer.output.shape == want.shape
    np.testing.assert_allclose(np.array(layer.output), want, rtol=1e-12, atol=1e-12)


def test_a_smaller_last_batch_reuses_the_buffers():
    rng = np.random.default_rng(2)
    net = build_net(_make("lstm", 3, bidirectional=True, return_sequences=True), [(4, 2)])
    layer = net.lout[0]
    for b in (5, 2, 5):
        x = rng.standard_normal((b, 4, 2))
        net.set_inputs([x])
        net.forward()
        want = reference("lstm", x, *[np.array(p) for p in layer.params], seq=True)
        np.testing.assert_allclose(np.array(layer.output), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("kind,kw", CONFIGS, ids=_config_id)
def test_gradients_through_time(kind, kw, seq):
    masked = kw.get("mask_zeros", False)
    rng = np.random.default_rng(3)
    x = _inputs(rng, 3, 4, 2, masked)

    net = build_net(_make(kind, 2, return_sequences=seq, **kw), [(4, 2)])
    _set_weights(net.lout[0], rng)
    if not kw.get("use_bias", True):
        net.lout[0].params[2][...] = 0
    # a changed zero step changes the mask: input gradients are checked without masks
    net = check_gradients(None, [(4, 2)], inputs=[x], net=net, check_inputs=not masked)
    if not kw.get("use_bias", True):
        assert not np.any(np.array(net.lout[0].gradients[2]))
    if masked:
        # steps that were skipped get no gradient
        dx = np.array(net.lin[0].delta)
        assert not np.any(dx[np.all(x == 0, axis=2)])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_stacked_layers_pass_gradients_down(kind):
    def make(i):
        first = _make(kind, 3, return_sequences=True, bidirectional=True)(i)
        return eddl.Dense(_make(kind, 2)(first), 2)

    check_gradients(make, [(3, 2)], batch=2)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_trailing_zero_padding_gives_the_unpadded_final_state(kind):
    rng = np.random.default_rng(4)
    short = build_net(_make(kind, 3, mask_zeros=True), [(3, 2)])
    padded = build_net(_make(kind, 3, mask_zeros=True), [(6, 2)])
    for p, q in zip(short.lout[0].params, padded.lout[0].params):
        q[...] = p
    x = rng.standard_normal((4, 3, 2))
    xp = np.concatenate([x, np.zeros((4, 3, 2))], axis=1)
    short.set_inputs([x])
    short.forward()
    padded.set_inputs([xp])
    padded.forward()
    np.testing.assert_allclose(np.array(padded.lout[0].output), np.array(short.lout[0].output),
                               rtol=1e-13)


@pytest.mark.parametrize("make,match", [
    (lambda x: eddl.LSTM(x, 0), r"LSTM: units=0 is invalid"),
    (lambda x: eddl.GRU(x, 2, mask_zeros=1), r"GRU: mask_zeros must be a bool"),
    (lambda x: eddl.RNN(x, 2, activation="softmax"), r"RNN: activation='softmax' is invalid; "
                                                     r"valid: \['tanh'"),
    (lambda x: eddl.LSTM(eddl.Reshape(x, [-1]), 2), r"LSTM layer .*expects samples of shape "
                                                    r"\[T, D\].*Reshape"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make(eddl.Input([4, 3]))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_sequence_classification_learns(kind):
    # the class is the first token of the sequence: the state must carry it to the end
    rng = np.random.default_rng(5)
    n, t_len, vocab = 96, 6, 8
    ids = rng.integers(1, vocab, (n, t_len)).astype(np.float32)
    labels = (ids[:, 0] >= vocab // 2).astype(int)
    y = np.eye(2, dtype=np.float32)[labels]
    eddl.set_seed(5)
    x_in = eddl.Input([t_len])
    emb = eddl.Embedding(x_in, vocab, t_len, 8)
    rec = _make(kind, 16)(emb)
    out = eddl.Softmax(eddl.Dense(rec, 2))
    net = eddl.Model([x_in], [out])
    eddl.build(net, eddl.adam(0.01), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    losses = []
    for _ in range(25):
        eddl.fit(net, [ids], [y], 16, 1, verbose=0)
        losses.append(eddl.get_losses(net)[0])
    assert losses[-1] < 0.3 * losses[0], losses
    assert eddl.get_metrics(net)[0] > 0.9


# --- initial states ([input, states]) and GetStates ---------------------------------------------
N_STATES = {"rnn": 1, "lstm": 2, "gru": 1}
STATE_CASES = [("rnn", {}), ("lstm", {}), ("lstm", {"bidirectional": True, "mask_zeros": True}),
               ("gru", {"bidirectional": True}), ("gru", {"linear_before_reset": False})]


@pytest.mark.parametrize("kind,kw", STATE_CASES, ids=_config_id)
def test_initial_states_and_get_states_match_the_reference(kind, kw):
    rng = np.random.default_rng(6)
    h, nd = 3, 2 if kw.get("bidirectional") else 1
    shape_s = (N_STATES[kind], nd * h)

    def make(x, st):
        layer = _make(kind, h, return_sequences=True, **kw)([x, st])
        return [layer, eddl.GetStates(layer)]

    net = build_net(make, [(5, 4), shape_s])
    layer = net.lout[0]
    _set_weights(layer, rng)
    x = _inputs(rng, 3, 5, 4, kw.get("mask_zeros", False))
    st = rng.standard_normal((3,) + shape_s)
    net.set_inputs([x, st])
    net.forward()
    want, finals = reference(kind, x, *[np.array(p) for p in layer.params], seq=True, states=st,
                             final=True, **_ref_kw(kw))
    np.testing.assert_allclose(np.array(layer.output), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.array(net.lout[1].output), finals, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind,kw", STATE_CASES, ids=_config_id)
def test_gradients_reach_initial_states_and_flow_from_get_states(kind, kw):
    nd = 2 if kw.get("bidirectional") else 1
    masked = kw.get("mask_zeros", False)
    rng = np.random.default_rng(7)

    def make(x, st):
        layer = _make(kind, 2, **kw)([x, st])
        return [layer, eddl.GetStates(layer)]

    shapes = [(4, 2), (N_STATES[kind], nd * 2)]
    net = build_net(make, shapes)
    _set_weights(net.lout[0], rng)
    xs = [_inputs(rng, 3, 4, 2, masked), rng.standard_normal((3,) + shapes[1])]
    check_gradients(None, shapes, inputs=xs, net=net, check_inputs=not masked)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_encoder_states_start_the_decoder(kind):
    # the encoder's output is not used: its gradient comes only through GetStates
    def make(x, y):
        enc = _make(kind, 2)(x)
        dec = _make(kind, 2, return_sequences=True)([y, eddl.GetStates(enc)])
        return eddl.Dense(dec, 2)

    check_gradients(make, [(3, 2), (2, 3)], batch=2)


def test_encoder_decoder_round_trips_through_json():
    rng = np.random.default_rng(8)
    x, y = eddl.Input([4, 3], name="src"), eddl.Input([2, 3], name="tgt")
    enc = eddl.LSTM(x, 3, bidirectional=True, name="enc")
    dec = eddl.LSTM([y, eddl.GetStates(enc)], 6, return_sequences=True, name="dec")
    net = eddl.Model([x, y], [dec])
    eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU())
    twin = eddl.model_from_json(net.to_json())
    eddl.build(twin, eddl.sgd(0.1), ["mse"], ["mse"], eddl.CS_CPU())
    eddl.set_parameters(twin, eddl.get_parameters(net))
    xs = [rng.standard_normal((2, 4, 3)).astype(np.float32),
          rng.standard_normal((2, 2, 3)).astype(np.float32)]
    outs = []
    for m in (net, twin):
        m.set_inputs(xs)
        m.forward()
        outs.append(np.array(m.lout[0].output))
    assert [p.name for p in twin.lout[0].parents] == ["tgt", net.lout[0].parents[1].name]
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize("make,match", [
    (lambda x: eddl.LSTM([x, eddl.States([1, 3])], 3),
     r"LSTM layer .*initial states must have shape \[2, 3\].*got \[1, 3\]"),
    (lambda x: eddl.GRU([x, eddl.States([1, 3])], 3, bidirectional=True),
     r"initial states must have shape \[1, 6\]"),
    (lambda x: eddl.LSTM([x, x, x], 3), r"LSTM: parent must be a layer or \[input, states\]"),
    (lambda x: eddl.GetStates(eddl.Dense(x, 2)), r"GetStates: parent must be an RNN, LSTM or GRU"),
])
def test_bad_states_are_named(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make(eddl.Input([4, 3]))


# --- PyTorch's weights, converted as docs/sequences.md says --------------------------------------
TORCH_FIXTURES = os.path.join(os.path.dirname(__file__), "onnx", "fixtures", "recurrent")


def _from_torch(kind, w):
    """PyTorch's gate blocks ``[i, f, g, o]`` / ``[r, z, n]`` to ONNX's ``[i, o, f, c]`` / ``[z, r, h]``."""
    if kind == "lstm":
        i, f, g, o = np.split(w, 4)
        return np.concatenate([i, o, f, g])
    r, z, n = np.split(w, 3)
    return np.concatenate([z, r, n])


@pytest.mark.parametrize("name", ["lstm_torchscript", "lstm_bi_torchscript",
                                  "lstm_2layers_torchscript", "gru_torchscript",
                                  "gru_bi_2layers_torchscript"])
def test_pytorch_weights_converted_give_pytorchs_outputs(name):
    data = np.load(os.path.join(TORCH_FIXTURES, name + ".npz"))
    kind = name.split("_")[0]
    bidirectional = "_bi" in name
    n_layers = 2 if "2layers" in name else 1
    x_in = eddl.Input(list(data["input"].shape[1:]))
    h, layers = x_in, []
    for _ in range(n_layers):
        h = _make(kind, 4, bidirectional=bidirectional, return_sequences=True)(h)
        layers.append(h)
    net = eddl.Model([x_in], [h])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["mse"], eddl.CS_CPU(), dtype="float64")
    for k, layer in enumerate(layers):
        for d, suffix in enumerate(["", "_reverse"][:layer.directions]):
            sd = {n: data[f"torch.{n}_l{k}{suffix}"].astype(np.float64)
                  for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            layer.params[0][d] = _from_torch(kind, sd["weight_ih"])
            layer.params[1][d] = _from_torch(kind, sd["weight_hh"])
            layer.params[2][d] = np.concatenate([_from_torch(kind, sd["bias_ih"]),
                                                 _from_torch(kind, sd["bias_hh"])])
    net.set_inputs([data["input"].astype(np.float64)])
    net.forward()
    np.testing.assert_allclose(np.array(net.lout[0].output), data["output"], rtol=0, atol=1e-6)
