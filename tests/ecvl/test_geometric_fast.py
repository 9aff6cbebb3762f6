"""The one-call entries of small-image geometric ops and the fixed-point affine warp.

``rotate_fast``-style entries (``_flip.*_fast``, ``_resize.half_fast``, ``_warp.affine_fast``)
take plain canonical arrays with member enums and Python numbers, and decline (return None)
everything else, which then takes the checked path: both must give the same bytes. uint8
bilinear warps step their coordinates along rows in fixed point with 2^-fb pixel, fb chosen
from the coordinate range (16 down to 12, or the double-precision path beyond).
"""

import numpy as np
import pytest

from ecvl.core.enums import BorderType as BT
from ecvl.core.enums import InterpolationType as IT
from ecvl.core.errors import EcvlError
from ecvl.imgproc import geometric as g
from ecvl.imgproc.geometric import _resize, _warp, warp

cv2 = pytest.importorskip("cv2")


class _Sub(np.ndarray):
    pass


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_rotate_fast_entry_equals_checked_path(rng, channels):
    a = rng.integers(0, 256, (37, 45, channels), dtype=np.uint8)
    fast = g.rotate_array(a, 33, scale=1.1, value=17)
    # np.float64 values, int borders and string interpolations take the checked path
    checked = g.rotate_array(a, 33, scale=1.1, value=np.float64(17), border=0, interp="linear")
    np.testing.assert_array_equal(fast, checked)
    # OpenCV is the reference for 1, 3 and 4 channels (its 2-channel warp rounds otherwise)
    check_cv = channels != 2
    m = cv2.getRotationMatrix2D((22.0, 18.0), -33, 1.1)
    ref = cv2.warpAffine(a, m, (45, 37), borderValue=(17,) * 4).reshape(fast.shape)
    assert not check_cv or np.abs(fast.astype(int) - ref).max() <= 1
    for bt in (BT.BORDER_REPLICATE, BT.BORDER_REFLECT, BT.BORDER_WRAP, BT.BORDER_REFLECT_101):
        fast = g.rotate_array(a, -71, border=bt)
        np.testing.assert_array_equal(fast, g.rotate_array(a, -71, border=int(bt)))
        ref = cv2.warpAffine(a, cv2.getRotationMatrix2D((22.0, 18.0), 71, 1.0), (45, 37),
                             borderMode=int(bt)).reshape(fast.shape)
        assert not check_cv or np.abs(fast.astype(int) - ref).max() <= 1, bt


def test_affine_fast_declines_what_needs_checks(rng):
    a = rng.integers(0, 256, (9, 11, 1), dtype=np.uint8)
    m = warp._invert_affine(warp._rotation((5.0, 4.0), 20, 1.0), "test")
    ok = (m, 9, 11, IT.linear, BT.BORDER_CONSTANT, 0, 1)
    assert _warp.affine_fast(a, *ok) is not None
    for args in [(a.astype(np.int16),) + ok, (a[:, ::2],) + ok, (a.view(_Sub),) + ok,
                 (a, m, 9, 11, IT.cubic, BT.BORDER_CONSTANT, 0, 1),
                 (a, m, 9, 11, "linear", BT.BORDER_CONSTANT, 0, 1),
                 (a, m, 9, 11, IT.linear, BT.BORDER_TRANSPARENT, 0, 1),
                 (a, m, 9, 11, IT.linear, 0, 0, 1),
                 (a, m, 9, 11, IT.linear, BT.BORDER_CONSTANT, [0], 1),
                 (a, m, 0, 11, IT.linear, BT.BORDER_CONSTANT, 0, 1),
                 (a, m[:5], 9, 11, IT.linear, BT.BORDER_CONSTANT, 0, 1),
                 (np.zeros((2, 2, 65), np.uint8),) + ok]:
        assert _warp.affine_fast(*args) is None
    # far coordinates: no fixed-point width holds them
    far = (1.0, 0.0, 3e5, 0.0, 1.0, 0.0)
    assert _warp.affine_fast(a, far, 9, 11, IT.linear, BT.BORDER_CONSTANT, 0, 1) is None


@pytest.mark.parametrize("shift", [0.25, 2.0e4, 2.0e5, 3.0e5, -2.6e5])
def test_fixed_point_width_follows_coordinate_range(rng, shift):
    # A 20000-pixel-wide source needs fb = 15; a shift of 2e5 pixels fb = 12; beyond 2^18
    # the double-precision path. Every width gives OpenCV's result within one level, and the
    # scalar path the SIMD path's bytes.
    a = rng.integers(0, 256, (3, 20000, 1), dtype=np.uint8)
    m = np.array([[1.0, 0.0, shift], [0.0, 1.0, 0.3]])
    outs = []
    for on in (True, False):
        _warp.set_simd(on)
        try:
            outs.append(g.warp_affine_array(a, m, (3, 20000), value=9))
        finally:
            _warp.set_simd(True)
    np.testing.assert_array_equal(outs[0], outs[1])
    ref = cv2.warpAffine(a, m, (20000, 3), borderValue=(9,) * 4).reshape(outs[0].shape)
    assert np.abs(outs[0].astype(int) - ref).max() <= 1


