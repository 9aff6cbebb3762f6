"""Affine warps, rotations and remaps against OpenCV and a float64 NumPy reference."""

import numpy as np
import pytest

from ecvl.core.errors import EcvlError
from ecvl.imgproc import geometric as g

cv2 = pytest.importorskip("cv2")

DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]
CV_INTERP = {"nearest": 0, "linear": 1, "cubic": 2, "lanczos4": 4}


def bilinear_reference(a, mx, my, border_value):
    """float64 bilinear sampling with a constant border, written independently of the kernel."""
    h, w, c = a.shape
    x0 = np.floor(mx).astype(int)
    y0 = np.floor(my).astype(int)
    fx = (mx - x0)[..., None]
    fy = (my - y0)[..., None]
    out = 0.0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yy, xx = y0 + dy, x0 + dx
            inside = ((yy >= 0) & (yy < h) & (xx >= 0) & (xx < w))[..., None]
            v = np.where(inside, a[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)].astype(np.float64),
                         border_value)
            out = out + wy * wx * v
    return out


@pytest.mark.parametrize("interp", list(CV_INTERP))
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_warp_affine_uint8_matches_opencv_every_border(rng, interp, channels):
    a = rng.integers(0, 256, (37, 53, channels), dtype=np.uint8)
    m = cv2.getRotationMatrix2D((20.3, 17.1), -33, 1.1)
    bval = (10, 20, 30, 40)[:channels]
    for bt in range(5):
        ours = g.warp_affine_array(a, m, None, interp, bt, bval)
        ref = cv2.warpAffine(a, m, (53, 37), flags=CV_INTERP[interp], borderMode=bt, borderValue=bval)
        ref = ref.reshape(ours.shape)
        assert np.abs(ours.astype(int) - ref).max() <= 1, (interp, bt)


def test_warp_to_other_size_and_inverse_flag(rng):
    a = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    m = np.array([[0.7, 0.2, 3.0], [-0.1, 0.9, -2.0]])
    ours = g.warp_affine_array(a, m, (25, 50))
    ref = cv2.warpAffine(a, m, (50, 25))
    assert np.abs(ours.astype(int) - ref).max() <= 1
    inv = cv2.invertAffineTransform(m)
    assert np.array_equal(g.warp_affine_array(a, inv, (25, 50), inverse=True), ours)


@pytest.mark.parametrize("dtype", DTYPES)
def test_warp_every_dtype_against_float64_reference(rng, dtype):
    dt = np.dtype(dtype)
    a = (rng.uniform(-50, 50, (21, 17, 2)) if dt.kind == "f" or dt.kind == "i"
         else rng.uniform(0, 100, (21, 17, 2))).astype(dt)
    m = cv2.getRotationMatrix2D((8.0, 10.0), 17, 0.9)
    inv = cv2.invertAffineTransform(m)
    yy, xx = np.mgrid[0:21, 0:17].astype(np.float64)
    mx = inv[0, 0] * xx + inv[0, 1] * yy + inv[0, 2]
    my = inv[1, 0] * xx + inv[1, 1] * yy + inv[1, 2]
    ref = bilinear_reference(a, mx, my, 5.0)
    ours = g.warp_affine_array(a, m, None, "linear", 0, 5)
    if dt.kind == "f":
        np.testing.assert_allclose(ours, ref, atol=1e-3 if dt == np.float32 else 1e-9)
    else:
        assert np.abs(ours - np.rint(ref)).max() <= 1
    # the same sampling through explicit maps
    remapped = g.remap_array(a, mx, my, "linear", 0, 5)
    if dt.kind == "f":
        np.testing.assert_allclose(remapped, ref, atol=1e-3)
    else:
        assert np.abs(remapped - np.rint(ref)).max() <= 1


def test_remap_matches_opencv_and_nan_is_border(rng):
    a = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mx = rng.uniform(-3, 33, (15, 25)).astype(np.float32)
    my = rng.uniform(-3, 23, (15, 25)).astype(np.float32)
    for interp, ci in (("nearest", 0), ("linear", 1), ("cubic", 2)):
        for bt in (0, 1, 4):
            ours = g.remap_array(a, mx, my, interp, bt, 7)
            ref = cv2.remap(a, mx, my, ci, borderMode=bt, borderValue=(7, 7, 7))
            assert np.abs(ours.astype(int) - ref).max() <= 1, (interp, bt)
    mx[0, 0] = np.nan
    assert g.remap_array(a, mx, my, "linear", 0, 9)[0, 0].tolist() == [9, 9, 9]


