"""Elastic, grid and optical distortions: maps against OpenCV/albumentations-style references."""

import numpy as np
import pytest

from ecvl.core.errors import EcvlError
from ecvl.imgproc import distortion as d
from ecvl.imgproc import geometric as g

cv2 = pytest.importorskip("cv2")


def full_resolution_elastic(h, w, alpha, sigma, seed):
    """ECVL's elastic field in float64 (scipy): the same noise (two uniform (h, w) draws in
    [-1, 1]) smoothed at every pixel by the 17-tap Gaussian, borders reflected (101)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    x = np.arange(-8, 9, dtype=np.float64)
    k = np.exp(-x * x / (2 * sigma * sigma))
    k /= k.sum()
    out = []
    for _ in range(2):
        n = rng.random((h, w), dtype=np.float32).astype(np.float64) * 2 - 1
        for ax in (0, 1):
            if n.shape[ax] > 1:
                n = ndimage.correlate1d(n, k, axis=ax, mode="mirror")
        out.append(alpha * n)
    yy, xx = np.mgrid[0:h, 0:w]
    return xx + out[0], yy + out[1]


@pytest.mark.parametrize("h, w, sigma", [(40, 50, 1.0), (33, 47, 2.9), (1, 9, 2.0), (7, 1, 1.5)])
def test_elastic_maps_match_the_full_resolution_field_below_sigma_3(h, w, sigma):
    alpha = 30.0
    mx, my = d.elastic_maps((h, w), alpha, sigma, seed=3)
    assert mx.dtype == my.dtype == np.float32 and mx.shape == (h, w)
    rx, ry = full_resolution_elastic(h, w, alpha, sigma, 3)
    np.testing.assert_allclose(mx, rx, atol=2e-4 * alpha)
    np.testing.assert_allclose(my, ry, atol=2e-4 * alpha)
    if h >= 17 and w >= 17:  # OpenCV's blur of the same noise (its reflect_101 needs room)
        n = np.random.default_rng(3).random((2, h, w), dtype=np.float32) * 2 - 1
        ref = cv2.GaussianBlur(n[0], (17, 17), sigma, borderType=cv2.BORDER_REFLECT_101) * alpha
        np.testing.assert_allclose(mx - np.arange(w), ref, atol=2e-4 * alpha)


@pytest.mark.parametrize("sigma", [3.0, 4.5, 6.0])
def test_smooth_elastic_field_has_the_full_resolution_statistics(sigma):
    """From sigma 3 the field is computed on a coarser grid: not the same values as the
    full-resolution field of the same seed, but the same per-pixel spread and correlation
    length, along both axes."""
    ours, ref = [], []
    for seed in range(30):
        mx, my = d.elastic_maps((100, 100), 10.0, sigma, seed)
        rx, ry = full_resolution_elastic(100, 100, 10.0, sigma, seed)
        yy, xx = np.mgrid[0:100, 0:100]
        ours += [mx - xx, (my - yy).T]
        ref += [rx - xx, (ry - yy).T]
    ours, ref = np.array(ours), np.array(ref)

    def corr(f, lag):
        return np.mean(f[..., lag:] * f[..., :-lag]) / np.mean(f * f)
    assert abs(ours.mean()) < 0.1 * ref.std()
    assert ours.std() == pytest.approx(ref.std(), rel=0.15)
    for lag in (1, 3, 6):
        assert corr(ours, lag) == pytest.approx(corr(ref, lag), abs=0.08)
        assert corr(ours.transpose(0, 2, 1), lag) == pytest.approx(
            corr(ref.transpose(0, 2, 1), lag), abs=0.08)


def test_elastic_transform_is_remap_with_its_maps(rng):
    a = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    out = d.elastic_transform_array(a, 20, 3, seed=7)
    mx, my = d.elastic_maps((32, 48), 20, 3, seed=7)
    assert np.array_equal(out, g.remap_array(a, mx, my, "linear", "reflect_101"))
    ref = cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    assert np.abs(out.astype(int) - ref).max() <= 1
    assert not np.array_equal(out, d.elastic_transform_array(a, 20, 3, seed=8))
    # a label mask warped with nearest keeps its label set
    mask = (rng.integers(0, 3, (32, 48, 1)) * 5).astype(np.uint8)
    warped = d.elastic_transform_array(mask, 20, 3, interp="nearest", seed=7)
    assert set(np.unique(warped)) <= {0, 5, 10}


def grid_reference(h, w, num_steps, xsteps, ysteps):
    """albumentations' grid_distortion map construction."""
    def axis(n, steps):
        step = n // num_steps
        out = np.zeros(n, np.float32)
        prev = 0
        for idx in range(num_steps + 1):
            start = idx * step
            end = start + step
            if end > n:
                end, cur = n, n
            else:
                cur = prev + step * steps[idx]
            out[start:end] = np.linspace(prev, cur, end - start)
            prev = cur
        return out
    return np.meshgrid(axis(w, xsteps), axis(h, ysteps))


