"""The SIMD paths of the geometric kernels give the same bytes as their scalar paths.

The uint8 horizontal resize pass, the uint8 bilinear warp/remap, the 3-byte mirror and the
1-byte transpose each have a vectorised path chosen at run time; every test runs an op with
the SIMD paths on and off and asserts identical results (and, where OpenCV has the op,
agreement with it within one intensity level). Sizes straddle the group widths (4 outputs,
5 mirrored pixels, 8x8 transpose blocks) and the edges where loads would leave the image.
"""

import numpy as np
import pytest

from ecvl.imgproc import geometric as g
from ecvl.imgproc.geometric import _flip, _resize, _warp
from ecvl.imgproc.geometric import resize as rs

cv2 = pytest.importorskip("cv2")

CV_INTERP = {"linear": 1, "cubic": 2, "area": 3}


@pytest.fixture
def both_paths():
    """Run a callable with the SIMD paths on, then off; return both results."""
    def run(fn):
        outs = []
        for on in (True, False):
            for mod in (_flip, _resize, _warp):
                mod.set_simd(on)
            try:
                outs.append(fn())
            finally:
                for mod in (_flip, _resize, _warp):
                    mod.set_simd(True)
        return outs
    return run


@pytest.mark.parametrize("interp", list(CV_INTERP))
@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_resize_u8_simd_equals_scalar_and_opencv(rng, both_paths, interp, channels):
    a = rng.integers(0, 256, (23, 37, channels), dtype=np.uint8)
    for size in [(11, 13), (23, 36), (31, 57), (5, 4), (2, 3), (40, 100), (23, 7)]:
        simd, scalar = both_paths(lambda: g.resize_array(a, size, interp))
        assert np.array_equal(simd, scalar), size
        if channels <= 4:
            ref = cv2.resize(a, (size[1], size[0]), interpolation=CV_INTERP[interp])
            assert np.abs(simd.astype(int) - ref.reshape(simd.shape)).max() <= 1, size


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 8, 9])
def test_resize_u8_narrow_sources(rng, both_paths, width):
    # Sources narrower than the taps or the loads keep the scalar pass.
    for c in (1, 3, 4):
        a = rng.integers(0, 256, (6, width, c), dtype=np.uint8)
        for interp in ("linear", "cubic"):
            simd, scalar = both_paths(lambda: g.resize_array(a, (9, 2 * width + 1), interp))
            assert np.array_equal(simd, scalar)
            ref = cv2.resize(a, (2 * width + 1, 9), interpolation=CV_INTERP[interp])
            assert np.abs(simd.astype(int) - ref.reshape(simd.shape)).max() <= 1


def test_resize_u8_noncontiguous_input(rng, both_paths):
    big = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    a = big[::2, 1::2, :3]
    simd, scalar = both_paths(lambda: g.resize_array(a, (13, 21), "cubic"))
    assert np.array_equal(simd, scalar)
    ref = cv2.resize(np.ascontiguousarray(a), (21, 13), interpolation=cv2.INTER_CUBIC)
    assert np.abs(simd.astype(int) - ref).max() <= 1


