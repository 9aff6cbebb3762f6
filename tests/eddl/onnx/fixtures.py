"""ONNX models written by PyTorch's two exporters, for testing the ONNX importer without PyTorch.

The files live in ``fixtures/`` beside this module and are written by ``make_torch_fixtures.py``.
:data:`FIXTURES` describes each one. The torchvision-sized models are stored *stripped*: their
large weight tensors have a name, dims and dtype but no data, and :func:`load_fixture` refills
them with seeded He-normal values, so the activations of the refilled network stay in a sane range.

Running this module (``python tests/eddl/onnx/fixtures.py``) rewrites ``fixtures/README.md``
from the files.
"""

import dataclasses
import json
import math
import os
import sys
import zlib

import numpy as np
import onnx

FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
STRIPPED_KEY = "eddl.fixture.stripped"
REFILLED_KEY = "eddl.fixture.refilled"
STRIP_THRESHOLD = 1024
DYNAMO_OPSET = 20
TORCHSCRIPT_OPSET = 17
RESNET_SIZE = 224  # see README.md: the real input size, so that the strides and pooling are torchvision's


@dataclasses.dataclass(frozen=True)
class Fixture:
    """One exported model file.

    Attributes
    ----------
    name : str
        File stem in ``fixtures/``.
    model : str
        Architecture, as built by ``make_torch_fixtures.py``.
    exporter : {"dynamo", "torchscript"}
        ``torch.onnx.export(..., dynamo=True)`` at its default opset or ``dynamo=False`` at opset 17.
    mode : {"eval", "train"}
        The mode the model was exported from. In ``"train"`` files BatchNormalization is kept.
    input_shape : tuple of int
        Input shape without the (dynamic) batch axis.
    covers : str
        What the file is there to exercise.
    input_dtype : str
        ``"float32"``, or ``"int64"`` for token ids.
    vocab : int
        Upper bound (exclusive) of the token ids, for integer inputs.
    stripped : bool
        Whether the large weights were stripped from the file.
    by_name : bool
        Whether the initializer names are the PyTorch ``state_dict`` keys of every parameter and
        buffer (the file for loading pretrained weights by name).
    heavy : bool
        Too slow for more than one batch-1 run in the tests.
    """

    name: str
    model: str
    exporter: str
    mode: str
    input_shape: tuple
    covers: str
    input_dtype: str = "float32"
    vocab: int = 0
    stripped: bool = False
    by_name: bool = False
    heavy: bool = False

    @property
    def opset(self):
        return DYNAMO_OPSET if self.exporter == "dynamo" else TORCHSCRIPT_OPSET


def _variants(model, modes, covers, **kw):
    out = []
    for mode in modes:
        for exporter in ("dynamo", "torchscript"):
            name = f"{model}_{exporter}_{mode}"
            out.append(Fixture(name, model, exporter, mode, covers=covers, **kw))
    return out


_CNN = "Conv, BatchNorm, ReLU, residual Add, MaxPool, global average pool, flatten, Linear"
_UNET = "Conv, BatchNorm, ReLU, MaxPool, ConvTranspose, Concat, bilinear and nearest Upsample"
_MLP = "Embedding (Gather), LayerNorm, GELU, mean over tokens, Linear on 3-D input"
_BIG = dict(input_shape=(3, RESNET_SIZE, RESNET_SIZE), stripped=True)

FIXTURES = {
    f.name: f
    for f in [
        *_variants("resnet_small", ("eval", "train"), _CNN, input_shape=(3, 32, 32)),
        *_variants("unet_small", ("eval", "train"), _UNET, input_shape=(1, 32, 32)),
        *_variants("mlp_embed", ("eval",), _MLP, input_shape=(8,), input_dtype="int64", vocab=100),
        *_variants("resnet18", ("eval",), "torchvision ResNet-18, 1000 classes", **_BIG),
        *_variants("resnet18", ("train",), "torchvision ResNet-18 with BatchNorm kept and state_dict names",
                   by_name=True, **_BIG),
        *_variants("resnet50", ("eval",), "torchvision ResNet-50 (bottlenecks), 1000 classes", **_BIG),
        *_variants("vgg16", ("eval",), "torchvision VGG16, adaptive 7x7 average pool, 1000 classes",
                   heavy=True, **_BIG),
    ]
}


def fixture_path(name, suffix=".onnx"):
    """Path of a fixture file; ``ValueError`` for a name not in :data:`FIXTURES`."""
    if name not in FIXTURES:
        raise ValueError(f"unknown ONNX fixture {name!r}; known: {', '.join(FIXTURES)}")
    return os.path.join(FIXTURE_DIR, name + suffix)


def _prop(model, key):
    return next((p.value for p in model.metadata_props if p.key == key), None)


def stripped_names(model):
    """Names of the initializers the stored file has no data for (empty for a full file)."""
    value = _prop(model, STRIPPED_KEY)
    return json.loads(value) if value else []


