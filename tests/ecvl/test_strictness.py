"""Inputs PyECVL accepts silently but we refuse on purpose (docs/porting_pyecvl.md): each
error names the argument, the value given and what would be valid."""

import pytest

import ecvl
from ecvl import ColorType, DataType, Image
from ecvl.augment import AugmentationFactory

CASES = {
    # ECVL's Image constructor accepts any colour type with any number of channels
    "BGR with one channel": (
        lambda: Image([4, 4, 1], DataType.uint8, "xyc", ColorType.BGR),
        r"colortype BGR needs a 'c' axis of 3 channels.*dims \[4, 4, 1\].*ColorType.GRAY or "
        r"ColorType.none"),
    # ECVL keeps a spacings vector of any length
    "fewer spacings than axes": (
        lambda: Image([4, 4, 1], DataType.uint8, "xyc", spacings=[1, 2]),
        r"spacings \[1.0, 2.0\] must have one value per axis \(3 for 'xyc'\), or be empty"),
    # ECVL samples a reversed range as given
    "reversed augmentation range": (
        lambda: AugmentationFactory.create("AugRotate angle=[5,-5]"),
        r"angle range \[5, -5\] has min > max; give \[min, max\] with min <= max"),
    # ECVL draws the probability as given
    "probability above one": (
        lambda: AugmentationFactory.create("AugFlip p=2"),
        r"AugFlip: p=2 is outside \[0, 1\]"),
    "zero divisor": (
        lambda: AugmentationFactory.create("AugToFloat32 divisor=0"),
        r"divisors must not be 0, got divisor=0.* divisor_gt=1.*give nonzero numbers"),
    "zero std": (
        lambda: AugmentationFactory.create("AugNormalize mean=1 std=0"),
        r"std must not be 0, got std=0.*give nonzero values"),
    "dropout probability": (
        lambda: ecvl.coarse_dropout(Image([4, 4, 3], DataType.uint8, "xyc"), 1.5, 0.1),
        r"CoarseDropout: p must be in \[0, 1\], got 1.5"),
    # ECVL divides by old_max - old_min = 0
    "empty source range": (
        lambda: ecvl.scale_from_to(Image([4, 4, 1], DataType.uint8, "xyc"), 3, 3, 0, 1),
        r"ScaleFromTo: old_min and old_max must differ, both are 3.0"),
    # ECVL pads the answer with [-1, -1]
    "more maxima than pixels": (
        lambda: ecvl.get_max_n(Image([2, 2, 1], DataType.int32, "xyc", ColorType.GRAY), 5),
        r"GetMaxN: n must be an int from 1 to the 4 pixels of the image, got 5"),
    # ECVL reads the moments of a multi-channel image as if it had one
    "moments of several channels": (
        lambda: ecvl.moments(Image([3, 3, 2], DataType.uint8, "xyc")),
        r"Moments: src has a 'c' axis of 2 channels.*select it first"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rejections_name_argument_value_and_what_is_valid(name):
    make, message = CASES[name]
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_the_porting_page_lists_every_case():
    import pathlib

    page = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "porting_pyecvl.md").read_text()
    for name in CASES:
        assert name in page, name
