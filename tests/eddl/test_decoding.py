"""Decoder inputs (setDecoder): teacher forcing, greedy decoding and beam search."""

import itertools

import numpy as np
import pytest

import eddl

V, T = 4, 3


def _image_to_text(cell="GRU", one_hot=False, start_token=None, decoder=True, units=6,
                   vocab=V, steps=T, emb_vocab=None):
    """A small CNN encoder whose features start a GRU/LSTM decoder (UC5's shape)."""
    img = eddl.Input([1, 6, 6])
    feat = eddl.Flatten(eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(img, 2, [3, 3])), [2, 2]))
    n_states = 2 if cell == "LSTM" else 1
    states = eddl.Reshape(eddl.Tanh(eddl.Dense(feat, n_states * units)), [n_states, units])
    words = eddl.Input([steps, vocab] if one_hot else [steps])
    if decoder:
        eddl.setDecoder(words, start_token=start_token)
    ids = eddl.ReduceArgMax(words, [1]) if one_hot else words
    emb = eddl.Embedding(ids, emb_vocab or vocab, steps, 5)
    rec = getattr(eddl, cell)([emb, states], units, return_sequences=True)
    out = eddl.Softmax(eddl.Dense(rec, vocab))
    return img, words, out


def _built(cell="GRU", seed=0, dtype="float64", **kw):
    eddl.set_seed(seed)
    img, words, out = _image_to_text(cell, **kw)
    net = eddl.Model([img], [out])
    eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               dtype=dtype)
    return net, words


def _images(n, seed=1):
    return np.random.default_rng(seed).normal(size=(n, 1, 6, 6)) * 2


# --- teacher forcing ---------------------------------------------------------------------------
@pytest.mark.parametrize("targets", ["ids", "onehot"])
def test_decoder_input_is_the_target_shifted_by_one_step(targets):
    net, words = _built(start_token=3)
    ids = np.array([[1, 2, 0], [2, 2, 1]])
    y = ids.astype(float) if targets == "ids" else np.eye(V)[ids]
    net.set_inputs([_images(2)])
    net.set_targets([y])
    np.testing.assert_array_equal(words.output, [[3, 1, 2], [3, 2, 2]])


def test_one_hot_decoder_input_starts_with_zeros_as_eddl():
    net, words = _built(one_hot=True)
    net.set_inputs([_images(2)])
    net.set_targets([np.array([[1., 2, 3], [0, 3, 3]])])
    expect = np.zeros((2, T, V))
    expect[0, 1:] = np.eye(V)[[1, 2]]
    expect[1, 1:] = np.eye(V)[[0, 3]]
    np.testing.assert_array_equal(words.output, expect)


def test_teacher_forcing_trains_as_the_same_net_fed_by_hand():
    """setDecoder net == the same graph whose decoder input is a model input given the shifted
    targets: equal losses and equal weights after two steps."""
    rng = np.random.default_rng(2)
    x, ids = _images(5), rng.integers(0, V, (5, T))
    y = np.eye(V)[ids]
    net, words = _built(start_token=1)
    eddl.set_seed(0)
    img, w2, out = _image_to_text(decoder=False)
    plain = eddl.Model([img, w2], [out])
    eddl.build(plain, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               dtype="float64")
    eddl.set_parameters(plain, eddl.get_parameters(net))
    shifted = np.concatenate([np.ones((5, 1)), ids[:, :-1]], axis=1)
    for _ in range(2):
        a = net.train_batch([x], [y])
        b = plain.train_batch([x, shifted], [y])
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for pa, pb in zip(eddl.get_parameters(net), eddl.get_parameters(plain)):
        for u, v in zip(pa, pb):
            np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_model_attributes_describe_the_decoder():
    net, words = _built()
    assert net.isdecoder and net.decoder_teacher_training and net.decsize == T
    assert net.din == [words] and words.isdecoder and net.lout[0].isdecoder
    assert not net.lin[0].isdecoder
    x = eddl.Input([2])
    plain = eddl.Model([x], [eddl.Dense(x, 1)])
    assert not plain.isdecoder and plain.din == [] and plain.decsize == 1


