"""``Augmentation.params_``: PyECVL's map of random ranges, with the last drawn values."""

import numpy as np
import pytest

import ecvl
from ecvl.augment import AugmentationParam


def test_lists_each_random_range_as_eddl_declares_it():
    # modules/eddl/include/ecvl/augmentations.h: AugRotate's constructor sets
    # params_["angle"] = AugmentationParam(angle[0], angle[1]); Apply draws every value_
    p = ecvl.AugRotate([-5, 7]).params_
    assert list(p) == ["angle"]
    assert isinstance(p["angle"], AugmentationParam)
    assert (p["angle"].min_, p["angle"].max_, p["angle"].value_) == (-5.0, 7.0, -5.0)
    gp = ecvl.AugGammaContrast([0.5, 1.5]).params_
    assert (gp["gamma"].min_, gp["gamma"].max_) == (0.5, 1.5)


def test_value_is_the_last_drawn_one():
    aug = ecvl.AugRotate([-30, 30])
    img = np.random.default_rng(0).integers(0, 255, (9, 9, 3), dtype=np.uint8)
    for seed in range(3):
        _, _, record = aug.apply_replay(img, rng=seed)
        value = aug.params_["angle"].value_
        assert value == pytest.approx(record["params"]["angle"], rel=1e-12)
        assert -30.0 <= value <= 30.0


def test_is_a_snapshot_and_fixed_augmentations_have_none():
    aug = ecvl.AugRotate([-5, 5])
    aug.params_["angle"].min_ = 100.0
    assert aug.params_["angle"].min_ == -5.0
    assert aug.values["angle"] == (-5.0, 5.0)
    assert ecvl.AugMirror(0.5).params_ == {}
    seq = ecvl.SequentialAugmentationContainer([ecvl.AugRotate([-5, 5])])
    assert seq.params_ == {}
