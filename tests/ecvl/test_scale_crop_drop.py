"""ScaleTo, ScaleFromTo, RandomCrop and DropColorChannel against float64 NumPy references
written from ECVL 1.0.3's C++ (cpu_hal_imgproc.cpp, imgproc.cpp)."""

import numpy as np
import pytest

import ecvl
from ecvl import BorderType, ColorType, DataType, Image
from ecvl.core.errors import EcvlTypeError, EcvlValueError


def _ecvl_store(x, dtype):
    """ECVL saturate_cast<T>(double): clamp to T's range, then static_cast (truncation)."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return x.astype(dt)
    info = np.iinfo(dt)
    return np.trunc(np.clip(x, info.min, info.max)).astype(dt)


# ScaleToStruct: a = (new_max - new_min) / (max - min), b = new_max - a * max,
# dst = saturate_cast<SrcType>(src * a + b): the source type is kept.
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("new", [(0, 1), (0, 255), (-3, 7.5), (10, -10)])
def test_scale_to_follows_ecvl_formula(dtype, new):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 120, (6, 5, 3)).astype(dtype)
    img = Image.fromarray(a, "xyc", ColorType.RGB)
    out = ecvl.scale_to(img, *new)
    lo, hi = float(a.min()), float(a.max())
    k = (new[1] - new[0]) / (hi - lo)
    ref = _ecvl_store(a.astype(np.float64) * k + (new[1] - k * hi), dtype)
    assert out.elemtype_ == img.elemtype_ and out.colortype_ == ColorType.RGB
    np.testing.assert_array_equal(np.asarray(out), ref)
    dst = Image.empty()
    assert ecvl.ScaleTo(img, dst, *new) is None
    np.testing.assert_array_equal(np.asarray(dst), ref)


def test_scale_to_truncates_and_handles_constant_images():
    img = Image.fromarray(np.array([[0, 1, 2, 3]], np.int16).T, "xy")
    # 2/3 and 4/3 truncate to 0 and 1 (rounding would give 1 and 1)
    assert np.asarray(ecvl.scale_to(img, 0, 2)).ravel().tolist() == [0, 0, 1, 2]
    flat = Image.fromarray(np.full((3, 2), 7.0), "xy")
    assert np.asarray(ecvl.scale_to(flat, 1, 5)).ravel().tolist() == [1.0] * 6
    with pytest.raises(EcvlValueError, match="ScaleTo: new_max must be a finite number, got nan"):
        ecvl.scale_to(img, 0, float("nan"))


# ScaleFromToStruct: values below old_min / above old_max are first replaced by
# saturate_cast<SrcType>(old_min / old_max), then scaled as in ScaleTo with the old range.
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32])
def test_scale_from_to_clamps_then_scales(dtype):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 250, (9, 4)).astype(dtype)
    img = Image.fromarray(a, "xy")
    old, new = (40.7, 180.2), (-1.0, 300.0)
    out = ecvl.scale_from_to(img, *old, *new)
    bounds = _ecvl_store(np.array(old), dtype).astype(np.float64)
    k = (new[1] - new[0]) / (old[1] - old[0])
    ref = _ecvl_store(np.clip(a.astype(np.float64), *bounds) * k + (new[1] - k * old[1]), dtype)
    np.testing.assert_array_equal(np.asarray(out), ref)
    dst = Image.empty()
    ecvl.ScaleFromTo(img, dst, *old, *new)
    np.testing.assert_array_equal(np.asarray(dst), ref)
    with pytest.raises(EcvlValueError, match="old_min and old_max must differ, both are 3.0"):
        ecvl.scale_from_to(img, 3, 3, 0, 1)


def _windows(padded, w, h):
    H, W = padded.shape[:2]
    return {(x, y): padded[y:y + h, x:x + w] for y in range(H - h + 1) for x in range(W - w + 1)}


# RandomCropStruct: start_w ~ U{0..W-w}, start_h ~ U{0..H-h}; the crop is that window.
def test_random_crop_is_a_window_and_reaches_every_position():
    rng = np.random.default_rng(2)
    hwc = rng.integers(0, 255, (6, 7, 3)).astype(np.uint8)
    img = Image.from_canonical(hwc, "xyc", ColorType.RGB, spacings=[0.5, 2.0, 1.0])
    wins = _windows(hwc, 4, 3)
    seen = set()
    for seed in range(300):
        out = ecvl.random_crop(img, [4, 3], rng=seed)
        assert out.dims_ == [4, 3, 3] and out.spacings_ == [0.5, 2.0, 1.0]
        hits = [pos for pos, win in wins.items() if np.array_equal(win, out.canonical())]
        assert hits
        seen.update(hits)
    assert seen == set(wins)  # every corner in [0, W-w] x [0, H-h]
    a = ecvl.Image.empty()
    ecvl.RandomCrop(img, a, [4, 3], seed=11)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(ecvl.random_crop(img, [4, 3], rng=11)))


# With pad_if_needed ECVL pads by the whole missing amount on both sides: Pad(tmp, tmp,
# {0, pad_w}) (left and right) and Pad(tmp, tmp, {pad_h, 0}) (top and bottom).
@pytest.mark.parametrize("border,np_mode", [(BorderType.BORDER_CONSTANT, "constant"),
                                            (BorderType.BORDER_REPLICATE, "edge")])
def test_random_crop_pads_both_sides_by_the_deficit(border, np_mode):
    hwc = np.arange(1, 4 * 5 + 1, dtype=np.int16).reshape(4, 5, 1)
    img = Image.from_canonical(hwc, "xyc", ColorType.GRAY)
    kw = {"constant_values": 9} if np_mode == "constant" else {}
    padded = np.pad(hwc, ((2, 2), (3, 3), (0, 0)), mode=np_mode, **kw)
    wins = _windows(padded, 8, 6)
    seen = set()
    for seed in range(200):
        out = ecvl.random_crop(img, [8, 6], True, border, 9, rng=seed)
        assert out.dims_ == [8, 6, 1]
        seen.update(p for p, w in wins.items() if np.array_equal(w, out.canonical()))
    assert seen == set(wins)


def test_random_crop_errors():
    img = Image([5, 4, 1], DataType.uint8, "xyc", ColorType.GRAY)
    with pytest.raises(EcvlValueError, match=r"size \[w, h\] = \[6, 2\] is larger than the 5x4 image.*"
                       "pad_if_needed=True"):
        ecvl.random_crop(img, [6, 2])
    with pytest.raises(EcvlValueError, match="size must have 2 values"):
        ecvl.random_crop(img, [2, 2, 1])
    with pytest.raises(EcvlValueError, match="size must be two positive ints"):
        ecvl.random_crop(img, [0, 2])
    with pytest.raises(EcvlValueError, match="RandomCrop"):
        ecvl.random_crop(Image([4, 4, 4], DataType.uint8, "xyz"), [2, 2])


# imgproc.cpp DropColorChannel: only for GRAY images; erases the c axis from dims, strides,
# channels and spacings and sets ColorType::none; no c axis: nothing changes.
def test_drop_color_channel():
    a = np.arange(12, dtype=np.uint8).reshape(4, 1, 3)  # x, c, y
    img = Image.fromarray(a, "xcy", ColorType.GRAY, spacings=[0.5, 1.0, 2.0])
    out = ecvl.drop_color_channel(img)
    assert (out.dims_, out.channels_, out.colortype_, out.spacings_) == \
        ([4, 3], "xy", ColorType.none, [0.5, 2.0])
    np.testing.assert_array_equal(np.asarray(out), a[:, 0, :])
    np.asarray(out)[0, 0] = 99
    assert np.asarray(img)[0, 0, 0] == 99 and not out.IsOwner()
    ecvl.DropColorChannel(img)
    assert (img.dims_, img.channels_, img.colortype_, img.spacings_) == \
        ([4, 3], "xy", ColorType.none, [0.5, 2.0])
    assert img.IsOwner()
    gray_xy = Image([3, 2], DataType.uint8, "xy", ColorType.GRAY)
    ecvl.DropColorChannel(gray_xy)
    assert gray_xy.channels_ == "xy" and gray_xy.colortype_ == ColorType.GRAY
    with pytest.raises(EcvlValueError, match="only be dropped from a GRAY image, got colortype RGB"):
        ecvl.DropColorChannel(Image([3, 2, 3], DataType.uint8, "xyc", ColorType.RGB))
    with pytest.raises(EcvlValueError, match="got colortype none"):
        ecvl.DropColorChannel(Image([3, 2, 1], DataType.uint8, "xyc"))
    with pytest.raises(EcvlTypeError, match="expected an ecvl.Image"):
        ecvl.drop_color_channel(np.zeros((2, 2)))