def test_decoder_errors_are_clear():
    with pytest.raises(TypeError, match="expects an Input layer"):
        eddl.setDecoder(eddl.Dense(eddl.Input([3]), 2))
    with pytest.raises(ValueError, match=r"\[T\] token ids or \[T, V\]"):
        eddl.setDecoder(eddl.Input([2, 3, 4]))
    with pytest.raises(ValueError, match="start_token=-1"):
        eddl.setDecoder(eddl.Input([3]), start_token=-1)
    with pytest.raises(ValueError, match="not a token of the vocabulary"):
        eddl.setDecoder(eddl.Input([3, 4]), start_token=4)
    img, words, out = _image_to_text()
    with pytest.raises(ValueError, match="leave it out of the model's inputs"):
        eddl.Model([img, words], [out])
    words = eddl.setDecoder(eddl.Input([3, 5]))
    src = eddl.Input([4])
    rec = eddl.RNN([words, eddl.Reshape(src, [1, 4])], 4, return_sequences=True)
    with pytest.raises(ValueError, match="vocabulary size mismatch"):
        eddl.Model([src], [eddl.Softmax(eddl.Dense(rec, 4))])
    words, src = eddl.setDecoder(eddl.Input([3])), eddl.Input([3])
    with pytest.raises(ValueError, match=r"must be \[3, V\]"):
        eddl.Model([src], [eddl.Add(eddl.Dense(words, 2), eddl.Dense(src, 2))])


def test_teacher_forcing_errors_name_the_problem():
    net, _ = _built()
    net.set_inputs([_images(2)])
    with pytest.raises(ValueError, match="token id 7.0 is invalid"):
        net.set_targets([np.array([[1., 7, 0], [0, 0, 0]])])
    with pytest.raises(ValueError, match="vocabulary size mismatch"):
        net.set_targets([np.zeros((2, T, V + 1))])
    with pytest.raises(RuntimeError, match="greedy_decode"):
        eddl.predict(net, [_images(2)])


# --- generation --------------------------------------------------------------------------------
def _teacher_forced_log_prob(net, x, seqs):
    """log P(seq | x) for each row of ``seqs`` [n, T] from the training graph (float64)."""
    net.set_mode(eddl.TSMODE)
    net.set_inputs([x])
    net.set_targets([np.where(seqs < 0, 0, seqs).astype(float)])
    net.forward()
    p = np.asarray(net.lout[0].output)
    lp = np.log(np.take_along_axis(p, np.where(seqs < 0, 0, seqs)[:, :, None], 2)[:, :, 0])
    return np.where(seqs < 0, 0.0, lp).sum(axis=1)


def _all_sequences(end_token, length):
    """Every sequence of at most ``length`` tokens that stops at its first end token."""
    out = []
    for seq in itertools.product(range(V), repeat=length):
        seq = list(seq)
        if end_token is not None and end_token in seq:
            seq = seq[:seq.index(end_token) + 1] + [-1] * (length - seq.index(end_token) - 1)
        if seq not in out:
            out.append(seq)
    return np.array(out)


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
@pytest.mark.parametrize("end_token,alpha", [(None, 0.0), (2, 0.0), (2, 0.8), (0, -0.5)])
def test_exhaustive_beam_search_equals_brute_force(cell, end_token, alpha):
    net, _ = _built(cell, seed=4)
    x = _images(3, seed=5)
    cands = _all_sequences(end_token, T)
    scores = np.empty((3, len(cands)))
    for j, seq in enumerate(cands):
        lengths = (seq >= 0).sum()
        scores[:, j] = _teacher_forced_log_prob(net, x, np.tile(seq, (3, 1))) / lengths ** alpha
    width = V ** T
    seqs, got = eddl.beam_search(net, [x], width, end_token=end_token, length_penalty=alpha)
    for i in range(3):
        order = np.argsort(-scores[i], kind="stable")
        n = len(cands)
        np.testing.assert_allclose(got[i, :n], scores[i, order], rtol=1e-10)
        np.testing.assert_array_equal(seqs[i, :n], cands[order])
        assert np.isneginf(got[i, n:]).all() and (seqs[i, n:] == -1).all()


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
@pytest.mark.parametrize("end_token", [None, 1])
def test_greedy_is_beam_width_one(cell, end_token):
    net, _ = _built(cell, seed=7)
    x = _images(6, seed=8)
    g, gs = eddl.greedy_decode(net, [x], end_token=end_token)
    b, bs = eddl.beam_search(net, [x], 1, end_token=end_token)
    np.testing.assert_array_equal(g, b[:, 0])
    np.testing.assert_allclose(gs, bs[:, 0], rtol=1e-12)
    # and greedy's score is the teacher-forced log-probability of its sequence
    np.testing.assert_allclose(gs, _teacher_forced_log_prob(net, x, g), rtol=1e-10)
    if end_token is not None:
        for row in g:
            ends = np.nonzero(row == end_token)[0]
            if ends.size:
                assert (row[ends[0] + 1:] == -1).all()


