"""The ONNX fixtures exported by PyTorch are valid, run with a dynamic batch in onnxruntime, agree
with the ONNX reference evaluator and with PyTorch's own outputs, and the stripped ones refill
deterministically. No PyTorch needed: the files and PyTorch's outputs are committed."""

import functools
import json
import math
import os
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, os.path.dirname(__file__))
import fixtures  # noqa: E402

ort = pytest.importorskip("onnxruntime")

NAMES = list(fixtures.FIXTURES)
LIGHT = [n for n, f in fixtures.FIXTURES.items() if not f.heavy]
HEAVY = [n for n, f in fixtures.FIXTURES.items() if f.heavy]
SMALL = [n for n, f in fixtures.FIXTURES.items() if not f.stripped]
STRIPPED = [n for n, f in fixtures.FIXTURES.items() if f.stripped]
BY_NAME = [n for n, f in fixtures.FIXTURES.items() if f.by_name]


@functools.cache
def _serialized(name, seed=0):
    """Each light model is refilled once per test run (the heavy ones are never cached)."""
    return fixtures.load_fixture(name, seed).SerializeToString()


def _model(name, seed=0):
    return onnx.load_model_from_string(_serialized(name, seed))


def _new_session(data):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    # Repacking the weights for the GEMM kernels costs more than the few runs here save.
    opts.add_session_config_entry("session.disable_prepacking", "1")
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


@functools.lru_cache(maxsize=2)
def _session(name):
    return _new_session(_serialized(name))


def _run(name, feeds):
    return _session(name).run(["output"], feeds)[0]


def _batch_statistics(model):
    """BatchNormalization with training_mode=1 normalises with the batch: samples are not independent."""
    return any(
        n.op_type == "BatchNormalization" and any(a.name == "training_mode" and a.i for a in n.attribute)
        for n in model.graph.node
    )


