"""Write the ONNX test fixtures exported by PyTorch (run by hand; the tests never need PyTorch).

Usage (from the repository root, with ``torch`` and ``onnxscript`` installed)::

    python tests/eddl/onnx/make_torch_fixtures.py

Every model is built with a fixed seed and exported twice: by the dynamo exporter at its
default opset (``dynamo=True``) and by the TorchScript exporter at opset 17 (``dynamo=False``).
Models with BatchNorm are also exported from training mode so that BatchNormalization nodes
survive (in eval mode both exporters fold BatchNorm into the preceding Conv). The batch axis is
dynamic, the graph input is ``input`` and the output is ``output``.

Small models keep their weights and get an ``<name>.npz`` beside them with an input and the
output PyTorch computes for it. The torchvision-sized models are stored stripped: rank>=2 float
initializers with more than 1024 elements lose their data (see ``fixtures.strip_model``);
``fixtures.load_fixture`` refills them.
"""

import contextlib
import io
import json
import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
TORCHSCRIPT_OPSET = 17
SEED = 0

sys.path.insert(0, HERE)
import fixtures  # noqa: E402  (strip_model and the fixture table are shared with the tests)

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit(
        "make_torch_fixtures.py needs PyTorch: pip install torch onnxscript "
        "(the committed fixtures in tests/eddl/onnx/fixtures/ are enough to run the tests)"
    )
try:
    import onnxscript  # noqa: F401  (the dynamo exporter imports it)
except ImportError:  # pragma: no cover
    sys.exit("make_torch_fixtures.py needs onnxscript for torch.onnx.export(dynamo=True): pip install onnxscript")
import onnx  # noqa: E402
import onnx.numpy_helper  # noqa: E402

# --------------------------------------------------------------------------------------------
# Small models (weights kept)
# --------------------------------------------------------------------------------------------


class SmallBlock(nn.Module):
    """A basic residual block; a 1x1 conv + BN shortcut when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + idt)


class SmallResNet(nn.Module):
    """3x32x32 -> 10: conv, BN, ReLU, max-pool, two residual blocks, global average pool, linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.block1 = SmallBlock(16, 16, 1)
        self.block2 = SmallBlock(16, 32, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def _conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
    )


class SmallUNet(nn.Module):
    """1x32x32 -> 2x32x32 with one ConvTranspose up-step, one bilinear up-step and a nearest side path."""

    def __init__(self):
        super().__init__()
        self.enc1 = _conv_block(1, 8)
        self.enc2 = _conv_block(8, 16)
        self.mid = _conv_block(16, 32)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dec2 = _conv_block(32, 16)
        self.up1 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.dec1 = _conv_block(24, 8)
        self.side = nn.Upsample(scale_factor=4, mode="nearest")
        self.head = nn.Conv2d(8, 2, 1)
        self.side_head = nn.Conv2d(32, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1) + self.side_head(self.side(m))


class TokenMLP(nn.Module):
    """(batch, 8) int64 token ids < 100 -> 5: Embedding, LayerNorm, Linear, GELU, mean over tokens, Linear."""

    VOCAB = 100
    TOKENS = 8

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(self.VOCAB, 16)
        self.norm = nn.LayerNorm(16)
        self.fc1 = nn.Linear(16, 32)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(32, 5)

    def forward(self, ids):
        h = self.act(self.fc1(self.norm(self.embed(ids))))
        return self.fc2(h.mean(dim=1))