def test_generation_does_not_depend_on_the_batch_split():
    net, _ = _built("LSTM", seed=9, one_hot=True, start_token=2)
    x = _images(5, seed=10)
    a = eddl.beam_search(net, [x], 3, end_token=3, length_penalty=0.5)
    b = eddl.beam_search(net, [x], 3, end_token=3, length_penalty=0.5, bs=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)
    assert (np.diff(a[1], axis=1) <= 0).all()


def test_generation_follows_training():
    """After training on a fixed image -> sequence map, greedy and beam search reproduce it."""
    net, _ = _built(seed=11, dtype="float32")
    x = _images(4, seed=12).astype(np.float32)
    ids = np.array([[1, 2, 3], [3, 1, 0], [2, 2, 1], [0, 3, 2]])
    for _ in range(150):
        net.train_batch([x], [np.eye(V)[ids]])
    np.testing.assert_array_equal(eddl.greedy_decode(net, [x])[0], ids)
    np.testing.assert_array_equal(eddl.beam_search(net, [x], 3)[0][:, 0], ids)


def test_max_length_shortens_the_sequences():
    net, _ = _built(seed=13)
    x = _images(2)
    full, _ = eddl.greedy_decode(net, [x])
    short, _ = eddl.greedy_decode(net, [x], max_length=2)
    np.testing.assert_array_equal(short, full[:, :2])


def test_generation_errors_are_clear():
    net, _ = _built()
    x = [_images(2)]
    with pytest.raises(ValueError, match="beam_width=0"):
        eddl.beam_search(net, x, 0)
    with pytest.raises(ValueError, match=r"max_length=4 is invalid; valid: an int in \[1, 3\]"):
        eddl.greedy_decode(net, x, max_length=4)
    with pytest.raises(ValueError, match=r"end_token=4 is invalid; valid: an int in \[0, 3\]"):
        eddl.beam_search(net, x, 2, end_token=4)
    with pytest.raises(ValueError, match="length_penalty=0.5 needs end_token"):
        eddl.beam_search(net, x, 2, length_penalty=0.5)
    with pytest.raises(ValueError, match="do not match input layer"):
        eddl.greedy_decode(net, [np.zeros((2, 1, 5, 5))])
    plain_in = eddl.Input([3])
    plain = eddl.Model([plain_in], [eddl.Dense(plain_in, 2)])
    eddl.build(plain, eddl.sgd(0.1), ["mse"], ["mse"])
    with pytest.raises(ValueError, match="no decoder input"):
        eddl.greedy_decode(plain, [np.zeros((1, 3))])
    net2, _ = _built(emb_vocab=V - 1)
    with pytest.raises(ValueError, match="vocabulary size mismatch: Embedding"):
        eddl.beam_search(net2, x, 2)
    words = eddl.setDecoder(eddl.Input([T]))
    rec = eddl.GRU(eddl.Embedding(words, V, T, 3), 2, bidirectional=True, return_sequences=True)
    src = eddl.Input([1])
    bias = eddl.Reshape(eddl.Dense(src, V), [1, V])
    bi = eddl.Model([src], [eddl.Softmax(eddl.Add(eddl.Dense(rec, V), bias))])
    eddl.build(bi, eddl.sgd(0.1), ["softmax_cross_entropy"], ["accuracy"])
    with pytest.raises(ValueError, match="bidirectional"):
        eddl.greedy_decode(bi, [np.zeros((1, 1))])
    words = eddl.setDecoder(eddl.Input([T]))
    emb = eddl.Embedding(words, V, T, 4)
    att = eddl.ScaledDotProductAttention([emb, emb, emb])
    src = eddl.Input([1])
    bias = eddl.Reshape(eddl.Dense(src, V), [1, V])
    leak = eddl.Model([src], [eddl.Softmax(eddl.Add(eddl.Dense(att, V), bias))])
    eddl.build(leak, eddl.sgd(0.1), ["softmax_cross_entropy"], ["accuracy"])
    with pytest.raises(ValueError, match="without causal=True"):
        eddl.beam_search(leak, [np.zeros((1, 1))], 2)
    img, _, out = _image_to_text()
    unbuilt = eddl.Model([img], [out])
    with pytest.raises(RuntimeError, match="not built"):
        eddl.greedy_decode(unbuilt, x)