def _close(actual, expected, rtol=1e-4):
    scale = max(float(np.abs(expected).max()), 1.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def _check_declared_form(model, spec):
    opset = {o.domain: o.version for o in model.opset_import}
    assert opset.get("", opset.get("ai.onnx")) == spec.opset
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", "output")
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param and not dims[0].HasField("dim_value"), "batch axis is not dynamic"
    assert tuple(d.dim_value for d in dims[1:]) == spec.input_shape
    assert out.type.tensor_type.shape.dim[0].dim_param, "output batch axis is not dynamic"
    has_bn = "BatchNormalization" in fixtures.op_types(model)
    assert has_bn == (spec.mode == "train"), "train files keep BatchNormalization, eval files fold it"


def _check_output(y, batch, model):
    classes = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    assert y.shape[:2] == (batch, classes) and np.isfinite(y).all()
    assert 1e-3 < float(np.abs(y).max()) < 1e6, "activations of the (refilled) model are off scale"


@pytest.mark.parametrize("name", LIGHT)
def test_checker_and_declared_form(name):
    onnx.checker.check_model(_serialized(name), full_check=True)
    _check_declared_form(_model(name), fixtures.FIXTURES[name])


@pytest.mark.parametrize("name", LIGHT)
def test_onnxruntime_dynamic_batch(name):
    model = _model(name)
    feeds = fixtures.sample_input(model, batch=3, seed=1)
    y3 = _run(name, feeds)
    _check_output(y3, 3, model)
    y1 = _run(name, {k: v[1:2] for k, v in feeds.items()})
    _check_output(y1, 1, model)
    if not _batch_statistics(model):
        _close(y1, y3[1:2])


@pytest.mark.parametrize("name", HEAVY)
def test_heavy_fixture_checks_and_runs_once(name):
    """VGG16 holds 138 M weights: refilled, checked and run once at batch 1, then let go."""
    model = fixtures.load_fixture(name)
    data = model.SerializeToString()
    onnx.checker.check_model(data, full_check=True)
    _check_declared_form(model, fixtures.FIXTURES[name])
    y = _new_session(data).run(["output"], fixtures.sample_input(model, batch=1, seed=1))[0]
    _check_output(y, 1, model)


@pytest.mark.parametrize("name", SMALL)
def test_agrees_with_reference_evaluator(name):
    model = _model(name)
    feeds = fixtures.sample_input(model, batch=2, seed=2)
    (expected,) = ReferenceEvaluator(model).run(["output"], feeds)
    _close(_run(name, feeds), expected)


@pytest.mark.parametrize("name", SMALL)
def test_agrees_with_pytorch(name):
    """The graph computes what PyTorch computed when exporting (npz written beside the file)."""
    data = np.load(fixtures.fixture_path(name, ".npz"))
    _close(_run(name, {"input": data["input"]}), data["output"])


def test_dynamo_train_batchnorm_uses_running_statistics():
    """Quirk recorded for the importer: the dynamo exporter writes training-mode BatchNorm as an
    inference BatchNormalization, the TorchScript exporter as a training one."""
    dyn = _model("resnet_small_dynamo_train")
    ts = _model("resnet_small_torchscript_train")
    assert not _batch_statistics(dyn) and _batch_statistics(ts)
    assert all(len(n.output) == 1 for n in dyn.graph.node if n.op_type == "BatchNormalization")
    data = np.load(fixtures.fixture_path("resnet_small_dynamo_eval", ".npz"))
    _close(_run("resnet_small_dynamo_train", {"input": data["input"]}), data["output"])


def test_eval_files_are_no_source_of_pretrained_weights_by_name():
    """Quirk recorded for the importer: folded Conv weights keep (dynamo) or lose (TorchScript) the
    state_dict name, so only the train files map names to PyTorch's values."""
    dyn = {t.name for t in _model("resnet18_dynamo_eval").graph.initializer}
    ts = {t.name for t in _model("resnet18_torchscript_eval").graph.initializer}
    assert {"conv1.weight", "conv1.weight_bias"} <= dyn and not any(".bn" in n or "bn1" in n for n in dyn)
    assert "conv1.weight" not in ts and any(n.startswith("onnx::Conv_") for n in ts)


@pytest.mark.parametrize("name", STRIPPED)
def test_stored_file_is_stripped(name):
    raw = onnx.load_model(fixtures.fixture_path(name))
    listed = fixtures.stripped_names(raw)
    big = [t.name for t in raw.graph.initializer if fixtures.is_strippable(t)]
    assert listed and listed == big
    for t in raw.graph.initializer:
        has_data = bool(t.raw_data or t.float_data or t.int64_data or t.int32_data)
        assert has_data != (t.name in listed), t.name
    assert os.path.getsize(fixtures.fixture_path(name)) < 1_000_000


@pytest.mark.parametrize("name", ["resnet18_dynamo_eval", "resnet50_torchscript_eval"])
def test_refill_is_deterministic_and_he_scaled(name):
    a, b = _model(name, 0), fixtures.load_fixture(name, seed=0)
    c = fixtures.load_fixture(name, seed=1)
    names = fixtures.stripped_names(onnx.load_model(fixtures.fixture_path(name)))
    ta, tb, tc = ({t.name: t for t in m.graph.initializer} for m in (a, b, c))
    for n in names:
        assert ta[n].raw_data == tb[n].raw_data
        assert ta[n].raw_data != tc[n].raw_data
    # First conv and last Gemm: std sqrt(2 / fan_in) with fan_in = in_channels * kh * kw, resp. in_features.
    for node in (next(n for n in a.graph.node if n.op_type == "Conv"),
                 [n for n in a.graph.node if n.op_type == "Gemm"][-1]):
        w = numpy_helper.to_array(ta[node.input[1]])
        fan_in = w.shape[1] * (math.prod(w.shape[2:]) if node.op_type == "Conv" else 1)
        assert abs(w.std() / math.sqrt(2 / fan_in) - 1) < 0.05
        assert abs(w.mean()) < 0.05 * w.std()


def test_refill_twice_is_refused():
    model = fixtures.load_fixture("resnet18_torchscript_eval")
    with pytest.raises(ValueError, match="already refilled"):
        fixtures.refill(model, seed=1)


def test_unknown_fixture_is_named():
    with pytest.raises(ValueError, match="unknown ONNX fixture 'resnet_tiny'"):
        fixtures.load_fixture("resnet_tiny")


def test_sample_input_token_ids_index_the_embedding():
    model = _model("mlp_embed_dynamo_eval")
    (gather,) = [n for n in model.graph.node if n.op_type == "Gather"]
    rows = next(t.dims[0] for t in model.graph.initializer if t.name == gather.input[0])
    assert rows == fixtures.FIXTURES["mlp_embed_dynamo_eval"].vocab
    ids = fixtures.sample_input(model, batch=64)["input"]
    assert ids.dtype == np.int64 and ids.shape == (64, 8)
    assert ids.min() >= 0 and ids.max() < rows and ids.max() > rows * 0.9


def test_sample_input_rejects_integer_input_without_table():
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.INT64, ["n", 2])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.INT64, ["n", 2])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Neg", ["x"], ["y"])], "g", [x], [y])
    with pytest.raises(ValueError, match="reaches no Gather"):
        fixtures.sample_input(onnx.helper.make_model(graph))


