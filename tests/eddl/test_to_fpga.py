"""eddl.toFPGA: the graph pass replacing every HLSinf chain with one fused layer.

The rewritten model must compute what the original computes (float32 tolerance on the FP32
builds; on the 8-bit builds exactly what the whole-model emulation of fpga_inference computes),
on zoo models, on ONNX-imported ones and on every pattern family.
"""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl.layers.hlsinf import HLSinf
from eddl.model import fpga_inference
from eddl.model.fusion import partition

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "onnx"))
import fixtures  # noqa: E402


def _emu():
    return eddl.CS_FPGA([1], emulate=True)


def _built(net, seed=0):
    """``net`` built on the CPU with random weights and BN statistics."""
    eddl.set_seed(seed)
    eddl.build(net, eddl.sgd(), ["mse"] * len(net.lout), ["mse"] * len(net.lout), eddl.CS_CPU())
    rng = np.random.default_rng(seed)
    for l in net.layers:
        if type(l).__name__ == "BatchNormalization":
            l.states[0][...] = rng.standard_normal(l.states[0].shape) * 0.1
            l.states[1][...] = rng.uniform(0.5, 1.5, l.states[1].shape)
            l.params[0][...] = rng.uniform(0.5, 1.5, l.params[0].shape)
    return net


def _predict(net, x):
    return np.asarray(eddl.predict(net, [x])[0])


def _check_structure(net, fnet, version=1, subversion=0):
    part = partition(net, version, subversion)
    fused = [l for l in fnet.layers if isinstance(l, HLSinf)]
    assert len(fused) == len(part.groups) == len(fnet.fpga_layers)
    inner = {l.name for g in part.groups for l in g.layers}
    others = [l.name for l in net.layers if l.name not in inner]
    assert [l.name for l in fnet.layers if not isinstance(l, HLSinf)] == others
    by_name = {f.name: f for f in fused}
    renamed = {g.layers[-1].name: f"hlsinf_{g.core.name}" for g in part.groups}
    assert sorted(renamed.values()) == sorted(by_name)
    for g in part.groups:
        f = by_name[f"hlsinf_{g.core.name}"]
        want = [g.input] + ([g.residual] if g.residual is not None else [])
        assert [p.name for p in f.parents] == [renamed.get(l.name, l.name) for l in want]
        assert len(f.params) == 1 + g.core.use_bias + ("bn" in g.pattern)


ZOO = [
    ("vgg16", lambda: eddl.zoo.vgg16([3, 32, 32], 10, dense_units=16),
     {"conv+relu": 8, "conv+relu+maxpool": 5}),
    ("resnet18", lambda: eddl.zoo.resnet18([3, 32, 32], 10), {"conv+bn": 19}),
    ("unet", lambda: eddl.zoo.unet([3, 32, 32], 1, depth=2, base_filters=8),
     {"conv+bn": 10, "conv": 1}),
]


@pytest.mark.parametrize("name,make,counts", ZOO, ids=[z[0] for z in ZOO])
def test_zoo_models_compute_the_same_after_tofpga(rng, name, make, counts):
    net = _built(make())
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    fnet = eddl.toFPGA(net, 1, 0, cs=_emu())
    assert fnet.fpga_partition.counts() == counts
    _check_structure(net, fnet)
    ref = _predict(net, x)
    np.testing.assert_allclose(_predict(fnet, x), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    assert fnet.isbuild and fnet.be.name == "fpga"


@pytest.mark.parametrize("name", ["resnet_small_torchscript_eval", "resnet_small_dynamo_train",
                                  "unet_small_dynamo_eval"])
def test_onnx_imported_models_compute_the_same_after_tofpga(rng, name):
    data = fixtures.load_fixture(name).SerializeToString()
    net = eddl.import_net_from_onnx_string(data)
    assert not net.isbuild  # imported weights, no build: toFPGA copies them as they are
    fnet = eddl.to_fpga(net, cs=_emu())
    assert fnet.fpga_partition.groups
    _check_structure(net, fnet)
    eddl.build(net, cs=eddl.CS_CPU(), init_weights=False)
    x = rng.standard_normal((2,) + net.lin[0].shape).astype(np.float32)
    ref = _predict(net, x)
    np.testing.assert_allclose(_predict(fnet, x), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def _mish(x):
    c = eddl.Conv2D(x, 3, [3, 3])
    return eddl.Mult(eddl.Tanh(eddl.Softplus(c)), c)


def _dense(x):
    return eddl.Dense(eddl.Flatten(eddl.GlobalAveragePool2D(eddl.Conv2D(x, 6, [3, 3]))), 8)


FP32_PATTERNS = [  # graph, HLSinf subversion, fused groups
    (lambda x: eddl.Add([_mish(x), x]), 0, {"conv+softplus+tanh+mult+add": 1}),
    (lambda x: eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(eddl.Pad(x, [1, 2, 0, 1]), 4, [3, 3],
                                                    padding="valid")), [2, 2]), 0,
     {"pad+conv+relu+maxpool": 1}),
    (lambda x: eddl.UpSampling2D(eddl.Add([eddl.BatchNormalization(eddl.ReLu(
        eddl.Conv2D(x, 3, [3, 3]))), x]), [2, 2]), 0, {"conv+relu+bn+add+upsampling": 1}),
    (lambda x: eddl.ReLu(_dense(x)), 1, {"conv": 1, "dense+relu": 1}),
    (lambda x: eddl.LeakyReLu(eddl.Conv2D(x, 4, [1, 1], strides=[2, 2])), 0,
     {"conv+leaky_relu": 1}),
]