def is_strippable(tensor, threshold=STRIP_THRESHOLD):
    """Float weights (rank >= 2) over ``threshold`` elements. Rank-1 tensors (biases, BatchNorm
    statistics) are always kept: a random variance would be negative and turn the output into NaN."""
    return (tensor.data_type == onnx.TensorProto.FLOAT and len(tensor.dims) >= 2
            and math.prod(tensor.dims) > threshold)


def strip_model(model, threshold=STRIP_THRESHOLD):
    """Copy of ``model`` whose large float weights keep name, dims and dtype but lose their data.

    The names are listed, as JSON, in the ``metadata_props`` entry ``eddl.fixture.stripped``.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    names = []
    for t in out.graph.initializer:
        if is_strippable(t, threshold):
            if t.data_location == onnx.TensorProto.EXTERNAL:
                raise ValueError(f"initializer {t.name!r} has external data: export with external_data=False")
            t.ClearField("raw_data")
            t.ClearField("float_data")
            names.append(t.name)
    p = out.metadata_props.add()
    p.key, p.value = STRIPPED_KEY, json.dumps(names)
    return out


def fan_in(model, name, dims):
    """Inputs feeding one output unit of the op that consumes weight ``name``."""
    for node in model.graph.node:
        if len(node.input) > 1 and node.input[1] == name:
            if node.op_type == "Gemm":
                trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
                return dims[1] if trans_b else dims[0]
            if node.op_type in ("MatMul", "ConvTranspose"):
                return dims[0]
            break
    return math.prod(dims[1:])


def refill(model, seed=0):
    """Fill the stripped initializers of ``model`` in place with N(0, 2 / fan_in) values.

    Each tensor draws from its own generator seeded by ``seed`` and its name, so the values do
    not depend on the order of the initializers.
    """
    if _prop(model, REFILLED_KEY) is not None:
        raise ValueError("model was already refilled: load it again with load_fixture(name, seed)")
    names = set(stripped_names(model))
    for t in model.graph.initializer:
        if t.name not in names:
            continue
        dims = tuple(t.dims)
        rng = np.random.default_rng([seed, zlib.crc32(t.name.encode())])
        data = rng.standard_normal(math.prod(dims), dtype=np.float32)
        data *= np.float32(math.sqrt(2.0 / fan_in(model, t.name, dims)))
        t.raw_data = data.astype("<f4", copy=False).tobytes()
        names.discard(t.name)
    if names:
        raise ValueError(f"stripped initializers missing from the graph: {sorted(names)}")
    p = model.metadata_props.add()
    p.key, p.value = REFILLED_KEY, str(seed)
    return model


def load_fixture(name, seed=0):
    """Load a fixture as a complete model, its stripped weights refilled deterministically.

    Parameters
    ----------
    name : str
        A key of :data:`FIXTURES`.
    seed : int
        Seed of the refilled weights (full files ignore it).

    Returns
    -------
    onnx.ModelProto
        A fresh copy the caller may change.

    Examples
    --------
    >>> m = load_fixture("resnet18_dynamo_eval")
    >>> m.graph.input[0].name
    'input'
    """
    model = onnx.load_model(fixture_path(name))
    return refill(model, seed) if stripped_names(model) else model


def _gather_bound(model, input_name):
    """Rows of the table that a Gather indexes with ``input_name`` (through casts and reshapes)."""
    inits = {t.name: t for t in model.graph.initializer}
    frontier, seen = [input_name], set()
    while frontier:
        tensor = frontier.pop()
        seen.add(tensor)
        for node in model.graph.node:
            if tensor not in node.input:
                continue
            if node.op_type == "Gather" and list(node.input).index(tensor) == 1 and node.input[0] in inits:
                return inits[node.input[0]].dims[0]
            frontier += [o for o in node.output if o not in seen]
    raise ValueError(f"integer input {input_name!r} reaches no Gather on an initializer: no valid id range")


def sample_input(model, batch=2, seed=0):
    """Random valid inputs for ``model``: standard normal floats, token ids inside the embedding table.

    Parameters
    ----------
    model : onnx.ModelProto
    batch : int
        Size of every symbolic (dynamic) axis.
    seed : int

    Returns
    -------
    dict of str to numpy.ndarray
        Feed for onnxruntime or ``onnx.reference.ReferenceEvaluator``.
    """
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else batch for d in tt.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if np.issubdtype(dtype, np.integer):
            feeds[inp.name] = rng.integers(0, _gather_bound(model, inp.name), size=shape).astype(dtype)
        else:
            feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def op_types(model):
    """Sorted op types of the main graph."""
    return sorted({n.op_type for n in model.graph.node})


README_HEAD = """\
# ONNX fixtures exported by PyTorch

