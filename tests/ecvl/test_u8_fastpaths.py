"""The uint8 integer fast paths (resize, warp/remap, mirror, transpose, saturating add/sub)
against OpenCV and exact NumPy references, over channel counts and sizes each path
special-cases."""

import numpy as np
import pytest

from ecvl.core import _arith
from ecvl.imgproc import geometric as g
from ecvl.imgproc.geometric import resize as rs

cv2 = pytest.importorskip("cv2")

CV_INTERP = {"linear": 1, "cubic": 2, "area": 3, "lanczos4": 4}


@pytest.mark.parametrize("interp", list(CV_INTERP))
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_resize_u8_channels_match_opencv(rng, interp, channels):
    a = rng.integers(0, 256, (41, 29, channels), dtype=np.uint8)
    for size in [(13, 11), (64, 47), (41, 60), (2, 3)]:
        ours = g.resize_array(a, size, interp)
        ref = cv2.resize(a, (size[1], size[0]), interpolation=CV_INTERP[interp])
        assert np.abs(ours.astype(int) - ref.reshape(ours.shape)).max() <= 1


def test_resize_u8_flat_stays_flat_and_plan_bits(rng):
    for interp in CV_INTERP:
        flat = np.full((30, 45, 3), 201, np.uint8)
        assert np.all(g.resize_array(flat, (17, 71), interp) == 201)
    # Lanczos' negative lobes need fewer fraction bits to stay within int32.
    plan = rs._u8_plan(37, 53, 3, 100, 100, rs.IT.lanczos4, None)
    gain = 255.0 * np.abs(plan[1].reshape(100, 8)).sum(1).max() * \
        np.abs(plan[4].reshape(100, 8)).sum(1).max()
    assert gain < 2.0 ** 31
    assert plan[1].reshape(100, 8).sum(1).tolist() == [1 << (plan[6] // 2)] * 100


def test_resize_tables_are_fresh_copies():
    idx, w = g.resize_tables(10, 4, "linear")
    idx[:] = 0
    w[:] = 0
    idx2, w2 = g.resize_tables(10, 4, "linear")
    assert idx2.any() and w2.any() and idx2.flags.writeable


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_half_resize_u8_exact(rng, channels):
    a = rng.integers(0, 256, (22, 34, channels), dtype=np.uint8)
    ref = (a.astype(int).reshape(11, 2, 17, 2, channels).sum(axis=(1, 3)) + 2) >> 2
    assert np.array_equal(g.resize_array(a, (11, 17), "linear"), ref)


@pytest.mark.parametrize("border", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_warp_u8_matches_opencv(rng, border, channels):
    a = rng.integers(0, 256, (45, 61, channels), dtype=np.uint8)
    m = cv2.getRotationMatrix2D((20.3, 31.7), 37, 1.4)
    ours = g.warp_affine_array(a, m, (50, 70), border=border, value=99)
    ref = cv2.warpAffine(a, m, (70, 50), borderMode=border, borderValue=(99,) * 4)
    assert np.abs(ours.astype(int) - ref.reshape(ours.shape)).max() <= 1


def test_remap_u8_outside_nan_and_far_coordinates(rng):
    a = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mx = rng.uniform(-10, 40, (16, 18)).astype(np.float32)
    my = rng.uniform(-10, 30, (16, 18)).astype(np.float32)
    mx[0, :4] = np.nan
    mx[1, :4] = 1e30
    my[2, :4] = -np.inf
    ours = g.remap_array(a, mx, my, border=0, value=7)
    assert np.all(ours[:3, :4] == 7)
    ref = cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=0, borderValue=(7, 7, 7))
    assert np.abs(ours[3:].astype(int) - ref[3:]).max() <= 1
    rep = g.remap_array(a, mx, my, border=1)
    ref = cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=1)
    assert np.abs(rep[3:].astype(int) - ref[3:]).max() <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 3, 3), (33, 65, 3), (40, 37, 1), (5, 70, 2),
                                   (3, 4, 5)])
def test_mirror_and_transpose_cells(rng, dtype, shape):
    a = rng.integers(0, 100, shape).astype(dtype)
    assert np.array_equal(g.mirror_array(a), a[:, ::-1])
    assert np.array_equal(g.transpose_array(a), a.transpose(1, 0, 2))


@pytest.mark.parametrize("k", [0, 1, 40, 255, 256, -1, -40, -255, -300, 2 ** 31 - 1, -2 ** 31])
def test_u8_saturating_scalar_add_sub(rng, k):
    a = rng.integers(0, 256, 70001, dtype=np.uint8)
    o = np.empty_like(a)
    for op, sign in ((0, 1), (1, -1)):
        _arith.binop_scalar(a, float(k), o, op, False, 2)
        assert np.array_equal(o, np.clip(a.astype(np.int64) + sign * k, 0, 255))


def test_u8_saturating_add_sub(rng):
    a = rng.integers(0, 256, 70001, dtype=np.uint8)
    b = rng.integers(0, 256, 70001, dtype=np.uint8)
    b[:256] = np.arange(256)
    a[:256] = 255 - np.arange(256)
    o = np.empty_like(a)
    _arith.binop(a, b, o, 0, 2)
    assert np.array_equal(o, np.clip(a.astype(int) + b, 0, 255))
    _arith.binop(a, b, o, 1, 2)
    assert np.array_equal(o, np.clip(a.astype(int) - b, 0, 255))