def test_consecutive_taps_fold_keeps_weights():
    for ssize, dsize, interp in ((10, 4, "linear"), (10, 23, "cubic"), (7, 3, "area"),
                                 (5, 12, "linear"), (4, 9, "cubic")):
        idx, w = g.resize_tables(ssize, dsize, interp)
        first, w2 = rs._consecutive(idx, w, ssize)
        k = idx.shape[1]
        assert first.min() >= 0 and first.max() <= ssize - k
        dense = np.zeros((dsize, ssize))
        np.add.at(dense, (np.repeat(np.arange(dsize), k), idx.ravel()), w.ravel())
        folded = np.zeros((dsize, ssize))
        np.add.at(folded, (np.repeat(np.arange(dsize), k),
                           (first[:, None] + np.arange(k)).ravel()), w2.ravel())
        assert np.allclose(dense, folded)
    # Fewer source pixels than taps: no window exists.
    idx, w = g.resize_tables(3, 8, "cubic")
    assert rs._consecutive(idx, w, 3) is None


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("border", [0, 1, 2, 3, 4, 5])
def test_warp_u8_simd_equals_scalar_and_opencv(rng, both_paths, channels, border):
    for shape in [(45, 61), (2, 3), (3, 2), (1, 5), (7, 9)]:
        a = rng.integers(0, 256, shape + (channels,), dtype=np.uint8)
        for angle in (37, 3, 90):
            m = cv2.getRotationMatrix2D((shape[1] / 2.3, shape[0] / 1.7), angle, 1.4)
            simd, scalar = both_paths(lambda: g.warp_affine_array(a, m, (21, 31), border=border,
                                                                  value=99))
            assert np.array_equal(simd, scalar), (shape, angle)
            if border != 5 and channels != 2:
                ref = cv2.warpAffine(a, m, (31, 21), borderMode=border, borderValue=(99,) * 4)
                assert np.abs(simd.astype(int) - ref.reshape(simd.shape)).max() <= 1


def test_remap_u8_simd_nan_and_far(rng, both_paths):
    a = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mx = rng.uniform(-3, 33, (16, 19)).astype(np.float32)
    my = rng.uniform(-3, 23, (16, 19)).astype(np.float32)
    mx[0, 1:6] = np.nan
    my[1, :7] = 1e30
    mx[2, 3:9] = -np.inf
    for c in (1, 3, 4):
        img = np.ascontiguousarray(np.broadcast_to(a[..., :1], a.shape[:2] + (c,)))
        img = img + np.arange(c, dtype=np.uint8)
        simd, scalar = both_paths(lambda: g.remap_array(img, mx, my, border=0, value=7))
        assert np.array_equal(simd, scalar)
        assert np.all(simd[0, 1:6] == 7) and np.all(simd[1, :7] == 7)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(3, 1, 3), (4, 2, 1), (5, 3, 1), (3, 6, 1), (3, 7, 1),
                                   (2, 11, 1), (9, 16, 1), (17, 33, 1), (4, 40, 3)])
def test_mirror_flip_transpose_simd(rng, both_paths, dtype, shape):
    a = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    for fn, ref in ((g.mirror_array, a[:, ::-1]), (g.flip_array, a[::-1]),
                    (g.transpose_array, a.transpose(1, 0, 2))):
        simd, scalar = both_paths(lambda: fn(a))
        assert np.array_equal(simd, ref) and np.array_equal(scalar, ref)
    # RGB pixels: the 5-pixel shuffle groups with every remainder.
    for w in range(1, 14):
        rgb = rng.integers(0, 256, (2, w, 3), dtype=np.uint8)
        simd, scalar = both_paths(lambda: g.mirror_array(rgb))
        assert np.array_equal(simd, rgb[:, ::-1]) and np.array_equal(scalar, rgb[:, ::-1])


def test_flip_volume_and_noncontiguous(rng):
    v = rng.integers(0, 256, (3, 5, 7, 2), dtype=np.uint8)
    assert np.array_equal(g.flip_array(v), v[:, ::-1])
    a = rng.integers(0, 256, (10, 12, 4), dtype=np.uint8)[1::2, ::3, 1:]
    assert np.array_equal(g.flip_array(a), a[::-1])
    assert np.array_equal(g.mirror_array(a), a[:, ::-1])
    assert np.array_equal(g.transpose_array(a), a.transpose(1, 0, 2))


def test_set_simd_reports_state():
    try:
        for mod in (_flip, _resize, _warp):
            assert mod.set_simd(False) is False
    finally:
        for mod in (_flip, _resize, _warp):
            assert isinstance(mod.set_simd(True), bool)


