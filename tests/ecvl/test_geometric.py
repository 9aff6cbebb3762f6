"""Resize, flips, transpose, crop, pad and concatenation against OpenCV and NumPy references."""

import numpy as np
import pytest

from ecvl.core.errors import EcvlError, EcvlTypeError, EcvlValueError
from ecvl.imgproc import geometric as g

cv2 = pytest.importorskip("cv2")

DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]
CV_INTERP = {"nearest": 0, "linear": 1, "cubic": 2, "area": 3, "lanczos4": 4}


def rand(rng, shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.uniform(-100, 100, shape).astype(dt)
    info = np.iinfo(dt)
    lo, hi = max(info.min, -(2 ** 20)), min(info.max, 2 ** 20)
    return rng.integers(lo, hi, shape, endpoint=True).astype(dt)


def resize_reference(a, size, interp):
    """float64 separable resampling with the tables, independent of the kernels."""
    h, w = a.shape[:2]
    yi, yw = g.resize_tables(h, size[0], interp, None if interp != "area" else
                             (size[0] <= h and size[1] <= w))
    xi, xw = g.resize_tables(w, size[1], interp, None if interp != "area" else
                             (size[0] <= h and size[1] <= w))
    af = a.astype(np.float64)
    tmp = np.einsum("xk,hxkc->hxc", xw, af[:, xi])
    return np.einsum("yk,ykxc->yxc", yw, tmp[yi])


@pytest.mark.parametrize("interp", list(CV_INTERP))
@pytest.mark.parametrize("size", [(20, 30), (74, 106), (18, 26), (50, 41), (37, 53), (1, 7)])
def test_resize_uint8_matches_opencv(rng, interp, size):
    a = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    ours = g.resize_array(a, size, interp)
    ref = cv2.resize(a, (size[1], size[0]), interpolation=CV_INTERP[interp])
    assert ours.shape == ref.shape and ours.flags.c_contiguous
    tol = 0 if interp == "nearest" else 1
    assert np.abs(ours.astype(int) - ref).max() <= tol


@pytest.mark.parametrize("interp", list(CV_INTERP))
def test_resize_float32_gray_matches_opencv(rng, interp):
    a = rng.random((31, 45, 1), dtype=np.float32)
    ours = g.resize_array(a, (17, 70), interp)
    ref = cv2.resize(a[..., 0], (70, 17), interpolation=CV_INTERP[interp])
    np.testing.assert_allclose(ours[..., 0], ref, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interp", ["linear", "area", "cubic", "lanczos4"])
def test_resize_every_dtype_against_float64_reference(rng, dtype, interp):
    a = rand(rng, (23, 19, 2), dtype)
    for size in [(11, 9), (40, 33), (46, 38)]:
        ours = g.resize_array(a, size, interp)
        ref = resize_reference(a, size, interp)
        assert ours.dtype == a.dtype
        if np.dtype(dtype).kind == "f":
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-3)
        else:
            info = np.iinfo(dtype)
            ref = np.clip(np.rint(ref), info.min, info.max)
            assert np.abs(ours.astype(np.float64) - ref).max() <= 1


def test_resize_half_fast_path_and_nearest_every_dtype(rng):
    for dtype in DTYPES:
        a = rand(rng, (20, 14, 3), dtype)
        half = g.resize_array(a, (10, 7), "linear")
        box = a.astype(np.float64).reshape(10, 2, 7, 2, 3).mean(axis=(1, 3))
        assert np.abs(half.astype(np.float64) - box).max() <= (0.5 if a.dtype.kind != "f" else 1e-4)
        near = g.resize_array(a, (9, 31), "nearest")
        assert np.array_equal(near, a[np.floor(np.arange(9) * (1 / (9 / 20))).astype(int)][:, np.floor(np.arange(31) * (1 / (31 / 14))).astype(int)])


def test_resize_volume(rng):
    v = rng.random((6, 10, 12, 2))
    out = g.resize_array(v, (3, 5, 6), "linear")
    np.testing.assert_allclose(out, v.reshape(3, 2, 5, 2, 6, 2, 2).mean(axis=(1, 3, 5)), atol=1e-12)
    out = g.resize_array(v, (9, 7, 4), "cubic")
    ref = np.stack([resize_reference(s, (7, 4), "cubic") for s in v])
    zi, zw = g.resize_tables(6, 9, "cubic")
    ref = np.einsum("zk,zkyxc->zyxc", zw, ref[zi])
    np.testing.assert_allclose(out, ref, atol=1e-10)
    near = g.resize_array(v.astype(np.int16), (12, 5, 3), "nearest")
    assert near.shape == (12, 5, 3, 2)


def test_resize_noncontiguous_input(rng):
    a = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    view = a[::2, 1::2, ::-1]
    ours = g.resize_array(view, (13, 17), "linear")
    ref = cv2.resize(np.ascontiguousarray(view), (17, 13), interpolation=1)
    assert np.abs(ours.astype(int) - ref).max() <= 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_flips_mirror_transpose_exact(rng, dtype):
    for c in (1, 2, 3, 4, 5):
        a = rand(rng, (7, 9, c), dtype)
        assert np.array_equal(g.flip_array(a), a[::-1])
        assert np.array_equal(g.mirror_array(a), a[:, ::-1])
        assert np.array_equal(g.transpose_array(a), a.transpose(1, 0, 2))
    a = rng.integers(0, 256, (33, 70, 3), dtype=np.uint8)
    assert np.array_equal(g.mirror_array(a), cv2.flip(a, 1))
    assert np.array_equal(g.flip_array(a), cv2.flip(a, 0))
    assert np.array_equal(g.transpose_array(a), cv2.transpose(a))


def test_volume_flips_and_transpose(rng):
    v = rng.integers(0, 9, (3, 4, 5, 2)).astype(np.int32)
    assert np.array_equal(g.flip_axes_array(v, "z"), v[::-1])
    assert np.array_equal(g.flip_axes_array(v, "xy"), v[:, ::-1, ::-1])
    assert np.array_equal(g.flip_axes_array(v, ["x", "z"]), v[::-1, :, ::-1])
    assert np.array_equal(g.mirror_array(v), v[:, :, ::-1])
    assert np.array_equal(g.transpose_array(v), v.transpose(0, 2, 1, 3))
    with pytest.raises(EcvlValueError, match="flip"):
        g.flip_axes_array(v[0], "z")


def test_center_crop_pad_and_concat(rng):
    a = rng.integers(0, 100, (7, 10, 3)).astype(np.uint16)
    assert np.array_equal(g.center_crop_array(a, (3, 4)), a[2:5, 3:7])
    modes = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}
    for bt, mode in modes.items():
        ref = np.pad(a, [(1, 2), (3, 4), (0, 0)], mode=mode)
        assert np.array_equal(g.pad_array(a, [1, 2, 3, 4], bt), ref)
        cvref = cv2.copyMakeBorder(a, 1, 2, 3, 4, bt)
        assert np.array_equal(g.pad_array(a, [1, 2, 3, 4], bt), cvref)
    padded = g.pad_array(a, [2, 1], 0, [1, 2, 70000])
    assert padded.shape == (11, 12, 3) and padded[0, 0].tolist() == [1, 2, 65535]
    assert g.pad_array(a, 2).shape == (11, 14, 3)
    b = rng.integers(0, 100, (7, 3, 3)).astype(np.uint16)
    assert np.array_equal(g.hconcat_arrays([a, b]), np.concatenate([a, b], 1))
    assert np.array_equal(g.vconcat_arrays([a, a]), np.concatenate([a, a], 0))
    assert np.array_equal(g.stack_arrays([a, a + 1]), np.stack([a, a + 1]))


