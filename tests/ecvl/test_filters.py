"""Linear filters against OpenCV (and scipy.ndimage for volumes)."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc.filters import (
    average_blur_array,
    filter2d_array,
    gaussian_blur_array,
    gaussian_kernel,
    separable_filter_array,
)

cv2 = pytest.importorskip("cv2")
ndi = pytest.importorskip("scipy.ndimage")

BORDERS = {
    "reflect_101": cv2.BORDER_REFLECT_101,
    "replicate": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "constant": cv2.BORDER_CONSTANT,
}
DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]


def _rand(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.normal(0, 50, shape).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -30000), min(info.max, 30000)
    return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)


def _ref_sep(a, kx, ky, mode="mirror"):
    """float64 reference: correlate along rows then columns (scipy 'mirror' = reflect_101)."""
    f = a.astype(np.float64)
    f = ndi.correlate1d(f, ky, axis=0, mode=mode)
    return ndi.correlate1d(f, kx, axis=1, mode=mode)


def _tol(dtype):
    return 1.0 if np.dtype(dtype).kind in "iu" else 1e-3


@pytest.mark.parametrize("ksize,sigma", [(3, 0), (5, 1.3), (0, 2.0), (7, 0), (1, 0), (9, 0.8)])
@pytest.mark.parametrize("border", list(BORDERS))
def test_gaussian_uint8_matches_opencv(rng, ksize, sigma, border):
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    ours = gaussian_blur_array(img, ksize, sigma, border=border)
    ref = cv2.GaussianBlur(img, (ksize, ksize), sigma, borderType=BORDERS[border])
    assert ours.dtype == np.uint8 and ours.shape == img.shape
    assert np.abs(ours.astype(int) - ref).max() <= 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_every_dtype_against_float64_reference(rng, dtype):
    img = _rand(rng, (23, 31, 2), dtype)
    k = gaussian_kernel(5, 1.1)
    ours = gaussian_blur_array(img, 5, 1.1)
    ref = np.stack([_ref_sep(img[..., c], k, k) for c in range(2)], -1)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        ref = np.clip(np.rint(ref), info.min, info.max)
        assert np.abs(ours.astype(np.float64) - ref).max() <= 1
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-3)
    assert ours.dtype == dtype


def test_gaussian_sizes_sigmas_per_axis_and_kernel_rules(rng):
    img = rng.random((30, 40)).astype(np.float32)
    ours = gaussian_blur_array(img, (3, 7), (0.9, 2.5))
    ref = cv2.GaussianBlur(img, (3, 7), sigmaX=0.9, sigmaY=2.5)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    for n in (1, 3, 5, 7):  # OpenCV's fixed small kernels, exactly
        np.testing.assert_allclose(gaussian_kernel(n), cv2.getGaussianKernel(n, 0).ravel(),
                                   atol=1e-12)
    for n in (9, 11, 15):  # OpenCV quantises larger sigma-0 kernels slightly
        k = gaussian_kernel(n)
        assert k.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(k, cv2.getGaussianKernel(n, 0).ravel(), atol=3e-3)


def test_gaussian_non_contiguous_and_2d_input(rng):
    big = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    view = big[::2, 1::2]
    assert not view.flags.c_contiguous
    ref = cv2.GaussianBlur(np.ascontiguousarray(view), (5, 5), 0)
    assert np.abs(gaussian_blur_array(view, 5).astype(int) - ref).max() <= 1
    gray = big[..., 0]
    out = gaussian_blur_array(gray, 3)
    assert out.shape == gray.shape


def test_gaussian_volume_matches_scipy(rng):
    vol = rng.random((9, 12, 14, 1))
    k = gaussian_kernel(5, 1.0)
    ours = gaussian_blur_array(vol, 5, 1.0)
    ref = vol[..., 0]
    for axis in range(3):
        ref = ndi.correlate1d(ref, k, axis=axis, mode="mirror")
    np.testing.assert_allclose(ours[..., 0], ref, atol=1e-12)


@pytest.mark.parametrize("ksize", [(3, 3), (4, 4), (5, 2), (1, 7)])
def test_average_blur_matches_opencv(rng, ksize):
    img = rng.integers(0, 256, (29, 33, 3), dtype=np.uint8)
    ours = average_blur_array(img, ksize)
    assert np.abs(ours.astype(int) - cv2.blur(img, ksize)).max() <= 1
    f = img.astype(np.float32)
    np.testing.assert_allclose(average_blur_array(f, ksize), cv2.blur(f, ksize), atol=1e-3)


@pytest.mark.parametrize("border", list(BORDERS))
def test_filter2d_and_separable_match_opencv(rng, border):
    img = rng.random((26, 35, 3)).astype(np.float32)
    k = rng.normal(size=(3, 5))
    ours = filter2d_array(img, k, border=border, border_value=0)
    ref = cv2.filter2D(img, -1, k, borderType=BORDERS[border])
    np.testing.assert_allclose(ours, ref, atol=1e-4)
    kx, ky = rng.normal(size=5), rng.normal(size=3)
    ours = separable_filter_array(img, kx, ky, border=border)
    ref = cv2.sepFilter2D(img, -1, kx, ky, borderType=BORDERS[border])
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_filter2d_anchor_and_output_dtype(rng):
    img = rng.integers(0, 256, (20, 22), dtype=np.uint8)
    k = rng.normal(size=(4, 3))
    ours = filter2d_array(img, k, dtype=np.float32, anchor=(0, 1))
    ref = cv2.filter2D(img.astype(np.float32), -1, k, anchor=(0, 1))
    np.testing.assert_allclose(ours, ref, atol=1e-3)
    assert ours.dtype == np.float32
    sat = filter2d_array(img, np.full((1, 1), 3.0))
    np.testing.assert_array_equal(sat, np.clip(img.astype(int) * 3, 0, 255))


def test_constant_border_value_is_used(rng):
    img = np.zeros((5, 5), np.float32)
    out = filter2d_array(img, np.ones((3, 3)) / 9, border="constant", border_value=9)
    assert out[0, 0] == pytest.approx(5.0) and out[2, 2] == 0


@pytest.mark.parametrize("call", [
    lambda a: gaussian_blur_array(a, 4),
    lambda a: gaussian_blur_array(a, 0, 0),
    lambda a: gaussian_blur_array(a, 3, -1.0),
    lambda a: gaussian_blur_array(a, 3, border="mirror"),
    lambda a: average_blur_array(a, 0),
    lambda a: filter2d_array(a, np.ones(3)),
    lambda a: filter2d_array(a, [[np.nan]]),
    lambda a: filter2d_array(a, np.ones((3, 3)), anchor=(5, 0)),
    lambda a: separable_filter_array(a, [], [1.0]),
])
def test_bad_arguments_raise_ecvl_errors(call):
    with pytest.raises(ecvl.EcvlError):
        call(np.zeros((8, 8), np.uint8))


def test_bad_dtype_and_shape():
    with pytest.raises(ecvl.EcvlTypeError, match="GaussianBlur"):
        gaussian_blur_array(np.zeros((5, 5), np.complex64), 3)
    with pytest.raises(ecvl.EcvlError, match="GaussianBlur"):
        gaussian_blur_array(np.zeros(5, np.uint8), 3)
    with pytest.raises(ecvl.EcvlError, match="empty"):
        gaussian_blur_array(np.zeros((0, 4, 1), np.uint8), 3)


def test_image_level_forms_share_the_implementation(rng):
    arr = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)  # canonical (H, W, C)
    img = ecvl.Image.from_canonical(arr, "xyc", ecvl.ColorType.RGB, spacings=[0.5, 0.5, 1])
    out = ecvl.gaussian_blur(img, 1.2)
    assert out.colortype_ == ecvl.ColorType.RGB and out.spacings_ == [0.5, 0.5, 1]
    np.testing.assert_array_equal(out.canonical(), gaussian_blur_array(arr, 0, 1.2))
    dst = ecvl.Image.empty()
    ecvl.GaussianBlur(img, dst, 5, 5, 1.2)
    np.testing.assert_array_equal(dst.canonical(), gaussian_blur_array(arr, 5, 1.2))
    expected = gaussian_blur_array(arr, 0, 1.2)
    ecvl.GaussianBlur2(img, img, 1.2)  # in place: img wraps arr, so arr changes too
    np.testing.assert_array_equal(img.canonical(), expected)
    dst = ecvl.Image.empty()
    ecvl.Filter2D(out, dst, np.ones((3, 3)) / 9, ecvl.DataType.float32)
    assert dst.elemtype_ == ecvl.DataType.float32
    ker = ecvl.Image.fromarray(np.ones((3, 3), np.float32) / 9, "xy")
    ecvl.Filter2D(out, dst, ker)
    assert dst.elemtype_ == ecvl.DataType.uint8
    ecvl.SeparableFilter2D(out, dst, [0.25, 0.5, 0.25], [1.0])
    ecvl.AverageBlur(out, dst, 3)
    assert dst.dims_ == out.dims_
    with pytest.raises(ecvl.EcvlError):
        ecvl.GaussianBlur(ecvl.Image.empty(), dst, 3, 3, 1)
