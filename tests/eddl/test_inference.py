"""eddl.optimize_for_inference: fused convolutions, dropped identities, shared activation buffers.

The rewritten model must predict what the original predicts in inference mode (zoo models with
non-trivial batch-normalization statistics, ONNX models exported by PyTorch, float32 and
float64), its memory plan must never let two live outputs share a buffer, and the fused
epilogue kernel must equal a float64 NumPy reference.
"""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.backend.cpu import conv as cpu_conv
from eddl.backend.reference import conv as ref_conv
from eddl.layers.fused import FusedConv
from eddl.model.inference import fusion_chains
from eddl.model.memory_plan import MemoryPlan

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "onnx"))
import fixtures  # noqa: E402


def _built(net, seed=0, dtype="float32"):
    """``net`` built on the CPU with random weights and batch-normalization statistics."""
    eddl.set_seed(seed)
    eddl.build(net, eddl.sgd(), ["mse"] * len(net.lout), ["mse"] * len(net.lout), eddl.CS_CPU(),
               dtype=dtype)
    rng = np.random.default_rng(seed)
    for l in net.layers:
        if type(l).__name__ == "BatchNormalization":
            l.states[0][...] = rng.standard_normal(l.states[0].shape) * 0.3
            l.states[1][...] = rng.uniform(0.5, 1.5, l.states[1].shape)
            if l.params:
                l.params[0][...] = rng.uniform(0.5, 1.5, l.params[0].shape)
                l.params[1][...] = rng.standard_normal(l.params[1].shape) * 0.1
    return net


def _predict(net, x, bs=-1):
    return np.asarray(eddl.predict(net, [x], bs=bs)[0])


def _close(got, ref, rtol):
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * np.abs(ref).max())


def _types(net):
    return [type(l).__name__ for l in net.layers]


ZOO = [
    ("resnet18", lambda: eddl.zoo.resnet18([3, 32, 32], 10), 20),
    ("resnet50", lambda: eddl.zoo.resnet50([3, 32, 32], 10), 53),
    ("vgg16_bn", lambda: eddl.zoo.vgg16_bn([3, 32, 32], 10, dense_units=16), 13),
    ("unet", lambda: eddl.zoo.unet([3, 32, 32], 2, depth=2, base_filters=8), 10),
    ("mobilenet", lambda: eddl.zoo.mobilenet([3, 32, 32], 10, width=0.25), None),
    ("preactivation", lambda: _preactivation(), 2),
]


def _preactivation():
    x = eddl.Input([3, 32, 32])
    h = eddl.Conv2D(x, 8, [3, 3])
    for _ in range(2):  # BN -> ReLU -> Conv, summed with the block's input
        h = eddl.Add([eddl.Conv2D(eddl.ReLu(eddl.BatchNormalization(h)), 8, [3, 3]), h])
    return eddl.Model([x], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 10))])


@pytest.mark.parametrize("name,make,fused", ZOO, ids=[z[0] for z in ZOO])
def test_zoo_models_predict_the_same_after_optimization(rng, name, make, fused):
    net = _built(make())
    fast = eddl.optimize_for_inference(net)
    n = _types(fast).count("FusedConv")
    assert n == fused if fused is not None else n > 0
    if name == "preactivation":
        assert _types(fast).count("FusedAffine") == 2
    assert "BatchNormalization" not in _types(fast)
    assert len(fast.layers) < len(net.layers)
    x = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    ref = _predict(net, x)
    _close(_predict(fast, x), ref, 1e-4)
    # batch sizes other than the first: the shared buffers are cut for each
    _close(_predict(fast, x[:1], bs=1), ref[:1], 1e-4)
    _close(_predict(fast, np.concatenate([x, x]), bs=5), np.concatenate([ref, ref]), 1e-4)


def test_float64_models_fold_exactly_within_float64_rounding(rng):
    net = _built(eddl.zoo.resnet18([3, 32, 32], 10), dtype="float64")
    fast = eddl.optimize_for_inference(net)
    assert fast.dtype == "float64" and fast.layers[1].params[0].dtype == np.float64
    x = rng.standard_normal((2, 3, 32, 32))
    _close(_predict(fast, x), _predict(net, x), 1e-10)


