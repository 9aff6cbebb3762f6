"""Images declared in any axis order: the same pixels give the same results, and the kernels
read the image's storage without a permuting copy (the layout is set once, when the image is
made)."""

import numpy as np
import pytest

import ecvl
from ecvl import ColorType, Image

DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]


def _pixels(rng, shape, dtype):
    if np.dtype(dtype).kind == "f":
        return rng.normal(100, 40, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True,
                        dtype=dtype)


def _orders(hwc, colortype=ColorType.none):
    """The same (H, W, C) pixels declared as yxc, xyc and cxy images."""
    return {
        "yxc": Image.fromarray(hwc, "yxc", colortype),
        "xyc": Image.fromarray(hwc.transpose(1, 0, 2), "xyc", colortype),
        "cxy": Image.fromarray(hwc.transpose(2, 1, 0), "cxy", colortype),
    }


def test_canonical_is_the_numpy_users_array_without_a_copy(rng):
    hwc = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    for channels, img in _orders(hwc).items():
        c = img.canonical()
        assert c.shape == (7, 5, 3) and c.flags.c_contiguous, channels
        assert np.shares_memory(c, np.asarray(img)), channels
        assert np.array_equal(c, hwc), channels
    # wrapping without a copy: the canonical array is the caller's own (H, W, C) array
    wrapped = Image.fromarray(hwc, "yxc", copy=False)
    assert np.shares_memory(wrapped.canonical(), hwc) and wrapped.contiguous_
    # a gray (y, x) image and a (z, y, x, c) volume
    assert Image.fromarray(hwc[..., 0], "yx").canonical().shape == (7, 5, 1)
    vol = rng.integers(0, 9, (2, 7, 5, 3), dtype=np.uint8)
    assert np.array_equal(Image.fromarray(vol, "zyxc").canonical(), vol)
    assert np.array_equal(Image.fromarray(vol.transpose(2, 1, 0, 3), "xyzc").canonical(), vol)


def _ops():
    IT, BT = ecvl.InterpolationType, ecvl.BorderType
    return {
        "resize linear": lambda i: ecvl.resize_dim(i, [13, 8]),
        "resize cubic": lambda i: ecvl.resize_dim(i, [29, 22], IT.cubic),
        "resize area": lambda i: ecvl.resize_scale(i, [0.5, 0.4], IT.area),
        "rotate": lambda i: ecvl.rotate2d(i, 17.0),
        "flip": ecvl.flip2d,
        "mirror": ecvl.mirror2d,
        "transpose": ecvl.transpose,
        "elastic": lambda i: ecvl.elastic_transform(i, 10.0, 4.0, seed=3),
        "grid": lambda i: ecvl.grid_distortion(i, seed=4),
        "warp": lambda i: ecvl.warp_affine(i, [[1.0, 0.2, 1.5], [-0.1, 0.9, 2.0]],
                                           border_type=BT.BORDER_REFLECT),
        "gaussian": lambda i: ecvl.gaussian_blur(i, 1.3, 5),
        "threshold": lambda i: ecvl.threshold(i, 90, 200),
    }


@pytest.mark.parametrize("op", list(_ops()))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_image_ops_agree_whatever_the_declared_order(rng, op, dtype):
    fn = _ops()[op]
    hwc = _pixels(rng, (31, 43, 3), dtype)  # odd sizes
    outs = {ch: fn(img) for ch, img in _orders(hwc).items()}
    ref = outs["xyc"]
    for ch, out in outs.items():
        assert out.channels_ == ch
        assert np.array_equal(out.to_numpy("yxc"), ref.to_numpy("yxc")), ch
        assert out.canonical().flags.c_contiguous, ch


@pytest.mark.parametrize("dtype", DTYPES)
def test_resize_of_a_yxc_image_is_the_array_resize(rng, dtype):
    from ecvl.imgproc.geometric import resize_array

    hwc = _pixels(rng, (37, 26, 2), dtype)
    img = Image.fromarray(hwc, "yxc")
    out = ecvl.resize_dim(img, [11, 15])  # [w, h]
    assert out.dims_ == [15, 11, 2]
    assert np.array_equal(out.to_numpy(), resize_array(hwc, (15, 11)))


def test_non_contiguous_sources_in_any_order(rng):
    big = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    view = big[3:34:2, 5:50:3, :3]  # strided in every axis
    yxc = Image.fromarray(view, "yxc")
    xyc = Image.fromarray(np.ascontiguousarray(view).transpose(1, 0, 2), "xyc")
    a, b = ecvl.resize_dim(yxc, [9, 7]), ecvl.resize_dim(xyc, [9, 7])
    assert np.array_equal(a.to_numpy("yxc"), b.to_numpy("yxc"))


def test_augmentations_agree_whatever_the_declared_order(rng):
    hwc = rng.integers(0, 256, (33, 41, 3), dtype=np.uint8)
    mask = (hwc[..., :1] > 128).astype(np.uint8)
    pipe = ecvl.SequentialAugmentationContainer([
        ecvl.AugRotate(angle=(-30, 30)),
        ecvl.AugElasticTransform(alpha=(5, 10), sigma=(3, 5)),
        ecvl.AugMirror(p=0.5),
        ecvl.AugResizeDim(dims=(20, 17)),
    ])
    outs = {}
    for ch, img in _orders(hwc).items():
        gt = _orders(mask)[ch]
        outs[ch] = pipe.apply(img, gt, rng=7)
    assert outs["xyc"][0].dims_ == [20, 17, 3]
    for ch, (o, g) in outs.items():
        assert np.array_equal(o.to_numpy("yxc"), outs["xyc"][0].to_numpy("yxc")), ch
        assert np.array_equal(g.to_numpy("yxc"), outs["xyc"][1].to_numpy("yxc")), ch