@pytest.mark.parametrize("shape, steps", [((40, 50), 5), ((33, 47), 4), ((20, 20), 1)])
def test_grid_maps_match_reference(shape, steps):
    mx, my = d.grid_distortion_maps(shape, steps, (-0.3, 0.3), seed=11)
    rng = np.random.default_rng(11)
    xs = 1 + rng.uniform(-0.3, 0.3, steps + 1)
    ys = 1 + rng.uniform(-0.3, 0.3, steps + 1)
    rx, ry = grid_reference(shape[0], shape[1], steps, xs, ys)
    np.testing.assert_allclose(mx, rx, atol=1e-4)
    np.testing.assert_allclose(my, ry, atol=1e-4)
    out = d.grid_distortion_array(np.ones(shape + (2,), np.float32), steps, 0.3, seed=11)
    assert out.shape == shape + (2,) and out.dtype == np.float32


def test_optical_maps_match_opencv_undistort_map():
    h, w, k, dx, dy = 30, 40, 0.25, 2.0, -3.0
    mx, my = d.optical_distortion_maps((h, w), k=k, dx=dx, dy=dy)
    cam = np.array([[w, 0, w * 0.5 + dx], [0, h, h * 0.5 + dy], [0, 0, 1]], np.float64)
    rx, ry = cv2.initUndistortRectifyMap(cam, np.array([k, k, 0, 0, 0], np.float64), None, None,
                                         (w, h), cv2.CV_32FC1)
    np.testing.assert_allclose(mx, rx, atol=2e-3)
    np.testing.assert_allclose(my, ry, atol=2e-3)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64,
                                   np.float32, np.float64])
def test_distortions_every_dtype(rng, dtype):
    a = rng.integers(0, 100, (24, 31, 2)).astype(dtype)
    for fn in (d.elastic_transform_array, d.grid_distortion_array, d.optical_distortion_array):
        out = fn(a, seed=5)
        assert out.shape == a.shape and out.dtype == a.dtype
        assert np.array_equal(out, fn(a, seed=5))
        assert out.min() >= 0 and out.max() <= 99  # reflect border: values stay in range


@pytest.mark.parametrize("call, match", [
    (lambda: d.elastic_maps((10, 10), sigma=0), "sigma"),
    (lambda: d.elastic_maps((10, 10), alpha=np.nan), "alpha"),
    (lambda: d.grid_distortion_maps((10, 10), num_steps=0), "num_steps"),
    (lambda: d.grid_distortion_maps((10, 10), distort_limit=(0.3, -0.3)), "distort_limit"),
    (lambda: d.optical_distortion_maps((10, 10), shift_limit=[1, 2, 3]), "shift_limit"),
    (lambda: d.optical_distortion_array(np.zeros((4, 4), np.uint8)), "optical_distortion"),
])
def test_bad_input(call, match):
    with pytest.raises(EcvlError, match=match):
        call()