@pytest.mark.parametrize("name", ["resnet_small_torchscript_eval", "resnet_small_dynamo_train",
                                  "unet_small_dynamo_eval", "unet_small_torchscript_train",
                                  "mlp_embed_dynamo_eval"])
def test_onnx_imported_models_predict_the_same_after_optimization(name):
    data = fixtures.load_fixture(name).SerializeToString()
    net = eddl.import_net_from_onnx_string(data)
    fast = eddl.optimize_for_inference(net)  # imported, unbuilt: weights copied as they are
    eddl.build(net, cs=eddl.CS_CPU(), init_weights=False)
    xs = list(fixtures.sample_input(fixtures.load_fixture(name), batch=3).values())
    ref = np.asarray(eddl.predict(net, xs)[0])
    _close(np.asarray(eddl.predict(fast, xs)[0]), ref, 1e-4)
    if "resnet" in name or "unet" in name:
        assert "FusedConv" in _types(fast)


def _residual_net(act="relu", alpha=0.1, affine=True, bias=False, rate=0.0):
    x = eddl.Input([4, 9, 7])
    h = eddl.Conv2D(x, 6, [3, 3], use_bias=bias)
    skip = eddl.Conv2D(x, 6, [1, 1])
    b = eddl.BatchNormalization(h, affine)
    y = eddl.Add([b, skip])
    if act == "relu":
        y = eddl.ReLu(y)
    elif act == "leaky_relu":
        y = eddl.LeakyReLu(y, alpha)
    if rate:
        y = eddl.Dropout(y, rate)
    out = eddl.Dense(eddl.Flatten(y), 3)
    return eddl.Model([x], [out])


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "none"])
@pytest.mark.parametrize("affine,bias", [(True, False), (False, True)])
def test_chain_patterns(rng, act, affine, bias):
    net = _built(_residual_net(act, affine=affine, bias=bias, rate=0.3))
    chains = fusion_chains(net)
    assert len(chains) == 1 and len(chains[0]) == 3 + (act != "none")
    fast = eddl.optimize_for_inference(net)
    assert "Dropout" not in _types(fast)
    f = next(l for l in fast.layers if isinstance(l, FusedConv))
    assert f.residual and f.activation == act
    x = rng.standard_normal((4, 4, 9, 7)).astype(np.float32)
    _close(_predict(fast, x), _predict(net, x), 1e-5)


@pytest.mark.parametrize("bn,add,act", [(True, True, "relu"), (True, False, "leaky_relu"),
                                        (False, True, "none"), (False, False, "relu")])
def test_dense_chains(rng, bn, add, act):
    x = eddl.Input([6])
    h = eddl.Dense(x, 5, use_bias=not bn)
    y = eddl.BatchNormalization(h) if bn else h
    if add:
        y = eddl.Add([y, eddl.Dense(x, 5)])
    y = {"relu": eddl.ReLu, "leaky_relu": lambda t: eddl.LeakyReLu(t, 0.2),
         "none": lambda t: t}[act](y)
    net = _built(eddl.Model([x], [eddl.Dense(y, 2)]))
    fast = eddl.optimize_for_inference(net)
    fused = [l for l in fast.layers if type(l).__name__ == "FusedDense"]
    assert len(fused) == 1 and fused[0].activation == act and fused[0].residual == add
    xs = rng.standard_normal((4, 6)).astype(np.float32)
    _close(_predict(fast, xs), _predict(net, xs), 1e-5)


@pytest.mark.parametrize("shape", [[4, 5, 6], [4, 7], [4]])
def test_normalizations_after_no_fusable_layer_fuse_with_what_follows(rng, shape):
    # pre-activation blocks: BN -> ReLU -> Conv, and a normalization of the input itself
    x = eddl.Input(shape)
    a = eddl.ReLu(eddl.Add([eddl.BatchNormalization(x), x]))
    b = eddl.LeakyReLu(eddl.BatchNormalization(eddl.Abs(x)), 0.1)
    net = _built(eddl.Model([x], [eddl.Add([a, b])]))
    chains = fusion_chains(net)
    assert sorted(len(c) for c in chains) == [2, 3]
    fast = eddl.optimize_for_inference(net)
    assert _types(fast).count("FusedAffine") == 2 and "BatchNormalization" not in _types(fast)
    xs = rng.standard_normal([3] + shape).astype(np.float32)
    _close(_predict(fast, xs), _predict(net, xs), 1e-5)


