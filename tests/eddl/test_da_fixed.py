"""Deterministic data-augmentation layers (Shift, Rotate, Flip, CropScale, Cutout) against
float64 NumPy/SciPy references, in both modes."""

import os
import sys

import numpy as np
import pytest
import scipy.ndimage as ndi

import eddl
from eddl.layers import da

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402

# our border modes -> scipy.ndimage modes ("reflect" repeats no edge pixel, like scipy "mirror")
SCIPY_MODE = {"constant": "grid-constant", "nearest": "nearest", "reflect": "mirror",
              "mirror": "reflect", "wrap": "grid-wrap"}


def forward(make, x):
    """Outputs in inference and in training mode (they must agree for fixed transforms)."""
    net = build_net(make, [x.shape[1:]])
    outs = []
    for mode in (eddl.TSMODE, eddl.TRMODE):
        net.set_mode(mode)
        net.set_inputs([x])
        net.forward()
        outs.append(net.lout[0].output.copy())
    np.testing.assert_array_equal(outs[0], outs[1])
    return outs[0]


def sample(shape, seed=0):
    # a non-contiguous view, so layers see strided inputs too
    big = np.random.default_rng(seed).standard_normal(shape[:-1] + (2 * shape[-1],))
    return big[..., ::2]


@pytest.mark.parametrize("mode", sorted(SCIPY_MODE))
@pytest.mark.parametrize("shift", [(2, -3), (-1, 0), (0, 4), (7, 9), (-9, -10)])
def test_shift_matches_scipy(mode, shift):
    x = sample((2, 3, 7, 9))
    y = forward(lambda i: eddl.Shift(i, list(shift), mode, 1.5), x)
    ref = ndi.shift(x, (0, 0) + shift, order=0, mode=SCIPY_MODE[mode], cval=1.5)
    np.testing.assert_array_equal(y, ref)


def test_shift_default_is_nearest():
    x = sample((1, 1, 5, 6), 1)
    np.testing.assert_array_equal(forward(lambda i: eddl.Shift(i, [1, 2]), x),
                                  ndi.shift(x, (0, 0, 1, 2), order=0, mode="nearest"))


@pytest.mark.parametrize("mode", sorted(SCIPY_MODE))
@pytest.mark.parametrize("angle", [30.0, -45.0, 17.3, 90.0, 180.0])
def test_rotate_matches_scipy(mode, angle):
    x = sample((2, 2, 7, 9), 2)
    y = forward(lambda i: eddl.Rotate(i, angle, da_mode=mode, constant=-2.0), x)
    # EDDL's positive angle is clockwise as displayed; scipy's is counter-clockwise
    ref = ndi.rotate(x, -angle, axes=(2, 3), reshape=False, order=0, mode=SCIPY_MODE[mode],
                     cval=-2.0)
    np.testing.assert_array_equal(y, ref)


def test_rotate_original_mode_keeps_uncovered_input_pixels():
    x = sample((2, 1, 8, 6), 3)
    y = forward(lambda i: eddl.Rotate(i, 33.0), x)
    rotated = ndi.rotate(x, -33.0, axes=(2, 3), reshape=False, order=0, mode="grid-constant",
                         cval=np.nan)
    ref = np.where(np.isnan(rotated), x, rotated)
    np.testing.assert_array_equal(y, ref)


def test_rotate_offset_center_matches_affine_reference():
    x = sample((1, 1, 9, 9), 4)
    y = forward(lambda i: eddl.Rotate(i, 90.0, [1, -2], "constant"), x)
    # output (i, j) reads input (c + R (o - c)) with c the shifted centre: rotation by -90
    cy, cx = 4.0 + 1, 4.0 - 2
    i, j = np.mgrid[:9, :9]
    si, sj = cy - (j - cx), cx + (i - cy)
    ok = (si >= 0) & (si < 9) & (sj >= 0) & (sj < 9)
    ref = np.where(ok, x[0, 0][np.clip(si, 0, 8).astype(int), np.clip(sj, 0, 8).astype(int)], 0)
    np.testing.assert_array_equal(y[0, 0], ref)


@pytest.mark.parametrize("make, axis", [
    (lambda i: eddl.Flip(i), 2), (lambda i: eddl.Flip(i, 0), 2), (lambda i: eddl.Flip(i, 1), 3),
    (lambda i: eddl.VerticalFlip(i), 2), (lambda i: eddl.HorizontalFlip(i), 3)])
def test_flip_matches_numpy(make, axis):
    x = sample((3, 2, 5, 8), 5)
    np.testing.assert_array_equal(forward(make, x), np.flip(x, axis))


def cutout_ref(x, c0, c1, constant):
    ref = x.copy()
    ref[:, :, c0[0]:c1[0] + 1, c0[1]:c1[1] + 1] = constant
    return ref


@pytest.mark.parametrize("c0, c1", [([0, 0], [0, 0]), ([1, 2], [3, 6]), ([0, 0], [6, 8]),
                                    ([6, 8], [6, 8]), ([2, 0], [2, 8])])
def test_cutout_matches_numpy(c0, c1):
    x = sample((2, 3, 7, 9), 6)
    y = forward(lambda i: eddl.Cutout(i, c0, c1, 0.25), x)
    np.testing.assert_array_equal(y, cutout_ref(x, c0, c1, 0.25))


