"""Threshold, multi-threshold and Otsu against OpenCV and scikit-image."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc.thresholding import (
    multi_threshold_array,
    otsu_multi_threshold_array,
    otsu_threshold_array,
    threshold_array,
)

cv2 = pytest.importorskip("cv2")
filters = pytest.importorskip("skimage.filters")

DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("inv", [False, True])
def test_threshold_every_dtype_matches_numpy(rng, dtype, inv):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    lo, hi = (max(info.min, -1000), min(info.max, 1000)) if info else (-1000, 1000)
    img = rng.integers(lo, hi, (17, 19, 3)).astype(dtype)
    img = img[:, ::2]  # non-contiguous
    t = 100.5 if info is None else 100.7
    ttype = ecvl.ThresholdingType.BINARY_INV if inv else ecvl.ThresholdingType.BINARY
    out = threshold_array(img, t, 77, ttype)
    above = img.astype(np.float64) > t
    ref = np.where(above != inv, 77, 0).astype(dtype)
    np.testing.assert_array_equal(out, ref)
    assert out.dtype == dtype


def test_threshold_uint8_equals_opencv(rng):
    img = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    for t in (0, 99.5, 127, 254.9, 255, -3):
        ref = cv2.threshold(img, t, 255, cv2.THRESH_BINARY)[1]
        np.testing.assert_array_equal(threshold_array(img, t, 255), ref)
    assert threshold_array(img, 10, 300).max() == 255  # maxval saturates


@pytest.mark.parametrize("shape", [(1, 1), (3, 5, 4), (520, 530)])
def test_threshold_uint8_inverse_and_threads_equal_opencv(rng, shape):
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    old = ecvl.get_num_threads()
    try:
        for n in (1, 2):
            ecvl.set_num_threads(n)
            for t, mv in ((0.5, 200.6), (126.99, 255), (200, 7)):
                ref = cv2.threshold(img, t, mv, cv2.THRESH_BINARY_INV)[1]
                np.testing.assert_array_equal(threshold_array(img, t, mv, "BINARY_INV"), ref)
    finally:
        ecvl.set_num_threads(old)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 63, 65, 32768 * 2 + 77])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_threshold_kernel_tails_blocks_and_threads(rng, dtype, n, nthreads):
    # lengths around the 64-byte vector and across the 32768-element blocks of the threads
    from ecvl.imgproc.thresholding import _threshold

    src = rng.integers(0, 120, n).astype(dtype)
    dst = np.full(n + 1, 9, dtype)
    if np.dtype(dtype).kind == "f":
        src[::7] = np.nan  # never above the threshold
    _threshold.threshold(src, dst[:n], dtype(60), dtype(3), dtype(1), nthreads)
    np.testing.assert_array_equal(dst[:n], np.where(src > 60, 3, 1).astype(dtype))
    assert dst[n] == 9


@pytest.mark.parametrize("shape", [(1,), (64, 3), (7, 13, 5), (2, 129, 257, 3)])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_threshold_u8_one_call_entry(rng, shape, nthreads):
    from ecvl.imgproc.thresholding import _threshold

    src = rng.integers(0, 256, shape, dtype=np.uint8)
    out = _threshold.threshold_u8(src, 127, 200, 5, nthreads)
    assert out.shape == src.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.where(src > 127, 200, 5).astype(np.uint8))
    with pytest.raises(ValueError, match="C-contiguous uint8"):
        _threshold.threshold_u8(src.astype(np.int8), 127, 200, 5, 1)
    if src.ndim > 1 and src.shape[-1] > 1:
        with pytest.raises(ValueError, match="C-contiguous uint8"):
            _threshold.threshold_u8(src[..., ::2], 127, 200, 5, 1)


def test_threshold_uint8_volume_and_strided_input_equal_opencv(rng):
    vol = rng.integers(0, 256, (3, 33, 45, 1), dtype=np.uint8)
    ref = np.stack([cv2.threshold(v, 99, 255, cv2.THRESH_BINARY)[1] for v in vol[..., 0]])
    np.testing.assert_array_equal(threshold_array(vol, 99, 255)[..., 0], ref)
    img = rng.integers(0, 256, (41, 2 * 37 + 1, 3), dtype=np.uint8)[:, ::2]
    np.testing.assert_array_equal(threshold_array(img, 99, 255),
                                  cv2.threshold(np.ascontiguousarray(img), 99, 255,
                                                cv2.THRESH_BINARY)[1])


def test_float32_threshold_exact_near_representable_values():
    img = np.array([[0.1, np.nextafter(np.float32(0.1), np.float32(1))]], np.float32)
    out = threshold_array(img, 0.1, 1.0)  # float64 0.1 lies between the two float32 values
    np.testing.assert_array_equal(out, (img.astype(np.float64) > 0.1).astype(np.float32))


def test_multi_threshold(rng):
    img = rng.integers(0, 256, (30, 31), dtype=np.uint8)
    t = [50, 120, 200]
    out = multi_threshold_array(img, t, 0, 255)
    k = np.searchsorted(t, img, side="left")
    np.testing.assert_array_equal(out, np.rint(k * 85).astype(np.uint8))
    f = img.astype(np.float32)
    np.testing.assert_allclose(multi_threshold_array(f, t, 0, 1), k / 3)
    with pytest.raises(ecvl.EcvlValueError, match="MultiThreshold"):
        multi_threshold_array(img, [100, 50])


def _blobs(rng, shape, dtype=np.uint8):
    a = np.where(rng.random(shape) < 0.3, rng.normal(60, 15, shape), rng.normal(170, 20, shape))
    info = np.iinfo(dtype)
    return np.clip(a * (info.max / 255), 0, info.max).astype(dtype)


def test_otsu_uint8_equals_opencv(rng):
    for _ in range(5):
        img = _blobs(rng, (64, 80))
        ref = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
        assert otsu_threshold_array(img) == int(ref)
    img = rng.integers(0, 256, (50, 50), dtype=np.uint8)
    assert otsu_threshold_array(img[:, :, None]) == int(cv2.threshold(img, 0, 255,
                                                                     cv2.THRESH_OTSU)[0])


def test_otsu_uint16_equals_opencv(rng):
    img = _blobs(rng, (60, 70), np.uint16)
    ref = cv2.threshold(img, 0, 65535, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    assert otsu_threshold_array(img) == int(ref)


def test_otsu_float_matches_skimage_bins(rng):
    img = rng.normal(size=(50, 60)) + (rng.random((50, 60)) < 0.4) * 4
    assert otsu_threshold_array(img) == pytest.approx(filters.threshold_otsu(img, nbins=256))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_multi_otsu_matches_skimage(rng, n):
    img = np.concatenate([rng.normal(m, 8, 400) for m in (30, 90, 150, 220)])
    img = np.clip(img, 0, 255).astype(np.uint8).reshape(40, 40)
    ref = filters.threshold_multiotsu(img, classes=n + 1)
    assert otsu_multi_threshold_array(img, n) == [int(v) for v in ref]


def test_otsu_errors_and_image_forms():
    rgb = ecvl.Image.fromarray(np.zeros((4, 4, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
    with pytest.raises(ecvl.EcvlValueError, match="OtsuThreshold"):
        ecvl.OtsuThreshold(rgb)
    with pytest.raises(ecvl.EcvlValueError, match="too few"):
        otsu_multi_threshold_array(np.zeros((4, 4), np.uint8), 2)
    for n in (0, 4, 2.5):
        with pytest.raises(ecvl.EcvlValueError, match="n_thresholds"):
            otsu_multi_threshold_array(np.arange(16, dtype=np.uint8).reshape(4, 4), n)
    gray = ecvl.Image.fromarray(np.array([[10, 12], [200, 202]], np.uint8), "xy",
                                ecvl.ColorType.GRAY)
    assert ecvl.OtsuThreshold(gray) == 12 == ecvl.otsu_threshold(gray)
    dst = ecvl.Image.empty()
    ecvl.Threshold(gray, dst, 100, 255)
    np.testing.assert_array_equal(np.asarray(dst), [[0, 0], [255, 255]])
    ecvl.MultiThreshold(gray, dst, [11, 150])
    np.testing.assert_array_equal(np.asarray(dst), [[0, 128], [255, 255]])
    assert ecvl.threshold(gray, 100, 1).channels_ == "xy"
    with pytest.raises(ecvl.EcvlValueError, match="threshold type"):
        ecvl.threshold(gray, 100, 1, "OTSU")
