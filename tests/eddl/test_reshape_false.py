"""``reshape`` of Resize, UpSampling3D, Scale, Crop and CenteredCrop: both modes against NumPy
float64 references, gradients by finite differences, odd sizes, 2-D and 3-D."""

import os
import sys

import numpy as np
import pytest
from scipy import ndimage

import eddl
from eddl.layers.upsampling import canvas_rows

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import check_gradients  # noqa: E402


def run(make, x, dtype="float64"):
    ins = [eddl.Input(list(x.shape[1:]))]
    net = eddl.Model(ins, [make(ins[0])])
    eddl.build(net, eddl.sgd(0.0), ["mse"], ["none"], eddl.CS_CPU(), dtype=dtype)
    net.set_inputs([x])
    net.forward()
    return net.lout[0].output.copy()


# --- references ------------------------------------------------------------------------------

def _source(n_in, n_out, transform):
    o = np.arange(n_out, dtype=np.float64)
    if transform == "asymmetric":
        return o * n_in / n_out
    if transform == "align_corners":
        return o * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros(n_out)
    return (o + 0.5) * n_in / n_out - 0.5  # half_pixel / pytorch_half_pixel (n_out > 1)


def ref_resize(x, new, interp, transform="asymmetric"):
    """Resize the spatial axes of ``N x C x *sp`` with scipy's map_coordinates."""
    sp = x.shape[2:]
    coords = []
    for n_in, n_out in zip(sp, new):
        s = _source(n_in, n_out, transform)
        if interp == "nearest":
            s = np.floor(s) if transform == "asymmetric" else np.ceil(s - 0.5)
        coords.append(np.clip(s, 0, n_in - 1))
    grid = np.meshgrid(*coords, indexing="ij")
    out = np.empty(x.shape[:2] + tuple(new))
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            out[n, c] = ndimage.map_coordinates(x[n, c], grid, order=1 if interp == "linear" else 0,
                                                mode="nearest")
    return out


_NP_PAD = {"nearest": "edge", "wrap": "wrap", "reflect": "reflect", "mirror": "symmetric"}


def ref_canvas(x, resized, da_mode, constant):
    """Place ``resized`` centred in an input-sized canvas (EDDL: offset int((m - n) / 2))."""
    sp, new = x.shape[2:], resized.shape[2:]
    pad = [(0, 0), (0, 0)] + [(n + m, n + m) for n, m in zip(sp, new)]
    if da_mode in _NP_PAD:
        big = np.pad(resized, pad, mode=_NP_PAD[da_mode])
    else:
        big = np.pad(resized, pad, mode="constant", constant_values=np.nan)
    sl = tuple(slice(n + m + int((m - n) / 2), n + m + int((m - n) / 2) + n)
               for n, m in zip(sp, new))
    out = big[(slice(None), slice(None)) + sl]
    if da_mode == "constant":
        out = np.where(np.isnan(out), constant, out)
    elif da_mode == "original":
        out = np.where(np.isnan(out), x, out)
    return out


def test_canvas_offsets_follow_eddl():
    # EDDL: offset = int((new - n) / 2), truncated towards zero
    assert canvas_rows(5, 2, "constant")[0] == [-1, 0, 1, -1, -1]
    assert canvas_rows(5, 8, "constant")[0] == [1, 2, 3, 4, 5]
    assert canvas_rows(4, 7, "constant")[0] == [1, 2, 3, 4]
    assert canvas_rows(4, 1, "nearest")[0] == [0, 0, 0, 0]
    assert canvas_rows(6, 3, "wrap")[0] == [2, 0, 1, 2, 0, 1]


# --- Resize / UpSampling3D / Scale -------------------------------------------------------------

CASES_2D = [((2, 5, 7), [3, 9]), ((1, 7, 4), [10, 2]), ((2, 3, 3), [3, 3]), ((1, 4, 5), [1, 6])]


@pytest.mark.parametrize("shape,new", CASES_2D)
@pytest.mark.parametrize("da_mode", ["constant", "original", "nearest", "wrap", "reflect",
                                     "mirror"])