@pytest.mark.parametrize("build,sub,groups", FP32_PATTERNS)
def test_fp32_patterns_compute_the_same_after_tofpga(rng, build, sub, groups):
    x = eddl.Input([3, 8, 8])
    net = _built(eddl.Model([x], [build(x)]))
    fnet = eddl.toFPGA(net, 1, sub, cs=_emu())
    assert fnet.fpga_partition.counts() == groups
    xs = rng.standard_normal((3, 3, 8, 8)).astype(np.float32)
    ref = _predict(net, xs)
    np.testing.assert_allclose(_predict(fnet, xs), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


INT8_PATTERNS = [
    (lambda x: eddl.MaxPool2D(eddl.ReLu(eddl.Clamp(eddl.Mult(eddl.Conv2D(x, 4, [3, 3]), 0.5),
                                                   -1, 2)), [2, 2]), 2,
     {"conv+mul+clamp+relu+maxpool": 1}),
    (lambda x: eddl.ReLu(eddl.Clamp(eddl.Div(_dense(x), 2), -1, 1)), 3,
     {"conv": 1, "dense+div+clamp+relu": 1}),
    (lambda x: eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 5, [3, 3]))), 4, {"conv+bn": 1}),
]


@pytest.mark.parametrize("build,sub,groups", INT8_PATTERNS)
def test_8bit_patterns_compute_what_the_emulated_plan_computes(rng, build, sub, groups):
    x = eddl.Input([3, 8, 8])
    net = _built(eddl.Model([x], [build(x)]))
    calib = rng.uniform(0, 1, (20, 3, 8, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="give calibration inputs"):
        eddl.toFPGA(net, 1, sub, cs=_emu())
    fnet = eddl.toFPGA(net, 1, sub, cs=_emu(), calibration=[calib])
    assert fnet.fpga_partition.counts() == groups
    assert all(l.fracs is not None for l in fnet.layers if isinstance(l, HLSinf))
    xs = rng.uniform(0, 1, (4, 3, 8, 8)).astype(np.float32)
    want = fpga_inference.predict(net, [xs], fpga_inference.plan(net, 1, sub, [calib]))[0]
    np.testing.assert_allclose(_predict(fnet, xs), want, rtol=1e-6, atol=1e-6)
    # and close to the float model: a few output steps
    assert np.abs(_predict(fnet, xs) - _predict(net, xs)).max() < 0.25


def test_summary_weights_and_configuration_of_the_rewritten_model(rng, tmp_path):
    net = _built(eddl.zoo.resnet18([3, 16, 16], 4))
    fnet = eddl.toFPGA(net, 1, 0, cs=_emu())
    text = eddl.summary(fnet)
    table, part = text.split("HLSinf 1.0 (FP32")
    first = fnet.fpga_layers[0]
    assert f"{first} (HLSinf)" in table
    g = fnet.fpga_partition.groups[0]
    assert f"{first} = {', '.join(l.name for l in g.layers)}" in part
    assert "kernel [7, 7]: HLSinf takes kernels up to 3x3" in part
    up, down = fnet.fpga_partition.transfer_bytes()
    assert f"({up:,} bytes)" in part and f"({down:,} bytes)" in part and up > 0
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    ref = _predict(fnet, x)
    for fmt in ("bin", "npz"):
        path = str(tmp_path / f"w.{fmt}")
        eddl.save(fnet, path, fmt)
        for l in fnet.layers:
            for p in l.params:
                p[...] = 0
        assert not np.allclose(_predict(fnet, x), ref)
        eddl.load(fnet, path, fmt)
        np.testing.assert_array_equal(_predict(fnet, x), ref)
    # the configuration rebuilds the fused layers: a new model with the saved weights
    again = eddl.model_from_json(fnet.to_json())
    eddl.build(again, cs=_emu())
    eddl.load(again, str(tmp_path / "w.bin"))
    np.testing.assert_array_equal(_predict(again, x), ref)


def test_fused_layers_need_an_fpga_service_and_do_not_train(rng):
    x = eddl.Input([3, 8, 8])
    h = eddl.Conv2D(x, 4, [5, 5])  # trained on the CPU: its gradient passes the fused layer
    net = _built(eddl.Model([x], [eddl.Dense(eddl.Flatten(eddl.ReLu(eddl.Conv2D(h, 4, [3, 3]))), 2)]))
    fnet = eddl.toFPGA(net, cs=_emu())
    name = fnet.fpga_layers[0]
    with pytest.raises(RuntimeError, match=f"HLSinf layer '{name}'.*cannot run fused HLSinf chains"):
        eddl.build(fnet, cs=eddl.CS_CPU(), init_weights=False)
    fnet = eddl.toFPGA(net, cs=_emu())
    eddl.build(fnet, eddl.sgd(0.1), ["mse"], ["mse"], _emu(), init_weights=False)
    with pytest.raises(RuntimeError, match="HLSinf runs inference only"):
        eddl.train_batch(fnet, [rng.random((2, 3, 8, 8), dtype=np.float32)],
                         [rng.random((2, 2), dtype=np.float32)])


def test_tofpga_refuses_what_it_cannot_convert(monkeypatch):
    x = eddl.Input([3, 8, 8])
    net = eddl.Model([x], [eddl.ReLu(eddl.Conv2D(x, 4, [3, 3], name="c"))])
    with pytest.raises(ValueError, match="Conv2D layer 'c' has no weights"):
        eddl.toFPGA(net, cs=_emu())
    _built(net)
    with pytest.raises(ValueError, match="must be an FPGA computing service"):
        eddl.toFPGA(net, cs=eddl.CS_CPU())
    monkeypatch.setitem(sys.modules, "pyxrt", None)
    with pytest.raises(RuntimeError, match=r"pyxrt.*emulate=True"):
        eddl.toFPGA(net)  # the card by default, as EDDL
    with pytest.raises(ValueError, match="unknown HLSinf kernel 3.0"):
        eddl.toFPGA(net, 3, 0, cs=_emu())


def test_hlsinf_layer_checks_its_configuration():
    x = eddl.Input([4, 8, 8])
    with pytest.raises(ValueError, match="unknown stages"):
        HLSinf([x], 4, [3, 3], stages=["gelu"])
    with pytest.raises(ValueError, match="take 2 input layer"):
        HLSinf([x], 4, [3, 3], stages=["add"])
    with pytest.raises(ValueError, match="residual must be"):
        HLSinf([x, eddl.Input([4, 4, 4])], 4, [3, 3], stages=["add"])
    with pytest.raises(ValueError, match="kernel_size must be 2 sizes up to 3"):
        HLSinf([x], 4, [5, 5])
    assert HLSinf([x], 6, [3, 3], [2, 2], stages=["relu", "maxpool"]).shape == (6, 2, 2)


def test_partition_picture(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from eddl.model.fpga_plot import CPU_COLOR, save_partition

    net = _built(eddl.zoo.vgg16([3, 32, 32], 10, dense_units=16))
    fnet = eddl.toFPGA(net, cs=_emu())
    path = str(tmp_path / "vgg.png")
    colours = save_partition(fnet, path)
    assert open(path, "rb").read(4) == b"\x89PNG"
    part = fnet.fpga_partition
    by_group = [{colours[l.name] for l in g.layers} for g in part.groups]
    assert all(len(c) == 1 for c in by_group)  # one colour per chain
    assert len({next(iter(c)) for c in by_group}) == min(len(by_group), 18)
    assert all(colours[name] == CPU_COLOR for name in part.cpu)
    pixels = {tuple(np.round(p[:3] * 255).astype(int)) for p in imread(path).reshape(-1, 4)}
    for c in by_group:  # every chain's colour is on the picture
        assert tuple(np.round(np.array(next(iter(c))[:3]) * 255).astype(int)) in pixels
