"""RNN, LSTM and GRU through ONNX: the export runs equal in onnxruntime, the node-by-node import
of that file computes the same, and PyTorch-exported ``nn.LSTM``/``nn.GRU`` import equal to the
outputs PyTorch computed (committed fixtures, see ``make_recurrent_fixtures.py``)."""

import os

import numpy as np
import pytest

import eddl
from eddl.onnx import ExportError, ONNXImportError

ort = pytest.importorskip("onnxruntime")

HERE = os.path.dirname(__file__)
T, D, H = 5, 3, 4

CASES = [
    lambda x, s: eddl.RNN(x, H, return_sequences=s),
    lambda x, s: eddl.RNN(x, H, "relu", False, True, return_sequences=s),
    lambda x, s: eddl.RNN(x, H, "hard_sigmoid", return_sequences=s),
    lambda x, s: eddl.RNN(x, H, "none", bidirectional=True, return_sequences=s),
    lambda x, s: eddl.RNN(x, H, "sigmoid", return_sequences=s),
    lambda x, s: eddl.LSTM(x, H, return_sequences=s),
    lambda x, s: eddl.LSTM(x, H, bidirectional=True, return_sequences=s),
    lambda x, s: eddl.GRU(x, H, return_sequences=s),
    lambda x, s: eddl.GRU(x, H, bidirectional=True, return_sequences=s,
                          linear_before_reset=False),
]
IDS = ["rnn", "rnn-relu-nobias-bi", "rnn-hard_sigmoid", "rnn-none-bi", "rnn-sigmoid", "lstm",
       "lstm-bi", "gru", "gru-bi-reset_first"]


def _net(make, seq, seed=0):
    x = eddl.Input([T, D], name="input")
    net = eddl.Model([x], [make(x, seq)])
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU())
    rng = np.random.default_rng(seed)
    layer = net.lout[0]
    for p in layer.params:
        p[...] = 0.5 * rng.standard_normal(p.shape)
    if getattr(layer, "use_bias", True) is False:
        layer.params[2][...] = 0
    return net


def _forward(net, x):
    net.set_inputs([x])
    net.forward()
    return np.array(net.lout[0].output)


def _without_config(model):
    """The same graph without the toolkit's metadata: imported node by node."""
    del model.metadata_props[:]
    return model


@pytest.mark.parametrize("seq", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("make", CASES, ids=IDS)
def test_export_runs_equal_in_onnxruntime_and_imports_back(make, seq):
    net = _net(make, seq)
    x = np.random.default_rng(1).standard_normal((3, T, D)).astype(np.float32)
    ours = _forward(net, x)
    model = eddl.onnx.to_onnx(net)
    ref = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})[0]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-6)
    back = eddl.onnx.from_onnx(_without_config(model))
    eddl.build(back, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=False)
    kinds = [type(l).__name__ for l in back.layers]
    assert type(net.lout[0]).__name__ in kinds
    np.testing.assert_allclose(_forward(back, x), ref, rtol=0, atol=2e-6)


@pytest.mark.parametrize("make,match", [
    (lambda x: eddl.GRU([x, eddl.GetStates(eddl.GRU(x, H))], H, name="dec"),
     r"'getstates\w*' \(GetStates\) has no ONNX exporter"),
])
def test_layers_onnx_cannot_express_refuse_to_export(make, match):
    x = eddl.Input([T, D])
    out = make(x)
    ins = [x] + [p for p in out.parents if p.name == "s"]
    net = eddl.Model(ins, [out])
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU())
    with pytest.raises(ExportError, match=match):
        eddl.onnx.to_onnx(net)


# --- lengths, mask_zeros and initial states: sequence_lens, initial_h and initial_c ----------
MASKED_CASES = [
    ("lstm", {"lengths": True}), ("lstm", {"lengths": True, "bidirectional": True}),
    ("lstm", {"states": True}), ("lstm", {"states": True, "bidirectional": True,
                                          "lengths": True}),
    ("lstm", {"mask_zeros": True}), ("lstm", {"mask_zeros": True, "lengths": True}),
    ("gru", {"lengths": True, "bidirectional": True, "linear_before_reset": False}),
    ("gru", {"states": True, "mask_zeros": True}),
    ("rnn", {"lengths": True, "states": True, "bidirectional": True}),
]


def _masked_net(kind, kw, seq):
    kw = dict(kw)
    x = eddl.Input([T, D], name="input")
    ins, parent = [x], x
    nd = 2 if kw.get("bidirectional") else 1
    if kw.pop("states", False):
        st = eddl.States([2 if kind == "lstm" else 1, nd * H], name="states")
        ins.append(st)
        parent = [x, st]
    if kw.pop("lengths", False):
        kw["lengths"] = eddl.Input([1], name="lens")
        ins.append(kw["lengths"])
    layer = {"rnn": eddl.RNN, "lstm": eddl.LSTM, "gru": eddl.GRU}[kind](
        parent, H, return_sequences=seq, **kw)
    net = eddl.Model(ins, [layer])
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU())
    rng = np.random.default_rng(3)
    for p in layer.params:
        p[...] = 0.5 * rng.standard_normal(p.shape)
    return net