@pytest.mark.parametrize("channels", [1, 3])
def test_fixed_point_rows_match_exact_coordinates(rng, channels):
    # Stepping X0 + m0 * x in fixed point stays within 2^-fb pixel of the exact coordinate:
    # against a float64 bilinear reference the error stays below one level (plus rounding).
    a = rng.integers(0, 256, (64, 300, channels), dtype=np.uint8)
    m = np.array([[0.93, 0.37, -20.0], [-0.41, 0.88, 40.0]])  # forward map
    ours = g.warp_affine_array(a, m, (70, 290), border=BT.BORDER_REPLICATE).astype(float)
    inv = cv2.invertAffineTransform(m)
    yy, xx = np.mgrid[0:70, 0:290].astype(np.float64)
    sx = inv[0, 0] * xx + inv[0, 1] * yy + inv[0, 2]
    sy = inv[1, 0] * xx + inv[1, 1] * yy + inv[1, 2]
    x0 = np.clip(np.floor(sx), -1, 300).astype(int)
    y0 = np.clip(np.floor(sy), -1, 64).astype(int)
    fx, fy = (sx - np.floor(sx))[..., None], (sy - np.floor(sy))[..., None]

    def px(y, x):
        return a[np.clip(y, 0, 63), np.clip(x, 0, 299)].astype(float)

    ref = ((1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1))
           + fy * ((1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1)))
    assert np.abs(ours - ref).max() < 0.51 + 255 * 2.0 ** -11


def test_half_fast_entry_equals_checked_path(rng):
    # gray widths straddle the 16-output AVX2 and 8-output SSE4.1 steps
    for shape in [(2, 2, 1), (6, 10, 3), (64, 38, 4), (31 * 2, 17 * 2, 1), (40, 66, 2),
                  (4, 2 * 53, 1), (6, 2 * 40, 1), (2, 2 * 16, 1), (8, 2 * 31, 1)]:
        a = rng.integers(0, 256, shape, dtype=np.uint8)
        size = (shape[0] // 2, shape[1] // 2)
        fast = _resize.half_fast(a, size, IT.linear)
        assert fast is not None
        _resize.set_simd(False)
        try:
            np.testing.assert_array_equal(fast, _resize.half_fast(a, size, IT.linear))
        finally:
            _resize.set_simd(True)
        np.testing.assert_array_equal(fast, _resize.half_fast(a, list(size), IT.area))
        checked = g.resize_array(a, (np.int64(size[0]), np.int64(size[1])), "linear")
        np.testing.assert_array_equal(fast, checked)
        ref = (a[0::2, 0::2].astype(np.int32) + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]
               + 2) >> 2
        np.testing.assert_array_equal(fast, ref)
        if shape[2] in (1, 3, 4):
            cv = cv2.resize(a, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
            np.testing.assert_array_equal(fast, cv.reshape(fast.shape))


def test_half_fast_declines_what_needs_checks(rng):
    a = rng.integers(0, 256, (8, 12, 3), dtype=np.uint8)
    for args in [(a, (4, 6), IT.cubic), (a, (4, 6), "linear"), (a, (4, 5), IT.linear),
                 (a, (4, 6, 1), IT.linear), (a, np.array([4, 6]), IT.linear),
                 (a, (4.0, 6), IT.linear), (a, (0, 6), IT.linear), (a, (-4, 6), IT.linear),
                 (a, (2 ** 70, 6), IT.linear), (a.astype(np.uint16), (4, 6), IT.linear),
                 (a[None], (1, 4, 6), IT.linear), (a[:, ::2], (4, 3), IT.linear),
                 (a.view(_Sub), (4, 6), IT.linear), (a.tolist(), (4, 6), IT.linear)]:
        assert _resize.half_fast(*args) is None
    # the checked path still rejects bad sizes clearly
    with pytest.raises(EcvlError, match="size"):
        g.resize_array(a, (0, 6))
    np.testing.assert_array_equal(g.resize_array(a[:, ::2], (4, 3)),
                                  g.resize_array(np.ascontiguousarray(a[:, ::2]), (4, 3)))


def test_half2x2_rejects_a_short_source():
    with pytest.raises(ValueError, match="half2x2"):
        _resize.half2x2(np.zeros((5, 8, 1), np.uint8), np.zeros((3, 4, 1), np.uint8), 1)