def test_decoder_nets_round_trip_through_json():
    net, _ = _built("LSTM", seed=14, one_hot=True, start_token=2)
    twin = eddl.model_from_json(net.to_json())
    assert [l.name for l in twin.din] == [l.name for l in net.din]
    assert twin.din[0]._decoder.start_token == 2 and twin.din[0]._decoder.one_hot
    eddl.build(twin, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               dtype="float64")
    eddl.set_parameters(twin, eddl.get_parameters(net))
    x = _images(3, seed=15)
    a = eddl.beam_search(net, [x], 2, end_token=1)
    b = eddl.beam_search(twin, [x], 2, end_token=1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)
    cfg = net.get_config()
    entry = next(e for e in cfg["layers"] if "decoder" in e)
    entry["decoder"] = {"start_token": -3}
    with pytest.raises(ValueError, match="field 'decoder': setDecoder: start_token=-3"):
        eddl.Model.from_config(cfg)


def test_a_causal_self_attention_decoder_generates():
    """A Transformer-style decoder (causal self-attention, then additive attention over the
    image features) generates; exhaustive beam search still equals the brute force."""
    eddl.set_seed(16)
    img = eddl.Input([3, 4])
    words = eddl.setDecoder(eddl.Input([T]), start_token=0)
    emb = eddl.Embedding(words, V, T, 4)
    self_att = eddl.ScaledDotProductAttention([emb, emb, emb], causal=True)
    ctx = eddl.AdditiveAttention([eddl.Add(emb, self_att), img], 5)
    out = eddl.Softmax(eddl.Dense(eddl.Concat([self_att, ctx], axis=1), V))
    net = eddl.Model([img], [out])
    eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"], eddl.CS_CPU(),
               dtype="float64")
    x = np.random.default_rng(17).normal(size=(2, 3, 4)) * 2
    cands = _all_sequences(None, T)
    scores = np.stack([_teacher_forced_log_prob(net, x, np.tile(c, (2, 1))) for c in cands], 1)
    seqs, got = eddl.beam_search(net, [x], V ** T)
    for i in range(2):
        order = np.argsort(-scores[i], kind="stable")
        np.testing.assert_allclose(got[i], scores[i, order], rtol=1e-10)
        np.testing.assert_array_equal(seqs[i], cands[order])
    g, gs = eddl.greedy_decode(net, [x])
    b, bs = eddl.beam_search(net, [x], 1)
    np.testing.assert_array_equal(g, b[:, 0])


@pytest.mark.parametrize("alpha", [0.0, 2.0, -0.7])
def test_early_stopping_does_not_change_the_result(monkeypatch, alpha):
    """Stopping once no live prefix can still win equals searching to max_length (a bound
    that ignores how a length penalty > 0 favours longer sequences fails this for 2.0)."""
    from eddl.model import generation

    net, _ = _built("GRU", seed=18, steps=6)
    dense = net.lout[0].parents[0]
    dense.params[dense.param_names.index("bias")][1] += 1.5   # the end token becomes likely
    x = _images(32, seed=19)
    calls = []
    settled = generation._settled

    def spy(*args):
        calls.append(settled(*args))
        return calls[-1]

    monkeypatch.setattr(generation, "_settled", spy)
    early = eddl.beam_search(net, [x], 3, end_token=1, length_penalty=alpha)
    assert any(calls)   # the search did stop early on this case
    monkeypatch.setattr(generation, "_settled", lambda *args: False)
    full = eddl.beam_search(net, [x], 3, end_token=1, length_penalty=alpha)
    np.testing.assert_array_equal(early[0], full[0])
    np.testing.assert_allclose(early[1], full[1], rtol=1e-12)


def test_a_decoder_net_round_trips_through_onnx(tmp_path):
    """Our ONNX file keeps the decoder input (fed by the caller in other runtimes)."""
    pytest.importorskip("onnx")
    eddl.set_seed(20)
    img = eddl.Input([3, 4])
    words = eddl.setDecoder(eddl.Input([T]), start_token=0)
    rec = eddl.GRU(eddl.Embedding(words, V, T, 4), 4, return_sequences=True)
    ctx = eddl.AdditiveAttention([rec, img], 5)
    net = eddl.Model([img], [eddl.Softmax(eddl.Dense(eddl.Concat([rec, ctx], axis=1), V))])
    eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"])
    path = str(tmp_path / "decoder.onnx")
    eddl.save_net_to_onnx_file(net, path)
    twin = eddl.import_net_from_onnx_file(path)
    assert [l.name for l in twin.din] == [words.name] and twin.din[0]._decoder.start_token == 0
    eddl.build(twin, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"],
               init_weights=False)
    x = np.random.default_rng(21).normal(size=(3, 3, 4)).astype(np.float32)
    a, b = eddl.beam_search(net, [x], 3, end_token=2), eddl.beam_search(twin, [x], 3, end_token=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
