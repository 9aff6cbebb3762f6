"""Sliding-window inference against a brute-force reference (every window predicted alone,
weights written out voxel by voxel) and against whole-image prediction for voxel-wise
predictors."""

import itertools
import math

import numpy as np
import pytest

import eddl
from bridge.sliding import importance_map, sliding_window_inference, window_starts


def _starts_ref(size, roi, overlap):
    if roi >= size:
        return [0]
    step = max(int(roi * (1 - overlap)), 1)
    out, s = [], 0
    while s + roi < size:
        out.append(s)
        s += step
    out.append(size - roi)
    return out


def _gauss_ref(roi, scale):
    w = np.empty(roi)
    for idx in itertools.product(*[range(r) for r in roi]):
        w[idx] = math.prod(math.exp(-((i - (r - 1) / 2) ** 2) / (2 * (r * scale) ** 2))
                           for i, r in zip(idx, roi))
    return np.maximum(w, max(w.min(), 1e-3))


def _brute(x, roi, f, overlap, mode, scale=0.125, pad_mode="constant", cval=0.0):
    """One window at a time, no batching; padding and weights written independently."""
    spatial = x.shape[2:]
    roi = tuple(roi)
    pads = [(0, 0), (0, 0)] + [((max(r - s, 0)) // 2, max(r - s, 0) - max(r - s, 0) // 2)
                               for s, r in zip(spatial, roi)]
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}[pad_mode]
    xp = np.pad(x, pads, mode=np_mode, **({"constant_values": cval} if pad_mode == "constant" else {}))
    w = np.ones(roi) if mode == "constant" else _gauss_ref(roi, scale)
    num = den = None
    for n in range(x.shape[0]):
        for st in itertools.product(*[_starts_ref(s, r, overlap) for s, r in zip(xp.shape[2:], roi)]):
            sl = tuple(slice(s, s + r) for s, r in zip(st, roi))
            p = f(xp[(slice(n, n + 1), slice(None)) + sl])[0]
            if num is None:
                num = np.zeros((x.shape[0], p.shape[0]) + xp.shape[2:])
                den = np.zeros(num.shape)
            num[(n, slice(None)) + sl] += p * w
            den[(n, slice(None)) + sl] += w
    crop = tuple(slice(lo, lo + s) for (lo, _), s in zip(pads[2:], spatial))
    return (num / den)[(slice(None), slice(None)) + crop]


def window_dependent(w):
    # depends on the window's content and position inside it: blending matters
    m = w.mean(axis=tuple(range(2, w.ndim)), keepdims=True)
    ramp = np.arange(w.shape[-1]) / w.shape[-1]
    return np.concatenate([w[:, :1] - m[:, :1] + ramp, np.cumsum(w[:, 1:], axis=-1)], axis=1)


def test_window_starts_follow_the_scan_rule():
    assert window_starts(10, 4, 0.25) == [0, 3, 6]
    assert window_starts(11, 4, 0.25) == [0, 3, 6, 7]
    assert window_starts(8, 8, 0.5) == [0]
    for size in range(5, 40):
        for roi in range(1, size + 1):
            for ov in (0.0, 0.25, 0.5, 0.9):
                assert window_starts(size, roi, ov) == _starts_ref(size, roi, ov)


@pytest.mark.parametrize("shape,roi,overlap,mode,sw", [
    ((2, 2, 17, 23), (8, 6), 0.25, "constant", 3),
    ((1, 2, 17, 23), (8, 6), 0.5, "gaussian", 4),
    ((2, 2, 9, 11, 10), (4, 5, 6), 0.3, "gaussian", 5),
    ((1, 2, 9, 11, 10), (4, 5, 6), 0.0, "constant", 1),
    ((1, 2, 5, 7), (8, 9), 0.25, "gaussian", 2),        # smaller than the window: padded
    ((1, 2, 5, 12), (8, 5), 0.6, "constant", 2),
])
def test_matches_brute_force(shape, roi, overlap, mode, sw):
    x = np.random.default_rng(0).standard_normal(shape)
    got = sliding_window_inference(x, roi, window_dependent, sw, overlap, mode)
    ref = _brute(x, roi, window_dependent, overlap, mode)
    assert got.shape == ref.shape == shape
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pad_mode", ["reflect", "replicate"])
def test_padding_modes(pad_mode):
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 6))
    got = sliding_window_inference(x, (8, 8), window_dependent, overlap=0.5, padding_mode=pad_mode)
    np.testing.assert_allclose(got, _brute(x, (8, 8), window_dependent, 0.5, "constant", pad_mode=pad_mode),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["constant", "gaussian"])
