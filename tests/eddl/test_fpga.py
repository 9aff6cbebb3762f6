"""The FPGA path: HLSinf build table, the fused-chain emulator (float and fixed point), the
graph partition of EDDL's toFPGA patterns and the emulated FPGA computing service.

The fixed-point emulator is checked bit for bit against a scalar re-statement of the contract
in docs/fpga.md (Python integers, one output element at a time); the float path against a
float64 loop over the convolution's taps.
"""

import math
import os
import sys
import types

import numpy as np
import pytest

import eddl
from eddl.backend import contract, registry
from eddl.backend.fpga import emulator as em
from eddl.backend.fpga.kernels import KERNELS, kernel_config
from eddl.model.fusion import chain_of, partition

INT8 = kernel_config(1, 2)


# --- references written from the definitions --------------------------------------------

def conv_loops(x, w, stride, pads):
    """float64 cross-correlation, one kernel tap at a time over a zero-padded input."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.zeros((n, c, h + sum(pads[0]), wd + sum(pads[1])))
    xp[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + wd] = x
    oh = (xp.shape[2] - kh) // stride[0] + 1
    ow = (xp.shape[3] - kw) // stride[1] + 1
    y = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + (oh - 1) * stride[0] + 1:stride[0],
                       j:j + (ow - 1) * stride[1] + 1:stride[1]]
            y += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    return y


def float_ref(chain, x, residual=None):
    y = conv_loops(np.asarray(x, np.float64), np.asarray(chain.weights, np.float64),
                   chain.stride, chain.pads)
    if chain.bias is not None:
        y += chain.bias[None, :, None, None]
    for s in chain.stages:
        if s == "bn":
            y = y * chain.bn_scale[None, :, None, None] + chain.bn_shift[None, :, None, None]
        elif s == "relu":
            y = np.maximum(y, 0)
        elif s == "leaky_relu":
            y = np.where(y > 0, y, chain.alpha * y)
        elif s == "stm":
            y = y * np.tanh(np.log1p(np.exp(y)))
        elif s == "scale":
            y = y * chain.scale
        elif s == "clamp":
            y = np.minimum(np.maximum(y, chain.clip[0]), chain.clip[1])
        elif s in ("maxpool", "avgpool"):
            h, w = y.shape[2] // 2, y.shape[3] // 2
            win = np.stack([y[:, :, a:2 * h:2, b:2 * w:2] for a in (0, 1) for b in (0, 1)])
            y = win.max(axis=0) if s == "maxpool" else win.mean(axis=0)
        elif s == "add":
            y = y + residual
        else:
            y = np.kron(y, np.ones((1, 1, 2, 2)))
    return y


def fixed_scalar(q, x, residual=None):
    """The fixed-point contract, element by element with Python ints."""
    lo, hi = (0, 255) if q.output_format == "APUI8" else (-128, 127)
    # a "scale" by 2**e right after the convolution is e bits less of right shift
    e = int(round(np.log2(q.source.scale))) if "scale" in q.source.stages else 0
    shift = q.in_frac + q.w_frac - e - q.out_frac
    n, c, h, w = x.shape
    f, _, kh, kw = q.weights.shape
    (pt, pb), (pl, pr) = q.pads
    oh, ow = (h + pt + pb - kh) // q.stride[0] + 1, (w + pl + pr - kw) // q.stride[1] + 1

    def wrap(v):
        return (v + 2 ** 31) % 2 ** 32 - 2 ** 31

    y = [[[[0] * ow for _ in range(oh)] for _ in range(f)] for _ in range(n)]
    for b in range(n):
        for o in range(f):
            for r in range(oh):
                for s in range(ow):
                    acc = 0
                    for ch in range(c):
                        for i in range(kh):
                            for j in range(kw):
                                yy, xx = r * q.stride[0] - pt + i, s * q.stride[1] - pl + j
                                if 0 <= yy < h and 0 <= xx < w:
                                    acc += int(x[b, ch, yy, xx]) * int(q.weights[o, ch, i, j])
                    acc = wrap(wrap(acc) + int(q.bias[o]))
                    if shift > 0:
                        acc = (acc + 2 ** (shift - 1)) // 2 ** shift  # floor division = >>
                    y[b][o][r][s] = min(max(acc, lo), hi)
    y = np.array(y, dtype=object)
    for st in q.stages:
        if st == "clamp":
            clo = math.ceil(q.source.clip[0] * 2 ** q.out_frac)
            chi = math.floor(q.source.clip[1] * 2 ** q.out_frac)
            y = np.vectorize(lambda v: min(max(v, clo), chi), otypes=[object])(y)
        elif st in ("maxpool", "avgpool"):
            h2, w2 = y.shape[2] // 2, y.shape[3] // 2
            z = np.empty(y.shape[:2] + (h2, w2), dtype=object)
            for idx in np.ndindex(*z.shape):
                b, o, r, s = idx
                vals = [y[b, o, 2 * r + a, 2 * s + d] for a in (0, 1) for d in (0, 1)]
                z[idx] = max(vals) if st == "maxpool" else (sum(vals) + 2) // 4
            y = z
        elif st == "add":
            y = np.vectorize(lambda v: min(max(v, lo), hi), otypes=[object])(
                y + np.asarray(residual).astype(object))
        elif st == "upsize":
            y = y.repeat(2, axis=2).repeat(2, axis=3)
    return y.astype(np.int64)


def make_chain(rng, stages, c=3, f=4, k=3, stride=(1, 1), pads=((1, 1), (1, 1)), bias=True):
    w = rng.standard_normal((f, c, k, k)) * 0.4
    kw = {}
    if "bn" in stages:
        kw = dict(bn_scale=rng.uniform(0.5, 1.5, f), bn_shift=rng.standard_normal(f) * 0.1)
    if "scale" in stages:
        kw["scale"] = 0.5
    if "clamp" in stages:
        kw["clip"] = (0.1, 0.9)
    return em.Chain(w, rng.standard_normal(f) * 0.2 if bias else None, stride, pads,
                    tuple(stages), alpha=0.1, **kw)


CHAINS = [  # stages, stride, pads
    ((), (1, 1), ((1, 1), (1, 1))),
    (("relu",), (2, 2), ((1, 1), (1, 1))),
    (("relu", "maxpool"), (1, 1), ((1, 1), (1, 1))),
    (("bn", "relu", "avgpool"), (1, 1), ((0, 1), (1, 0))),
    (("relu", "add"), (1, 2), ((1, 1), (1, 1))),
    (("bn", "upsize"), (1, 1), ((1, 1), (1, 1))),
    (("scale", "clamp", "relu"), (1, 1), ((1, 1), (1, 1))),
    (("scale", "clamp", "relu", "maxpool"), (2, 1), ((0, 1), (1, 1))),
]

#: chains with no fixed-point form: the float path only
FLOAT_CHAINS = [
    (("leaky_relu",), (1, 1), ((1, 1), (1, 1))),
    (("stm",), (1, 1), ((1, 1), (1, 1))),
    (("stm", "add"), (2, 2), ((1, 1), (1, 1))),
]


def _residual(rng, chain, x):
    if "add" not in chain.stages:
        return None
    idx = chain.stages.index("add")
    from dataclasses import replace
    return rng.uniform(0, 1, replace(chain, stages=chain.stages[:idx]).out_shape(x.shape))


# --- the build table --------------------------------------------------------------------

def test_kernel_table_follows_eddl():
    assert kernel_config(1, 0).input_format == "FP32" and not kernel_config(1, 0).fixed_point
    assert (INT8.input_format, INT8.filter_format, INT8.bias_format, INT8.output_format) == \
        ("APUI8", "API8", "API32", "APUI8")
    assert (kernel_config(1, 6).cpi, kernel_config(1, 6).cpo, kernel_config(1, 6).wo_max) == \
        (16, 16, 256)
    assert {c.xclbin for c in KERNELS.values()} == {
        "hlsinf_v1.0.xclbin", "hlsinf_v1.1.xclbin", "hlsinf_v1.2.xclbin", "hlsinf_v1.5.xclbin"}
    with pytest.raises(ValueError, match="unknown HLSinf kernel 2.0; known: 1.0, 1.1"):
        kernel_config(2, 0)


# --- float emulation --------------------------------------------------------------------

@pytest.mark.parametrize("stages,stride,pads", CHAINS + FLOAT_CHAINS)
def test_float_chain_matches_float64_loops(rng, stages, stride, pads):
    chain = make_chain(rng, stages, c=6, stride=stride, pads=pads)
    x = rng.standard_normal((2, 6, 9, 8))
    res = _residual(rng, chain, x)
    ref = float_ref(chain, x, res)
    y64 = em.run_float(chain, x, res, dtype=np.float64)
    assert y64.shape == ref.shape == chain.out_shape(x.shape)
    np.testing.assert_allclose(y64, ref, rtol=1e-12, atol=1e-12)
    y32 = em.run_float(chain, x, res, cpi=4)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, ref, rtol=1e-5, atol=1e-5)


def test_chain_validation(rng):
    with pytest.raises(ValueError, match="kernels up to 3x3"):
        em.Chain(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match="unknown stages"):
        em.Chain(np.zeros((2, 3, 3, 3)), stages=("gelu",))
    with pytest.raises(ValueError, match="needs bn_scale"):
        em.Chain(np.zeros((2, 3, 3, 3)), stages=("bn",))
    with pytest.raises(ValueError, match="positive power of two, got 3"):
        em.Chain(np.zeros((2, 3, 3, 3)), stages=("scale",), scale=3)
    with pytest.raises(ValueError, match=r"clip=\(lo, hi\) with lo <= hi"):
        em.Chain(np.zeros((2, 3, 3, 3)), stages=("clamp",), clip=(2, 1))
    chain = make_chain(rng, ("add",))
    with pytest.raises(ValueError, match="residual input"):
        em.run_float(chain, np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="must be N x 3"):
        em.run_float(chain, np.zeros((1, 2, 4, 4)))


# --- fixed point ------------------------------------------------------------------------

def _quantized(rng, stages, stride, pads, n=1, hw=(6, 7)):
    chain = make_chain(rng, stages, stride=stride, pads=pads)
    x = rng.uniform(0, 2, (n, 3) + hw)
    res = _residual(rng, chain, x)
    ref = em.run_float(chain, x, res, dtype=np.float64)
    q = em.quantize_chain(chain, INT8, em.frac_bits(2.0, "APUI8"),
                          em.frac_bits(1.25 * max(np.abs(ref).max(), 1e-3), "APUI8"))
    xq = em.quantize(x, q.in_frac, "APUI8")
    rq = None if res is None else em.quantize(res, q.out_frac, "APUI8")
    return chain, q, x, xq, res, rq, ref


@pytest.mark.parametrize("stages,stride,pads", CHAINS)
def test_fixed_point_is_bit_exact_with_the_scalar_contract(rng, stages, stride, pads):
    _, q, _, xq, _, rq, _ = _quantized(rng, stages, stride, pads)
    got = em.run_fixed(q, xq, rq, cpi=INT8.cpi)
    assert got.dtype == np.int64 and 0 <= got.min() and got.max() <= 255
    np.testing.assert_array_equal(got, fixed_scalar(q, xq, rq))
    np.testing.assert_array_equal(em.run_fixed(q, xq, rq, cpi=1), got)  # order-independent


def test_fixed_point_wraps_the_accumulator_and_saturates(rng):
    chain = make_chain(rng, ("relu",))
    q = em.quantize_chain(chain, INT8, 0, 0, w_frac=0)
    q.bias = np.full_like(q.bias, 2 ** 31 - 1)  # ap_int<32> overflows, as on the card
    xq = np.full((1, 3, 4, 4), 255)
    np.testing.assert_array_equal(em.run_fixed(q, xq), fixed_scalar(q, xq))
    q.bias[:] = 1000
    assert (em.run_fixed(q, np.zeros((1, 3, 4, 4), np.int64)) == 255).all()  # saturated
    with pytest.raises(ValueError, match="outside APUI8"):
        em.run_fixed(q, xq + 1)
    with pytest.raises(TypeError, match="must hold integers"):
        em.run_fixed(q, xq.astype(np.float32))


def test_quantize_rounds_to_nearest_even_and_saturates():
    np.testing.assert_array_equal(em.quantize([0.5, 1.5, -0.5, 2.6, 300, -3], 0, "APUI8"),
                                  [0, 2, 0, 3, 255, 0])
    np.testing.assert_array_equal(em.quantize([1.0, -1.0, -2.0], 7, "API8"), [127, -128, -128])
    assert em.frac_bits(1.0, "API8") == 6 and em.frac_bits(0.0, "API8") == 0
    with pytest.raises(ValueError, match="no fixed-point format"):
        em.quantize([1.0], 0, "FP32")


@pytest.mark.parametrize("stages,stride,pads", CHAINS)
def test_fixed_point_error_is_within_the_quantization_bound(rng, stages, stride, pads):
    chain, q, x, xq, res, rq, ref = _quantized(rng, stages, stride, pads, n=2, hw=(10, 12))
    got = em.dequantize(em.run_fixed(q, xq, rq), q.out_frac)
    bound = em.quantization_bound(q, x, res)
    keep = ref >= 0  # the APUI8 output clips negatives to zero (saturation is not bounded)
    err = np.abs(got - ref)[keep]
    assert (err <= bound[keep] + 1e-12).all()
    step = 2.0 ** -q.out_frac
    assert bound.max() < 16 * step  # the bound is tight enough to mean something
    assert err.max() > 0  # quantization did change the result


def test_quantize_chain_rules(rng):
    with pytest.raises(ValueError, match="FP32 build"):
        em.quantize_chain(make_chain(rng, ()), kernel_config(1, 0), 4, 4)
    with pytest.raises(ValueError, match="no fixed-point form"):
        em.quantize_chain(make_chain(rng, ("relu", "bn")), INT8, 4, 4)
    for stages in (("stm",), ("relu", "scale")):
        with pytest.raises(ValueError, match="no fixed-point form"):
            em.quantize_chain(make_chain(rng, stages), INT8, 4, 4)
    with pytest.raises(ValueError, match="finer than the accumulator"):
        em.quantize_chain(make_chain(rng, ()), INT8, 0, 12, w_frac=2)
    with pytest.raises(ValueError, match="must equal the output"):
        em.quantize_chain(make_chain(rng, ("add",)), INT8, 4, 4, res_frac=3)
    q = em.quantize_chain(make_chain(rng, ("bn", "relu")), INT8, 6, 4)
    assert q.stages == ("relu",)  # BN right after the convolution is folded
    assert q.shift == 6 + q.w_frac - 4 and np.abs(q.weights).max() <= 127


# --- the graph partition ----------------------------------------------------------------

def _net(build):
    x = eddl.Input([3, 16, 16])
    return eddl.Model([x], [build(x)])


def _counts(build, **kw):
    return partition(_net(build), **kw).counts()


PARTITIONS = [  # graph, fused groups
    (lambda x: eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), {"conv+relu": 1}),
    (lambda x: eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), [2, 2]),
     {"conv+relu+maxpool": 1}),
    (lambda x: eddl.BatchNormalization(eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), [2, 2])),
     {"conv+relu+maxpool+bn": 1}),
    (lambda x: eddl.MaxPool2D(eddl.Conv2D(x, 4, [3, 3]), [2, 2]), {"conv+maxpool": 1}),
    (lambda x: eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3]))), {"conv+bn": 1}),
    (lambda x: eddl.AveragePool2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), [2, 2]), {"conv+relu": 1}),
    (lambda x: eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), [3, 3], [2, 2]),
     {"conv+relu": 1}),
    (lambda x: eddl.LeakyReLu(eddl.Conv2D(x, 4, [3, 3])), {"conv+leaky_relu": 1}),
    (lambda x: eddl.Add([eddl.Conv2D(x, 3, [3, 3]), x]), {"conv+add": 1}),
    (lambda x: eddl.Add([eddl.BatchNormalization(eddl.ReLu(eddl.Conv2D(x, 3, [3, 3]))), x]),
     {"conv+relu+bn+add": 1}),
    (lambda x: eddl.Conv2D(x, 4, [5, 5]), {}),
    (lambda x: eddl.Conv2D(x, 4, [3, 3], groups=1, dilation_rate=[2, 2]), {}),
    (lambda x: eddl.Add([eddl.ReLu(c := eddl.Conv2D(x, 3, [3, 3])), c]), {"conv": 1}),  # branch
]


@pytest.mark.parametrize("build,groups", PARTITIONS)
def test_partition_follows_eddl_patterns(build, groups):
    assert _counts(build) == groups


def _pad_conv(x, **kw):
    return eddl.Conv2D(eddl.Pad(x, [1, 1, 1, 1]), 4, [3, 3], padding="valid", **kw)


def _mish(x):
    c = eddl.Conv2D(x, 3, [3, 3])
    return eddl.Mult(eddl.Tanh(eddl.Softplus(c)), c)


def _dense_net(x):
    return eddl.Dense(eddl.Flatten(eddl.GlobalAveragePool2D(x)), 8)


MORE_PARTITIONS = [  # graph, HLSinf subversion, fused groups
    (lambda x: eddl.ReLu(eddl.Clamp(eddl.Mult(eddl.Conv2D(x, 4, [3, 3]), 0.25), 0, 8)), 2,
     {"conv+mul+clamp+relu": 1}),
    (lambda x: eddl.MaxPool2D(eddl.ReLu(eddl.Clamp(eddl.Div(eddl.Conv2D(x, 4, [3, 3]), 4), 0, 8)),
                              [2, 2]), 2, {"conv+div+clamp+relu+maxpool": 1}),
    (lambda x: eddl.Mult(eddl.Conv2D(x, 4, [3, 3]), 2.0), 4, {"conv+mul": 1}),
    (lambda x: eddl.Div(eddl.Conv2D(x, 4, [3, 3]), 2.0), 6, {"conv+div": 1}),
    # the FP32 builds have no shift unit; a factor that is no power of two is no shift at all
    (lambda x: eddl.Mult(eddl.Conv2D(x, 4, [3, 3]), 2.0), 0, {"conv": 1}),
    (lambda x: eddl.Mult(eddl.Conv2D(x, 4, [3, 3]), 3.0), 2, {"conv": 1}),
    (_mish, 0, {"conv+softplus+tanh+mult": 1}),
    (lambda x: eddl.Add([_mish(x), x]), 0, {"conv+softplus+tanh+mult+add": 1}),
    (lambda x: eddl.UpSampling2D(eddl.Add([eddl.BatchNormalization(eddl.ReLu(
        eddl.Conv2D(x, 3, [3, 3]))), x]), [2, 2]), 0, {"conv+relu+bn+add+upsampling": 1}),
    (lambda x: _pad_conv(x), 0, {"pad+conv": 1}),
    (lambda x: eddl.ReLu(_pad_conv(x)), 0, {"pad+conv+relu": 1}),
    (lambda x: eddl.MaxPool2D(eddl.ReLu(_pad_conv(x)), [2, 2]), 0, {"pad+conv+relu+maxpool": 1}),
    (lambda x: eddl.MaxPool2D(_pad_conv(x), [2, 2]), 0, {"pad+conv+maxpool": 1}),
    (lambda x: eddl.LeakyReLu(_pad_conv(x)), 0, {"pad+conv+leaky_relu": 1}),
    (lambda x: eddl.BatchNormalization(_pad_conv(x)), 0, {"pad+conv+bn": 1}),
    (lambda x: eddl.Conv2D(eddl.Pad(x, [1, 1, 1, 1], 1.0), 4, [3, 3]), 0, {"conv": 1}),
    (lambda x: eddl.ReLu(_dense_net(x)), 1, {"dense+relu": 1}),
    (lambda x: eddl.Clamp(eddl.Div(_dense_net(x), 2), -1, 1), 3, {"dense+div+clamp": 1}),
    (lambda x: eddl.ReLu(eddl.Clamp(eddl.Div(_dense_net(x), 2), -1, 1)), 5,
     {"dense+div+clamp+relu": 1}),
    (lambda x: _dense_net(x), 5, {"dense": 1}),
    (lambda x: eddl.ReLu(_dense_net(x)), 0, {}),  # build 1.0 has no Dense support
]


@pytest.mark.parametrize("build,sub,groups", MORE_PARTITIONS)
def test_partition_knows_eddls_other_patterns(build, sub, groups):
    assert _counts(build, version=1, subversion=sub) == groups


ZOO_AND_ONNX = [  # model, HLSinf build, fused groups
    # the classifier's Dense layers fuse on the builds with Dense support only
    (lambda: eddl.zoo.vgg16([3, 32, 32], 10, dense_units=16), (1, 1),
     {"conv+relu": 8, "conv+relu+maxpool": 5, "dense+relu": 2, "dense": 1}),
    (lambda: eddl.zoo.vgg16([3, 32, 32], 10, dense_units=16), (1, 2),
     {"conv+relu": 8, "conv+relu+maxpool": 5}),
    (lambda: eddl.zoo.resnet18([3, 32, 32], 10), (1, 3), {"conv+bn": 19, "dense": 1}),
    # depthwise convolutions are grouped: only the stem and the pointwise ones fuse
    (lambda: eddl.zoo.mobilenet([3, 32, 32], 10), (1, 0), {"conv+bn": 14}),
    # exported in eval mode, BN is folded: the stem fuses with its pooling; in each block the
    # second convolution takes the Add, and the 1x1 shortcut, whose Add is taken, runs alone
    ("resnet_small_torchscript_eval", (1, 0),
     {"conv+relu+maxpool": 1, "conv+relu": 2, "conv+add": 2, "conv": 1}),
    ("resnet_small_dynamo_eval", (1, 1),
     {"conv+relu+maxpool": 1, "conv+relu": 2, "conv+add": 2, "conv": 1, "dense": 1}),
    ("resnet_small_dynamo_train", (1, 5), {"conv+bn": 6, "dense": 1}),
    # the ReLUs feeding a skip connection and a pooling cannot take the pooling
    ("unet_small_dynamo_eval", (1, 6), {"conv+relu": 10, "conv+add": 1, "conv": 1}),
]


@pytest.mark.parametrize("model,build,groups", ZOO_AND_ONNX,
                         ids=[m if isinstance(m, str) else f"zoo{k}" for k, (m, _, _)
                              in enumerate(ZOO_AND_ONNX)])
def test_partition_of_zoo_and_imported_models(model, build, groups):
    if isinstance(model, str):
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "onnx"))
        import fixtures
        net = eddl.import_net_from_onnx_string(fixtures.load_fixture(model).SerializeToString())
    else:
        net = model()
    p = partition(net, *build)
    assert p.counts() == groups
    fused = [l for g in p.groups for l in g.layers]
    assert len(fused) == len(set(fused))  # no layer in two chains
    assert set(p.cpu) | {l.name for l in fused} == {l.name for l in net.layers}


def test_partition_reasons_for_the_other_patterns():
    x = eddl.Input([3, 16, 16])
    m = eddl.Mult(eddl.Conv2D(x, 4, [3, 3]), 3.0, name="m3")
    d = eddl.ReLu(eddl.Dense(eddl.Flatten(m), 4, name="fc"))
    p = partition(eddl.Model([x], [d]), 1, 2)
    assert "by 3: HLSinf's shift unit scales by powers of two only" in p.cpu["m3"]
    assert "HLSinf 1.2 has no Dense support" in p.cpu["fc"]
    y = eddl.Mult(eddl.Conv2D(x, 4, [3, 3], name="c"), 2.0, name="m2")
    p = partition(eddl.Model([x], [y]))
    assert "8-bit builds only" in p.cpu["m2"] or "continues with mul" in p.cpu["m2"]


def test_a_model_output_ends_a_chain():
    x = eddl.Input([3, 16, 16])
    h = eddl.ReLu(eddl.Conv2D(x, 4, [3, 3]))
    y = eddl.MaxPool2D(h, [2, 2])
    p = partition(eddl.Model([x], [h, y]))
    assert p.counts() == {"conv+relu": 1}  # the ReLU's output leaves the card
    # bytes of float32 GHWC buffers, channels padded to CPI = 4
    assert p.transfers == [("to_fpga", x.name, 4 * 16 * 16 * 4), ("to_cpu", h.name, 4 * 16 * 16 * 4)]
    assert p.transfer_bytes() == (4096, 4096)
    q = partition(eddl.Model([x], [h, y]), 1, 2)  # APUI8, CPI = 8: one byte per value
    assert q.transfers == [("to_fpga", x.name, 8 * 16 * 16), ("to_cpu", h.name, 8 * 16 * 16)]
    # filters 4x4x3x3 float32 (CPO x CPI padded), bias 4 floats
    assert p.weight_bytes == 4 * 4 * 9 * 4 + 4 * 4
    assert partition(eddl.Model([x], [y])).counts() == {"conv+relu+maxpool": 1}


def test_partition_says_why_layers_stay_on_the_cpu():
    x = eddl.Input([3, 16, 300])
    h = eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3], name="c1"), name="bn"), name="r")
    h = eddl.Conv2D(h, 4, [5, 5], name="c5")
    y = eddl.Dense(eddl.Flatten(eddl.Conv2D(h, 4, [3, 3], name="c3")), 2, name="d")
    net = eddl.Model([x], [y])
    p = partition(net)
    assert p.counts() == {"conv+bn": 1, "conv": 1}
    assert "no pattern of EDDL's toFPGA continues with relu" in p.cpu["r"]
    assert "kernel [5, 5]" in p.cpu["c5"] and "has no Dense support" in p.cpu["d"]
    assert "not a stage HLSinf fuses" in p.cpu[y.parents[0].name]  # the Flatten
    narrow = partition(net, 1, 6)  # the 16x16 build takes widths up to 256
    assert "input width 300 exceeds HLSinf's 256" in narrow.cpu["c1"]
    assert narrow.counts() == {}  # every convolution here is 300 wide
    text = p.summary()
    assert "HLSinf 1.0 (FP32" in text and "conv+bn" in text and "host<->device per sample" in text


def test_partition_of_the_zoo():
    vgg = partition(eddl.zoo.vgg16([3, 32, 32], 10, dense_units=16))
    assert vgg.counts() == {"conv+relu": 8, "conv+relu+maxpool": 5}
    # the 13 chains follow each other on the card: one upload, one download per inference
    assert [(d, n) for d, _, n in vgg.transfers] == [("to_fpga", 4 * 32 * 32 * 4), ("to_cpu", 512 * 4)]
    res = partition(eddl.zoo.resnet18([3, 64, 64], 10))
    assert res.counts() == {"conv+bn": 19}  # every 3x3 and 1x1 conv; the 7x7 stem stays
    assert "kernel [7, 7]" in res.cpu["conv1"]
    ups = sum(d == "to_fpga" for d, _, _ in res.transfers)
    assert ups == 19 and len(res.transfers) == 38  # each conv+bn is followed by CPU layers
    assert partition(eddl.zoo.vgg16_bn([3, 32, 32], 10, dense_units=16)).counts() == {"conv+bn": 13}


# --- the emulator against a model on the CPU --------------------------------------------

def _cpu_net(build, seed=0):
    eddl.set_seed(seed)
    net = _net(build)
    eddl.build(net, eddl.sgd(), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=True)
    return net


@pytest.mark.parametrize("build", [
    lambda x: eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 8, [3, 3])), [2, 2]),
    lambda x: eddl.ReLu(eddl.Conv2D(x, 8, [3, 3], strides=[2, 2])),
], ids=["conv-relu-maxpool", "conv-relu-stride2"])
def test_emulated_chain_matches_the_cpu_model(rng, build):
    net = _cpu_net(build)
    eddl.set_mode(net, 0)
    (group,) = partition(net).groups
    chain = chain_of(group)
    x = rng.uniform(0, 1, (4, 3, 16, 16)).astype(np.float32)
    cpu = np.asarray(eddl.predict(net, [x], 4)[0], np.float64)
    np.testing.assert_allclose(em.run_float(chain, x), cpu, rtol=1e-5, atol=1e-6)
    q = em.quantize_chain(chain, INT8, em.frac_bits(1.0, "APUI8"),
                          em.frac_bits(1.25 * cpu.max(), "APUI8"))
    got = em.dequantize(em.run_fixed(q, em.quantize(x, q.in_frac, "APUI8")), q.out_frac)
    bound = em.quantization_bound(q, x) + 1e-5 * (1 + np.abs(cpu))  # + the CPU's float32
    assert (np.abs(got - cpu) <= bound).all()


def test_chain_of_folds_batch_norm_statistics(rng):
    net = _cpu_net(lambda x: eddl.BatchNormalization(eddl.Conv2D(x, 4, [3, 3])))
    bn = net.layers[-1]
    mean, var = (np.asarray(bn.be.to_host(s)) for s in bn.states)
    mean[...] = rng.standard_normal(4)
    var[...] = rng.uniform(0.5, 2, 4)
    eddl.set_mode(net, 0)
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    cpu = np.asarray(eddl.predict(net, [x], 2)[0])
    chain = chain_of(partition(net).groups[0])
    np.testing.assert_allclose(em.run_float(chain, x), cpu, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="build the model or load its weights first"):
        chain_of(partition(_net(lambda x: eddl.Conv2D(x, 2, [3, 3]))).groups[0])


# --- the computing service --------------------------------------------------------------

def test_fpga_backend_is_the_emulator():
    assert registry.status("fpga") == (True, "ok")
    be = registry.get("fpga")
    assert contract.missing(be) == [] and registry.hardware("fpga") == "FPGA"
    assert be.nn is registry.get("reference").nn  # delegated, not copied


def _convnet():
    x = eddl.Input([3, 12, 12])
    h = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 6, [3, 3])), [2, 2])
    h = eddl.ReLu(eddl.Conv2D(h, 8, [3, 3], strides=[2, 2]))
    return eddl.Model([x], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 4))])


def _train(cs, steps=4):
    eddl.set_seed(5)
    net = _convnet()
    eddl.build(net, eddl.sgd(0.05, 0.9), ["softmax_cross_entropy"], ["categorical_accuracy"], cs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 3, 12, 12)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 16)]
    losses = []
    for step in range(steps):
        net.train_batch([x], [y], np.arange(8) + 8 * (step % 2))
        losses.append(net.get_losses()[0])
    return net, losses, np.asarray(eddl.predict(net, [x], 8)[0])


def test_emulated_fpga_service_trains_and_infers_like_the_cpu(monkeypatch):
    calls = []
    be = registry.get("fpga")
    real = be.conv.conv2d
    monkeypatch.setattr(be.conv, "conv2d", lambda *a: calls.append(a[5]) or real(*a))
    net, losses, pred = _train(eddl.CS_FPGA([1], emulate=True))
    assert net.be is be and calls and set(calls) == {4}  # the kernel's CPI blocking
    ref_net, ref_losses, ref_pred = _train(eddl.CS_CPU(backend="reference"))
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)
    np.testing.assert_allclose(pred, ref_pred, rtol=1e-4, atol=1e-5)
    assert losses[-1] != losses[0]


def test_fpga_service_without_emulate_needs_xrt(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyxrt", None)  # not importable, whatever is installed
    cs = eddl.CS_FPGA([1])
    assert not cs.emulate and "emulate" not in repr(cs)
    with pytest.raises(RuntimeError, match=r"pyxrt.*source /opt/xilinx/xrt/setup.sh.*emulate=True"):
        eddl.build(_convnet(), eddl.sgd(), ["mse"], ["mse"], cs)
    monkeypatch.setitem(sys.modules, "pyxrt", types.ModuleType("pyxrt"))
    with pytest.raises(RuntimeError, match=r"no HLSinf bitstream given.*xclbin=path.*emulate=True"):
        _ = eddl.CS_FPGA([0, 1]).backend
    with pytest.raises(FileNotFoundError, match="nowhere.xclbin' does not exist"):
        _ = eddl.CS_FPGA([1], xclbin="/nowhere.xclbin").backend
    with pytest.raises(ValueError, match="without emulate=True"):
        eddl.CS_FPGA([1], emulate=True, xclbin="hlsinf_v1.0.xclbin")
    with pytest.raises(ValueError, match="applies to FPGA services"):
        eddl.CompServ(emulate=True)
    with pytest.raises(ValueError, match="emulate must be a bool"):
        eddl.CS_FPGA([1], emulate="yes")


@pytest.mark.parametrize("make", [
    lambda: eddl.zoo.vgg16([3, 32, 32], 10, dense_units=16),
    lambda: eddl.zoo.resnet18([3, 32, 32], 10),
], ids=["vgg16", "resnet18"])
def test_fp32_emulator_matches_the_cpu_on_every_fused_chain_of_the_zoo(rng, make):
    eddl.set_seed(2)
    net = make()
    eddl.build(net, eddl.sgd(), ["mse"], ["mse"], eddl.CS_CPU())
    for layer in net.layers:  # non-trivial inference statistics
        if layer.states:
            mean, var = (np.asarray(layer.be.to_host(s)) for s in layer.states)
            mean[...] = rng.standard_normal(mean.shape) * 0.1
            var[...] = rng.uniform(0.5, 2.0, var.shape)
    eddl.set_mode(net, 0)
    eddl.predict(net, [rng.uniform(0, 1, (2, 3, 32, 32)).astype(np.float32)], 2)
    groups = partition(net).groups
    assert len(groups) in (13, 19)
    for g in groups:
        x = np.asarray(g.layers[0].parents[0].output)
        res = None if g.residual is None else np.asarray(g.residual.output)
        want = np.asarray(g.layers[-1].output, np.float64)
        got = em.run_float(chain_of(g), x, res, cpi=4)
        scale = np.abs(want).max()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * scale, err_msg=g.name)