def cropscale_ref(x, c0, c1, mode, constant):
    h, w = x.shape[2:]
    hc, wc = c1[0] - c0[0] + 1, c1[1] - c0[1] + 1
    si = c0[0] + (np.arange(h) * hc) // h
    sj = c0[1] + (np.arange(w) * wc) // w
    # pad by the region's overhang with the matching np.pad mode, then index
    pad = max(0, -min(c0), c1[0] - h + 1, c1[1] - w + 1)
    npmode = {"constant": "constant", "nearest": "edge", "reflect": "reflect",
              "mirror": "symmetric", "wrap": "wrap"}[mode]
    kw = {"constant_values": constant} if mode == "constant" else {}
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], mode=npmode, **kw)
    return xp[:, :, si[:, None] + pad, sj[None, :] + pad]


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "mirror", "wrap"])
@pytest.mark.parametrize("c0, c1", [([1, 2], [4, 6]), ([0, 0], [6, 8]), ([-2, 3], [8, 5]),
                                    ([3, 3], [3, 3]), ([2, -1], [5, 10])])
def test_cropscale_matches_numpy(mode, c0, c1):
    x = sample((2, 2, 7, 9), 7)
    y = forward(lambda i: eddl.CropScale(i, c0, c1, mode, 3.0), x)
    np.testing.assert_array_equal(y, cropscale_ref(x, c0, c1, mode, 3.0))


def test_cropscale_of_whole_image_is_identity():
    x = sample((2, 3, 6, 5), 8)
    np.testing.assert_array_equal(forward(lambda i: eddl.CropScale(i, [0, 0], [5, 4]), x), x)


@pytest.mark.parametrize("make", [
    lambda i: eddl.Shift(i, [1, -2], "constant"),
    lambda i: eddl.Rotate(i, 25.0, da_mode="constant"),
    lambda i: eddl.CropScale(i, [1, 0], [3, 4], "reflect"),
    lambda i: eddl.Cutout(i, [1, 1], [2, 3]),
    lambda i: eddl.HorizontalFlip(i),
])
def test_gradients_by_finite_differences(make):
    check_gradients(make, [(2, 5, 6)], batch=2)


def test_random_layers_share_the_fixed_transforms():
    pairs = [(da.RandomShift, da.Shift), (da.RandomRotation, da.Rotate),
             (da.RandomFlip, da.Flip), (da.RandomCropScale, da.CropScale),
             (da.RandomCutout, da.Cutout)]
    for rand, fixed in pairs:
        assert issubclass(rand, fixed) and rand.index_map is fixed.index_map


def test_random_cropscale_draws_inside_boxes_with_the_fixed_mapping():
    x = sample((4, 1, 9, 8), 9)
    net = build_net(lambda i: eddl.RandomCropScale(i, [0.5, 0.8]), [(1, 9, 8)])
    net.set_mode(eddl.TRMODE)
    net.set_inputs([x])
    net.forward()
    y = net.lout[0].output
    for k in range(4):
        xk, yk = x[k:k + 1], y[k:k + 1]
        assert any(np.array_equal(yk, cropscale_ref(xk, [a, b], [a + hc - 1, b + wc - 1],
                                                    "nearest", 0.0))
                   for hc in range(4, 9) for wc in range(4, 8)
                   for a in range(10 - hc) for b in range(9 - wc))


@pytest.mark.parametrize("make, match", [
    (lambda: eddl.Shift(eddl.Input([4, 4]), [1, 1]), "Shift layer.*C x H x W"),
    (lambda: eddl.Rotate(eddl.Input([2, 4, 4, 4]), 10.0), "Rotate layer.*C x H x W"),
    (lambda: eddl.Flip(eddl.Input([8]), 0), "Flip layer.*C x H x W"),
    (lambda: eddl.Flip(eddl.Input([1, 4, 4]), 2), "Flip: axis"),
    (lambda: eddl.Flip(eddl.Input([1, 4, 4]), -1), "Flip: axis"),
    (lambda: eddl.Cutout(eddl.Input([1, 4, 4]), [0, 0], [4, 3]), "Cutout layer.*outside"),
    (lambda: eddl.Cutout(eddl.Input([1, 4, 4]), [-1, 0], [2, 2]), "Cutout layer.*outside"),
    (lambda: eddl.Cutout(eddl.Input([1, 4, 4]), [2, 2], [1, 3]), "Cutout layer.*empty"),
    (lambda: eddl.Cutout(eddl.Input([1, 4, 4]), [0], [1, 1]), "Cutout: from_coords"),
    (lambda: eddl.CropScale(eddl.Input([1, 4, 4]), [2, 2], [1, 3]), "CropScale: region"),
    (lambda: eddl.CropScale(eddl.Input([1, 4, 4]), [0, 0], [2, 2], "bogus"), "CropScale: da_mode"),
    (lambda: eddl.Shift(eddl.Input([1, 4, 4]), [1.5, 0]), "Shift: shift"),
    (lambda: eddl.Rotate(eddl.Input([1, 4, 4]), float("nan")), "Rotate: angle"),
    (lambda: eddl.Rotate(eddl.Input([1, 4, 4]), 5.0, [1]), "Rotate: offset_center"),
])
def test_bad_input_names_the_layer(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