Written by `tests/eddl/onnx/make_torch_fixtures.py` with PyTorch {torch} (dynamo exporter through
onnxscript) and read by `tests/eddl/onnx/fixtures.py`. To regenerate, in an environment with
`torch` and `onnxscript` (torchvision is not needed; if it is importable the script checks that its
ResNet/VGG copies have torchvision's exact state_dict keys and shapes):

    python tests/eddl/onnx/make_torch_fixtures.py            # every file, then this README
    python tests/eddl/onnx/make_torch_fixtures.py vgg16_dynamo_eval   # only the named ones
    python tests/eddl/onnx/fixtures.py                       # only this README, from the files

Input `input`, output `output`, batch axis dynamic. `eval`: exported in eval mode (both exporters
fold BatchNorm into the Conv). `train`: exported from training mode with BatchNormalization kept:
the dynamo file's BatchNormalization is an inference one (running statistics, one output), the
TorchScript file's has `training_mode=1` (batch statistics, three outputs). Small models keep their
weights and have a `.npz` with `input` and the `output` PyTorch computed for the semantics of the
file. Stripped files (`stripped` below) have no data for float weights of rank >= 2 with more than
{threshold} elements (listed in the `{key}` metadata entry); `load_fixture` refills them.
The torchvision-sized models take {size}x{size} inputs: VGG16's adaptive 7x7 pooling becomes a plain
AveragePool only when its input is a multiple of 7 (smaller inputs: the TorchScript exporter refuses,
the dynamo one writes a GatherND/ReduceMean/Where sub-graph). Node stack traces (`pkg.torch.onnx.stack_trace`,
with the generating machine's paths) are dropped; other node metadata is as exported.

What the exporters write (PyTorch 2.13, onnxscript 0.7):

- BatchNorm, eval mode: folded into the Conv by both. dynamo keeps the state_dict names on the
  *folded* values (`conv1.weight` is not PyTorch's `conv1.weight`) and adds `conv1.weight_bias`;
  TorchScript renames them `onnx::Conv_N`. The folding is onnxscript's rewrite rule, run by
  `optimize=True` whatever the model's mode.
- BatchNorm, training mode: dynamo (`model.train()`, `optimize=False`) writes an inference
  BatchNormalization; TorchScript (`training=TrainingMode.TRAINING`, `do_constant_folding=False`)
  writes `training_mode=1`, and its tracing pass updates the running statistics, which the
  generator puts back. Both keep every parameter and buffer under its state_dict key (except
  `num_batches_tracked`): `resnet18_*_train` are the files to load pretrained weights by name.
- Unoptimised dynamo graphs give a bias-free Conv a zero bias computed at run time
  (Shape, Expand, CastLike, Expand) and flatten through Shape/Squeeze/Concat/Reshape.
- Flatten: dynamo `Reshape(allowzero=1)` to `[-1, C]`; TorchScript `Flatten`. Global average
  pooling: dynamo `ReduceMean(axes=[-1, -2], keepdims=1)`; TorchScript `GlobalAveragePool`.
- Linear on a 3-D input: `MatMul` with a transposed weight under a new name (`val_N`,
  `onnx::MatMul_N`) then `Add`; on 2-D input `Gemm(transB=1)` with the state_dict names.
- GELU: dynamo `Gelu(approximate="none")` (opset 20); TorchScript Div/Erf/Add/Mul/Mul.
  LayerNorm: `LayerNormalization` in both (dynamo adds `stash_type=1`). Embedding: `Gather` on
  the table `embed.weight`. Upsample: `Resize` with constant `scales`, `linear`/`half_pixel` for
  bilinear and `nearest`/`asymmetric`/`floor` for nearest. ReduceMean axes: an input (dynamo,
  opset 18+), an attribute (TorchScript, opset 17).

| file | exporter | opset | mode | input | stripped | KiB | op types |
|---|---|---|---|---|---|---|---|
"""


def readme_text():
    """The README, with the op types read from the files."""
    rows, torch_version = [], "?"
    for f in FIXTURES.values():
        path = fixture_path(f.name)
        model = onnx.load_model(path)
        torch_version = _prop(model, "eddl.fixture.torch_version") or torch_version
        shape = "x".join(map(str, f.input_shape)) + ("" if f.input_dtype == "float32" else f" {f.input_dtype}")
        rows.append(f"| {f.name} | {f.exporter} | {f.opset} | {f.mode} | {shape} | "
                    f"{'yes' if f.stripped else 'no'} | {os.path.getsize(path) // 1024} | "
                    f"{', '.join(op_types(model))} |\n")
    head = README_HEAD.format(torch=torch_version, threshold=STRIP_THRESHOLD, key=STRIPPED_KEY,
                              size=RESNET_SIZE)
    return head + "".join(rows)


def write_readme(path=None):
    """Rewrite ``fixtures/README.md`` (or ``path``) from the files."""
    with open(path or os.path.join(FIXTURE_DIR, "README.md"), "w") as fh:
        fh.write(readme_text())


if __name__ == "__main__":
    write_readme(*sys.argv[1:])