def test_resize_reshape_false_forward(shape, new, da_mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3,) + shape)
    for transform in ("asymmetric", "half_pixel", "align_corners"):
        want = ref_canvas(x, ref_resize(x, new, "linear", transform), da_mode, 0.75)
        got = run(lambda i: eddl.Resize(i, new, False, da_mode, 0.75, transform), x)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=transform)
    # reshape=True is the resized image itself
    got = run(lambda i: eddl.Resize(i, new, True, da_mode, 0.75), x)
    np.testing.assert_allclose(got, ref_resize(x, new, "linear"), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,new", CASES_2D)
@pytest.mark.parametrize("da_mode", ["constant", "original", "reflect"])
def test_scale_is_nearest_in_both_modes(shape, new, da_mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2,) + shape)
    resized = ref_resize(x, new, "nearest")
    got = run(lambda i: eddl.Scale(i, new, True, da_mode, -2.0), x)
    np.testing.assert_allclose(got, resized, rtol=0, atol=0)
    got = run(lambda i: eddl.Scale(i, new, False, da_mode, -2.0), x)
    np.testing.assert_allclose(got, ref_canvas(x, resized, da_mode, -2.0), rtol=0, atol=0)


def test_scale_zoom_out_pads_and_zoom_in_crops():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    out = run(lambda i: eddl.Scale(i, [3, 3], reshape=False, constant=-1.0), x)[0, 0]
    inner = x[0, 0, ::2, ::2]
    np.testing.assert_array_equal(out[1:4, 1:4], inner)
    assert (out[0] == -1).all() and (out[4:] == -1).all() and (out[:, 0] == -1).all()
    out = run(lambda i: eddl.Scale(i, [12, 12], reshape=False), x)[0, 0]
    np.testing.assert_array_equal(out, np.repeat(np.repeat(x[0, 0], 2, 0), 2, 1)[3:9, 3:9])


@pytest.mark.parametrize("shape,new", [((2, 3, 5, 4), [5, 2, 7]), ((1, 4, 3, 3), [3, 5, 1])])
@pytest.mark.parametrize("da_mode", ["constant", "original", "nearest", "mirror"])
def test_upsampling3d_reshape_false_forward(shape, new, da_mode):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2,) + shape)
    resized = ref_resize(x, new, "linear")
    got = run(lambda i: eddl.UpSampling3D(i, new, True, da_mode, 0.5), x)
    np.testing.assert_allclose(got, resized, rtol=1e-12, atol=1e-12)
    got = run(lambda i: eddl.UpSampling3D(i, new, False, da_mode, 0.5), x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, ref_canvas(x, resized, da_mode, 0.5), rtol=1e-12, atol=1e-12)


def test_resize_reshape_false_float32_and_noncontiguous_input():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 7, 3))
    xt = x.transpose(0, 3, 1, 2)
    want = ref_canvas(xt, ref_resize(xt, [4, 10], "linear"), "constant", 0.25)
    got = run(lambda i: eddl.Resize(eddl.Permute(i, [2, 0, 1]), [4, 10], False, "constant", 0.25), x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got32 = run(lambda i: eddl.Resize(i, [4, 10], False, "original"), xt.copy(), "float32")
    want = ref_canvas(xt, ref_resize(xt, [4, 10], "linear"), "original", 0.0)
    np.testing.assert_allclose(got32, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make,shape", [
    (lambda i: eddl.Resize(i, [3, 8], reshape=False, constant=0.3), (2, 5, 7)),
    (lambda i: eddl.Resize(i, [7, 2], False, "original", coordinate_transformation_mode="half_pixel"),
     (1, 5, 3)),
    (lambda i: eddl.Resize(i, [2, 9], False, "reflect"), (1, 5, 4)),
    (lambda i: eddl.Resize(i, [8, 3], False, "wrap"), (1, 3, 5)),
    (lambda i: eddl.Resize(i, [4, 4], True), (1, 5, 3)),
    (lambda i: eddl.Scale(i, [2, 7], False, "nearest"), (2, 5, 4)),
    (lambda i: eddl.Scale(i, [9, 3], False, "mirror"), (1, 4, 5)),
    (lambda i: eddl.UpSampling3D(i, [5, 2, 4], False, "constant", 1.5), (1, 3, 4, 3)),
    (lambda i: eddl.UpSampling3D(i, [2, 5, 3], False, "original"), (2, 3, 3, 2)),
])
def test_resize_gradients(make, shape):
    check_gradients(make, [shape], batch=2)


# --- Crop / CenteredCrop -----------------------------------------------------------------------

