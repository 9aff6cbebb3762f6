"""Attention layers and positional encodings: float64 NumPy references of the equations,
finite-difference gradients (with padding, causal and additive masks, and dropout), PyTorch's
``nn.MultiheadAttention`` (a committed fixture, written by ``make_attention_fixtures.py``), and
a small Transformer encoder that learns."""

import math
import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "attention_torch.npz")


# --- float64 references ---------------------------------------------------------------------
def softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mask_bias(kind, m, b, tq, tk, causal=False):
    """The additive mask ``[B, Tq, Tk]`` (-inf hides a key), as the definitions say."""
    bias = np.zeros((b, tq, tk))
    if kind == "lengths":
        bias += np.where(np.arange(tk)[None, None, :] >= m.reshape(b, 1, 1), -np.inf, 0)
    elif kind == "padding":
        bias += np.where(m.reshape(b, 1, tk) != 0, -np.inf, 0)
    elif kind == "additive":
        bias += m.reshape(b, tq, tk)
    if causal:
        bias += np.where(np.arange(tk)[None, :] > np.arange(tq)[:, None], -np.inf, 0)
    return bias


def ref_sdpa(q, k, v, bias, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    w = softmax(q @ k.swapaxes(-1, -2) * scale + bias)
    return w @ v, w


def ref_mha(p, q, k, v, heads, bias):
    """``p``: PyTorch's parameter names; returns the output and the per-head weights."""
    e = p["out_proj_weight"].shape[0]
    if "in_proj_weight" in p:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p.get("in_proj_bias", np.zeros(3 * e)), 3)

    def split(x):
        b, t, _ = x.shape
        return x.reshape(b, t, heads, e // heads).transpose(0, 2, 1, 3)

    ctx, w = ref_sdpa(split(q @ wq.T + bq), split(k @ wk.T + bk), split(v @ wv.T + bv),
                      bias[:, None])
    b, _, tq, _ = ctx.shape
    cat = ctx.transpose(0, 2, 1, 3).reshape(b, tq, e)
    return cat @ p["out_proj_weight"].T + p.get("out_proj_bias", 0), w


def ref_additive(wq, wk, bias, v, q, k, mbias):
    h = np.tanh((q @ wq + bias)[:, :, None, :] + (k @ wk)[:, None, :, :])
    w = softmax(h @ v + mbias)
    return w @ k, w


def _mask_input(kind, rng, b, tq, tk):
    if kind == "lengths":
        return np.array([[tk], [2], [1]][:b], dtype=np.float64)
    if kind == "padding":
        m = np.zeros((b, tk))
        m[1, 2:] = 1
        m[2, [1, 3]] = 1
        return m
    return rng.normal(size=(b, tq, tk))


def _run(net, xs):
    net.set_inputs(xs)
    net.forward()
    return [l.output.copy() for l in net.lout]


def _params(layer):
    return dict(zip(layer.param_names, layer.params))


MASK_KINDS = [None, "lengths", "padding", "additive"]


# --- forward against the references ----------------------------------------------------------
@pytest.mark.parametrize("mask", MASK_KINDS)
@pytest.mark.parametrize("causal", [False, True])
def test_scaled_dot_product_matches_the_reference(mask, causal):
    rng = np.random.default_rng(0)
    b, tq, tk = 3, 4, 5
    shapes = [(tq, 6), (tk, 6), (tk, 2)] + ([(1,) if mask == "lengths" else (tk,)
                                              if mask == "padding" else (tq, tk)] if mask else [])

    def make(*ins):
        att = eddl.ScaledDotProductAttention(list(ins), causal=causal, mask=mask)
        return [att, eddl.AttentionWeights(att)]

    net = build_net(make, shapes)
    xs = [rng.normal(size=(b,) + s) for s in shapes[:3]]
    if mask:
        xs.append(_mask_input(mask, rng, b, tq, tk))
    ctx, w = _run(net, xs)
    bias = mask_bias(mask, xs[3] if mask else None, b, tq, tk, causal)
    want_ctx, want_w = ref_sdpa(*xs[:3], bias)
    np.testing.assert_allclose(ctx, want_ctx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w, want_w, rtol=1e-12, atol=1e-12)
    if mask in ("lengths", "padding") or causal:
        assert (w[np.isinf(bias)] == 0).all()


def test_scale_and_a_fully_masked_query():
    rng = np.random.default_rng(1)
    net = build_net(lambda q, k, v, m: eddl.ScaledDotProductAttention([q, k, v, m], mask="lengths",
                                                                      scale=0.3),
                    [(2, 3), (4, 3), (4, 2), (1,)])
    xs = [rng.normal(size=(2,) + s) for s in [(2, 3), (4, 3), (4, 2)]] + [np.array([[3.0], [0.0]])]
    (ctx,) = _run(net, xs)
    np.testing.assert_allclose(ctx[0], ref_sdpa(*[x[0] for x in xs[:3]],
                                                mask_bias("lengths", xs[3][:1], 1, 2, 4)[0],
                                                scale=0.3)[0], rtol=1e-12)
    # no key left: finite weights (-inf would give NaN)
    assert np.isfinite(ctx[1]).all()


@pytest.mark.parametrize("mask", MASK_KINDS)
@pytest.mark.parametrize("packed, causal", [(True, False), (True, True), (False, True)])
def test_multi_head_matches_the_reference(mask, packed, causal):
    rng = np.random.default_rng(2)
    b, tq, tk, e, h = 3, 4, 5, 6, 3
    kdim, vdim = (e, e) if packed else (4, 2)
    shapes = [(tq, e), (tk, kdim), (tk, vdim)] + ([(1,) if mask == "lengths" else (tk,)
                                                  if mask == "padding" else (tq, tk)] if mask else [])

    def make(*ins):
        att = eddl.MultiHeadAttention(list(ins), e, h, kdim=kdim, vdim=vdim, causal=causal,
                                      mask=mask)
        return [att, eddl.AttentionWeights(att), eddl.AttentionWeights(att, average=False)]

    net = build_net(make, shapes)
    att = net.lout[0]
    assert ("in_proj_weight" in att.param_names) == packed
    for p in att.params:  # nonzero biases too
        p[...] = rng.normal(0, 0.5, p.shape)
    xs = [rng.normal(size=(b,) + s) for s in shapes[:3]]
    if mask:
        xs.append(_mask_input(mask, rng, b, tq, tk))
    out, w_avg, w_heads = _run(net, xs)
    want, want_w = ref_mha(_params(att), *xs[:3], h,
                           mask_bias(mask, xs[3] if mask else None, b, tq, tk, causal))
    np.testing.assert_allclose(out, want, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(w_heads, want_w, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(w_avg, want_w.mean(1), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("mask", MASK_KINDS)
@pytest.mark.parametrize("single", [False, True])
def test_additive_matches_the_reference(mask, single):
    rng = np.random.default_rng(3)
    b, tq, tk = 3, 1 if single else 4, 5
    qshape = (6,) if single else (tq, 6)
    mshape = {"lengths": (1,), "padding": (tk,), "additive": (tk,) if single else (tq, tk)}
    shapes = [qshape, (tk, 3)] + ([mshape[mask]] if mask else [])

    def make(*ins):
        att = eddl.AdditiveAttention(list(ins), 7, mask=mask)
        return [att, eddl.AttentionWeights(att)]

    net = build_net(make, shapes)
    att = net.lout[0]
    att.params[2][...] = rng.normal(size=7)
    xs = [rng.normal(size=(b,) + s) for s in shapes[:2]]
    if mask:
        xs.append(_mask_input(mask, rng, b, tq, tk).reshape((b,) + mshape[mask]))
    ctx, w = _run(net, xs)
    bias = mask_bias(mask, xs[2] if mask else None, b, tq, tk)
    want, want_w = ref_additive(*att.params, xs[0].reshape(b, tq, 6), xs[1], bias)
    np.testing.assert_allclose(ctx, want.reshape(ctx.shape), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w, want_w.reshape(w.shape), rtol=1e-12, atol=1e-12)


def test_positional_encodings():
    t_len, d = 7, 5
    net = build_net(lambda x: [eddl.PositionalEncoding(x), eddl.LearnedPositionalEncoding(x)],
                    [(t_len, d)])
    x = np.random.default_rng(4).normal(size=(2, t_len, d))
    fixed, learned = _run(net, [x])
    pe = np.zeros((t_len, d))
    for pos in range(t_len):
        for i in range(d):
            angle = pos / 10000 ** ((i - i % 2) / d)
            pe[pos, i] = math.sin(angle) if i % 2 == 0 else math.cos(angle)
    np.testing.assert_allclose(fixed, x + pe, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(learned, x + net.lout[1].params[0], rtol=1e-13)
    assert net.lout[1].params[0].std() > 0.01
    assert not net.lout[0].params


# --- gradients -------------------------------------------------------------------------------
def _with_weights(att):
    return [att, eddl.AttentionWeights(att)]


GRAD_CASES = [
    ("sdpa", lambda q, k, v: _with_weights(eddl.ScaledDotProductAttention([q, k, v])),
     [(3, 4), (5, 4), (5, 2)], None),
    ("sdpa-causal-padding", lambda q, k, v, m: eddl.ScaledDotProductAttention(
        [q, k, v, m], causal=True, mask="padding"), [(4, 4), (5, 4), (5, 2), (5,)], "padding"),
    ("sdpa-additive-dropout", lambda q, k, v, m: _with_weights(eddl.ScaledDotProductAttention(
        [q, k, v, m], mask="additive", dropout=0.3)), [(3, 4), (5, 4), (5, 2), (3, 5)],
     "additive"),
    ("mha-self-causal", lambda x: _with_weights(eddl.MultiHeadAttention([x, x, x], 4, 2,
                                                                        causal=True)),
     [(3, 4)], None),
    ("mha-cross-lengths", lambda q, k, v, m: eddl.MultiHeadAttention(
        [q, k, v, m], 4, 2, kdim=3, vdim=5, mask="lengths"), [(3, 4), (4, 3), (4, 5), (1,)],
     "lengths"),
    ("mha-nobias-padding-dropout-heads", lambda q, k, m: [eddl.AttentionWeights(
        eddl.MultiHeadAttention([q, k, k, m], 4, 2, dropout=0.25, bias=False, causal=True,
                                mask="padding"), average=False)],
     [(3, 4), (5, 4), (5,)], "padding"),
    ("mha-query-is-key", lambda x, v: eddl.MultiHeadAttention([x, x, v], 4, 2),
     [(3, 4), (3, 4)], None),
    ("additive", lambda q, k: _with_weights(eddl.AdditiveAttention([q, k], 3)),
     [(3, 4), (5, 2)], None),
    ("additive-single-lengths", lambda q, k, m: _with_weights(eddl.AdditiveAttention(
        [q, k, m], 3, mask="lengths")), [(4,), (5, 2), (1,)], "lengths"),
    ("additive-additive-mask", lambda q, k, m: eddl.AdditiveAttention(
        [q, k, m], 2, mask="additive"), [(2, 3), (4, 2), (2, 4)], "additive"),
    ("positional", lambda x: eddl.LearnedPositionalEncoding(eddl.PositionalEncoding(x)),
     [(3, 4)], None),
]


@pytest.mark.parametrize("make, shapes, mask", [pytest.param(*c[1:], id=c[0])
                                                 for c in GRAD_CASES])
def test_gradients_match_finite_differences(make, shapes, mask):
    rng = np.random.default_rng(5)
    b = 3
    xs = [rng.normal(size=(b,) + tuple(s)) for s in shapes]
    checked = range(len(shapes))
    if mask in ("lengths", "padding"):
        tk = shapes[1][0]
        xs[-1] = _mask_input(mask, rng, b, None, tk)
        checked = range(len(shapes) - 1)  # flags and lengths have no gradient
    net = build_net(make, shapes)
    for l in net.layers:  # nonzero biases
        for p in l.params:
            p[...] = rng.normal(0, 0.7, p.shape)
    check_gradients(None, shapes, inputs=xs, net=net, check_inputs=list(checked))
    if mask in ("lengths", "padding"):
        assert not net.lin[-1].delta.any()


def test_a_gru_decoder_attends_over_cnn_feature_positions():
    """The image-to-text form: decoder states query the [h w, C] positions of a conv layer."""
    def make(image, tokens):
        feats = eddl.Conv2D(image, 3, [2, 2], padding="valid")                # [3, 2, 2]
        keys = eddl.Permute(eddl.Reshape(feats, [3, 4]), [1, 0])             # [4 positions, 3]
        states = eddl.GRU(tokens, 3, return_sequences=True)                  # [3 steps, 3]
        ctx = eddl.AdditiveAttention([states, keys], 2)                      # [3 steps, 3]
        return eddl.Dense(eddl.Concat([states, ctx], 1), 2)

    net = check_gradients(make, [(1, 3, 3), (3, 2)])
    assert net.lout[0].shape == (3, 2)


def test_padded_keys_and_values_do_not_matter():
    rng = np.random.default_rng(6)
    shapes = [(3, 4), (5, 4), (1,)]
    net = build_net(lambda q, k, m: eddl.MultiHeadAttention([q, k, k, m], 4, 2, mask="lengths"),
                    shapes)
    xs = [rng.normal(size=(2,) + s) for s in shapes[:2]] + [np.array([[3.0], [5.0]])]
    (y,) = _run(net, xs)
    xs[1][0, 3:] = rng.normal(size=(2, 4)) * 100
    np.testing.assert_array_equal(_run(net, xs)[0][0], y[0])
    # the same mask given as padding flags
    flags = build_net(lambda q, k, m: eddl.MultiHeadAttention([q, k, k, m], 4, 2, mask="padding"),
                      [(3, 4), (5, 4), (5,)])
    eddl.set_parameters(flags, eddl.get_parameters(net))
    pad = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], dtype=float)
    np.testing.assert_allclose(_run(flags, xs[:2] + [pad])[0], _run(net, xs)[0], rtol=1e-14)


def test_a_smaller_last_batch_reuses_the_buffers():
    rng = np.random.default_rng(7)
    net = build_net(lambda x: eddl.MultiHeadAttention([x, x, x], 4, 2, causal=True), [(5, 4)])
    att = net.lout[0]
    x = rng.normal(size=(4, 5, 4))
    full = _run(net, [x])[0]
    net.backward_from([att], [np.ones_like(full)])
    before = {k: id(v) for k, v in att._buffers.items()}
    part = _run(net, [x[:3]])[0]
    net.backward_from([att], [np.ones_like(part)])
    assert {k: id(v) for k, v in att._buffers.items()} == before
    np.testing.assert_allclose(part, full[:3], rtol=1e-13)


def test_the_reference_backend_computes_the_same():
    rng = np.random.default_rng(10)
    xs = [rng.normal(size=(4, 5, 8)).astype(np.float32), np.array([[5], [3], [1], [2]], np.float32),
          rng.normal(size=(4, 3)).astype(np.float32)]
    results = []
    for backend in ("cpu", "reference"):
        eddl.set_seed(1)
        x, m, q = eddl.Input([5, 8]), eddl.Input([1]), eddl.Input([3])
        att = eddl.MultiHeadAttention([x, x, x, m], 8, 2, causal=True, mask="lengths")
        outs = [eddl.LearnedPositionalEncoding(eddl.PositionalEncoding(att)),
                eddl.AttentionWeights(att), eddl.ScaledDotProductAttention([x, x, x]),
                eddl.AdditiveAttention([q, x], 4)]
        net = eddl.Model([x, m, q], outs)
        eddl.build(net, eddl.sgd(0.1), ["mse"] * 4, ["mse"] * 4, eddl.CS_CPU(backend=backend))
        ys = [np.random.default_rng(11).normal(size=(4,) + l.shape).astype(np.float32)
              for l in net.lout]
        eddl.train_batch(net, xs, ys)  # one step: the gradients agree too
        results.append([np.asarray(y) for y in eddl.predict(net, xs)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dropout_acts_in_training_mode_only():
    rng = np.random.default_rng(8)
    net = build_net(lambda x: eddl.AttentionWeights(eddl.MultiHeadAttention([x, x, x], 4, 1,
                                                                            dropout=0.5)),
                    [(6, 4)])
    x = rng.normal(size=(20, 6, 4))
    (w,) = _run(net, [x])
    dropped = w == 0
    assert 0.3 < dropped.mean() < 0.7
    np.testing.assert_allclose(w.sum(-1).mean(), 1.0, atol=0.15)  # kept ones scaled by 2
    net.lout[0].parents[0].mode = eddl.TSMODE
    (w,) = _run(net, [x])
    assert (w > 0).all()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-13)


# --- PyTorch's nn.MultiheadAttention -----------------------------------------------------------
def _torch_cases():
    data = np.load(FIXTURE)
    cases = {}
    for key in data.files:
        case, name = key.split("/", 1)
        cases.setdefault(case, {})[name] = data[key]
    return cases


@pytest.mark.parametrize("case", ["self_padding", "cross_kdim_vdim_causal",
                                  "self_nobias_causal_padding"])
def test_multi_head_matches_pytorch(case):
    c = _torch_cases()[case]
    weights = {k[2:].replace(".", "_"): v for k, v in c.items() if k.startswith("w.")}
    e = weights["out_proj_weight"].shape[0]
    self_att = "grad.key" not in c
    padding = bool(c["key_padding_mask"].any())
    causal = "causal" in case
    per_head = c["weights"].ndim == 4
    heads = c["weights"].shape[1] if per_head else {"self_padding": 2,
                                                    "self_nobias_causal_padding": 3}[case]
    q, k, v = c["query"], c["key"], c["value"]

    def make(*ins):
        ins = list(ins)
        qkv = [ins[0]] * 3 if self_att else ins[:3]
        att = eddl.MultiHeadAttention(qkv + ins[len(ins) - padding:], e, heads,
                                      bias="in_proj_bias" in weights, kdim=k.shape[-1],
                                      vdim=v.shape[-1], causal=causal,
                                      mask="padding" if padding else None)
        return [att, eddl.AttentionWeights(att, average=not per_head)]

    xs = [q] if self_att else [q, k, v]
    if padding:
        xs.append(c["key_padding_mask"])
    net = build_net(make, [x.shape[1:] for x in xs])
    att = net.lout[0]
    assert sorted(att.param_names) == sorted(weights)
    for n, p in zip(att.param_names, att.params):
        p[...] = weights[n]
    out, w = _run(net, xs)
    np.testing.assert_allclose(out, c["output"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w, c["weights"], rtol=1e-10, atol=1e-12)
    net.backward_from(net.lout, [c["probe"], np.zeros_like(w)])
    np.testing.assert_allclose(net.lin[0].delta, c["grad.query"], rtol=1e-9, atol=1e-12)
    if not self_att:
        np.testing.assert_allclose(net.lin[1].delta, c["grad.key"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(net.lin[2].delta, c["grad.value"], rtol=1e-9, atol=1e-12)
    for n, g in zip(att.param_names, att.gradients):
        torch_name = n.replace("out_proj_", "out_proj.")
        np.testing.assert_allclose(g, c[f"grad.w.{torch_name}"], rtol=1e-9, atol=1e-12,
                                   err_msg=n)


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda: eddl.MultiHeadAttention([eddl.Input([3, 6])] * 3, 6, 4), ValueError,
     r"num_heads=4 does not divide embed_dim=6"),
    (lambda: eddl.MultiHeadAttention([eddl.Input([3, 5])] * 3, 6, 2, name="m"), ValueError,
     r"MultiHeadAttention layer 'm': query needs samples of shape \[T, 6\], got \[3, 5\]"),
    (lambda: eddl.MultiHeadAttention([eddl.Input([3, 6])] * 2, 6, 2), ValueError,
     r"needs 3 parent layers \[query, key, value\], got 2"),
    (lambda: eddl.MultiHeadAttention([eddl.Input([3, 6])] * 3 + [eddl.Input([4])], 6, 2,
                                     mask="padding", name="m"), ValueError,
     r"'m': mask='padding' needs samples of shape \[3\] \(nonzero at padded keys\), got \[4\]"),
    (lambda: eddl.MultiHeadAttention([eddl.Input([3, 6])] * 3, 6, 2, mask="keys"), ValueError,
     r"mask='keys' is invalid"),
    (lambda: eddl.MultiHeadAttention([eddl.Input([3, 6])] * 3, 6, 2, dropout=1.0), ValueError,
     r"dropout=1.0 is invalid"),
    (lambda: eddl.ScaledDotProductAttention([eddl.Input([3, 6]), eddl.Input([4, 5]),
                                             eddl.Input([4, 2])], name="s"), ValueError,
     r"'s': query and key need the same feature size, got 6 and 5"),
    (lambda: eddl.ScaledDotProductAttention([eddl.Input([3, 6]), eddl.Input([4, 6]),
                                             eddl.Input([5, 2])]), ValueError,
     r"key and value need the same length, got 4 and 5"),
    (lambda: eddl.ScaledDotProductAttention([eddl.Input([6])] * 3), ValueError,
     r"need samples of shape \[T, D\]"),
    (lambda: eddl.AdditiveAttention([eddl.Input([3, 6]), eddl.Input([4])], 3), ValueError,
     r"the keys need samples of shape \[Tk, Dk\], got \[4\]"),
    (lambda: eddl.AdditiveAttention([eddl.Input([3, 6]), eddl.Input([4, 2])], 0), ValueError,
     r"units=0 is invalid"),
    (lambda: eddl.AttentionWeights(eddl.Input([3, 4])), TypeError,
     r"parent must be an attention layer"),
    (lambda: eddl.PositionalEncoding(eddl.Input([8])), ValueError,
     r"PositionalEncoding layer .*\[T, D\]"),
    (lambda: eddl.ScaledDotProductAttention([eddl.Input([3, 6])] * 3, causal=1), TypeError,
     r"causal must be a bool"),
])
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_key_lengths_are_named():
    net = build_net(lambda q, m: eddl.ScaledDotProductAttention([q, q, q, m], mask="lengths",
                                                                name="att"), [(4, 2), (1,)])
    x = np.zeros((2, 4, 2))
    for bad in (5.0, -1.0, 1.5):
        with pytest.raises(ValueError, match=rf"'att': key length {bad} is invalid; valid: "
                                             rf"integers in \[0, 4\]"):
            _run(net, [x, np.array([[2.0], [bad]])])


# --- a Transformer encoder learns --------------------------------------------------------------
def test_a_transformer_encoder_block_learns_to_reverse_sequences():
    rng = np.random.default_rng(9)
    t_len, vocab, d = 5, 6, 16
    x = rng.integers(1, vocab, (1000, t_len))
    y = np.eye(vocab, dtype=np.float32)[x[:, ::-1]]
    eddl.set_seed(3)
    ids = eddl.Input([t_len])
    h = eddl.PositionalEncoding(eddl.Embedding(ids, vocab, t_len, d))
    a = eddl.MultiHeadAttention([h, h, h], d, 2)
    h = eddl.LayerNormalization(eddl.Add(h, a), axis=1)
    f = eddl.Dense(eddl.ReLu(eddl.Dense(h, 32)), d)
    h = eddl.LayerNormalization(eddl.Add(h, f), axis=1)
    net = eddl.Model([ids], [eddl.Softmax(eddl.Dense(h, vocab))])
    eddl.build(net, eddl.adam(0.01), ["soft_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    losses = []
    for _ in range(8):
        eddl.fit(net, [x.astype(np.float32)], [y], 50, 1, verbose=0)
        losses.append(eddl.get_losses(net)[0])
    assert losses[-1] < 0.2 * losses[0], losses