@pytest.mark.parametrize("call, match", [
    (lambda a: g.resize_array(a, (0, 4)), "size"),
    (lambda a: g.resize_array(a, (4, -1)), "size"),
    (lambda a: g.resize_array(a, (4,)), "size"),
    (lambda a: g.resize_array(a, (4, 4), "bicubic"), "interpolation"),
    (lambda a: g.resize_array(a, (4, 4), 9), "interpolation"),
    (lambda a: g.resize_array(a[..., 0], (4, 4)), "resize"),
    (lambda a: g.center_crop_array(a, (9, 2)), "center_crop"),
    (lambda a: g.pad_array(a, [1, 2, 3]), "padding"),
    (lambda a: g.pad_array(a, [-1]), "padding"),
    (lambda a: g.pad_array(a, 1, "transparent"), "TRANSPARENT"),
    (lambda a: g.pad_array(a, 1, 0, [1, 2]), "border value"),
    (lambda a: g.hconcat_arrays([a, a[:3]]), "hconcat"),
    (lambda a: g.stack_arrays([a, a[:, :3]]), "stack"),
    (lambda a: g.stack_arrays([]), "stack"),
])
def test_bad_input_raises_clear_errors(call, match):
    a = np.zeros((8, 6, 3), np.uint8)
    with pytest.raises(EcvlError, match=match):
        call(a)


