"""The backend seam: models train the same on the reference backend as on the CPU backend,
the computing service selects and validates backends, and the import boundaries hold."""

import ast
import pathlib
import types
import warnings

import numpy as np
import pytest

import eddl
from eddl.backend import contract, registry

EDDL = pathlib.Path(eddl.__file__).parent


def _mlp():
    x = eddl.Input([20])
    h = eddl.ReLu(eddl.Dense(x, 32))
    h = eddl.Tanh(eddl.Dense(h, 16))
    return [x], [eddl.Softmax(eddl.Dense(h, 5))], (20,)


def _convnet():
    x = eddl.Input([3, 12, 12])
    h = eddl.Conv2D(x, 8, [3, 3], use_bias=False)  # a bias before BN gets no gradient
    h = eddl.ReLu(eddl.BatchNormalization(h))
    h = eddl.MaxPool2D(h, [2, 2], [2, 2])
    h = eddl.Conv2D(h, 6, [3, 3], strides=[1, 1], use_bias=False, groups=2)
    h = eddl.AveragePool2D(eddl.BatchNormalization(h), [2, 2], [2, 2])
    h = eddl.UpSampling2D(h, [2, 2])
    return [x], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 5))], (3, 12, 12)


def _train(make, backend, optimizer, steps=4):
    eddl.set_seed(3)
    ins, outs, shape = make()
    net = eddl.Model(ins, outs)
    eddl.build(net, optimizer(), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU(backend=backend))
    assert net.be is registry.get(backend)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16,) + shape).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 16)]
    losses = []
    for step in range(steps):
        idx = np.arange(8) + 8 * (step % 2)
        net.train_batch([x], [y], idx)
        losses.append(net.get_losses()[0])
    params = [np.array(p) for l in net.layers for p in list(l.params) + list(l.states)]
    return losses, params, np.asarray(eddl.predict(net, [x], 8)[0])


@pytest.mark.parametrize("make", [_mlp, _convnet], ids=["mlp", "convnet"])
@pytest.mark.parametrize("optimizer", [lambda: eddl.sgd(0.05, 0.9), lambda: eddl.adam(0.01)],
                         ids=["sgd", "adam"])
def test_reference_backend_trains_like_cpu(make, optimizer):
    ref_loss, ref_params, ref_pred = _train(make, "reference", optimizer)
    cpu_loss, cpu_params, cpu_pred = _train(make, "cpu", optimizer)
    np.testing.assert_allclose(cpu_loss, ref_loss, rtol=1e-4)
    assert len(cpu_params) == len(ref_params)
    for a, b in zip(cpu_params, ref_params):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(cpu_pred, ref_pred, rtol=1e-4, atol=1e-5)
    assert ref_loss[-1] != ref_loss[0]  # the steps changed the weights


def test_accessor_tensors_carry_the_backend_device():
    ins, outs, _ = _mlp()
    net = eddl.Model(ins, outs)
    eddl.build(net, eddl.sgd(), ["mse"], ["none"], eddl.CS_CPU(backend="reference"))
    layer = net.layers[1]
    t = eddl.getParam(layer, 0)
    assert t.device == net.be.device == eddl.DEV_CPU
    eddl.clamp(net, -0.01, 0.01)
    assert np.abs(t.numpy()).max() <= 0.01


# --- the computing service ------------------------------------------------------------------

def test_compserv_selects_and_validates_backends():
    assert eddl.CS_CPU().backend_name == "cpu"
    cs = eddl.CS_CPU(th=1, backend="reference")
    assert cs.backend is registry.get("reference") and "reference" in repr(cs)
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        eddl.CS_CPU(backend="tpu")
    with pytest.raises(ValueError, match="computes on GPU"):
        eddl.CS_CPU(backend="cuda")
    with pytest.raises(ValueError, match="computes on CPU"):
        eddl.CompServ(gpus=[1], backend="reference")