def _torchvision_resnet18_keys():
    """torchvision's ResNet-18 state_dict keys, written out independently of the generator."""
    bn = ("weight", "bias", "running_mean", "running_var")
    keys = ["conv1.weight", *(f"bn1.{s}" for s in bn)]
    for layer in range(1, 5):
        for block in range(2):
            p = f"layer{layer}.{block}."
            keys += [p + "conv1.weight", *(p + f"bn1.{s}" for s in bn),
                     p + "conv2.weight", *(p + f"bn2.{s}" for s in bn)]
            if layer > 1 and block == 0:
                keys += [p + "downsample.0.weight", *(p + f"downsample.1.{s}" for s in bn)]
    return keys + ["fc.weight", "fc.bias"]


@pytest.mark.parametrize("name", BY_NAME)
def test_initializers_are_named_by_state_dict_keys(name):
    model = _model(name)
    inits = {t.name: tuple(t.dims) for t in model.graph.initializer}
    recorded = json.loads(next(p.value for p in model.metadata_props if p.key == "eddl.fixture.state_dict"))
    keys = _torchvision_resnet18_keys()
    assert list(recorded) == keys
    for k in keys:
        assert inits.get(k) == tuple(recorded[k]), k
    assert inits["conv1.weight"] == (64, 3, 7, 7) and inits["fc.weight"] == (1000, 512)
    bns = [n for n in model.graph.node if n.op_type == "BatchNormalization"]
    assert len(bns) == 20
    assert {tuple(n.input[1:5]) for n in bns} == {
        tuple(f"{k[:-len('weight')]}{s}" for s in ("weight", "bias", "running_mean", "running_var"))
        for k in keys if k.endswith(".weight") and ("bn" in k or "downsample.1" in k)
    }
    stats = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "layer4.1.bn2.running_var"))
    assert stats.shape == (512,) and (stats > 0).all() and np.ptp(stats) > 0.1  # real, non-default statistics


def test_fixtures_are_small():
    total = sum(os.path.getsize(os.path.join(fixtures.FIXTURE_DIR, f)) for f in os.listdir(fixtures.FIXTURE_DIR))
    assert total < 5 * 2**20


def test_readme_lists_the_op_types_of_the_files():
    with open(os.path.join(fixtures.FIXTURE_DIR, "README.md")) as fh:
        assert fh.read() == fixtures.readme_text(), "run python tests/eddl/onnx/fixtures.py"