def test_dense_layers_on_sequences_are_not_fused(rng):
    x = eddl.Input([3, 6])
    net = _built(eddl.Model([x], [eddl.ReLu(eddl.Dense(x, 4))]))
    assert fusion_chains(net) == []


def test_chains_stop_where_an_inner_output_is_read_elsewhere(rng):
    x = eddl.Input([3, 8, 8])
    c = eddl.Conv2D(x, 4, [3, 3])
    b = eddl.BatchNormalization(c)
    r = eddl.ReLu(b)
    tap = eddl.Dense(eddl.Flatten(b), 2)  # reads the normalization's output too
    net = _built(eddl.Model([x], [r, tap]))
    # the normalization's output is the fused layer's: its two readers read that
    assert fusion_chains(net) == [[c.name, b.name]]
    assert fusion_chains(net, keep=[c.name]) == []
    fast = eddl.optimize_for_inference(net)
    xs = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    for got, ref in zip(eddl.predict(fast, [xs]), eddl.predict(net, [xs])):
        _close(got, ref, 1e-5)


def test_keep_leaves_inner_outputs_readable_and_others_are_refused(rng):
    net = _built(eddl.zoo.resnet18([3, 32, 32], 10))
    name = next(l.name for l in net.layers if type(l).__name__ == "BatchNormalization"
                and type(l.children[0]).__name__ == "Activation")
    fast = eddl.optimize_for_inference(net, keep=[name])
    assert type(fast.get_layer(name)).__name__ == "FusedConv"  # the chain ends at a kept layer
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    eddl.predict(net, [x])
    want = np.array(eddl.getOutput(net.get_layer(name)).numpy())
    eddl.predict(fast, [x])
    _close(np.array(eddl.getOutput(fast.get_layer(name)).numpy()), want, 1e-4)
    planned = next(l for l in fast.layers if fast.memory_plan.planned(l))
    with pytest.raises(RuntimeError, match=f"{planned.name}.*keep="):
        eddl.getOutput(planned)
    with pytest.raises(KeyError, match="nope"):
        eddl.optimize_for_inference(net, keep=["nope"])


def test_the_optimized_model_refuses_training(rng):
    net = _built(_residual_net())
    fast = eddl.optimize_for_inference(net)
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    y = rng.standard_normal((2, 3)).astype(np.float32)
    with pytest.raises(RuntimeError, match="inference"):
        fast.train_batch([x], [y])
    nomem = eddl.optimize_for_inference(net, memory_plan=False)
    assert nomem.memory_plan is None
    nomem.set_inputs([x])
    nomem.forward()
    f = next(l for l in nomem.layers if isinstance(l, FusedConv))
    with pytest.raises(RuntimeError, match="inference only"):
        f.backward()


def test_weights_are_copied_when_the_call_is_made(rng):
    net = _built(_residual_net())
    fast = eddl.optimize_for_inference(net)
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    before = _predict(net, x)
    for p in net.layers[1].params:
        p *= 2
    _close(_predict(fast, x), before, 1e-5)
    _close(_predict(eddl.optimize_for_inference(net), x), _predict(net, x), 1e-5)


def test_unbuilt_models_without_weights_are_refused():
    with pytest.raises(ValueError, match="no weights"):
        eddl.optimize_for_inference(_residual_net())


def test_fused_layer_configuration_round_trips(rng):
    net = _built(_residual_net("leaky_relu", alpha=0.2))
    fast = eddl.optimize_for_inference(net, memory_plan=False)
    twin = eddl.model_from_json(fast.to_json())
    eddl.build(twin, cs=eddl.CS_CPU())
    twin.set_parameters(fast.get_parameters(deepcopy=True))
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    _close(_predict(twin, x), _predict(fast, x), 1e-6)
    f = next(l for l in twin.layers if isinstance(l, FusedConv))
    assert (f.activation, f.alpha, f.residual) == ("leaky_relu", 0.2, True)
    with pytest.raises(ValueError, match="activation"):
        FusedConv([eddl.Input([3, 8, 8])], 4, [3, 3], activation="tanh")
    with pytest.raises(ValueError, match="2 input"):
        FusedConv([eddl.Input([3, 8, 8])], 4, [3, 3], residual=True)
    with pytest.raises(ValueError, match="residual must be"):
        FusedConv([eddl.Input([3, 8, 8]), eddl.Input([5, 8, 8])], 4, [3, 3], [1, 1],
                  [1, 1, 1, 1], residual=True)