def test_voxelwise_predictor_gives_the_whole_image_result(mode):
    x = np.random.default_rng(2).standard_normal((3, 1, 13, 10, 9))
    f = lambda w: np.concatenate([np.tanh(2 * w), w ** 2], axis=1)  # noqa: E731
    got = sliding_window_inference(x, 6, f, sw_batch_size=4, overlap=0.4, mode=mode)
    np.testing.assert_allclose(got, f(x), rtol=1e-12, atol=1e-14)


def test_batching_does_not_change_the_result_and_calls_are_counted():
    x = np.random.default_rng(3).standard_normal((2, 2, 20, 20))
    calls = []

    def f(w):
        calls.append(len(w))
        return window_dependent(w)

    one = sliding_window_inference(x, 8, f, 1, 0.5, "gaussian")
    n = len(calls)
    assert n == 2 * len(window_starts(20, 8, 0.5)) ** 2
    calls.clear()
    many = sliding_window_inference(x, 8, f, 7, 0.5, "gaussian")
    assert calls == [7] * (n // 7) + ([n % 7] if n % 7 else [])
    np.testing.assert_allclose(one, many, rtol=1e-13)


def test_gaussian_importance_map():
    np.testing.assert_allclose(importance_map((5, 4, 3), "gaussian", 0.3), _gauss_ref((5, 4, 3), 0.3), rtol=1e-13)
    assert importance_map((6, 6), "gaussian").min() >= 1e-3


def test_with_an_eddl_network():
    eddl.set_seed(5)
    i = eddl.Input([2, 8, 8])
    net = eddl.Model([i], [eddl.Sigmoid(eddl.Conv2D(eddl.ReLu(eddl.Conv2D(i, 4, [3, 3])), 1, [3, 3]))])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU())
    x = np.random.default_rng(6).standard_normal((2, 2, 19, 13)).astype(np.float32)
    got = sliding_window_inference(x, (8, 8), net, sw_batch_size=5, overlap=0.25, mode="gaussian")
    ref = _brute(x, (8, 8), lambda w: eddl.model.predict(net, [w.astype(np.float32)])[0], 0.25, "gaussian")
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


def test_bad_arguments():
    x = np.zeros((1, 1, 8, 8))
    f = lambda w: w  # noqa: E731
    with pytest.raises(ValueError, match="overlap"):
        sliding_window_inference(x, 4, f, overlap=1.0)
    with pytest.raises(ValueError, match="roi_size"):
        sliding_window_inference(x, (4, 4, 4), f)
    with pytest.raises(ValueError, match="spatial"):
        sliding_window_inference(np.zeros((8, 8)), 4, f)
    with pytest.raises(ValueError, match="predictor returned"):
        sliding_window_inference(x, 4, lambda w: w[:, :, :2])
    with pytest.raises(TypeError, match="predictor"):
        sliding_window_inference(x, 4, "net")
    with pytest.raises(ValueError, match="mode"):
        sliding_window_inference(x, 4, f, mode="linear")
    with pytest.raises(ValueError, match="padding_mode"):
        sliding_window_inference(x, 4, f, padding_mode="zeros")
    with pytest.raises(ValueError, match="sw_batch_size"):
        sliding_window_inference(x, 4, f, sw_batch_size=0)
