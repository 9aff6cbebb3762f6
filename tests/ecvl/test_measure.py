"""MeanStdDev, Moments, CentralMoments, IntegralImage, NonMaximaSuppression and GetMaxN
against OpenCV, scikit-image, SciPy and float64 NumPy references."""

import numpy as np
import pytest

import ecvl
from ecvl import ColorType, DataType, Image
from ecvl.core.errors import EcvlError, EcvlValueError

cv2 = pytest.importorskip("cv2")
skm = pytest.importorskip("skimage.measure")
ndi = pytest.importorskip("scipy.ndimage")


def _gray(hw, dtype=np.uint8, seed=0, channels="xyc"):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 200, hw + (1,)).astype(dtype)
    return Image.from_canonical(a, channels, ColorType.GRAY)


# ECVL cpu_hal_imgproc.cpp MeanStdDev: cv::meanStdDev of the image, one value per channel.
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32])
@pytest.mark.parametrize("channels", ["xyc", "cxy"])
def test_mean_std_dev_matches_opencv(dtype, channels):
    rng = np.random.default_rng(1)
    hwc = (rng.random((13, 9, 3)) * 250).astype(dtype)
    img = Image.from_canonical(hwc, channels, ColorType.RGB)
    mean, std = ecvl.MeanStdDev(img)
    cm, cs = cv2.meanStdDev(hwc)
    assert isinstance(mean, list) and len(mean) == 3 and len(std) == 3
    np.testing.assert_allclose(mean, cm.ravel(), rtol=1e-9)
    np.testing.assert_allclose(std, cs.ravel(), rtol=1e-7)
    assert ecvl.mean_std_dev is ecvl.MeanStdDev
    with pytest.raises(EcvlError, match="MeanStdDev: the image is empty"):
        ecvl.MeanStdDev(Image.empty())


def _ref_moments(a, center, order):
    """sum over positions of prod_d (pos_d - c_d) ** i_d * a, by explicit loops."""
    out = np.zeros((order + 1,) * a.ndim)
    for idx in np.ndindex(*out.shape):
        w = np.ones(a.shape)
        for d, (p, c) in enumerate(zip(idx, center)):
            shape = [1] * a.ndim
            shape[d] = -1
            w = w * ((np.arange(a.shape[d]) - c) ** p).reshape(shape)
        out[idx] = (w * a).sum()
    return out


# ECVL imgproc.cpp Moments / CentralMoments and cpu_hal_imgproc.cpp CentralMomentsImpl: the
# colour axis is dropped and moment [i0, i1, ...] sums prod_d (pos_d - center_d) ** i_d * value;
# output dims (order + 1) per remaining axis, in the source's axis order, float32 or float64.
@pytest.mark.parametrize("order", [0, 1, 3])
def test_moments_match_scikit_image(order):
    img = _gray((7, 11), np.uint8, seed=2)
    m = ecvl.moments(img, order)
    hw = img.canonical()[..., 0].astype(np.float64)
    assert m.channels_ == "xy" and m.dims_ == [order + 1] * 2 and m.elemtype_ == DataType.float64
    assert m.colortype_ == ColorType.none
    # skimage indexes [row power, column power]; ours is [x power, y power]
    np.testing.assert_allclose(np.asarray(m), skm.moments(hw, order).T, rtol=1e-12)
    center = [3.5, 2.25]  # x, y
    mu = ecvl.central_moments(img, center, order)
    np.testing.assert_allclose(np.asarray(mu), skm.moments_central(hw, center[::-1], order).T,
                               rtol=1e-10, atol=1e-6)
    dst = Image.empty()
    assert ecvl.Moments(img, dst, order) is None
    np.testing.assert_array_equal(np.asarray(dst), np.asarray(m))
    dst = Image.empty()
    ecvl.CentralMoments(img, dst, center, order, DataType.float32)
    assert dst.elemtype_ == DataType.float32
    np.testing.assert_allclose(np.asarray(dst), np.asarray(mu), rtol=1e-5, atol=1e-2)


def test_moments_of_volumes_and_axis_orders():
    rng = np.random.default_rng(3)
    a = rng.random((4, 5, 3))  # x, y, z
    vol = Image.fromarray(a, "xyz")
    np.testing.assert_allclose(np.asarray(ecvl.moments(vol, 2)), _ref_moments(a, [0, 0, 0], 2),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(ecvl.central_moments(vol, [1.5, 2, 1], 2)),
                               _ref_moments(a, [1.5, 2, 1], 2), rtol=1e-10, atol=1e-12)
    # "yxc": the moments follow the source's axis order
    yx = Image.fromarray(a[:, :, :1].transpose(1, 0, 2), "yxc", ColorType.GRAY)
    m = ecvl.moments(yx, 2)
    assert m.channels_ == "yx"
    np.testing.assert_allclose(np.asarray(m), _ref_moments(a[:, :, 0].T, [0, 0], 2), rtol=1e-12)