# --- the memory plan ------------------------------------------------------------------------

def _live_ranges(work, protected):
    """Brute force: for each layer, the steps during which its output (or a view of it) is read."""
    def root(l):
        while l.output_is_view():
            l = l.parents[0]
        return l
    last = {}
    for i, l in enumerate(work):
        for p in l.parents:
            last[root(p)] = max(last.get(root(p), i), i)
    return {l: (i, max(last.get(l, i), i)) for i, l in enumerate(work)}


@pytest.mark.parametrize("make", [lambda: eddl.zoo.resnet50([3, 32, 32], 10),
                                  lambda: eddl.zoo.unet([3, 32, 32], 2, depth=3, base_filters=4)])
def test_no_two_live_outputs_share_a_slot(make):
    net = _built(make())
    work = net._work
    plan = MemoryPlan(work, net.lout)
    ranges = _live_ranges(work, net.lout)
    planned = list(plan.slot_of)
    assert len(plan.slot_elements) < len(planned) / 4
    for i, a in enumerate(planned):
        for b in planned[i + 1:]:
            if plan.slot_of[a] != plan.slot_of[b]:
                continue
            (a0, a1), (b0, b1) = ranges[a], ranges[b]
            assert a1 < b0 or b1 < a0, f"{a.name} and {b.name} overlap in slot {plan.slot_of[a]}"
    for l in planned:
        assert plan.slot_elements[plan.slot_of[l]] >= np.prod(l.shape)
    assert not set(planned) & set(net.lout)


def test_the_plan_holds_a_fraction_of_the_activation_memory():
    net = _built(eddl.zoo.resnet50([3, 64, 64], 10))
    fast = eddl.optimize_for_inference(net)
    every = sum(int(np.prod(l.shape)) for l in fast._work if not l.output_is_view())
    assert fast.memory_plan.bytes_per_sample(4) < 0.25 * every * 4
    x = np.zeros((2, 3, 64, 64), np.float32)
    eddl.predict(fast, [x])
    slots = {l._out_full.base.ctypes.data if l._out_full.base is not None else None
             for l in fast.layers if fast.memory_plan.planned(l)}
    assert len(slots) == len(fast.memory_plan.slot_elements)


def test_plan_memory_can_be_removed(rng):
    net = _built(_residual_net())
    fast = eddl.optimize_for_inference(net)
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    ref = _predict(fast, x)
    assert fast.plan_memory(None) is None
    _close(_predict(fast, x), ref, 1e-6)
    for l in fast.layers:
        eddl.getOutput(l)


# --- the epilogue kernel ------------------------------------------------------------------------

def _epilogue_ref(x, scale, shift, res, act, alpha):
    y = x.astype(np.float64)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if scale is not None:
        y = y * scale.reshape(shape)
    if shift is not None:
        y = y + shift.reshape(shape)
    if res is not None:
        y = y + res
    if act == "relu":
        y = np.maximum(y, 0)
    elif act == "leaky_relu":
        y = np.where(y > 0, y, alpha * y)
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 5, 1), (3, 4), (2, 3, 2, 3, 5)])
@pytest.mark.parametrize("act", ["none", "relu", "leaky_relu"])
@pytest.mark.parametrize("be", [cpu_conv, ref_conv], ids=["cpu", "reference"])
def test_channel_epilogue_against_float64(rng, dtype, shape, act, be):
    c = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    for scale, shift, res, inplace in [(None, rng.standard_normal(c), None, True),
                                       (rng.standard_normal(c), rng.standard_normal(c),
                                        rng.standard_normal(shape), False),
                                       (None, None, rng.standard_normal(shape), True),
                                       (rng.standard_normal(c), None, None, False)]:
        args = [None if a is None else a.astype(dtype) for a in (scale, shift, res)]
        want = _epilogue_ref(x, *args, act, 0.3)
        out = x.copy() if inplace else np.empty_like(x)
        src = out if inplace else x
        be.channel_epilogue(src, out, *args, activation=act, alpha=0.3)
        tol = 1e-6 if dtype == np.float32 else 1e-14
        np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