def ref_crop(x, c0, c1, reshape, constant):
    h, w = x.shape[2:]
    if reshape:
        out = np.full(x.shape[:2] + (c1[0] - c0[0] + 1, c1[1] - c0[1] + 1), constant)
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                if 0 <= c0[0] + i < h and 0 <= c0[1] + j < w:
                    out[:, :, i, j] = x[:, :, c0[0] + i, c0[1] + j]
        return out
    out = np.full(x.shape, constant)
    ys = slice(max(c0[0], 0), min(c1[0], h - 1) + 1)
    xs = slice(max(c0[1], 0), min(c1[1], w - 1) + 1)
    out[:, :, ys, xs] = x[:, :, ys, xs]
    return out


@pytest.mark.parametrize("c0,c1", [([1, 2], [3, 4]), ([-2, 3], [1, 8]), ([0, 0], [4, 6]),
                                   ([4, 6], [6, 9]), ([2, 1], [2, 1])])
@pytest.mark.parametrize("reshape", [True, False])
def test_crop_forward(c0, c1, reshape):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 5, 7))
    got = run(lambda i: eddl.Crop(i, c0, c1, reshape, -0.5), x)
    np.testing.assert_array_equal(got, ref_crop(x, c0, c1, reshape, -0.5))


@pytest.mark.parametrize("hw,size", [((5, 7), [3, 2]), ((6, 6), [3, 3]), ((7, 4), [4, 3]),
                                     ((5, 5), [5, 5])])
@pytest.mark.parametrize("reshape", [True, False])
def test_centered_crop_follows_eddl_anchor(hw, size, reshape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 1) + hw)
    y0, x0 = hw[0] // 2 - size[0] // 2, hw[1] // 2 - size[1] // 2
    c1 = [y0 + size[0] - 1, x0 + size[1] - 1]
    got = run(lambda i: eddl.CenteredCrop(i, size, reshape, 2.0), x)
    np.testing.assert_array_equal(got, ref_crop(x, [y0, x0], c1, reshape, 2.0))


@pytest.mark.parametrize("make", [
    lambda i: eddl.Crop(i, [1, -1], [3, 2], reshape=False, constant=0.4),
    lambda i: eddl.Crop(i, [1, -1], [3, 2], reshape=True, constant=0.4),
    lambda i: eddl.CenteredCrop(i, [3, 2], reshape=False),
])
def test_crop_gradients(make):
    check_gradients(make, [(2, 5, 4)], batch=2)


def test_reshape_false_in_a_trained_model():
    # the layers build, train and keep the input shape, so they can feed shape-preserving heads
    x = eddl.Input([1, 9, 9])
    h = eddl.Crop(x, [1, 1], [7, 7], reshape=False)
    h = eddl.Scale(h, [5, 5], reshape=False)
    h = eddl.Resize(h, [12, 12], reshape=False)
    out = eddl.Conv2D(h, 1, [3, 3])
    net = eddl.Model([x], [out])
    eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"], eddl.CS_CPU(), dtype="float64")
    assert out.shape == (1, 9, 9)
    rng = np.random.default_rng(6)
    eddl.fit(net, [rng.standard_normal((4, 1, 9, 9))], [rng.standard_normal((4, 1, 9, 9))], 2, 1)
    assert np.isfinite(net.lout[0].output).all()


def test_reshape_bad_input():
    i = eddl.Input([1, 4, 4])
    with pytest.raises(TypeError, match="reshape must be a bool"):
        eddl.Resize(i, [2, 2], reshape="no")
    with pytest.raises(TypeError, match="reshape must be a bool"):
        eddl.Crop(i, [0, 0], [1, 1], reshape=None)
    with pytest.raises(ValueError, match="da_mode"):
        eddl.Scale(i, [2, 2], False, "bogus")
    with pytest.raises(ValueError, match="expects a C x H x W"):
        eddl.Scale(eddl.Input([1, 2, 4, 4]), [2, 2], reshape=False)
    with pytest.raises(ValueError, match="expects a C x D x H x W"):
        eddl.UpSampling3D(i, [2, 2, 2], reshape=False)
    with pytest.raises(ValueError, match="is empty"):
        eddl.Crop(i, [2, 2], [1, 3], reshape=False)
    with pytest.raises(ValueError, match="new_shape must be >= 1"):
        eddl.Resize(i, [0, 2], reshape=False)
