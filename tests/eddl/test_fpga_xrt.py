"""The XRT device adapter against a fake ``pyxrt`` whose kernel runs the emulator on the buffers.

The fake records every call (buffers, writes, syncs, kernel arguments, launches, waits), so the
tests check the adapter's exact call sequence; its kernel unpacks the buffers from the HLSinf
layouts written here from EDDL's address formulas, decodes the arguments in EDDL's order and
runs the emulator, so the results are compared numerically with the emulated launch too.
"""

import sys
import types

import numpy as np
import pytest

import eddl
from eddl.backend.fpga import emulator as em
from eddl.backend.fpga import xrt
from eddl.backend.fpga.kernels import kernel_config
from eddl.backend.fpga.launch import emulate

#: HLSinf_launch_kernel's setArg order (EDDL src/hardware/fpga/nn/hlsinf.cpp)
EDDL_ARGS = ["I", "I_add", "H", "W", "HO", "WO", "rows", "PT", "PB", "PL", "PR", "SH", "SW",
             "Ichannels", "Ochannels", "I_ITER", "first_o_iter", "last_o_iter", "enable_relu",
             "enable_stm", "relu_factor", "enable_batch_norm", "K", "B", "BN_values", "O",
             "read_offset", "write_offset", "enable_maxp", "enable_avgp", "enable_clipping",
             "enable_shift", "enable_add", "min_clip", "max_clip", "dir_shift", "pos_shift",
             "enable_upscale"]


