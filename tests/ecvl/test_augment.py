"""Augmentations: the case table, serialisation, replay, masks, volumes, effects."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

import ecvl
import ecvl.augment as A

_spec = importlib.util.spec_from_file_location(
    "_aug_cases", pathlib.Path(__file__).with_name("_aug_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
AUG_CASES, CONTAINERS = _cases.AUG_CASES, _cases.CONTAINERS
LEAVES = [n for n in AUG_CASES if n not in CONTAINERS]


def build(name):
    cls = A.REGISTRY[name]
    kw = dict(AUG_CASES[name])
    if name in CONTAINERS:
        kw["augs"] = [A.AugMirror(p=0.5), A.AugGammaContrast(gamma=[0.8, 1.2])]
    return cls(**kw)


def image(rng, shape=(24, 32, 3), dtype=np.uint8):
    return rng.integers(0, 256, shape).astype(dtype)


def mask(shape=(24, 32)):
    m = np.zeros(shape, np.uint8)
    m[3:15, 4:20] = 2
    m[12:22, 18:30] = 5
    return m


def test_every_augmentation_has_a_case():
    missing = sorted(set(A.REGISTRY) - set(AUG_CASES))
    assert not missing, f"augmentations without a test case: {missing}"
    assert not sorted(set(AUG_CASES) - set(A.REGISTRY))


def test_the_25_pyecvl_names_are_registered():
    assert len(_cases.PYECVL_25) == 25
    for name in _cases.PYECVL_25:
        assert name in A.REGISTRY and hasattr(ecvl, name), name


@pytest.mark.parametrize("name", list(AUG_CASES))
def test_case_round_trips_and_replays(name, rng):
    aug = build(name)
    # text, dict, JSON and YAML give an equal pipeline
    assert A.parse(str(aug)) == aug
    assert A.from_dict(aug.to_dict()) == aug
    assert A.from_json(A.to_json(aug)) == aug
    assert A.from_yaml(A.to_yaml(aug)) == aug
    assert aug.Clone() == aug and aug.Clone() is not aug
    img, gt = image(rng), mask()
    out, gout, rec = aug.apply_replay(img, gt, rng=A.sample_rng(3, 1))
    json.dumps(rec)  # the record is plain data
    again = aug.replay(json.loads(json.dumps(rec)), img, gt)
    np.testing.assert_array_equal(again[0], out)
    np.testing.assert_array_equal(again[1], gout)
    # same stream, same result; input untouched
    out2, gout2 = aug(img, gt, rng=A.sample_rng(3, 1))
    np.testing.assert_array_equal(out2, out)
    assert out.shape[:2] == gout.shape[:2]
    assert out.shape[-1] == 3 and gout.ndim == 2


@pytest.mark.parametrize("name", LEAVES)
def test_geometric_keeps_mask_labels_and_intensity_leaves_mask(name, rng):
    aug = build(name)
    img, gt = image(rng), mask()
    for i in range(5):
        _, g = aug(img, gt, rng=A.sample_rng(0, i))
        if aug.geometric and name not in ("AugToFloat32", "AugDivBy255"):
            assert g.dtype == np.uint8
            assert set(np.unique(g)) <= {0, 2, 5}, name
        elif not aug.geometric:
            np.testing.assert_array_equal(g, gt)


@pytest.mark.parametrize("name", LEAVES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64])
def test_dtypes_and_noncontiguous_inputs(name, dtype, rng):
    aug = build(name)
    base = image(rng, (24, 64, 3)).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        base = base / 255.0
        base = base.astype(dtype)
    view = base[:, ::2]  # non-contiguous
    out = aug(view, rng=5)
    ref = aug(np.ascontiguousarray(view), rng=5)
    np.testing.assert_array_equal(out, ref)
    if name not in ("AugToFloat32", "AugDivBy255", "AugNormalize", "AugCTWindow",
                    "AugScaleTo", "AugScaleFromTo"):
        assert out.dtype == dtype, name


def test_flip_mirror_transpose_twice_is_identity(rng):
    img = image(rng, (7, 9, 2))
    for cls in (A.AugFlip, A.AugMirror, A.AugTranspose):
        once = cls(p=1.0)(img, rng=0)
        assert not np.array_equal(once, img)
        np.testing.assert_array_equal(cls(p=1.0)(once, rng=0), img)
    np.testing.assert_array_equal(A.AugFlip(1.0)(img, rng=0), img[::-1])
    np.testing.assert_array_equal(A.AugMirror(1.0)(img, rng=0), img[:, ::-1])
    np.testing.assert_array_equal(A.AugTranspose(1.0)(img, rng=0), img.transpose(1, 0, 2))
    np.testing.assert_array_equal(A.AugFlip(0.0)(img, rng=0), img)


def test_rotation_keeps_mask_labels_and_matches_180_degree_flip(rng):
    gt = mask((31, 41))
    img = image(rng, (31, 41, 3))
    aug = A.AugRotate(angle=[-180, 180], interp="linear")
    labels = set()
    for i in range(30):
        o, g = aug(img, gt, rng=i)
        assert set(np.unique(g)) <= {0, 2, 5}
        labels |= set(np.unique(g))
    assert labels == {0, 2, 5}
    o, g = A.AugRotate(angle=[180, 180], interp="nearest")(img, gt, rng=0)
    np.testing.assert_array_equal(g, gt[::-1, ::-1])
    np.testing.assert_array_equal(o, img[::-1, ::-1])


def test_ranges_respected_over_many_draws():
    aug = A.AugRotate(angle=[-7, 12])
    rng = np.random.default_rng(0)
    draws = np.array([aug.sample(rng, (10, 10, 1))["angle"] for _ in range(3000)])
    assert draws.min() >= -7 and draws.max() <= 12
    assert draws.min() < -6.5 and draws.max() > 11.5  # the whole range is used
    assert abs(draws.mean() - 2.5) < 0.4  # uniform: mean 2.5, sd 5.5/sqrt(3000)=0.1
    steps = [A.AugGridDistortion(num_steps=[2, 5], distort_limit=[-0.3, 0.3])
             .sample(rng, (10, 10, 1))["num_steps"] for _ in range(400)]
    assert set(steps) == {2, 3, 4, 5}


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_probability_respected_statistically(p):
    n = 4000
    rng = np.random.default_rng(1)
    hits = sum(A.AugFlip(p=p).sample(rng, (4, 4, 1))["apply"] for _ in range(n))
    sd = np.sqrt(n * p * (1 - p))
    assert abs(hits - n * p) <= 5 * sd + 1e-9
    one = A.OneOfAugmentationContainer(p, [A.AugFlip(1.0), A.AugMirror(1.0)])
    chosen = [one._pick(rng) for _ in range(n)]
    applied = sum(1 for c in chosen if c)
    assert abs(applied - n * p) <= 5 * sd + 1e-9
    if p:
        firsts = sum(1 for c in chosen if c == [0])
        assert abs(firsts - applied / 2) <= 5 * np.sqrt(applied / 4)


def test_someof_applies_n_distinct_in_order():
    some = A.SomeOfAugmentationContainer([1, 2], [A.AugFlip(1.0), A.AugMirror(1.0),
                                                  A.AugTranspose(1.0)])
    rng = np.random.default_rng(0)
    counts = set()
    for _ in range(200):
        c = some._pick(rng)
        assert c == sorted(set(c)) and 1 <= len(c) <= 2
        counts.add(len(c))
    assert counts == {1, 2}
    with pytest.raises(ValueError, match="exceeds"):
        A.SomeOfAugmentationContainer(4, [A.AugFlip()])


def test_reference_values(rng):
    img = image(rng, (6, 5, 3))
    g = A.AugGammaContrast(gamma=[2, 2])(img, rng=0)
    ref = np.clip(np.rint(255 * (img / 255.0) ** 2), 0, 255)
    assert np.abs(g.astype(int) - ref).max() <= 1
    b = A.AugBrightness(beta=[100, 100])(img, rng=0)
    np.testing.assert_array_equal(b, np.clip(img.astype(int) + 100, 0, 255))
    n = A.AugNormalize(mean=(1, 2, 3), std=(2, 4, 8))(img, rng=0)
    np.testing.assert_allclose(n, (img - np.array([1, 2, 3])) / np.array([2, 4, 8]),
                               rtol=1e-6)
    s = A.AugScaleTo(0, 1)(img.astype(np.float32), rng=0)
    assert s.min() == 0 and s.max() == 1
    f = A.AugScaleFromTo(0, 255, -1, 1)(img, rng=0)
    np.testing.assert_allclose(f, img / 127.5 - 1, atol=1e-6)
    d = A.AugDivBy255()(img, rng=0)
    assert d.dtype == np.float32 and np.allclose(d, img / 255)
    t = A.AugToFloat32(divisor=2)(img, rng=0)
    assert t.dtype == np.float32 and np.allclose(t, img / 2)
    inv = A.AugInvertIntensity(1.0)(img, rng=0)
    np.testing.assert_array_equal(inv, 255 - img)
    w = A.AugCTWindow(center=[40, 40], width=[400, 400])(
        np.array([[-1000, -160, 40, 240, 3000]], np.int16), rng=0)
    np.testing.assert_allclose(w[0], [0, 0, 0.5, 1, 1], atol=1e-6)
    c = A.AugCenterCrop(size=(3, 2))(img, rng=0)
    np.testing.assert_array_equal(c, img[2:4, 1:4])
    sq = A.AugCenterCrop()(img, rng=0)
    np.testing.assert_array_equal(sq, img[0:5, 0:5])
    eq = A.AugEqualizeHistogram(1.0)(img, rng=0)
    assert eq.min() == 0 and eq.max() == 255


def test_random_crop_is_a_window_and_pads_when_needed(rng):
    img = image(rng, (20, 30, 1))
    aug = A.AugRandomCrop(size=(10, 8))
    for i in range(20):
        out, rec = aug.apply_replay(img, rng=i)[0], aug.apply_replay(img, rng=i)[2]
        y, x = rec["params"]["start"]
        np.testing.assert_array_equal(out, img[y:y + 8, x:x + 10])
    big = A.AugRandomCrop(size=(40, 24), border_value=9)(img, rng=0)
    assert big.shape == (24, 40, 1) and (big == 9).any()


def test_noise_and_dropout_statistics(rng):
    flat = np.full((200, 200, 1), 128, np.uint8)
    lap = A.AugAdditiveLaplaceNoise(std_dev=[10, 10])(flat, rng=0).astype(float)
    assert abs(lap.std() - 10) < 0.5 and abs(lap.mean() - 128) < 0.3
    gau = A.AugGaussianNoise(std_dev=[5, 5])(flat, rng=0).astype(float)
    assert abs(gau.std() - 5) < 0.3
    salt = A.AugSalt(p=[0.2, 0.2], per_channel=0)(flat, rng=0)
    assert abs((salt == 255).mean() - 0.2) < 0.01 and set(np.unique(salt)) == {128, 255}
    pep = A.AugPepper(p=[0.2, 0.2], per_channel=0)(flat, rng=0)
    assert set(np.unique(pep)) == {0, 128}
    drop = A.AugCoarseDropout(p=[0.5, 0.5], drop_size=[0.1, 0.1], per_channel=0)(flat, rng=0)
    frac = (drop == 0).mean()
    assert 0.3 < frac < 0.7
    cells = (drop[::20, ::20, 0] == 0)  # 20x20 cells are dropped whole
    np.testing.assert_array_equal(np.repeat(np.repeat(cells, 20, 0), 20, 1), drop[..., 0] == 0)


def test_resize_and_scale_shapes(rng):
    img, gt = image(rng), mask()
    o, g = A.AugResizeDim(dims=(10, 6))(img, gt, rng=0)
    assert o.shape == (6, 10, 3) and g.shape == (6, 10)
    assert set(np.unique(g)) <= {0, 2, 5}
    o = A.AugResizeScale(scale=(0.5, 2))(img, rng=0)
    assert o.shape == (48, 16, 3)


def test_volumes(rng):
    vol = rng.integers(0, 255, (5, 12, 10, 1)).astype(np.uint8)
    gt = (vol > 128).astype(np.uint8)
    np.testing.assert_array_equal(A.AugFlip(1.0)(vol, rng=0), vol[:, ::-1])
    o, g = A.AugResizeDim(dims=(6, 8, 3))(vol, gt, rng=0)
    assert o.shape == (3, 8, 6, 1) and set(np.unique(g)) <= {0, 1}
    o, g = A.AugRotate(angle=[20, 20])(vol, gt, rng=0)
    for z in range(5):  # every slice rotated like a 2-D image
        np.testing.assert_array_equal(o[z], A.AugRotate(angle=[20, 20])(vol[z], rng=0))
    o = A.AugCenterCrop(size=(4, 6, 3))(vol, rng=0)
    np.testing.assert_array_equal(o, vol[1:4, 3:9, 3:7])
    o = A.AugRandomCrop(size=(4, 6))(vol, rng=0)
    assert o.shape == (5, 6, 4, 1)
    o, g = A.AugElasticTransform(alpha=[30, 30], sigma=[4, 4])(vol, gt, rng=0)
    assert o.shape == vol.shape and set(np.unique(g)) <= {0, 1}
    assert A.AugGammaContrast(gamma=[2, 2])(vol, rng=0).shape == vol.shape
    assert A.AugRandomResizedCrop(size=(4, 4))(vol, rng=0).shape == (5, 4, 4, 1)


def test_image_objects_in_and_out(rng):
    arr = image(rng, (12, 16, 3))
    img = ecvl.Image.from_canonical(arr.copy(), "xyc", ecvl.ColorType.RGB)
    gt = ecvl.Image.from_canonical(mask((12, 16)), "xy")
    o, g = A.AugResizeDim(dims=(8, 6))(img, gt, rng=0)
    assert isinstance(o, ecvl.Image) and o.dims_ == [8, 6, 3] and g.dims_ == [8, 6]
    assert o.colortype_ == ecvl.ColorType.RGB
    A.AugMirror(p=1.0).Apply(img, gt)  # PyECVL: in place
    np.testing.assert_array_equal(img.canonical(), arr[:, ::-1])
    da = A.DatasetAugmentations([A.AugFlip(1.0), None])
    assert da.Apply(0, img) is True and da.Apply(1, img) is False
    np.testing.assert_array_equal(img.canonical(), arr[::-1, ::-1])
    with pytest.raises(RuntimeError, match="does not exist"):
        da.Apply(2, img)


def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(TypeError, match="required"):
        A.AugRotate()
    with pytest.raises(ValueError, match="min > max"):
        A.AugRotate(angle=[5, -5])
    with pytest.raises(ValueError, match="outside"):
        A.AugFlip(p=1.5)
    with pytest.raises(TypeError, match="did you mean 'angle'"):
        A.AugRotate(angel=[1, 2])
    with pytest.raises(ValueError, match="invalid interp"):
        A.AugRotate(angle=[0, 1], interp="bilinear")
    with pytest.raises(ValueError, match="2 or 3 values"):
        A.AugResizeDim(dims=(1, 2, 3, 4))
    with pytest.raises(ValueError, match="spatial shape"):
        A.AugFlip()(image(rng), mask((5, 5)))
    with pytest.raises(TypeError, match="dtype"):
        A.AugFlip()(np.zeros((4, 4), np.complex64))
    with pytest.raises(TypeError, match="rng"):
        A.AugFlip()(image(rng), rng="x")
    with pytest.raises(ValueError, match="record"):
        A.AugFlip().replay({"name": "AugMirror", "params": {}}, image(rng))
    assert A.AugRotate(angle=5).angle == (5, 5)  # a single value is a fixed range
    assert A.AugRotate(angle=A.AugmentationParam(-2, 3)).angle == (-2, 3)


def test_seeding_global_and_pyecvl_param():
    A.set_seed(7)
    a = A.AugRotate(angle=[-30, 30]).sample(A.as_rng(None), (4, 4, 1))
    A.AugmentationParam.SetSeed(7)
    b = A.AugRotate(angle=[-30, 30]).sample(A.as_rng(None), (4, 4, 1))
    assert a == b
    p = A.AugmentationParam(2, 3)
    assert 2 <= p.GenerateValue() <= 3 and p.value_ == p.value_


def test_epoch_is_identical_for_any_number_of_workers(rng):
    from concurrent.futures import ThreadPoolExecutor

    pipeline = A.parse("""SequentialAugmentationContainer
        AugResizeDim dims=(40,30)
        AugMirror p=0.5
        OneOfAugmentationContainer p=0.7
            AugGammaContrast gamma=[0,3]
            AugBrightness beta=[0,30]
        End
        OneOfAugmentationContainer p=0.9
            AugElasticTransform alpha=[30,120] sigma=[3,6]
            AugGridDistortion num_steps=[2,5] distort_limit=[-0.3,0.3]
            AugAdditiveLaplaceNoise std_dev=[0,20]
        End
        AugRotate angle=[-30,30]
    End""")
    data = [image(rng, (48, 64, 3)) for _ in range(24)]

    def run(i, epoch=0):
        return pipeline(data[i], rng=A.sample_rng(seed=11, index=i, epoch=epoch))

    sequential = [run(i) for i in range(len(data))]
    for workers in (2, 4):
        with ThreadPoolExecutor(workers) as ex:
            order = list(range(len(data)))[::-1]  # different completion order too
            results = dict(zip(order, ex.map(run, order)))
        for i, ref in enumerate(sequential):
            np.testing.assert_array_equal(results[i], ref)
    other_epoch = [run(i, epoch=1) for i in range(len(data))]
    assert any(not np.array_equal(a, b) for a, b in zip(sequential, other_epoch))
    with pytest.raises(ValueError, match="index"):
        A.sample_rng(1, -1)


@pytest.mark.parametrize("shape, grid", [((64, 64), (8, 8)), ((60, 90), (8, 4)),
                                         ((37, 51), (3, 5))])
def test_clahe_matches_opencv(shape, grid, rng):
    cv2 = pytest.importorskip("cv2")
    img = rng.normal(100, 25, shape).clip(0, 255).astype(np.uint8)
    img[: shape[0] // 2] //= 3
    ref = cv2.createCLAHE(clipLimit=2.5, tileGridSize=grid).apply(img)
    out = A.AugCLAHE(clip_limit=[2.5, 2.5], tile_grid_size=grid, p=1.0)(img, rng=0)
    assert np.abs(out.astype(int) - ref).max() <= 1
    assert A.AugCLAHE(p=0.0)(img, rng=0) is not None


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_lookup_table_paths_match_the_formula(dtype, rng):
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max + 1, (40, 30, 3)).astype(dtype)[::2, ::-1]  # strided
    for gamma in (0.3, 1.0, 2.7):
        out = A.AugGammaContrast(gamma=[gamma, gamma])(a, rng=0)
        ref = np.clip(np.rint(info.max * (np.maximum(a, 0) / info.max) ** gamma),
                      info.min, info.max)
        assert out.dtype == dtype and np.abs(out.astype(int) - ref).max() <= 1
    for beta in (-300, -17.4, 0, 29.6):
        out = A.AugBrightness(beta=[beta, beta])(a, rng=0)
        np.testing.assert_array_equal(out, np.clip(np.rint(a.astype(np.float64) + beta),
                                                   info.min, info.max))


def test_sampled_ranges_are_the_values_generator_uniform_gives():
    aug = A.AugAffine(angle=[-10, 30], scale=[0.5, 0.5], shift=[-0.1, 0.2], shear=[-3, 7])
    got = aug.sample(np.random.default_rng(9), (8, 8, 1))
    ref = np.random.default_rng(9)
    assert got["angle"] == ref.uniform(-10, 30)
    assert got["scale"] == 0.5  # fixed: draws nothing
    assert got["shift"] == ref.uniform(-0.1, 0.2)
    assert got["shear"] == ref.uniform(-3, 7)
    assert got["shift_y"] == ref.uniform(-0.1, 0.2)
    counts = A.AugGridDistortion(num_steps=[2, 5], distort_limit=[-0.3, 0.3])
    assert {counts.sample(np.random.default_rng(s), (8, 8, 1))["num_steps"]
            for s in range(200)} == {2, 3, 4, 5}


def test_oneof_picks_members_uniformly():
    one = A.OneOfAugmentationContainer(1.0, [A.AugFlip(1.0), A.AugMirror(1.0), A.AugTranspose(1.0)])
    picks = [one._pick(np.random.default_rng(s))[0] for s in range(3000)]
    counts = np.bincount(picks, minlength=3)
    assert counts.sum() == 3000 and np.all(np.abs(counts - 1000) < 120)  # ~4 sigma


def test_dsl_names_come_from_the_shared_registry():
    from _deephealth.registry import Registry

    assert isinstance(A.REGISTRY, Registry)
    assert A.get_augmentation_class("AugFlip") is A.AugFlip
    assert A.SequentialAugmentationContainer.is_container and not A.AugFlip.is_container
    before = A.REGISTRY["AugFlip"]

    # A class defined again under a registered name takes the name over (a re-run cell),
    # and the DSL and JSON loading then build the new class.
    class AugFlip(A.AugFlip):
        pass

    try:
        assert A.parse("AugFlip p=0.5").__class__ is AugFlip
        assert type(A.from_dict({"name": "AugFlip", "params": {"p": 0.5}})) is AugFlip
    finally:
        A.REGISTRY.register("AugFlip", obj=before, replace=True)
    assert type(A.parse("AugFlip p=0.5")) is A.AugFlip