# --------------------------------------------------------------------------------------------
# torchvision's ResNet-18/50 and VGG16, same module names (so the same state_dict keys)
# --------------------------------------------------------------------------------------------


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)  # torchvision's "ResNet v1.5": stride on the 3x3
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class VGG(nn.Module):
    def __init__(self, cfg=VGG16_CFG, num_classes=1000):
        super().__init__()
        layers, cin = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(cin, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def check_against_torchvision(name, model):
    """If torchvision happens to be importable, our copy must have its exact state_dict keys and shapes."""
    try:
        import torchvision
    except ImportError:
        print(f"torchvision is not importable: {name} follows torchvision's layout by construction only")
        return
    ref = getattr(torchvision.models, name)(weights=None).state_dict()
    ours = model.state_dict()
    assert list(ref) == list(ours), f"{name}: state_dict keys differ from torchvision's"
    for k in ref:
        assert ref[k].shape == ours[k].shape, f"{name}: {k} has shape {ours[k].shape}, torchvision {ref[k].shape}"
    print(f"{name}: state_dict keys and shapes match torchvision {torchvision.__version__}")


def randomize_batchnorm(model, gen):
    """Give every BatchNorm non-trivial affine parameters and running statistics (defaults are identities)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(1 + 0.2 * torch.randn(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def export_dynamo(model, x, mode):
    """Dynamo exporter, default opset. In training mode its optimizer would fold BatchNorm into the
    Conv all the same (with the running statistics), so the graph is left unoptimised there."""
    batch = torch.export.Dim("batch", min=1, max=4096)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        prog = torch.onnx.export(
            model, (x,), dynamo=True, input_names=["input"], output_names=["output"],
            dynamic_shapes=({0: batch},), external_data=False, optimize=(mode == "eval"),
        )
    return prog.model_proto


def export_torchscript(model, x, mode):
    """TorchScript exporter at opset 17; TrainingMode.TRAINING keeps BatchNormalization (training_mode=1)
    and constant folding is off there so that parameters keep their state_dict names."""
    buf = io.BytesIO()
    training = torch.onnx.TrainingMode.TRAINING if mode == "train" else torch.onnx.TrainingMode.EVAL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (x,), buf, dynamo=False, opset_version=TORCHSCRIPT_OPSET,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            training=training, do_constant_folding=(mode == "eval"),
        )
    return onnx.load_from_string(buf.getvalue())


def build(spec):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED + 1)
    model = {
        "resnet_small": SmallResNet,
        "unet_small": SmallUNet,
        "mlp_embed": TokenMLP,
        "resnet18": lambda: ResNet(BasicBlock, [2, 2, 2, 2]),
        "resnet50": lambda: ResNet(Bottleneck, [3, 4, 6, 3]),
        "vgg16": VGG,
    }[spec.model]()
    if spec.model in ("resnet18", "resnet50", "vgg16"):
        check_against_torchvision(spec.model, model)
    randomize_batchnorm(model, gen)
    shape = (2, *spec.input_shape)
    if spec.input_dtype == "int64":
        x = torch.randint(0, spec.vocab, shape, generator=gen)
    else:
        x = torch.randn(shape, generator=gen)
    return model, x


def expected_output(model, x, spec):
    """What the file's graph computes, written down by PyTorch.

    The dynamo exporter writes an inference BatchNormalization (running statistics) even from
    training mode, the TorchScript exporter a training one (batch statistics), so the reference
    forward pass differs between the two training-mode files."""
    batch_stats = spec.mode == "train" and spec.exporter == "torchscript"
    model.train(batch_stats)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        y = model(x)
    model.load_state_dict(state)  # a training-mode forward updates the running statistics
    return y.numpy()


def restore_buffers(proto, state):
    for t in proto.graph.initializer:
        if t.name.endswith(("running_mean", "running_var")) and t.name in state:
            t.CopyFrom(onnx.numpy_helper.from_array(state[t.name].numpy(), t.name))


def check_names(proto, state):
    """Every parameter and buffer is an initializer under its state_dict key, with its values."""
    inits = {t.name: t for t in proto.graph.initializer}
    for k, v in state.items():
        if k.endswith("num_batches_tracked"):
            continue
        assert k in inits, f"state_dict key {k} is not an initializer name"
        got = onnx.numpy_helper.to_array(inits[k])
        assert np.array_equal(got, v.numpy()), f"initializer {k} differs from the state_dict"


def drop_stack_traces(proto):
    """The dynamo exporter stores the Python stack of every node, with this machine's file paths."""
    for node in proto.graph.node:
        keep = [p for p in node.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
        del node.metadata_props[:]
        node.metadata_props.extend(keep)


def annotate(proto, spec, model):
    props = {
        "eddl.fixture": spec.name,
        "eddl.fixture.exporter": spec.exporter,
        "eddl.fixture.mode": spec.mode,
        "eddl.fixture.torch_version": torch.__version__,
    }
    if spec.by_name:
        keys = {k: list(v.shape) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        props["eddl.fixture.state_dict"] = json.dumps(keys)
    for k, v in props.items():
        p = proto.metadata_props.add()
        p.key, p.value = k, v


def write(spec):
    model, x = build(spec)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train(spec.mode == "train")
    exporter = export_dynamo if spec.exporter == "dynamo" else export_torchscript
    proto = exporter(model, x, spec.mode)
    # Tracing in training mode runs a forward pass that updates the running statistics, and the
    # TorchScript exporter writes the updated values: put the model's own statistics back.
    model.load_state_dict(state)
    restore_buffers(proto, state)
    if spec.by_name:
        check_names(proto, state)
    drop_stack_traces(proto)
    annotate(proto, spec, model)
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    assert opset == spec.opset, f"{spec.name}: exported at opset {opset}, table says {spec.opset}"
    if spec.stripped:
        proto = fixtures.strip_model(proto)
    else:
        y = expected_output(model, x, spec)
        np.savez(os.path.join(OUT, spec.name + ".npz"), input=x.numpy(), output=y)
    path = os.path.join(OUT, spec.name + ".onnx")
    onnx.save_model(proto, path)
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"{spec.name}: opset {opset}, {os.path.getsize(path) / 1024:.0f} KiB, {' '.join(ops)}")


def main(names):
    os.makedirs(OUT, exist_ok=True)
    for spec in fixtures.FIXTURES.values():
        if not names or spec.name in names:
            write(spec)
    if not names:
        fixtures.write_readme()


if __name__ == "__main__":
    main(sys.argv[1:])