# One-thread calls skip the OpenMP team (small images): the serial loops must give the bytes
# of the parallel ones, at every pixel size the byte kernels distinguish.
@pytest.mark.parametrize("psz", [1, 2, 3, 4, 5, 8, 12, 16, 20])
def test_flip_kernels_serial_equal_parallel(rng, psz):
    h, w = 37, 45  # more rows than one dynamic chunk, more columns than one transpose band
    rows = rng.integers(0, 256, (h, w * psz), dtype=np.uint8)
    for kernel, shape, arg in ((_flip.flip_rows, (h, w * psz), h),
                               (_flip.mirror, (h, w * psz), psz),
                               (_flip.transpose, (w, h * psz), psz)):
        outs = []
        for n in (1, 2):
            out = np.zeros(shape, np.uint8)
            kernel(rows, out, arg, n)
            outs.append(out)
        np.testing.assert_array_equal(outs[0], outs[1])
    # and against NumPy
    px = rows.reshape(h, w, psz)
    out = np.zeros((w, h * psz), np.uint8)
    _flip.transpose(rows, out, psz, 1)
    np.testing.assert_array_equal(out.reshape(w, h, psz), px.transpose(1, 0, 2))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_fast_entries_equal_byte_row_kernels(rng, dtype, channels):
    # The one-call entries (plain canonical arrays) and the checked byte-row path agree.
    a = rng.integers(0, 200, (23, 19, channels)).astype(dtype)
    psz = channels * a.itemsize
    for fast, row_kernel, arg in ((_flip.flip_fast, _flip.flip_rows, 23),
                                  (_flip.mirror_fast, _flip.mirror, psz)):
        for n in (1, 2):
            rows = np.zeros((23, 19 * psz), np.uint8)
            row_kernel(a.reshape(23, -1).view(np.uint8), rows, arg, n)
            np.testing.assert_array_equal(fast(a).view(np.uint8).reshape(23, -1), rows)
    t = np.zeros((19, 23 * psz), np.uint8)
    _flip.transpose(a.reshape(23, -1).view(np.uint8), t, psz, 1)
    np.testing.assert_array_equal(_flip.transpose_fast(a).view(np.uint8).reshape(19, -1), t)
    np.testing.assert_array_equal(g.flip_array(a), a[::-1])
    np.testing.assert_array_equal(g.mirror_array(a), a[:, ::-1])
    np.testing.assert_array_equal(g.transpose_array(a), a.transpose(1, 0, 2))


def test_fast_entries_decline_what_needs_checks(rng):
    # Anything but a plain canonical array is left to the checked path (None), which
    # converts it or raises a clear error.
    class Sub(np.ndarray):
        pass

    a = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    declined = [a[:, ::2], a.astype(">u2"), a.astype(np.complex64), a.astype(bool),
                np.zeros((0, 4, 1), np.uint8), a[..., 0], a.tolist(), a.view(Sub),
                a[None, None]]
    for fast in (_flip.flip_fast, _flip.mirror_fast, _flip.transpose_fast):
        for x in declined:
            assert fast(x) is None
    assert _flip.transpose_fast(a[None]) is None  # volumes: per slice, in Python
    v = rng.integers(0, 255, (3, 6, 8, 2), dtype=np.uint8)
    np.testing.assert_array_equal(_flip.flip_fast(v), v[:, ::-1])
    np.testing.assert_array_equal(_flip.mirror_fast(v), v[:, :, ::-1])
    np.testing.assert_array_equal(g.transpose_array(v), v.transpose(0, 2, 1, 3))
    np.testing.assert_array_equal(g.mirror_array(a[:, ::2]), a[:, ::2][:, ::-1])
    np.testing.assert_array_equal(g.flip_array(a.astype(">u2")), a[::-1])