def test_moment_errors_name_the_argument():
    rgb = Image([4, 4, 3], DataType.uint8, "xyc", ColorType.RGB)
    with pytest.raises(EcvlValueError, match="GRAY or ColorType.none image, got colortype RGB"):
        ecvl.moments(rgb)
    with pytest.raises(EcvlValueError, match="'c' axis of 3 channels"):
        ecvl.moments(Image([4, 4, 3], DataType.uint8, "xyc"))
    with pytest.raises(EcvlValueError, match="type_ must be DataType.float32 or DataType.float64, got int32"):
        ecvl.Moments(_gray((3, 3)), Image.empty(), 2, DataType.int32)
    with pytest.raises(EcvlValueError, match="order must be an int >= 0, got -1"):
        ecvl.moments(_gray((3, 3)), -1)
    with pytest.raises(EcvlValueError, match="center cannot have negative coordinates"):
        ecvl.central_moments(_gray((3, 3)), [-1, 0])
    with pytest.raises(EcvlValueError, match=r"one finite coordinate per axis of 'xy' \(2\)"):
        ecvl.central_moments(_gray((3, 3)), [1, 1, 1])


# ECVL cpu_hal_imgproc.cpp IntegralImage: dims [W + 1, H + 1, 1], first row and column 0,
# float64, GRAY; the same table as OpenCV's cv::integral.
@pytest.mark.parametrize("dtype,dst_type", [(np.uint8, DataType.float64), (np.uint8, DataType.int32),
                                            (np.int16, DataType.int64), (np.float32, DataType.float32)])
def test_integral_image_matches_opencv(dtype, dst_type):
    img = _gray((9, 14), dtype, seed=4)
    out = ecvl.integral_image(img, dst_type)
    hw = img.canonical()[..., 0]
    ref = cv2.integral(hw.astype(np.float64) if dtype == np.int16 else hw,
                       sdepth=cv2.CV_64F)
    assert out.dims_ == [15, 10, 1] and out.elemtype_ == dst_type
    assert out.colortype_ == ColorType.GRAY and out.channels_ == "xyc"
    np.testing.assert_allclose(out.canonical()[..., 0].astype(np.float64), ref, rtol=1e-6)
    dst = Image.empty()
    ecvl.IntegralImage(img, dst, dst_type)
    np.testing.assert_array_equal(np.asarray(dst), np.asarray(out))


def test_integral_image_per_channel_and_errors():
    hwc = np.random.default_rng(5).integers(0, 255, (6, 5, 3)).astype(np.uint8)
    img = Image.from_canonical(hwc, "xyc", ColorType.RGB)
    out = ecvl.integral_image(img)
    np.testing.assert_array_equal(out.canonical(), cv2.integral(hwc, sdepth=cv2.CV_64F))
    assert out.colortype_ == ColorType.none
    with pytest.raises(EcvlValueError, match="dst_type must be one of float64, float32, int64, "
                       "int32, got uint8"):
        ecvl.integral_image(img, DataType.uint8)
    with pytest.raises(EcvlValueError, match="needs an integer source, got float32"):
        ecvl.integral_image(_gray((3, 3), np.float32), DataType.int32)
    big = Image.from_canonical(np.full((300, 300, 1), 2 ** 30, np.int32), "xyc", ColorType.GRAY)
    with pytest.raises(EcvlValueError, match="beyond int32; use dst_type int64"):
        ecvl.integral_image(big, DataType.int32)


# ECVL cpu_hal_imgproc.cpp NonMaximaSuppression: inner pixels not smaller than any of their
# 8 neighbours keep their value, all others (and the one-pixel frame) become 0.
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float32])
def test_non_maxima_suppression_matches_maximum_filter(dtype):
    rng = np.random.default_rng(6)
    hw = rng.integers(0, 6, (15, 12)).astype(dtype)  # few values: plenty of ties
    img = Image.from_canonical(hw[..., None], "xyc", ColorType.GRAY)
    out = ecvl.non_maxima_suppression(img)
    ref = np.where(hw == ndi.maximum_filter(hw, size=3, mode="nearest"), hw, 0)
    ref[0, :] = ref[-1, :] = ref[:, 0] = ref[:, -1] = 0
    assert out.elemtype_ == img.elemtype_ and out.dims_ == img.dims_
    np.testing.assert_array_equal(out.canonical()[..., 0], ref)
    ecvl.NonMaximaSuppression(img, img)
    np.testing.assert_array_equal(img.canonical()[..., 0], ref)
    tiny = Image.from_canonical(np.ones((2, 5, 1), np.int32), "xyc", ColorType.GRAY)
    assert not ecvl.non_maxima_suppression(tiny).canonical().any()
    with pytest.raises(EcvlValueError, match="single-channel image, got 3 channels"):
        ecvl.non_maxima_suppression(Image([4, 4, 3], DataType.int32, "xyc"))


# ECVL cpu_hal_imgproc.cpp GetMaxN: the [x, y] positions of the n largest values.
def test_get_max_n_positions():
    rng = np.random.default_rng(7)
    hw = rng.permutation(12 * 9).reshape(9, 12).astype(np.int32)  # distinct values
    img = Image.from_canonical(hw[..., None], "xyc", ColorType.GRAY)
    got = ecvl.GetMaxN(img, 5)
    order = np.argsort(-hw.ravel())[:5]
    assert got == [[int(i % 12), int(i // 12)] for i in order]
    assert all(hw[y, x] >= hw.max() - 4 for x, y in got)
    # ties: equal values in raster order
    flat = Image.from_canonical(np.ones((2, 3, 1), np.int32), "xyc", ColorType.GRAY)
    assert ecvl.get_max_n(flat, 4) == [[0, 0], [1, 0], [2, 0], [0, 1]]
    for bad in (0, 7, 2.0, True):
        with pytest.raises(EcvlValueError, match="n must be an int from 1 to the 6 pixels"):
            ecvl.get_max_n(flat, bad)