def _ceil(n, b):
    return -(-n // b) * b


def _unpack_act(flat, g, h, w, cpi):
    """``1 x G x H x W x CPI`` -> ``1 x (G*CPI) x H x W``: address ((g*H + y)*W + x)*CPI + c."""
    a = flat.reshape(g, h, w, cpi)
    return a.transpose(0, 3, 1, 2).reshape(1, g * cpi, h, w)


def _unpack_filters(flat, f, c, cpi, cpo):
    """``GO x GI x CPO x CPI x 3 x 3`` (EDDL's GIHWCPI) -> ``F x C x 3 x 3``."""
    go, gi = _ceil(f, cpo) // cpo, _ceil(c, cpi) // cpi
    a = flat.reshape(go, gi, cpo, cpi, 3, 3).transpose(0, 2, 1, 3, 4, 5)
    return a.reshape(go * cpo, gi * cpi, 3, 3)[:f, :c]


class FakeXRT:
    """A ``pyxrt`` module for one HLSinf build whose kernel is the emulator."""

    def __init__(self, config):
        self.config, self.log = config, []
        mod = types.ModuleType("pyxrt")
        fake = self

        class device:
            def __init__(self, index):
                fake.log.append(("device", index))

            def load_xclbin(self, xbin):
                fake.log.append(("load_xclbin", xbin.path))
                return "uuid"

        class xclbin:
            def __init__(self, path):
                self.path = path

        class kernel:
            shared = "shared"

            def __init__(self, dev, uuid, name, mode):
                assert uuid == "uuid" and mode == "shared"
                self.name = name
                fake.log.append(("kernel", name))

            def group_id(self, i):
                return 100 + i

        class bo:
            normal = "normal"

            def __init__(self, dev, size, flags, group):
                self.data, self.group = bytearray(size), group
                fake.log.append(("bo", size, group))

            def write(self, data, offset):
                self.data[offset:offset + len(data)] = data
                fake.log.append(("write", self.group, len(data)))

            def sync(self, direction, size, offset):
                assert size <= len(self.data) and offset == 0
                fake.log.append(("sync", direction, self.group, size))

            def read(self, size, offset):
                return bytes(self.data[offset:offset + size])

        class xclBOSyncDirection:
            XCL_BO_SYNC_BO_TO_DEVICE = "to_device"
            XCL_BO_SYNC_BO_FROM_DEVICE = "from_device"

        class run:
            def __init__(self, k):
                self.kernel, self.args = k, {}

            def set_arg(self, i, v):
                self.args[i] = v

            def start(self):
                assert sorted(self.args) == list(range(len(EDDL_ARGS)))
                a = {name: self.args[i] for i, name in enumerate(EDDL_ARGS)}
                fake.log.append(("start", self.kernel.name, a))
                fake.compute(a)

            def wait(self):
                fake.log.append(("wait", self.kernel.name))

        for cls in (device, xclbin, kernel, bo, xclBOSyncDirection, run):
            setattr(mod, cls.__name__, cls)
        self.module = mod

    def compute(self, a):
        """The kernel: unpack the buffers, run the emulator on output groups first..last."""
        cfg, cpi, cpo = self.config, self.config.cpi, self.config.cpo
        fixed = cfg.fixed_point
        act, wdt = (np.uint8, np.int8) if fixed else (np.float32, np.float32)
        h, w, c, f = a["H"], a["W"], a["Ichannels"], a["Ochannels"]
        gi = a["I_ITER"]
        n_in = gi * h * w * cpi
        x = _unpack_act(np.frombuffer(bytes(a["I"].data), act)[a["read_offset"]:][:n_in],
                        gi, h, w, cpi)[:, :c]
        k = _unpack_filters(np.frombuffer(bytes(a["K"].data), wdt), f, c, cpi, cpo)
        b = np.frombuffer(bytes(a["B"].data), np.int32 if fixed else np.float32)[:f]
        stages = []  # the kernel's fixed pipeline order: shift, clip, ReLU, STM, pooling, BN, ...
        kw = {"alpha": a["relu_factor"]}
        if a["enable_shift"] and not fixed:
            stages.append("scale")
            kw["scale"] = 2.0 ** (-a["pos_shift"] if a["dir_shift"] else a["pos_shift"])
        if a["enable_clipping"]:
            stages.append("clamp")
            kw["clip"] = (a["min_clip"], a["max_clip"])
        if a["enable_relu"]:
            stages.append("leaky_relu" if a["relu_factor"] else "relu")
        if a["enable_stm"]:
            stages.append("stm")
        stages += ["maxpool"] * a["enable_maxp"] + ["avgpool"] * a["enable_avgp"]
        if a["enable_batch_norm"]:
            beta, gamma, mean, var = np.frombuffer(bytes(a["BN_values"].data), np.float32) \
                .reshape(-1, 4)[:f].T.astype(np.float64)
            stages.append("bn")
            kw["bn_scale"] = gamma / np.sqrt(var + 1e-5)
            kw["bn_shift"] = beta - mean * kw["bn_scale"]
        stages += ["add"] * a["enable_add"] + ["upsize"] * a["enable_upscale"]
        pads = ((a["PT"], a["PB"]), (a["PL"], a["PR"]))
        chain = em.Chain(k.astype(np.float64), b.astype(np.float64), (a["SH"], a["SW"]), pads,
                         tuple(stages), **kw)
        out_shape = chain.out_shape(x.shape)
        res = None
        if a["enable_add"]:
            pre = em.Chain(k, None, (a["SH"], a["SW"]), pads,
                           tuple(s for s in stages if s in ("maxpool", "avgpool"))).out_shape(x.shape)
            gr = _ceil(f, cpi) // cpi
            flat = np.frombuffer(bytes(a["I_add"].data), act)
            n_out = gr * pre[2] * pre[3] * cpi
            # the residual image sits where the output image does, a quarter of it when upsized
            off = a["write_offset"] // 4 if a["enable_upscale"] else a["write_offset"]
            res = _unpack_act(flat[off:][:n_out], gr, pre[2], pre[3], cpi)[:, :f]
        if fixed:
            q = em.QuantChain(k.astype(np.int64), b.astype(np.int64), chain.stride, pads,
                              tuple(s for s in stages if s != "scale"), a["pos_shift"], 0, 0,
                              clip=kw.get("clip"))
            y = em.run_fixed(q, x.astype(np.int64), None if res is None else res.astype(np.int64))
        else:
            y = em.run_float(chain, x, res, cpi=cpi)
        lo, hi = a["first_o_iter"] * cpo, min((a["last_o_iter"] + 1) * cpo, f)
        go = _ceil(f, cpi) // cpi
        out = np.frombuffer(a["O"].data, act)
        n_out = go * out_shape[2] * out_shape[3] * cpi
        view = out[a["write_offset"]:a["write_offset"] + n_out].reshape(go, out_shape[2],
                                                                          out_shape[3], cpi)
        for ch in range(lo, hi):  # address ((g*H + y)*W + x)*CPI + c
            view[ch // cpi, :, :, ch % cpi] = y[0, ch]


@pytest.fixture
def bitstream(tmp_path):
    p = tmp_path / "hlsinf_v1.0.xclbin"
    p.write_bytes(b"xclbin")
    return str(p)


def _fake(monkeypatch, version, subversion):
    fake = FakeXRT(kernel_config(version, subversion))
    monkeypatch.setitem(sys.modules, "pyxrt", fake.module)
    return fake


def _chain(rng, stages, c=5, f=6, k=3, stride=(1, 1), pads=((1, 1), (1, 1)), **extra):
    kw = dict(alpha=0.1, **extra)
    if "bn" in stages:
        kw.update(bn_scale=rng.uniform(0.5, 1.5, f), bn_shift=rng.standard_normal(f) * 0.1)
    return em.Chain(rng.standard_normal((f, c, k, k)) * 0.3, rng.standard_normal(f) * 0.1,
                    stride, pads, tuple(stages), **kw)


def test_the_adapter_argument_order_is_eddls():
    assert list(xrt.ARGS) == EDDL_ARGS


def test_launch_call_sequence(monkeypatch, bitstream, rng):
    fake = _fake(monkeypatch, 1, 0)
    dev = xrt.Device(0, bitstream)
    assert fake.log == [("device", 0), ("load_xclbin", bitstream),
                        ("kernel", "k_conv2D:{k_conv2D_1}"), ("kernel", "k_conv2D:{k_conv2D_2}")]
    fake.log.clear()
    chain = _chain(rng, ("relu", "maxpool"), c=5, f=10)  # 3 output groups of CPO = 4
    x = rng.standard_normal((2, 5, 6, 8)).astype(np.float32)
    out = np.zeros((2, 10, 3, 4), np.float32)
    dev.launch(chain, x, None, out, (1, 0))
    kinds = [e[0] for e in fake.log]
    # input, filters, bias: allocated in their argument's bank, written, synced to the card;
    # then the output buffer; launches; waits; the output synced back
    assert kinds[:9] == ["bo", "write", "sync"] * 3
    assert [e[2] for e in fake.log[:9:3]] == [100 + EDDL_ARGS.index(n) for n in ("I", "K", "B")]
    assert fake.log[0][1] == 2 * 8 * 6 * 8 * 4  # 5 channels padded to 2 groups of CPI = 4
    assert fake.log[3][1] == 12 * 8 * 9 * 4 and fake.log[6][1] == 12 * 4
    assert all(e[1] == "to_device" for e in fake.log[:9] if e[0] == "sync")
    assert fake.log[9][:3] == ("bo", 2 * 12 * 3 * 4 * 4, 100 + EDDL_ARGS.index("O"))
    starts = [e for e in fake.log if e[0] == "start"]
    assert kinds[10:] == ["start"] * 4 + ["wait"] * 4 + ["sync"]
    assert fake.log[-1] == ("sync", "from_device", 100 + EDDL_ARGS.index("O"), 2 * 12 * 3 * 4 * 4)
    # two kernels per image, the first takes the remaining output group (EDDL's split)
    assert [(s[1][-2], s[2]["first_o_iter"], s[2]["last_o_iter"], s[2]["read_offset"],
             s[2]["write_offset"]) for s in starts] == [
        ("1", 0, 1, 0, 0), ("2", 2, 2, 0, 0), ("1", 0, 1, 384, 144), ("2", 2, 2, 384, 144)]
    a = starts[0][2]
    assert (a["H"], a["W"], a["HO"], a["WO"], a["rows"], a["Ichannels"], a["Ochannels"],
            a["I_ITER"]) == (6, 8, 6, 8, 6, 5, 10, 2)
    assert (a["enable_relu"], a["enable_maxp"], a["enable_batch_norm"], a["enable_add"]) == (1, 1, 0, 0)
    assert a["I_add"] is a["I"] and a["BN_values"] is a["I"]  # unused: EDDL passes the input
    np.testing.assert_allclose(out, emulate(chain, kernel_config(1, 0), x), rtol=1e-5, atol=1e-6)


FP32_CHAINS = [  # stages, kernel, stride, extra chain arguments
    (("relu", "bn"), 3, (2, 2), {}),
    (("relu", "maxpool", "bn"), 3, (1, 1), {}),
    (("relu", "bn", "add"), 3, (1, 1), {}),
    (("relu", "bn", "add", "upsize"), 3, (1, 1), {}),
    (("leaky_relu",), 3, (1, 1), {}),
    (("stm", "add"), 3, (1, 1), {}),
    (("bn",), 1, (2, 2), {}),  # ResNet's 1x1 shortcut: embedded in a 3x3 kernel
    (("relu",), 2, (1, 1), {}),
    (("scale", "clamp", "relu"), 3, (1, 1), {"scale": 0.25, "clip": (0.0, 0.5)}),
]


@pytest.mark.parametrize("stages,k,stride,extra", FP32_CHAINS)
def test_fp32_launches_equal_the_emulator(monkeypatch, bitstream, rng, stages, k, stride, extra):
    _fake(monkeypatch, 1, 0)
    dev = xrt.Device(0, bitstream)
    pads = ((k // 2, k // 2), (k // 2, k // 2))
    chain = _chain(rng, stages, c=6, f=8, k=k, stride=stride, pads=pads, **extra)
    x = rng.standard_normal((2, 6, 8, 6)).astype(np.float32)
    res = None
    if "add" in stages:
        pre = em.Chain(chain.weights, None, stride, pads).out_shape(x.shape)
        res = rng.standard_normal(pre).astype(np.float32)
    ref = emulate(chain, kernel_config(1, 0), x, res)
    out = np.zeros(ref.shape, np.float32)
    dev.launch(chain, x, res, out, (1, 0))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("sub", [2, 4, 6])
@pytest.mark.parametrize("stages,extra", [(("relu", "maxpool"), {}), (("bn", "add"), {}),
                                          (("scale", "clamp", "relu"), {"scale": 0.5, "clip": (0, 1)})])
def test_fixed_point_launches_are_bit_exact(monkeypatch, bitstream, rng, sub, stages, extra):
    _fake(monkeypatch, 1, sub)
    dev = xrt.Device(0, bitstream)
    cfg = kernel_config(1, sub)
    chain = _chain(rng, stages, c=20, f=18, **extra)  # several CPI and CPO groups
    x = rng.uniform(0, 2, (2, 20, 6, 6))
    res = None
    if "add" in stages:
        res = rng.uniform(0, 1, (2, 18, 6, 6))
    fracs = (6, 4, 6)
    ref = emulate(chain, cfg, x, res, fracs)
    out = np.zeros(ref.shape)
    dev.launch(chain, x, res, out, (1, sub), fracs)
    np.testing.assert_array_equal(out, ref)
    assert ref.max() > 0


def test_to_fpga_on_the_card_equals_the_emulator(monkeypatch, bitstream, rng):
    fake = _fake(monkeypatch, 1, 0)
    eddl.set_seed(1)
    net = eddl.zoo.resnet18([3, 16, 16], 4)
    eddl.build(net, cs=eddl.CS_CPU())
    xs = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    emu = eddl.toFPGA(net, 1, 0, cs=eddl.CS_FPGA([1], emulate=True))
    card = eddl.toFPGA(net, 1, 0, cs=eddl.CS_FPGA([1], xclbin=bitstream))
    assert card.be.card.path == bitstream and card.be.name == "fpga"
    np.testing.assert_allclose(eddl.predict(card, [xs])[0], eddl.predict(emu, [xs])[0],
                               rtol=1e-5, atol=1e-5)
    assert sum(e[0] == "start" for e in fake.log) >= 19 * 2  # every chain, every image


def test_missing_pieces_are_named(monkeypatch, bitstream):
    monkeypatch.setitem(sys.modules, "pyxrt", None)
    with pytest.raises(RuntimeError, match=r"pyxrt.*emulate=True"):
        xrt.Device(0, bitstream)
    _fake(monkeypatch, 1, 0)
    with pytest.raises(RuntimeError, match="no HLSinf bitstream given"):
        xrt.Device(0, None)
    dev = xrt.Device(0, bitstream)
    chain = _chain(np.random.default_rng(0), ("relu",))
    with pytest.raises(ValueError, match="needs calibrated scales"):
        dev.launch(chain, np.zeros((1, 5, 4, 4)), None, np.zeros((1, 6, 4, 4)), (1, 2))
    with pytest.raises(ValueError, match="do not follow the order of the kernel's units"):
        dev.launch(_chain(np.random.default_rng(0), ("bn", "relu")), np.zeros((1, 5, 4, 4)), None,
                   np.zeros((1, 6, 4, 4)), (1, 0))
    with pytest.raises(ValueError, match="exceeds the kernel's 256x1024"):
        dev.launch(chain, np.zeros((1, 5, 300, 4)), None, np.zeros((1, 6, 300, 4)), (1, 0))
