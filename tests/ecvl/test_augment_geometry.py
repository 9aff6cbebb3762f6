"""Augmentations and geometry: spacings of Images, volumes, layouts, displacement fields."""

import importlib.util
import pathlib

import numpy as np
import pytest

import ecvl
import ecvl.augment as A
from ecvl.augment import fields
from ecvl.imgproc import distortion

_spec = importlib.util.spec_from_file_location(
    "_aug_cases", pathlib.Path(__file__).with_name("_aug_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
AUG_CASES, CONTAINERS = _cases.AUG_CASES, _cases.CONTAINERS
LEAVES = [n for n in AUG_CASES if n not in CONTAINERS]


def rgb_image(rng, w=40, h=30, spacings=(0.5, 0.8, 1.0)):
    arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return ecvl.Image.from_canonical(arr, "xyc", ecvl.ColorType.RGB, spacings=list(spacings))


def mask_image(w=40, h=30, spacings=(0.5, 0.8)):
    m = np.zeros((h, w), np.uint8)
    m[5:20, 4:25] = 3
    return ecvl.Image.from_canonical(m, "xy", spacings=list(spacings))


# ----------------------------------------------------------------------------- spacings
@pytest.mark.parametrize("aug, sx, sy", [
    (A.AugResizeDim(dims=(20, 60)), 0.5 * 40 / 20, 0.8 * 30 / 60),
    (A.AugResizeScale(scale=(0.5, 3)), 0.5 * 2, 0.8 / 3),
    (A.AugCenterCrop(size=(10, 12)), 0.5, 0.8),
    (A.AugRandomCrop(size=(50, 12)), 0.5, 0.8),  # padded in x, cropped in y: grid kept
    (A.AugTranspose(p=1.0), 0.8, 0.5),
    (A.AugTranspose(p=0.0), 0.5, 0.8),
    (A.AugRotate(angle=[10, 20]), 0.5, 0.8),
    (A.AugMirror(p=1.0), 0.5, 0.8),
    (A.AugElasticTransform(alpha=[30, 30], sigma=[4, 4]), 0.5, 0.8),
])
def test_spacings_follow_the_geometry(aug, sx, sy, rng):
    img, gt = rgb_image(rng), mask_image()
    o, g = aug(img, gt, rng=0)
    assert o.spacings_ == pytest.approx([sx, sy, 1.0])
    assert g.spacings_ == pytest.approx([sx, sy])
    assert img.spacings_ == [0.5, 0.8, 1.0]  # the input is left alone


def test_random_resized_crop_spacing_is_crop_over_output(rng):
    img, gt = rgb_image(rng), mask_image()
    aug = A.AugRandomResizedCrop(size=(16, 12), scale=[0.3, 0.9])
    o, g, rec = aug.apply_replay(img, gt, rng=3)
    top, left, ch, cw = rec["params"]["box"]
    assert o.spacings_ == pytest.approx([0.5 * cw / 16, 0.8 * ch / 12, 1.0])
    assert g.spacings_ == pytest.approx([0.5 * cw / 16, 0.8 * ch / 12])
    # replay reaches the same spacings
    assert aug.replay(rec, img).spacings_ == pytest.approx(o.spacings_)


def test_pipeline_composes_spacings_and_replays_them(rng):
    img, gt = rgb_image(rng), mask_image()
    pipe = A.SequentialAugmentationContainer([
        A.AugResizeDim(dims=(20, 15)),   # x 0.5 -> 1.0, y 0.8 -> 1.6
        A.AugTranspose(p=1.0),           # x 1.6, y 1.0
        A.AugResizeScale(scale=(2, 4)),  # x 0.8, y 0.25
        A.AugCenterCrop(size=(10, 10)),
    ])
    o, g, rec = pipe.apply_replay(img, gt, rng=0)
    assert o.dims_ == [10, 10, 3]
    assert o.spacings_ == pytest.approx([0.8, 0.25, 1.0])
    assert g.spacings_ == pytest.approx([0.8, 0.25])
    o2, g2 = pipe.replay(rec, img, gt)
    assert o2.spacings_ == pytest.approx(o.spacings_) and g2.spacings_ == pytest.approx(g.spacings_)
    pipe.Apply(img, gt)  # in place, PyECVL style
    assert img.spacings_ == pytest.approx([0.8, 0.25, 1.0])


def test_volume_spacings_and_images_without_spacings(rng):
    vol = ecvl.Image.from_canonical(rng.integers(0, 9, (8, 12, 10, 1), dtype=np.uint8),
                                    "xyzc", spacings=[1.0, 1.0, 2.5, 1.0])
    o = A.AugResizeDim(dims=(5, 6, 16))(vol, rng=0)
    assert o.dims_ == [5, 6, 16, 1] and o.spacings_ == pytest.approx([2.0, 2.0, 1.25, 1.0])
    o = A.AugTranspose(p=1.0)(ecvl.Image.from_canonical(
        np.zeros((4, 6, 8, 1), np.float32), "xyzc", spacings=[1, 2, 3, 1]), rng=0)
    assert o.dims_ == [6, 8, 4, 1] and o.spacings_ == [2, 1, 3, 1]
    plain = ecvl.Image.from_canonical(np.zeros((6, 8, 3), np.uint8), "xyc")
    assert A.AugResizeDim(dims=(4, 3))(plain, rng=0).spacings_ == []


def test_other_layouts_keep_their_meaning(rng):
    arr = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)  # (H, W, C)
    std = ecvl.Image.from_canonical(arr, "xyc", spacings=[0.5, 2.0, 1.0])
    # the same picture declared "yxc" (its canonical array is (H, W, C) too)
    alt = ecvl.Image.fromarray(arr, "yxc", spacings=[2.0, 0.5, 1.0])
    for aug in (A.AugFlip(p=1.0), A.AugResizeDim(dims=(3, 12)), A.AugTranspose(p=1.0)):
        a, b = aug(std, rng=0), aug(alt, rng=0)
        assert b.channels_ == "yxc"
        np.testing.assert_array_equal(a.to_numpy("xyc"), b.to_numpy("xyc"))
        sa = dict(zip(a.channels_, a.spacings_))
        sb = dict(zip(b.channels_, b.spacings_))
        assert sa == pytest.approx(sb)
    with pytest.raises(ValueError, match="neither a 2-D image"):
        A.AugFlip()(ecvl.Image.from_canonical(np.zeros((3, 4, 5, 1), np.uint8), "xyt"))


# ------------------------------------------------------------------------------ volumes
def test_random_resized_crop_in_3d(rng):
    vol = rng.random((12, 20, 16, 2)).astype(np.float32)
    gt = (vol[..., :1] > 0.5).astype(np.uint8) * 4
    aug = A.AugRandomResizedCrop(size=(8, 10, 6), scale=[0.2, 0.6], ratio=[0.8, 1.25])
    fracs = []
    for seed in range(40):
        o, g, rec = aug.apply_replay(vol, gt, rng=seed)
        z, y, x, d, h, w = rec["params"]["box"]
        assert o.shape == (6, 10, 8, 2) and g.shape == (6, 10, 8, 1)
        assert set(np.unique(g)) <= {0, 4}
        assert 0 <= z and z + d <= 12 and 0 <= y and y + h <= 20 and 0 <= x and x + w <= 16
        ref = A.AugResizeDim(dims=(8, 10, 6))(vol[z:z + d, y:y + h, x:x + w], rng=0)
        np.testing.assert_allclose(o, ref, rtol=1e-6)
        fracs.append(d * h * w / (12 * 20 * 16))
    assert 0.12 < min(fracs) and max(fracs) < 0.75  # box volume follows scale (rounding)
    # a 2-value size crops in-plane over the full depth
    o, _, rec = A.AugRandomResizedCrop(size=(8, 10)).apply_replay(vol, rng=1)
    top, left, h, w = rec["params"]["box"]
    np.testing.assert_allclose(
        o, A.AugResizeDim(dims=(8, 10))(vol[:, top:top + h, left:left + w], rng=0), rtol=1e-6)
    with pytest.raises(ValueError, match="AugRandomResizedCrop: a 3-value size .* 2-D image"):
        aug(vol[0], rng=0)


def test_clahe_on_volumes_is_per_axial_slice(rng):
    vol = rng.integers(0, 256, (4, 32, 40, 1), dtype=np.uint8)
    aug = A.AugCLAHE(clip_limit=[2, 2], tile_grid_size=(4, 4), p=1.0)
    out = aug(vol, rng=0)
    for z in range(4):
        np.testing.assert_array_equal(out[z], aug(vol[z], rng=0))
    # non-uint8 volumes share one intensity scale: a uniform offset stays an offset
    f = vol.astype(np.float32) * 4 + 1000
    of = aug(f, rng=0)
    np.testing.assert_allclose(of, out.astype(np.float32) / 255 * (f.max() - f.min()) + f.min(),
                               atol=0.51 / 255 * (f.max() - f.min()))  # uint8 rounds
    cv2 = pytest.importorskip("cv2")
    ref = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(vol[2, :, :, 0])
    assert np.abs(out[2, :, :, 0].astype(int) - ref).max() <= 1  # as in the 2-D test


def _volume_case(name):
    kw = dict(AUG_CASES[name])
    if name == "AugNormalize":
        kw = dict(mean=0.5, std=2.0)
    return A.REGISTRY[name](**kw)


@pytest.mark.parametrize("name", LEAVES)
def test_every_augmentation_on_volumes(name, rng):
    """Each op gives a volume back with its labels intact, or names itself and the layout."""
    vol = rng.integers(0, 256, (6, 24, 32, 1), dtype=np.uint8)
    gt = np.zeros((6, 24, 32, 1), np.uint8)
    gt[1:5, 4:16, 6:20] = 7
    aug = _volume_case(name)
    o, g = aug(vol, gt, rng=5)
    assert o.ndim == 4 and g.ndim == 4 and o.shape[:-1] == g.shape[:-1]
    if not aug.geometric:
        assert g is gt
    elif g.dtype == np.uint8:
        assert set(np.unique(g)) <= {0, 7}
    img = ecvl.Image.from_canonical(vol, "xyzc", spacings=[1, 1, 3, 1])
    out = aug(img, rng=5)
    assert out.channels_ == "xyzc" and out.spacings_[2] == 3  # no op resamples z here


def test_volume_ops_match_their_slices(rng):
    vol = rng.integers(0, 256, (3, 16, 20, 2), dtype=np.uint8)
    for aug in (A.AugMirror(1.0), A.AugTranspose(1.0), A.AugGammaContrast(gamma=[2, 2]),
                A.AugElasticTransform(alpha=[20, 20], sigma=[4, 4]),
                A.AugGridDistortion(num_steps=[3, 3], distort_limit=[-0.3, 0.3]),
                A.AugAffine(angle=[10, 10], shift=[0.1, 0.1], interp="nearest")):
        out = aug(vol, rng=2)
        for z in range(3):  # the same 2-D transform on every slice
            np.testing.assert_array_equal(out[z], aug(vol[z], rng=2), err_msg=str(aug))


def test_coarse_dropout_drops_cuboids_in_volumes():
    vol = np.ones((10, 20, 20, 1), np.float32)
    out = A.AugCoarseDropout(p=[0.5, 0.5], drop_size=[0.5, 0.5], per_channel=0)(vol, rng=4)
    blocks = out[:, :, :, 0].reshape(2, 5, 2, 10, 2, 10)
    per_block = blocks.transpose(0, 2, 4, 1, 3, 5).reshape(8, -1)
    assert all(np.unique(b).size == 1 for b in per_block)  # 5x10x10 cuboids, all or none
    assert 0 < (out == 0).mean() < 1


def test_errors_name_the_augmentation_and_the_layout(rng):
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    for aug, what in ((A.AugResizeDim(dims=(4, 4, 4)), "AugResizeDim"),
                      (A.AugResizeScale(scale=(1, 2, 3)), "AugResizeScale"),
                      (A.AugCenterCrop(size=(2, 2, 2)), "AugCenterCrop"),
                      (A.AugRandomCrop(size=(2, 2, 2)), "AugRandomCrop")):
        with pytest.raises(ValueError, match=f"{what}: .*3.*volume.*2-D image"):
            aug(img, rng=0)


# --------------------------------------------------------------------- displacement fields
def test_augmentation_and_imgproc_maps_are_one_implementation():
    # the smooth fields (sigma >= 3) are where two implementations used to disagree
    for h, w in ((100, 100), (37, 53), (1, 9), (5, 1)):
        for sigma in (1.0, 4.5):
            a = fields.elastic_maps((h, w), 50.0, sigma, 3)
            b = distortion.elastic_maps((h, w), 50.0, sigma, 3)
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
        for steps in (1, 5, 7):
            a = fields.grid_distortion_maps((h, w), steps, (-0.3, 0.3), 2)
            b = distortion.grid_distortion_maps((h, w), steps, (-0.3, 0.3), 2)
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
    img = ecvl.Image.fromarray(np.arange(40 * 30 * 3, dtype=np.uint8).reshape(40, 30, 3),
                               "yxc")
    aug = A.AugElasticTransform(alpha=(20, 20), sigma=(5, 5))
    out, _, rec = aug.apply_replay(img, rng=1)
    seed = rec["params"]["seed"]
    ref = ecvl.elastic_transform(img, 20.0, 5.0, seed=seed)
    assert np.array_equal(out.to_numpy(), ref.to_numpy())


def test_coarse_elastic_kernel_matches_a_numpy_reference():
    from scipy import ndimage

    from ecvl.imgproc.geometric import resize_array

    for h, w, sigma, alpha in ((100, 100, 4.5, 70.0), (9, 8, 3.0, 5.0), (31, 57, 6.0, 40.0)):
        mx, my = fields.elastic_maps((h, w), alpha, sigma, 11)
        rng = np.random.default_rng(11)
        hc, wc = -(-h // 2), -(-w // 2)
        noise = rng.random((2, hc, wc), dtype=np.float32) * 2 - 1
        x = np.arange(-8, 9, dtype=np.float64)
        kf = np.exp(-x * x / (2 * sigma * sigma))
        kf /= kf.sum()
        kc = kf[::2] / kf[::2].sum()
        d = noise.astype(np.float64)
        for ax in (1, 2):
            d = ndimage.correlate1d(d, kc, axis=ax, mode="mirror")
        d *= alpha * (kf ** 2).sum() / (kc ** 2).sum()
        up = resize_array(np.ascontiguousarray(d.transpose(1, 2, 0)), (2 * hc, 2 * wc), "linear")
        yy, xx = np.mgrid[0:h, 0:w]
        np.testing.assert_allclose(mx, xx + up[:h, :w, 0], atol=2e-4 * max(alpha, 1))
        np.testing.assert_allclose(my, yy + up[:h, :w, 1], atol=2e-4 * max(alpha, 1))
    with pytest.raises(ValueError, match="sigma"):
        fields.elastic_maps((10, 10), 1.0, 0.0, 1)