def test_channel_epilogue_nan_and_errors():
    x = np.array([[[np.nan, -0.0, -1.0, 2.0]]], np.float32)
    out = np.empty_like(x)
    cpu_conv.channel_epilogue(x, out, activation="relu")
    assert np.isnan(out[0, 0, 0]) and not np.signbit(out[0, 0, 1]) and out[0, 0, 2] == 0
    y = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="activation"):
        cpu_conv.channel_epilogue(y, y, activation="tanh")
    with pytest.raises(ValueError, match="does not match"):
        cpu_conv.channel_epilogue(y, np.zeros((2, 3, 5), np.float32))
    with pytest.raises(TypeError, match="shift"):
        cpu_conv.channel_epilogue(y, y, shift=np.zeros(3, np.float64))
    with pytest.raises(ValueError, match="3 channels|shifts"):
        cpu_conv.channel_epilogue(y, y, shift=np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="residual"):
        cpu_conv.channel_epilogue(y, y, residual=np.zeros((2, 3, 5), np.float32))
    flat = np.zeros(25, np.float32)
    with pytest.raises(ValueError, match="overlaps"):
        cpu_conv.channel_epilogue(y, flat[:24].reshape(2, 3, 4), residual=flat[1:].reshape(2, 3, 4))
    with pytest.raises(ValueError, match="overlaps"):
        cpu_conv.channel_epilogue(flat[1:].reshape(2, 3, 4), flat[:24].reshape(2, 3, 4))
    big = np.zeros((2, 3, 8), np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        cpu_conv.channel_epilogue(big[..., ::2], big[..., ::2])


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "none"])
def test_optimized_models_export_to_onnx(rng, tmp_path, act):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx.reference import ReferenceEvaluator
    net = _built(_residual_net(act, alpha=0.2))
    fast = eddl.optimize_for_inference(net)
    path = str(tmp_path / "fast.onnx")
    eddl.save_net_to_onnx_file(fast, path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert "Conv" in ops and "BatchNormalization" not in ops
    x = rng.standard_normal((3, 4, 9, 7)).astype(np.float32)
    ref = _predict(net, x)
    name = model.graph.input[0].name
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    _close(sess.run(None, {name: x})[0], ref, 1e-5)
    _close(ReferenceEvaluator(model).run(None, {name: x})[0], ref, 1e-5)
    back = eddl.import_net_from_onnx_file(path)
    eddl.build(back, cs=eddl.CS_CPU(), init_weights=False)
    _close(_predict(back, x), ref, 1e-5)


def test_max_pool_skips_positions_at_inference_and_finds_them_for_a_backward_pass(rng):
    x = eddl.Input([3, 9, 8])
    p = eddl.MaxPool2D(x, [3, 3], [2, 2], "same")
    net = eddl.Model([x], [eddl.Dense(eddl.Flatten(p), 2)])
    eddl.build(net, eddl.sgd(), ["mse"], ["mse"], eddl.CS_CPU())
    xs = rng.standard_normal((4, 3, 9, 8)).astype(np.float32)
    net.set_mode(eddl.TRMODE)
    net.set_inputs([xs])
    net.forward()
    want_out, want_idx = p.output.copy(), p._indices().copy()
    p._idx[...] = -5
    net.set_mode(eddl.TSMODE)
    net.forward()
    assert not p._have_indices and (p._idx == -5).all()
    np.testing.assert_array_equal(p.output, want_out)
    np.testing.assert_array_equal(p._positions(), want_idx)


def test_summary_reports_the_shared_buffers(capsys):
    net = _built(_residual_net())
    assert "Shared gradients in training" in eddl.summary(net)
    fast = eddl.optimize_for_inference(net)
    text = eddl.summary(fast)
    plan = fast.memory_plan
    assert (f"Shared outputs: {plan.bytes_per_sample(4) / 2**20:,.2f} MiB per sample in "
            f"{len(plan.slot_elements)} buffers for {len(plan.slot_of)} layers") in text