@pytest.mark.parametrize("kwargs,match", [
    ({"lsb": 0}, "lsb"), ({"lsb": 1.5}, "lsb"), ({"lsb": True}, "lsb"),
    ({"gpus": [2]}, "gpus must hold only 0/1"), ({"gpus": "1"}, "gpus must be a list"),
    ({"fpgas": [1] * 10}, "at most 9"), ({"gpus": [1], "fpgas": [1]}, "not both"),
    ({"mem": 3}, "mem level"), ({"mem": True}, "mem level"),
])
def test_compserv_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        eddl.CompServ(**kwargs)


def test_compserv_warns_about_settings_without_effect():
    with pytest.warns(UserWarning, match="mem='low_mem' has no effect on the 'cpu' backend"):
        cs = eddl.CS_CPU(mem="low_mem")
    assert cs.mem_level == 2
    with pytest.warns(UserWarning, match="lsb=4 has no effect with 1 accelerator"):
        cs = eddl.CS_GPU([1, 0], lsb=4)
    assert cs.local_gpus == [1, 0] and cs.hw == "GPU" and cs.lsb == 4
    with pytest.warns(UserWarning, match="threads=4 has no effect on this FPGA service"):
        eddl.CompServ(threads=4, fpgas=[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert eddl.CS_GPU([1, 1], lsb=4).lsb == 4  # several GPUs: lsb applies
        assert eddl.CS_CPU(mem="full_mem").mem_level == 0


# --- the registry and the contract ----------------------------------------------------------

def test_registry_refuses_an_incomplete_backend(monkeypatch):
    fake = types.ModuleType("eddl.backend.fake")
    ref = registry.get("reference")
    for name in contract.FUNCTIONS[""] + tuple(contract.NAMESPACES):
        setattr(fake, name, getattr(ref, name))
    fake.nn = types.SimpleNamespace(**{n: getattr(ref.nn, n) for n in contract.FUNCTIONS["nn"]
                                       if n != "adam_update"})
    del fake.gemm
    assert contract.missing(fake) == ["gemm", "nn.adam_update"]
    monkeypatch.setitem(registry._MODULES, "fake", "eddl.backend.fake")
    monkeypatch.setitem(registry._HARDWARE, "fake", "CPU")
    monkeypatch.setitem(__import__("sys").modules, "eddl.backend.fake", fake)
    monkeypatch.delitem(registry._status, "fake", raising=False)
    with pytest.raises(RuntimeError, match="lacks gemm, nn.adam_update"):
        registry.get("fake")
    registry._status.pop("fake", None)


def test_array_namespace():
    assert registry.array_namespace(np.zeros(3), 2.0, np.float32(1)) is np
    with pytest.raises(TypeError, match="no loaded backend"):
        registry.array_namespace([1, 2])
    with pytest.raises(TypeError, match="at least one"):
        registry.array_namespace()


def test_op_tables_are_defined_once():
    from eddl.backend import cpu
    from eddl.tensor import _base
    assert cpu.UNARY is contract.UNARY and cpu.BINARY is contract.BINARY
    assert cpu.REDUCTIONS is contract.REDUCTIONS and _base.FLOAT_ONLY is contract.FLOAT_ONLY
    assert contract.FLOAT_ONLY <= set(contract.UNARY) | set(contract.UNARY_EXTRA)
    assert contract.COMPARE <= set(contract.BINARY)


# --- import boundaries ----------------------------------------------------------------------

def _imports(path):
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    pkg = ".".join(path.relative_to(EDDL.parent).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = pkg.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out += [mod] + [f"{mod}.{a.name}" for a in node.names]
    return out


@pytest.mark.parametrize("package", ["layers", "losses", "optimizers", "model", "metrics"])
def test_upper_layers_import_no_backend_implementation(package):
    for path in sorted((EDDL / package).glob("*.py")):
        for name in _imports(path):
            assert not name.startswith(("eddl.backend.cpu", "eddl.backend.reference")), \
                f"{path.name} imports {name}"


def test_backends_import_no_layer_or_model():
    for path in sorted((EDDL / "backend").rglob("*.py")):
        for name in _imports(path):
            assert not name.startswith(("eddl.layers", "eddl.model", "eddl.losses",
                                        "eddl.optimizers")), f"{path} imports {name}"