def test_flip_kernels_reject_mismatched_outputs():
    with pytest.raises(ValueError, match="transpose"):
        _flip.transpose(np.zeros((6, 4), np.uint8), np.zeros((6, 4), np.uint8), 1, 1)
    with pytest.raises(ValueError, match="flip_rows"):
        _flip.flip_rows(np.zeros((6, 4), np.uint8), np.zeros((6, 4), np.uint8), 4, 1)
    with pytest.raises(ValueError, match="mirror"):
        _flip.mirror(np.zeros((6, 4), np.uint8), np.zeros((6, 4), np.uint8), 3, 1)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_half_resize_serial_equals_parallel(rng, channels):
    a = rng.integers(0, 256, (66, 70, channels), dtype=np.uint8)
    outs = []
    for n in (1, 2):
        out = np.zeros((33, 35, channels), np.uint8)
        _resize.half2x2(a, out, n)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])
    ref = (a[0::2, 0::2].astype(np.int32) + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2] + 2) >> 2
    np.testing.assert_array_equal(outs[0], ref)


def test_small_gray_public_ops_match_numpy_and_opencv(rng):
    a = rng.integers(0, 256, (64, 48, 1), dtype=np.uint8)
    np.testing.assert_array_equal(g.flip_array(a), a[::-1])
    np.testing.assert_array_equal(g.mirror_array(a), a[:, ::-1])
    np.testing.assert_array_equal(g.transpose_array(a), a.transpose(1, 0, 2))
    np.testing.assert_array_equal(g.resize_array(a, (32, 24))[..., 0],
                                  cv2.resize(a, (24, 32), interpolation=cv2.INTER_LINEAR))


@pytest.mark.parametrize("value", [0, 7, 300.5, -2, [5], np.float32(9)])
def test_warp_constant_border_fills_every_pixel(rng, value):
    # The output is allocated uninitialised unless the border is transparent: a constant
    # border must still write every pixel, whatever the scalar type of `value`.
    a = rng.integers(0, 256, (20, 30, 1), dtype=np.uint8)
    m = np.array([[1.0, 0.2, 15.0], [-0.1, 1.0, 9.0]])
    ours = g.warp_affine_array(a, m, value=value)
    ref = g.warp_affine_array(a, m, value=value, out=np.full_like(a, 77))
    np.testing.assert_array_equal(ours, ref)
    v = float(np.ravel(value)[0])
    assert (ours == int(min(max(round(v), 0), 255))).sum() > 0


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_warp_u8_groups_wholly_outside_take_the_constant(rng, both_paths, channels):
    # A 45-degree turn leaves the output's corners (whole runs of four samples) outside.
    a = rng.integers(0, 256, (40, 52, channels), dtype=np.uint8)
    value = [11, 22, 33, 44][:channels]
    simd, scalar = both_paths(lambda: g.rotate_array(a, 45, value=value))
    np.testing.assert_array_equal(simd, scalar)
    np.testing.assert_array_equal(simd[0, :4], np.tile(np.array(value, np.uint8), (4, 1)))
    ref = cv2.warpAffine(a, cv2.getRotationMatrix2D((25.5, 19.5), -45, 1.0), (52, 40),
                         borderValue=tuple(value) + (0,) * (4 - channels))
    assert np.abs(simd.astype(int) - ref.reshape(simd.shape)).max() <= 1


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_warp_u8_multichannel_groups_of_eight_over_tiles(rng, both_paths, channels, nthreads):
    # 3- and 4-channel samples go eight at a time (AVX2) with the SSE4.1 kernel for groups
    # that cross the image's edge: outputs spanning several 64 x 128 tiles, widths that leave
    # a partial group, constant and replicated borders, against the scalar path and OpenCV
    import ecvl

    a = rng.integers(0, 256, (150, 269, channels), dtype=np.uint8)
    old = ecvl.set_num_threads(nthreads)
    try:
        for angle, border, size in ((30, 0, (150, 269)), (-7.5, 1, (131, 259)),
                                    (181, 0, (70, 133))):
            h, w = size
            m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -angle, 1.0)
            simd, scalar = both_paths(lambda: g.warp_affine_array(a, m, size, border=border,
                                                                  value=9))
            assert np.array_equal(simd, scalar), (angle, border)
            ref = cv2.warpAffine(a, m, (w, h), borderMode=border, borderValue=(9,) * 4)
            assert np.abs(simd.astype(int) - ref.reshape(simd.shape)).max() <= 1
    finally:
        ecvl.set_num_threads(old)