def test_unsupported_dtype_and_empty():
    with pytest.raises(EcvlTypeError, match="dtype"):
        g.resize_array(np.zeros((4, 4, 1), np.complex64), (2, 2))
    with pytest.raises(EcvlTypeError, match="dtype"):
        g.mirror_array(np.zeros((4, 4, 1), bool))
    with pytest.raises(EcvlValueError, match="empty"):
        g.flip_array(np.zeros((0, 4, 1), np.uint8))


# ECVL 1.0.3 imgproc.cpp ResizeDim: three new dims call CpuHal::Resize3D
# (cpu_hal_imgproc.cpp), which resizes x and y with cv::resize, then lays the image out as a
# (channels x W*H) matrix and cv::resize's its width, i.e. the c (else z, else o) axis, with the
# same interpolation.
@pytest.mark.parametrize("interp,cv_interp", [("linear", "INTER_LINEAR"),
                                              ("nearest", "INTER_NEAREST"),
                                              ("cubic", "INTER_CUBIC"), ("area", "INTER_AREA")])
@pytest.mark.parametrize("dtype,atol", [(np.float32, 1e-3), (np.uint8, 1)])
@pytest.mark.parametrize("new_c", [1, 2, 3, 7])
@pytest.mark.parametrize("channels", ["xyc", "cxy", "xyo"])
def test_resize_dim_with_three_values_resizes_the_third_axis(interp, cv_interp, dtype, atol,
                                                             new_c, channels):
    import ecvl

    rng = np.random.default_rng(5)
    hwc = (rng.random((12, 17, 3)) * 255).astype(dtype)
    img = ecvl.Image.from_canonical(hwc, channels)
    img.spacings_ = [{"x": 0.5, "y": 2.0, "c": 1.0, "o": 1.0}[k] for k in channels]
    out = ecvl.resize_dim(img, [9, 8, new_c], getattr(ecvl.InterpolationType, interp))
    flag = getattr(cv2, cv_interp)
    ref2d = ecvl.resize_dim(img, [9, 8], getattr(ecvl.InterpolationType, interp)).canonical()
    np.testing.assert_allclose(ref2d.astype(np.float64), cv2.resize(
        hwc, (9, 8), interpolation=flag).astype(np.float64), atol=atol, rtol=1e-6)
    # the third axis from the x-y result, as Resize3D does (uint8 rounding of the first
    # pass may differ by one from OpenCV's, which a cubic second pass could amplify)
    ref = cv2.resize(np.ascontiguousarray(ref2d.reshape(72, 3)), (new_c, 72),
                     interpolation=flag).reshape(8, 9, new_c)
    assert out.channels_ == channels and out.elemtype_ == img.elemtype_
    third = "c" if "c" in channels else "o"
    assert dict(zip(channels, out.dims_)) == {"x": 9, "y": 8, third: new_c}
    np.testing.assert_allclose(out.canonical().astype(np.float64), ref.astype(np.float64),
                               atol=atol, rtol=1e-6)
    sp = dict(zip(channels, out.spacings_))
    assert sp["x"] == pytest.approx(0.5 * 17 / 9) and sp["y"] == pytest.approx(2.0 * 12 / 8)
    assert sp[third] == pytest.approx(3 / new_c)
    dst = ecvl.Image.empty()
    ecvl.ResizeDim(img, dst, [9, 8, new_c], getattr(ecvl.InterpolationType, interp))
    np.testing.assert_array_equal(np.asarray(dst), np.asarray(out))


def test_resize_dim_third_value_needs_a_colour_axis():
    import ecvl

    img = ecvl.Image([6, 5], ecvl.DataType.uint8, "xy")
    with pytest.raises(EcvlValueError, match=r"newdims \[3, 3, 2\] has a third value.*"
                       r"channels 'xy' have no such axis; give \[w, h\]"):
        ecvl.resize_dim(img, [3, 3, 2])
    with pytest.raises(EcvlValueError, match="newdims"):
        ecvl.resize_dim(ecvl.Image([6, 5, 3], ecvl.DataType.uint8, "xyc"), [3, 3, 0])
    vol = ecvl.Image([6, 5, 4], ecvl.DataType.float32, "xyz")
    assert ecvl.resize_dim(vol, [3, 3, 2]).dims_ == [3, 3, 2]  # volumes: the z axis, as before


def test_resize_axis0_array_matches_opencv_1d():
    a = np.random.default_rng(1).random((9, 4)).astype(np.float32)
    for n in (4, 9, 15):
        ref = cv2.resize(np.ascontiguousarray(a.T), (n, 4), interpolation=cv2.INTER_LINEAR).T
        np.testing.assert_allclose(g.resize_axis0_array(a, n), ref, atol=1e-6)