def test_transparent_border_keeps_out(rng):
    a = rng.integers(0, 256, (10, 10, 1), dtype=np.uint8)
    out = np.full_like(a, 77)
    g.warp_affine_array(a, [[1, 0, 5], [0, 1, 0]], None, "nearest", "transparent", out=out)
    assert np.all(out[:, :5] == 77) and np.array_equal(out[:, 5:], a[:, :5])


def test_rotate_conventions(rng):
    a = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    # clockwise as displayed; 90 degrees about the grid centre is exact with nearest
    assert np.array_equal(g.rotate_array(a, 90, interp="nearest"), np.rot90(a, -1))
    assert np.array_equal(g.rotate_array(a, -90, interp="nearest"), np.rot90(a, 1))
    assert np.array_equal(g.rotate_array(a, 180), a[::-1, ::-1])
    b = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    m = cv2.getRotationMatrix2D((25.0, 12.0), -30, 1.2)
    ref = cv2.warpAffine(b, m, (60, 40))
    assert np.abs(g.rotate_array(b, 30, (25, 12), 1.2).astype(int) - ref).max() <= 1


def test_rotate_full_image(rng):
    a = rng.integers(0, 256, (20, 50, 1), dtype=np.uint8)
    out = g.rotate_full_array(a, 90, interp="nearest")
    assert np.array_equal(out, np.rot90(a, -1))
    out = g.rotate_full_array(a, 30)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    assert out.shape == (round(50 * s + 20 * c), round(50 * c + 20 * s), 1)
    # nothing of the source is cut off: the total mass is kept (up to resampling)
    assert abs(out.astype(float).sum() / a.astype(float).sum() - 1) < 0.02


def test_rotate_volume_about_each_axis(rng):
    v = rng.integers(0, 100, (6, 6, 6, 2)).astype(np.int16)
    assert np.array_equal(g.rotate_array(v, 90, interp="nearest", axis="z"), np.rot90(v, -1, (1, 2)))
    assert np.array_equal(g.rotate_array(v, 90, interp="nearest", axis="y"), np.rot90(v, -1, (0, 2)))
    assert np.array_equal(g.rotate_array(v, 90, interp="nearest", axis="x"), np.rot90(v, -1, (0, 1)))
    w = rng.integers(0, 100, (4, 6, 10, 1)).astype(np.float32)
    assert g.rotate_full_array(w, 90, axis="z").shape == (4, 10, 6, 1)


@pytest.mark.parametrize("call, match", [
    (lambda a: g.warp_affine_array(a, np.eye(3)), "2x3"),
    (lambda a: g.warp_affine_array(a, [[0, 0, 0], [0, 0, 0]]), "singular"),
    (lambda a: g.warp_affine_array(a, [[1, 0, np.nan], [0, 1, 0]]), "finite"),
    (lambda a: g.warp_affine_array(a, [[1, 0, 0], [0, 1, 0]], border="mirror"), "border"),
    (lambda a: g.warp_affine_array(a, [[1, 0, 0], [0, 1, 0]], value=[1, 2]), "border value"),
    (lambda a: g.warp_affine_array(a, [[1, 0, 0], [0, 1, 0]], out=np.zeros((2, 2, 3))), "out"),
    (lambda a: g.rotate_array(a, np.inf), "angle"),
    (lambda a: g.rotate_array(a, 10, scale=0), "scale"),
    (lambda a: g.rotate_array(a, 10, center=[1]), "center"),
    (lambda a: g.rotate_array(a[None], 10, axis="w"), "axis"),
    (lambda a: g.remap_array(a, np.zeros((2, 2)), np.zeros((2, 3))), "map"),
])
def test_bad_input(call, match):
    with pytest.raises(EcvlError, match=match):
        call(np.zeros((8, 6, 3), np.uint8))
