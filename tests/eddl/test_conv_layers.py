"""Convolution layers: forward against an independent reference, gradients by finite
differences (float64), shapes and construction errors."""

import itertools
import os
import sys

import numpy as np
import pytest
from scipy import signal

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402


def conv_reference(x, w, stride, pads, dil, groups):
    """Direct N-D cross-correlation with einsum (independent of the im2col kernels)."""
    nsp = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads])
    k = w.shape[2:]
    out = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nsp)]
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // groups, f // groups
    y = np.zeros((n, f) + tuple(out))
    for kk in itertools.product(*[range(s) for s in k]):
        sl = tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + (out[i] - 1) * stride[i] + 1, stride[i])
                   for i in range(nsp))
        patch = xp[(slice(None), slice(None)) + sl]
        for g in range(groups):
            y[:, g * fg:(g + 1) * fg] += np.einsum(
                "nc...,fc->nf...", patch[:, g * cg:(g + 1) * cg],
                w[(slice(g * fg, (g + 1) * fg), slice(None)) + kk])
    return y


def forward(layer_fn, x, dtype="float64"):
    net = build_net(lambda i: layer_fn(i), [x.shape[1:]])
    if dtype != "float64":
        net.build(eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU(), dtype=dtype)
    net.set_inputs([x.astype(dtype)])
    net.forward()
    return net, net.lout[0]


CONFIGS = [  # nsp, stride, padding, dilation, groups, kernel
    (1, [1], "same", [1], 1, [3]),
    (1, [2], "valid", [2], 2, [3]),
    (2, [1, 1], "same", [1, 1], 1, [3, 3]),
    (2, [2, 1], "same", [1, 1], 1, [3, 2]),
    (2, [2, 2], [1, 2, 0, 1], [1, 1], 2, [3, 3]),
    (2, [1, 1], "valid", [2, 1], 4, [2, 3]),
    (2, [3, 3], "same,none", [1, 1], 1, [4, 4]),
    (3, [1, 1, 1], "same", [1, 1, 1], 1, [3, 2, 3]),
    (3, [2, 1, 2], "valid", [1, 2, 1], 2, [2, 2, 3]),
]
FACTORY = {1: eddl.Conv1D, 2: eddl.Conv2D, 3: eddl.Conv3D}


@pytest.mark.parametrize("nsp,stride,padding,dil,groups,kernel", CONFIGS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_forward_matches_reference(nsp, stride, padding, dil, groups, kernel, dtype):
    rng = np.random.default_rng(1)
    spatial = {1: (11,), 2: (9, 8), 3: (6, 7, 5)}[nsp]
    x = rng.standard_normal((3, 4) + spatial)
    net, layer = forward(lambda i: FACTORY[nsp](i, 4, kernel, stride, padding, True, groups, dil), x,
                         dtype)
    w, b = (p.astype(np.float64) for p in layer.params)
    ref = conv_reference(x.astype(dtype).astype(np.float64), w, stride, layer.pads, dil, groups)
    ref += b.reshape((1, -1) + (1,) * nsp)
    assert layer.output.shape == ref.shape
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(layer.output, ref, rtol=tol, atol=tol * 10)


def test_conv2d_matches_scipy_correlate():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 10, 7))
    net, layer = forward(lambda i: eddl.Conv2D(i, 2, [3, 4], padding="valid", use_bias=False), x)
    w = layer.params[0]
    for n in range(2):
        for f in range(2):
            ref = signal.correlate(x[n, 0], w[f, 0], mode="valid")
            np.testing.assert_allclose(layer.output[n, f], ref, rtol=1e-12, atol=1e-12)


def test_same_padding_shapes_follow_eddl():
    x = eddl.Input([3, 15, 16])
    assert eddl.Conv2D(x, 8, [3, 3], [2, 2]).shape == (8, 8, 8)
    assert eddl.Conv2D(x, 8, [3, 3], [2, 2], "valid").shape == (8, 7, 7)
    assert eddl.Conv2D(x, 8, [5, 5], dilation_rate=[2, 2]).shape == (8, 15, 16)
    assert eddl.Conv2D(x, 8, 1, padding=[2, 0]).shape == (8, 19, 16)
    assert eddl.ConvT2D(eddl.Input([4, 5, 6]), 2, [3, 3], [2, 2]).shape == (2, 10, 12)
    assert eddl.ConvT2D(eddl.Input([4, 5, 6]), 2, [3, 3], [2, 2], "valid").shape == (2, 11, 13)
    assert eddl.Conv1D(eddl.Input([2, 20]), 3, [5], [3]).shape == (3, 7)
    assert eddl.Conv3D(eddl.Input([1, 4, 5, 6]), 2, [3, 3, 3], [2, 2, 2]).shape == (2, 2, 3, 3)
    assert eddl.DepthwiseConv2D(x, [3, 3]).shape == (3, 15, 16)
    assert eddl.PointwiseConv2D(x, 7).shape == (7, 15, 16)


@pytest.mark.parametrize("nsp,stride,padding,dil,groups,kernel", CONFIGS)
def test_conv_gradients(nsp, stride, padding, dil, groups, kernel):
    spatial = {1: (7,), 2: (5, 4), 3: (3, 3, 4)}[nsp]
    check_gradients(lambda i: FACTORY[nsp](i, 4, kernel, stride, padding, True, groups, dil),
                    [(4,) + spatial], batch=2)


