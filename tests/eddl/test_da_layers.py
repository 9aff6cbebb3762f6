"""Data-augmentation layers: identity in inference, valid transforms in training."""

import os
import sys

import numpy as np
import pytest

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402

RANDOM = [
    lambda i: eddl.RandomFlip(i, 0),
    lambda i: eddl.RandomHorizontalFlip(i),
    lambda i: eddl.RandomRotation(i, [-30, 30]),
    lambda i: eddl.RandomScale(i, [0.8, 1.2]),
    lambda i: eddl.RandomShift(i, [-0.2, 0.2], [-0.2, 0.2]),
    lambda i: eddl.RandomCropScale(i, [0.7, 1.0]),
    lambda i: eddl.RandomCutout(i, [0.2, 0.4], [0.2, 0.4]),
]


def run(net, x, mode):
    net.set_mode(mode)
    net.set_inputs([x])
    net.forward()
    return net.lout[0].output.copy()


@pytest.mark.parametrize("make", RANDOM)
def test_random_layers_identity_in_inference_and_active_in_training(make):
    net = build_net(make, [(2, 9, 8)])
    x = np.random.default_rng(0).standard_normal((16, 2, 9, 8))
    np.testing.assert_array_equal(run(net, x, eddl.TSMODE), x)
    y = run(net, x, eddl.TRMODE)
    assert y.shape == x.shape and not np.array_equal(y, x)
    # every output value is an input value of the same sample and channel, or the fill 0
    for n in range(2):
        vals = set(np.round(x[n, 0].ravel(), 12)) | {0.0}
        assert set(np.round(y[n, 0].ravel(), 12)) <= vals


def test_flip_is_exact():
    net = build_net(lambda i: eddl.RandomHorizontalFlip(i), [(1, 3, 4)])
    x = np.random.default_rng(1).standard_normal((64, 1, 3, 4))
    y = run(net, x, eddl.TRMODE)
    flipped = np.array([np.array_equal(y[k], x[k, :, :, ::-1]) for k in range(64)])
    same = np.array([np.array_equal(y[k], x[k]) for k in range(64)])
    assert (flipped | same).all() and 10 < flipped.sum() < 54


def test_crops():
    x = np.arange(2 * 30.0).reshape(2, 1, 5, 6)
    net = build_net(lambda i: eddl.Crop(i, [1, 2], [3, 4]), [(1, 5, 6)])
    np.testing.assert_array_equal(run(net, x, eddl.TSMODE), x[:, :, 1:4, 2:5])
    net = build_net(lambda i: eddl.CenteredCrop(i, [3, 2]), [(1, 5, 6)])
    np.testing.assert_array_equal(run(net, x, eddl.TSMODE), x[:, :, 1:4, 2:4])
    net = build_net(lambda i: eddl.RandomCrop(i, [3, 4]), [(1, 5, 6)])
    np.testing.assert_array_equal(run(net, x, eddl.TSMODE), x[:, :, 1:4, 1:5])
    y = run(net, x, eddl.TRMODE)
    for k in range(2):
        hits = [(a, b) for a in range(3) for b in range(3)
                if np.array_equal(y[k, 0], x[k, 0, a:a + 3, b:b + 4])]
        assert hits


def test_da_gradient_is_adjoint_of_remap():
    check_gradients(lambda i: eddl.Crop(i, [0, 1], [2, 3]), [(2, 4, 4)], batch=2)


def test_da_bad_input():
    with pytest.raises(ValueError, match="axis"):
        eddl.RandomFlip(eddl.Input([1, 4, 4]), 2)
    with pytest.raises(ValueError, match="expects a C x H x W"):
        eddl.RandomRotation(eddl.Input([4, 4]), [-5, 5])
    with pytest.raises(ValueError, match="invalid range"):
        eddl.RandomCutout(eddl.Input([1, 4, 4]), [0.5, 0.2], [0.1, 0.2])
    with pytest.raises(ValueError, match="da_mode"):
        eddl.RandomShift(eddl.Input([1, 4, 4]), [0, 0.1], [0, 0.1], "bogus")
    with pytest.raises(ValueError, match="larger than the input"):
        eddl.RandomCrop(eddl.Input([1, 4, 4]), [5, 4])
