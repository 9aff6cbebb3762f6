"""Inputs PyEDDL accepts silently and we reject: each error names the argument, its value and
what would be valid (the list is docs/porting_pyeddl.md)."""

import re

import pytest

import eddl


def test_regularizer_on_a_layer_without_weights():
    # EDDL's L2(l, ...) just sets l->reg; on an Input it is never applied
    x = eddl.Input([10], name="pixels")
    for reg, args in ((eddl.L1, (0.1,)), (eddl.L2, (0.1,)), (eddl.L1L2, (0.1, 0.2))):
        with pytest.raises(ValueError, match=rf"{reg.__name__}: l='pixels' \(Input\) has no "
                                             r"weights to regularize; give a layer with weights \(Dense"):
            reg(x, *args)


@pytest.mark.parametrize("make", [
    lambda p: eddl.RandomCropScale(p, [0.8, 1.0]), lambda p: eddl.RandomHorizontalFlip(p),
    lambda p: eddl.RandomRotation(p, [-5, 5]), lambda p: eddl.Shift(p, [1, 1]),
    lambda p: eddl.Scale(p, [4, 4]), lambda p: eddl.CenteredCrop(p, [2, 2])])
def test_2d_augmentation_on_1d_samples(make):
    x = eddl.Input([784], name="flat")
    with pytest.raises(ValueError, match=r"expects a C x H x W input \(3-D samples\), but "
                                         r"parent='flat' gives samples of shape \[784\]; reshape "
                                         r"it first, e.g. eddl.Reshape\(parent, \[C, H, W\]\)"):
        make(x)
    make(eddl.Reshape(x, [1, 28, 28]))                     # the valid form is accepted


def test_pad_on_1d_samples():
    with pytest.raises(ValueError, match=r"at least 2 axes to pad \(H x W\), but parent='v' gives "
                                         r"samples of shape \[5\]"):
        eddl.Pad(eddl.Input([5], name="v"), [1, 1])


@pytest.mark.parametrize("make,expected,example", [
    (lambda p: eddl.Conv1D(p, 4, [3]), "a 2-D input \\(channels x 1 spatial axes\\)", "[C, L]"),
    (lambda p: eddl.Conv(p, 4, [3, 3]), "a 3-D input \\(channels x 2 spatial axes\\)", "[C, H, W]"),
    (lambda p: eddl.Conv3D(p, 4, [3, 3, 3]), "a 4-D input \\(channels x 3 spatial axes\\)",
     "[C, D, H, W]"),
    (lambda p: eddl.MaxPool(p), "a 3-D input \\(channels x 2 spatial axes\\)", "[C, H, W]"),
    (lambda p: eddl.MaxPool3D(p), "a 4-D input \\(channels x 3 spatial axes\\)", "[C, D, H, W]")])
def test_conv_and_pool_on_samples_of_the_wrong_rank(make, expected, example):
    with pytest.raises(ValueError) as e:
        make(eddl.Input([10], name="v"))
    msg = str(e.value)
    assert re.search(rf"expects {expected}, but parent='v' gives samples of shape \[10\]", msg)
    assert f"eddl.Reshape(parent, {example})" in msg
