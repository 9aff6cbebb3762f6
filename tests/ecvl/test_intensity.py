"""Intensity operations against float64 NumPy references."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc import intensity as I

DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]


def _img(rng, dtype, shape=(16, 18, 3)):
    if np.dtype(dtype).kind == "f":
        return rng.random(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -500), min(info.max, 500), shape).astype(dtype)


def _sat(x, dtype):
    if np.dtype(dtype).kind == "f":
        return x.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.rint(x), info.min, info.max).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normalize(rng, dtype):
    a = _img(rng, dtype)
    out = I.normalize_array(a, [1, 2, 3], [2, 4, 8])
    ref = (a.astype(np.float64) - [1, 2, 3]) / [2, 4, 8]
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert out.dtype == (np.float64 if dtype == np.float64 else np.float32)
    with pytest.raises(ecvl.EcvlValueError, match="Normalize"):
        I.normalize_array(a, 0, 0)
    with pytest.raises(ecvl.EcvlValueError, match="mean"):
        I.normalize_array(a, [1, 2], 1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gamma_and_brightness_contrast(rng, dtype):
    a = _img(rng, dtype)
    full = 1.0 if np.dtype(dtype).kind == "f" else float(np.iinfo(dtype).max)
    ref = full * (np.clip(a.astype(np.float64), 0, None) / full) ** 0.7
    out = I.gamma_contrast_array(a, 0.7)
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(out, ref, rtol=1e-5)
    else:
        np.testing.assert_array_equal(out, _sat(ref, dtype))
    out = I.brightness_contrast_array(a, 1.3, -7)
    ref = _sat(a.astype(np.float64) * 1.3 - 7, dtype)
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64), rtol=1e-6)
    with pytest.raises(ecvl.EcvlValueError, match="gamma"):
        I.gamma_contrast_array(a, 0)


def test_noise_reproducible_and_statistics(rng):
    a = np.full((200, 200, 1), 100.0)
    g1 = I.gaussian_noise_array(a, 5.0, rng=3)
    assert np.array_equal(g1, I.gaussian_noise_array(a, 5.0, rng=3))
    assert abs((g1 - 100).std() - 5) < 0.2 and abs((g1 - 100).mean()) < 0.2
    lap = I.additive_laplace_noise_array(a, 4.0, rng=np.random.default_rng(1)) - 100
    assert abs(lap.std() - 4) < 0.2
    poi = I.additive_poisson_noise_array(a, 3.0, rng=2) - 100
    assert abs(poi.mean() - 3) < 0.1 and np.allclose(poi, np.rint(poi))
    u8 = I.gaussian_noise_array(np.full((50, 50), 250, np.uint8), 30, rng=0)
    assert u8.dtype == np.uint8 and u8.max() == 255  # saturated, not wrapped
    for f in (I.gaussian_noise_array, I.additive_laplace_noise_array,
              I.additive_poisson_noise_array):
        with pytest.raises(ecvl.EcvlValueError):
            f(a, -1.0)


@pytest.mark.parametrize("per_channel", [False, True])
def test_salt_pepper(per_channel):
    a = np.full((100, 100, 3), 128, np.uint8)
    out = I.salt_pepper_array(a, 0.3, per_channel=per_channel, rng=5)
    assert set(np.unique(out)) == {0, 128, 255}
    hit = out != 128
    assert abs(hit.mean() - 0.3) < 0.03
    if not per_channel:
        assert (hit.all(-1) == hit.any(-1)).all()
    s = I.salt_pepper_array(a, 0.5, pepper=False, rng=1)
    assert set(np.unique(s)) == {128, 255}
    f = I.salt_pepper_array(np.zeros((10, 10), np.float32), 1.0, pepper=False)
    assert (f == 1.0).all()
    with pytest.raises(ecvl.EcvlValueError):
        I.salt_pepper_array(a, 1.5)


def test_coarse_dropout():
    a = np.ones((40, 60, 3), np.uint8)
    out = I.coarse_dropout_array(a, 0.5, 0.1, rng=0)
    cells = out[::4, ::6, 0]  # 4x6 cells
    assert out.reshape(10, 4, 10, 6, 3).min(axis=(1, 3)).tolist() == \
        out.reshape(10, 4, 10, 6, 3).max(axis=(1, 3)).tolist()
    assert 0.3 < 1 - cells.mean() < 0.7
    pc = I.coarse_dropout_array(a, 0.5, 0.1, per_channel=True, rng=0)
    assert (pc[..., 0] != pc[..., 1]).any()
    assert I.coarse_dropout_array(a, 0.0, 0.2).min() == 1
    with pytest.raises(ecvl.EcvlValueError, match="drop_size"):
        I.coarse_dropout_array(a, 0.5, 0)


def test_image_forms(rng):
    arr = rng.integers(0, 256, (8, 9, 3), dtype=np.uint8)
    img = ecvl.Image.from_canonical(arr.copy(), "xyc", ecvl.ColorType.RGB)
    dst = ecvl.Image.empty()
    ecvl.Normalize(img, dst, 10, 2)
    assert dst.elemtype_ == ecvl.DataType.float32
    ecvl.GammaContrast(img, dst, 2.0)
    np.testing.assert_array_equal(dst.canonical(), I.gamma_contrast_array(arr, 2.0))
    for f, arg in [(ecvl.AdditiveLaplaceNoise, 3), (ecvl.AdditivePoissonNoise, 2),
                   (ecvl.GaussianNoise, 3), (ecvl.Salt, 0.1), (ecvl.Pepper, 0.1),
                   (ecvl.SaltAndPepper, 0.1)]:
        a, b = ecvl.Image.empty(), ecvl.Image.empty()
        f(img, a, arg, seed=7)
        f(img, b, arg, seed=7)
        np.testing.assert_array_equal(a.canonical(), b.canonical())
        assert a.dims_ == img.dims_
    ecvl.CoarseDropout(img, dst, 0.5, 0.25, 0, seed=1)
    assert ecvl.brightness_contrast(img, 1, 10).colortype_ == ecvl.ColorType.RGB
