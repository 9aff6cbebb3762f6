"""Test-time augmentation against a brute-force reference written with NumPy's flips and
rotations, invariance for equivariant predictors, an eddl network end to end, composition with
sliding-window inference, and argument checks."""

import numpy as np
import pytest

import eddl
from bridge.sliding import sliding_window_inference
from bridge.tta import TRANSFORMS, tta_predict

# forward and inverse of each transform, written out independently of bridge.tta
FWD = {
    "identity": lambda a: a,
    "flip_h": lambda a: a[..., ::-1],
    "flip_v": lambda a: a[..., ::-1, :],
    "flip_d": lambda a: a[..., ::-1, :, :],
    "rot90": lambda a: np.rot90(a, 1, axes=(-2, -1)),
    "rot180": lambda a: a[..., ::-1, ::-1],
    "rot270": lambda a: np.rot90(a, 3, axes=(-2, -1)),
}
INV = {
    "identity": lambda a: a,
    "flip_h": lambda a: a[..., ::-1],
    "flip_v": lambda a: a[..., ::-1, :],
    "flip_d": lambda a: a[..., ::-1, :, :],
    "rot90": lambda a: np.rot90(a, 3, axes=(-2, -1)),
    "rot180": lambda a: a[..., ::-1, ::-1],
    "rot270": lambda a: np.rot90(a, 1, axes=(-2, -1)),
}


def _brute(f, x, names, task):
    outs = []
    for name in names:
        y = np.asarray(f(FWD[name](x).copy()), dtype=np.float64)
        outs.append(INV[name](y) if task == "segmentation" else y)
    return sum(outs) / len(outs), np.stack(outs)


def position_dependent(b):
    # depends on where each pixel is, so every transform gives a different output
    ramp = np.arange(b.shape[-1]) / b.shape[-1] + np.arange(b.shape[-2])[:, None] ** 2
    return np.concatenate([np.cumsum(b[:, :1], axis=-1) + ramp, b[:, 1:] * ramp], axis=1)


def classifier(b):
    # [N, 3] scores that change under flips and rotations
    w = np.arange(np.prod(b.shape[2:]), dtype=np.float64).reshape(b.shape[2:])
    s = (b * w).sum(axis=tuple(range(2, b.ndim)))
    return np.stack([s.sum(1), s[:, 0] - s[:, -1], np.tanh(s).prod(1)], axis=1)


ALL_2D = [t for t in TRANSFORMS if t != "flip_d"]


@pytest.mark.parametrize("shape,names", [
    ((2, 2, 6, 6), ALL_2D),
    ((3, 2, 5, 7), ALL_2D),                                  # not square: rotations swap H and W
    ((2, 2, 4, 5, 6), list(TRANSFORMS)),
    ((1, 1, 3, 4, 4), ["flip_d", "rot90"]),
])
@pytest.mark.parametrize("task", ["segmentation", "classification"])
def test_matches_brute_force(shape, names, task):
    x = np.random.default_rng(0).standard_normal(shape)
    f = position_dependent if task == "segmentation" else classifier
    got, each = tta_predict(f, x, names, task=task, return_all=True)
    ref, ref_each = _brute(f, x, names, task)
    np.testing.assert_array_equal(each, ref_each)
    np.testing.assert_allclose(got, ref, rtol=1e-14, atol=1e-14)
    assert got.dtype == np.float64
    # the transforms do change this predictor's output: the test compares something
    assert not np.allclose(each[0], each[1])
    np.testing.assert_allclose(tta_predict(f, x, names, task=task, reduce="median"),
                               np.median(ref_each, axis=0), rtol=1e-14)


def test_equivariant_predictor_gives_the_plain_prediction():
    x = np.random.default_rng(1).standard_normal((2, 2, 5, 7, 6))
    per_voxel = lambda b: np.concatenate([np.tanh(2 * b), b ** 2], axis=1)  # noqa: E731
    got, each = tta_predict(per_voxel, x, TRANSFORMS, task="segmentation", return_all=True)
    for y in each:
        np.testing.assert_array_equal(y, per_voxel(x))
    np.testing.assert_allclose(got, per_voxel(x), rtol=1e-15)
    # a classifier invariant to flips and rotations (a global pooling) likewise
    pooled = lambda b: np.stack([b.mean(axis=(2, 3, 4)).sum(1), b.max(axis=(1, 2, 3, 4))], 1)  # noqa: E731
    np.testing.assert_allclose(tta_predict(pooled, x, TRANSFORMS), pooled(x), rtol=1e-14)


def test_with_eddl_networks():
    eddl.set_seed(5)
    i = eddl.Input([2, 8, 8])
    seg = eddl.Model([i], [eddl.Sigmoid(eddl.Conv2D(eddl.ReLu(eddl.Conv2D(i, 4, [3, 3])), 1, [3, 3]))])
    eddl.build(seg, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU())
    j = eddl.Input([2, 8, 8])
    cls = eddl.Model([j], [eddl.Softmax(eddl.Dense(eddl.Flatten(eddl.ReLu(eddl.Conv2D(j, 3, [3, 3]))), 4))])
    eddl.build(cls, eddl.sgd(0.0), ["softmax_cross_entropy"], ["none"], eddl.CS_CPU())
    x = np.random.default_rng(6).standard_normal((3, 2, 8, 8)).astype(np.float32)
    names = ["identity", "flip_h", "flip_v", "rot90", "rot270"]
    for net, task in ((seg, "segmentation"), (cls, "classification")):
        got, each = tta_predict(net, x, names, task=task, return_all=True)
        ref, _ = _brute(lambda b: eddl.model.predict(net, [b.astype(np.float32)])[0], x, names, task)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)
        assert not np.allclose(each[0], each[1], atol=1e-6)
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got.sum(1), 1, rtol=1e-5)


def test_composes_with_sliding_window_inference():
    x = np.random.default_rng(7).standard_normal((1, 2, 13, 11))
    sw = lambda b: sliding_window_inference(b, (6, 6), position_dependent, 4, 0.5, "gaussian")  # noqa: E731
    got = tta_predict(sw, x, ALL_2D, task="segmentation")
    ref, _ = _brute(sw, x, ALL_2D, "segmentation")
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)


def test_bad_arguments():
    x = np.zeros((1, 1, 4, 4))
    f = lambda b: b  # noqa: E731
    with pytest.raises(ValueError, match="unknown transform 'flip_x'"):
        tta_predict(f, x, ["identity", "flip_x"])
    with pytest.raises(ValueError, match="flip_d.*3 spatial axes"):
        tta_predict(f, x, ["flip_d"])
    with pytest.raises(ValueError, match="distinct"):
        tta_predict(f, x, ["flip_h", "flip_h"])
    with pytest.raises(ValueError, match="at least one"):
        tta_predict(f, x, [])
    with pytest.raises(ValueError, match="task"):
        tta_predict(f, x, task="detection")
    with pytest.raises(ValueError, match="reduce"):
        tta_predict(f, x, reduce="max")
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        tta_predict(f, np.zeros((4, 4)))
    with pytest.raises(TypeError, match="predictor"):
        tta_predict("net", x)
    with pytest.raises(ValueError, match="segmentation: predictor returned"):
        tta_predict(lambda b: b[:, :, :2], x, task="segmentation")
    with pytest.raises(ValueError, match="one output per image"):
        tta_predict(lambda b: b[0], np.zeros((2, 1, 4, 4)))
    with pytest.raises(ValueError, match="under 'rot90'"):
        tta_predict(lambda b: b.reshape(len(b), -1)[:, :b.shape[-1]], np.zeros((1, 1, 3, 5)),
                    ["identity", "rot90"])
