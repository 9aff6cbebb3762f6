"""Image-level geometric functions: PyECVL forms, pythonic forms, layouts and spacings."""

import numpy as np
import pytest

import ecvl
from ecvl.core.errors import EcvlError
from ecvl.imgproc import distortion as d
from ecvl.imgproc import geometric as g


def make(rng, dims=(40, 30, 3), channels="xyc", dtype=np.uint8, spacings=None):
    a = rng.integers(0, 256, dims).astype(dtype)
    return ecvl.Image.fromarray(a, channels, ecvl.ColorType.RGB if channels.endswith("c") and
                                dims[-1] == 3 else ecvl.ColorType.none, spacings)


def test_both_forms_share_one_result_and_keep_attributes(rng):
    img = make(rng, spacings=[0.5, 0.25, 1.0])
    img.SetMeta("PatientID", "x")
    new = ecvl.resize_dim(img, [20, 10], ecvl.InterpolationType.area)
    dst = ecvl.Image.empty()
    ecvl.ResizeDim(img, dst, [20, 10], ecvl.InterpolationType.area)
    assert dst.dims_ == new.dims_ == [20, 10, 3]
    assert np.array_equal(np.asarray(dst), np.asarray(new))
    assert np.array_equal(new.canonical(), g.resize_array(img.canonical(), (10, 20), "area"))
    assert new.colortype_ == ecvl.ColorType.RGB and new.channels_ == "xyc"
    assert new.spacings_ == [1.0, 0.75, 1.0]
    assert new.GetMeta("PatientID") is not None


def test_in_place_dst_is_src(rng):
    img = make(rng)
    ref = g.rotate_array(img.canonical(), 25)
    ecvl.Rotate2D(img, img, 25)
    assert np.array_equal(img.canonical(), ref)
    ecvl.Mirror2D(img, img)
    assert np.array_equal(img.canonical(), ref[:, ::-1])


def test_resize_scale_and_volumes(rng):
    img = make(rng, (10, 8, 1), "xyc", np.float32, [1.0, 2.0, 1.0])
    out = ecvl.resize_scale(img, [0.5, 2.0])
    assert out.dims_ == [5, 16, 1] and out.spacings_ == [2.0, 1.0, 1.0]
    vol = make(rng, (12, 10, 8), "xyz", np.int16, [1.0, 1.0, 3.0])
    out = ecvl.resize_dim(vol, [6, 5, 16])
    assert out.dims_ == [6, 5, 16] and out.channels_ == "xyz"
    assert out.spacings_ == [2.0, 2.0, 1.5]
    flipped = ecvl.flip(vol, "z")
    assert np.array_equal(np.asarray(flipped), np.asarray(vol)[:, :, ::-1])
    rot = ecvl.rotate3d(vol, 90, axis="x", interp=ecvl.InterpolationType.nearest)
    assert rot.dims_ == vol.dims_


def test_flip_mirror_transpose_on_x_first_arrays(rng):
    img = make(rng, (7, 5, 2), "xyc", np.int32, [1.0, 3.0, 1.0])
    a = np.asarray(img)  # indexed [x, y, c]
    f = ecvl.Image.empty()
    ecvl.Flip2D(img, f)
    assert np.array_equal(np.asarray(f), a[:, ::-1])
    ecvl.Mirror2D(img, f)
    assert np.array_equal(np.asarray(f), a[::-1])
    t = ecvl.transpose(img)
    assert t.dims_ == [5, 7, 2] and np.array_equal(np.asarray(t), a.transpose(1, 0, 2))
    assert t.spacings_ == [3.0, 1.0, 1.0]


def test_other_channel_orders(rng):
    cxy = make(rng, (3, 9, 6), "cxy")
    out = ecvl.resize_dim(cxy, [3, 2], ecvl.InterpolationType.nearest)
    assert out.dims_ == [3, 3, 2] and out.channels_ == "cxy"
    yxc = make(rng, (6, 9, 1), "yxc")  # canonical (y, x, c), as for "xyc"
    out = ecvl.mirror2d(yxc)
    assert np.array_equal(np.asarray(out), np.asarray(yxc)[:, ::-1])
    out = ecvl.resize_dim(yxc, [3, 2])
    assert out.dims_ == [2, 3, 1]


def test_crop_pad_concat_stack_warp(rng):
    img = make(rng, (10, 8, 3))
    assert ecvl.center_crop(img, [4, 2]).dims_ == [4, 2, 3]
    p = ecvl.Image.empty()
    ecvl.Pad(img, p, [1, 2, 3, 4], ecvl.BorderType.BORDER_REPLICATE)
    assert p.dims_ == [17, 11, 3]
    h = ecvl.Image.empty()
    ecvl.HConcat([img, img], h)
    assert h.dims_ == [20, 8, 3]
    v = ecvl.vconcat([img, img, img])
    assert v.dims_ == [10, 24, 3]
    s = ecvl.Image.empty()
    ecvl.Stack([img, img], s)
    assert s.dims_ == [10, 8, 2, 3] and s.channels_ == "xyzc"
    w = ecvl.warp_affine(img, [[1, 0, 2], [0, 1, 0]], [12, 8], ecvl.InterpolationType.nearest)
    assert w.dims_ == [12, 8, 3]
    assert np.array_equal(np.asarray(w)[2:12], np.asarray(img))
    full = ecvl.rotate_full_image2d(img, 90)
    assert full.dims_ == [8, 10, 3]


def test_distortions_image_level_match_array_level(rng):
    img = make(rng, (30, 20, 3))
    for fn, arr_fn in ((ecvl.elastic_transform, d.elastic_transform_array),
                       (ecvl.grid_distortion, d.grid_distortion_array),
                       (ecvl.optical_distortion, d.optical_distortion_array)):
        out = fn(img, seed=4)
        assert np.array_equal(out.canonical(), arr_fn(img.canonical(), seed=4))
    dst = ecvl.Image.empty()
    ecvl.GridDistortion(img, dst, 4, [-0.2, 0.2], seed=1)
    assert dst.dims_ == img.dims_


@pytest.mark.parametrize("call, match", [
    (lambda im: ecvl.ResizeDim(im, ecvl.Image.empty(), [0, 4]), "ResizeDim"),
    (lambda im: ecvl.ResizeDim(im, ecvl.Image.empty(), [4]), "newdims"),
    (lambda im: ecvl.ResizeScale(im, ecvl.Image.empty(), [0.0, 1.0]), "ResizeScale"),
    (lambda im: ecvl.ResizeDim(im, None, [4, 4]), "dst"),
    (lambda im: ecvl.ResizeDim(ecvl.Image.empty(), ecvl.Image.empty(), [4, 4]), "empty"),
    (lambda im: ecvl.Rotate2D(im, ecvl.Image.empty(), 10, interp=17), "interpolation"),
    (lambda im: ecvl.CenterCrop(im, ecvl.Image.empty(), [50, 2]), "center_crop"),
    (lambda im: ecvl.rotate3d(im, 10), "rotate3d"),
    (lambda im: ecvl.HConcat([im, ecvl.transpose(im)], ecvl.Image.empty()), "hconcat"),
    (lambda im: ecvl.flip2d(np.zeros((3, 3, 1), np.uint8)), "ecvl.Image"),
])
def test_bad_input(rng, call, match):
    with pytest.raises(EcvlError, match=match):
        call(make(rng, (10, 8, 3)))


def test_time_axis_is_rejected(rng):
    img = ecvl.Image([4, 4, 3, 2], ecvl.DataType.uint8, "xyzt")
    with pytest.raises(EcvlError, match="spatial axes"):
        ecvl.mirror2d(img)
