"""UpSampling2D/3D, Resize and Pad: forward against references, gradients, errors."""

import os
import sys

import numpy as np
import pytest
from scipy import ndimage

import eddl

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402


def run(make, x):
    net = build_net(make, [x.shape[1:]])
    net.set_inputs([x])
    net.forward()
    return net.lout[0].output


def test_upsampling_nearest_is_repeat():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    y = run(lambda i: eddl.UpSampling2D(i, [2, 3]), x)
    np.testing.assert_array_equal(y, x.repeat(2, axis=2).repeat(3, axis=3))


def test_bilinear_align_corners_matches_scipy_zoom():
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 6))
    y = run(lambda i: eddl.Resize(i, [7, 11], coordinate_transformation_mode="align_corners"), x)
    for c in range(2):
        ref = ndimage.zoom(x[0, c], (7 / 4, 11 / 6), order=1, mode="nearest", grid_mode=False)
        np.testing.assert_allclose(y[0, c], ref, rtol=1e-10, atol=1e-10)


def test_half_pixel_bilinear_upsampling_matches_scipy():
    x = np.random.default_rng(2).standard_normal((1, 1, 5, 4))
    y = run(lambda i: eddl.Resize(i, [10, 8], coordinate_transformation_mode="half_pixel"), x)
    ref = ndimage.zoom(x[0, 0], 2, order=1, mode="nearest", grid_mode=True)
    np.testing.assert_allclose(y[0, 0], ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("make,shape", [
    (lambda i: eddl.UpSampling2D(i, [2, 2]), (2, 3, 2)),
    (lambda i: eddl.UpSampling2D(i, [2, 3], "bilinear"), (1, 3, 3)),
    (lambda i: eddl.Resize(i, [2, 5]), (2, 4, 3)),
    (lambda i: eddl.UpSampling3D(i, [4, 3, 2]), (1, 2, 3, 2)),
    (lambda i: eddl.Pad(i, [1, 2, 0, 1]), (2, 3, 2)),
    (lambda i: eddl.Pad(i, [1, 1], 5.0), (2, 2)),
])
def test_resample_and_pad_gradients(make, shape):
    check_gradients(make, [shape], batch=2)


def test_pad_values():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    y = run(lambda i: eddl.Pad(i, [1, 2, 0, 1], 7.0), x)
    np.testing.assert_array_equal(y[0, 0], np.pad(x[0, 0], [(1, 0), (1, 2)], constant_values=7.0))


def test_resample_bad_input():
    with pytest.raises(ValueError, match="expects a C x H x W"):
        eddl.UpSampling2D(eddl.Input([3, 4]), [2, 2])
    with pytest.raises(ValueError, match="interpolation"):
        eddl.UpSampling2D(eddl.Input([3, 4, 4]), [2, 2], "cubic")
    with pytest.raises(ValueError, match="new_shape must be 2 ints"):
        eddl.Resize(eddl.Input([3, 4, 4]), [2, 2, 2])
    with pytest.raises(ValueError, match="da_mode"):
        eddl.Resize(eddl.Input([3, 4, 4]), [2, 2], reshape=False, da_mode="bogus")