@pytest.mark.parametrize("factory,shape,stride,padding,groups", [
    (eddl.ConvT2D, (4, 3, 4), [2, 2], "same", 1),
    (eddl.ConvT2D, (4, 3, 3), [2, 1], "valid", 2),
    (eddl.ConvT2D, (2, 3, 3), [1, 1], "same", 1),
    (eddl.ConvT3D, (2, 2, 3, 2), [2, 2, 1], "same", 1),
])
def test_conv_transposed_gradients(factory, shape, stride, padding, groups):
    k = [3] * (len(shape) - 1)
    check_gradients(lambda i: factory(i, 2, k, stride, padding, True, groups), [shape], batch=2)


def test_conv_transposed_is_adjoint_of_conv():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 5))
    net, conv = forward(lambda i: eddl.Conv2D(i, 4, [3, 3], [2, 2], 1, False), x)
    y = conv.output.copy()
    dy = rng.standard_normal(y.shape)
    tnet, convt = forward(lambda i: eddl.ConvT2D(i, 3, [3, 3], [2, 2], 1, False), dy)
    convt.params[0][...] = conv.params[0]
    tnet.forward()
    # <conv(x), dy> == <x, convT(dy)> with the same weights and padding
    got = convt.output
    assert got.shape == x.shape
    np.testing.assert_allclose(np.sum(y * dy), np.sum(x * got), rtol=1e-10)


def test_noncontiguous_parent_output():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 6, 3))
    net, layer = forward(lambda i: eddl.Conv2D(eddl.Permute(i, [2, 0, 1]), 2, [3, 3]), x)
    ref = conv_reference(np.transpose(x, (0, 3, 1, 2)), layer.params[0], [1, 1], layer.pads, [1, 1], 1)
    np.testing.assert_allclose(layer.output, ref + layer.params[1].reshape(1, -1, 1, 1), atol=1e-12)


@pytest.mark.parametrize("make,match", [
    (lambda: eddl.Conv2D(eddl.Input([3, 4, 4]), 8, [5, 5], padding="valid"), r"output size \[0, 0\]"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8, 8]), 8, [3, 3], groups=2), "groups=2 must divide"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8]), 8, [3, 3]), "expects a 3-D input"),
    (lambda: eddl.Conv3D(eddl.Input([3, 8, 8]), 8, [3, 3, 3]), "expects a 4-D input"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8, 8]), 8, [3, 3, 3]), "kernel_size must be 2 ints"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8, 8]), 0, [3, 3]), "filters must be a positive int"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8, 8]), 4, [3, 3], [0, 1]), "strides must be >= 1"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8, 8]), 4, [3, 3], padding="full"), "unknown padding"),
    (lambda: eddl.Conv2D(eddl.Input([3, 8, 8]), 4, [3, 3], padding=[1, 2, 3]), "padding needs"),
])
def test_bad_construction_raises(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_error_names_layer_and_shapes():
    with pytest.raises(ValueError) as e:
        eddl.Conv2D(eddl.Input([3, 4, 4], name="img"), 8, [5, 5], padding="valid", name="c1")
    assert "'c1'" in str(e.value) and "img [3, 4, 4]" in str(e.value)


def test_small_cnn_learns_digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = np.eye(10, dtype=np.float32)[d.target]
    eddl.set_seed(0) if hasattr(eddl, "set_seed") else None
    inp = eddl.Input([1, 8, 8])
    h = eddl.ReLu(eddl.Conv2D(inp, 8, [3, 3]))
    h = eddl.MaxPool2D(h, [2, 2], [2, 2])
    h = eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(h, 16, [3, 3]), True))
    h = eddl.Flatten(eddl.GlobalAveragePool2D(h))
    out = eddl.Softmax(eddl.Dense(h, 10))
    net = eddl.Model([inp], [out])
    eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["categorical_accuracy"])
    tr, te = slice(0, 1400), slice(1400, None)
    for _ in range(12):
        idx = np.random.default_rng(_).permutation(1400)
        for b in range(0, 1400, 50):
            net.train_batch([x[tr][idx[b:b + 50]]], [y[tr][idx[b:b + 50]]])
    net.reset_loss()
    net.eval_batch([x[te]], [y[te]])
    assert net.get_metrics()[0] > 0.9


def test_kernels_are_deterministic_under_threads():
    # a race on a shared loop variable once showed up only in about 1 of 500 runs
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 5, 4))
    net, layer = forward(lambda i: eddl.MaxPool2D(eddl.Conv2D(i, 4, [3, 3]), [2, 2], [1, 1],
                                                  "same"), x)
    ref = layer.output.copy()
    for _ in range(600):
        net.forward()
        assert np.array_equal(layer.output, ref)


def test_backend_kernels_reject_bad_arrays():
    from eddl.backend.cpu import conv, pool
    x = np.zeros((2, 4, 5, 5), np.float32)
    w = np.zeros((6, 4, 3, 3), np.float32)
    y = np.zeros((2, 6, 3, 3), np.float32)
    with pytest.raises(TypeError, match="dtype"):
        conv.conv_forward(x, w.astype(np.float64), y, [1, 1], [0, 0], [1, 1])
    with pytest.raises(ValueError, match="C-contiguous"):
        conv.conv_forward(x[:, :, ::2], w, y, [1, 1], [0, 0], [1, 1])
    with pytest.raises(ValueError, match="groups"):
        conv.conv_forward(x, w, y, [1, 1], [0, 0], [1, 1], groups=3)
    with pytest.raises(ValueError, match="must be 3-D"):
        conv.conv_forward(x[0], w, y, [1, 1], [0, 0], [1, 1])
    with pytest.raises(ValueError):
        conv.conv_forward(x, w, y, [0, 1], [0, 0], [1, 1])
    with pytest.raises(ValueError, match="index array"):
        pool.max_pool_forward(x, np.zeros((2, 4, 2, 2), np.float32), np.zeros((2, 4, 3, 3), np.int32),
                              [2, 2], [2, 2], [0, 0])