@pytest.mark.parametrize("seq", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("kind,kw", MASKED_CASES,
                         ids=[k + "-" + "-".join(kw) for k, kw in MASKED_CASES])
def test_lengths_masks_and_states_export_equal_to_onnxruntime_and_the_reference(kind, kw, seq):
    from onnx.reference import ReferenceEvaluator

    net = _masked_net(kind, kw, seq)
    rng = np.random.default_rng(4)
    feeds = {"input": rng.standard_normal((3, T, D)).astype(np.float32)}
    if kw.get("mask_zeros"):
        feeds["input"][0, 3:] = 0  # padding at the end, which sequence_lens expresses
        feeds["input"][2, 1:] = 0
    for l in net.lin[1:]:
        if l.name == "lens":
            feeds["lens"] = np.array([[T], [2], [4]], np.float32)
        else:
            feeds["states"] = rng.standard_normal((3,) + l.shape).astype(np.float32)
    net.set_inputs([feeds[l.name] for l in net.lin])
    net.forward()
    ours = np.array(net.lout[0].output)
    if kw.get("mask_zeros") and seq:
        # a masked step outputs the held state; sequence_lens would output zeros there
        with pytest.raises(ExportError, match="mask_zeros=True with return_sequences=True"):
            eddl.onnx.to_onnx(net)
        return
    model = eddl.onnx.to_onnx(net)
    ops = [n.op_type for n in model.graph.node]
    assert ("Not" in ops) == bool(kw.get("mask_zeros"))
    ref = ort.InferenceSession(model.SerializeToString()).run(None, feeds)[0]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=3e-6)
    if not (kw.get("lengths") or kw.get("mask_zeros")):
        # onnx.reference's recurrent ops ignore sequence_lens (onnx 1.23): states only
        ev = ReferenceEvaluator(model).run(None, feeds)[0]
        np.testing.assert_allclose(ours, ev, rtol=0, atol=3e-6)
    if kw.get("lengths") and seq:
        assert not np.any(ours[1, 2:]) and np.any(ours[1, 1])
    # the node-by-node import reads sequence_lens, initial_h/initial_c and the mask back
    plain = _without_config(model)
    if kw.get("mask_zeros") and kw.get("lengths"):
        with pytest.raises(ONNXImportError, match="Equal other than the count"):
            eddl.onnx.from_onnx(plain)
        return
    back = eddl.onnx.from_onnx(plain)
    eddl.build(back, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=False)
    rec = [l for l in back.layers if type(l).__name__ == kind.upper()]
    assert len(rec) == 1
    assert getattr(rec[0], "mask_zeros", False) == bool(kw.get("mask_zeros"))
    assert (rec[0].lengths_layer is not None) == bool(kw.get("lengths"))
    assert rec[0].has_initial_states == bool(kw.get("states"))
    back.set_inputs([feeds[l.name] for l in back.lin])
    back.forward()
    np.testing.assert_allclose(np.array(back.lout[0].output), ours, rtol=0, atol=3e-6)


def _model(nodes, inits):
    """A model reading ``x`` ``[N, T, D]`` and writing ``y``."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", T, D])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    graph.output[0].type.tensor_type.shape.SetInParent()
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize("change,match", [
    ({"direction": "reverse"}, r"LSTM, opset 18\): unsupported direction 'reverse'"),
    ({"clip": 3.0}, r"unsupported clip"),
    ({"activations": ["Sigmoid", "Relu", "Tanh"]}, r"unsupported activations"),
])
def test_unsupported_lstm_attributes_are_named(change, match):
    from onnx import helper

    rng = np.random.default_rng(0)
    inits = {"W": rng.standard_normal((1, 4 * H, D)).astype(np.float32),
             "R": rng.standard_normal((1, 4 * H, H)).astype(np.float32),
             "axes": np.array([0], np.int64)}
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
             helper.make_node("LSTM", ["xt", "W", "R"], ["", "yh"], hidden_size=H, **change),
             helper.make_node("Squeeze", ["yh", "axes"], ["y"])]
    with pytest.raises(ONNXImportError, match=match):
        eddl.onnx.from_onnx(_model(nodes, inits))


def test_time_major_values_are_read_only_by_recurrent_nodes():
    from onnx import helper

    # a Transpose into time-major is accepted only in front of recurrent nodes
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2], name="tr"),
             helper.make_node("Relu", ["xt"], ["y"])]
    with pytest.raises(ONNXImportError, match=r"'tr' \(Transpose.*moves the batch axis"):
        eddl.onnx.from_onnx(_model(nodes, {}))
    # a time-major output of a recurrent node is read by a Transpose back or a Squeeze only
    rng = np.random.default_rng(0)
    inits = {"W": rng.standard_normal((1, 4 * H, D)).astype(np.float32),
             "R": rng.standard_normal((1, 4 * H, H)).astype(np.float32)}
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
             helper.make_node("LSTM", ["xt", "W", "R"], ["", "yh"], hidden_size=H),
             helper.make_node("Relu", ["yh"], ["y"], name="after")]
    with pytest.raises(ONNXImportError, match=r"'after' \(Relu.*input 0 is time-major"):
        eddl.onnx.from_onnx(_model(nodes, inits))


# --- PyTorch-exported models ------------------------------------------------------------------
FIXTURES = sorted(f[:-5] for f in os.listdir(os.path.join(HERE, "fixtures", "recurrent"))
                  if f.endswith(".onnx")) if os.path.isdir(os.path.join(HERE, "fixtures",
                                                                            "recurrent")) else []


@pytest.mark.parametrize("name", FIXTURES)
def test_pytorch_exports_import_equal_to_pytorch_and_onnxruntime(name):
    import onnx

    base = os.path.join(HERE, "fixtures", "recurrent", name)
    model = onnx.load(base + ".onnx")
    data = np.load(base + ".npz")
    x, want = data["input"], data["output"]
    ref = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})[0]
    np.testing.assert_allclose(ref, want, rtol=0, atol=2e-6)
    net = eddl.onnx.from_onnx(model)
    eddl.build(net, eddl.adam(0.01), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=False)
    np.testing.assert_allclose(_forward(net, x), want, rtol=0, atol=2e-6)
    # and the imported net trains further
    y = np.zeros_like(want)
    losses = [sum(net.train_batch([x], [y])) for _ in range(5)]
    assert losses[-1] < losses[0], losses
