"""The integer fast paths of the non-geometric ops: uint8 Gaussian (OpenCV's 8.8 fixed point,
bit-exact), uint8 box filter (exactly rounded mean), uint8 HSV/YCbCr loops and the histogram
behind Otsu, over the channel counts, sizes, borders and layouts each path special-cases."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc._kernutil import nthreads
from ecvl.imgproc.color import change_color_space_array
from ecvl.imgproc.filters import average_blur_array, blur, gaussian_blur_array
from ecvl.imgproc.thresholding import _threshold, otsu_threshold_array

cv2 = pytest.importorskip("cv2")

BORDERS = {"reflect_101": 4, "replicate": 1, "reflect": 2, "constant": 0}
# widths below, at and above the 32-element SIMD blocks, in 1, 3 and 4 channels
SHAPES = [(1, 1, 1), (1, 9, 3), (9, 1, 1), (7, 5, 4), (13, 11, 1), (33, 37, 3), (20, 64, 4)]


@pytest.fixture
def two_threads():
    old = ecvl.get_num_threads()
    ecvl.set_num_threads(2)
    yield
    ecvl.set_num_threads(old)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("border", list(BORDERS))
def test_gaussian_u8_bit_exact_with_opencv(rng, shape, border):
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    for ksize, sigma in [(3, 0), (5, 0), (7, 0), (9, 0), (11, 0), (1, 0), (0, 2.0), (5, 1.1),
                         (0, 0.6), (25, 4.0)]:
        ours = gaussian_blur_array(img, ksize, sigma, border=border)
        ref = cv2.GaussianBlur(img, (ksize, ksize), sigma, borderType=BORDERS[border])
        np.testing.assert_array_equal(ours, ref.reshape(shape), err_msg=f"{ksize} {sigma}")


def test_gaussian_u8_per_axis_threads_and_layouts(rng, two_threads):
    big = rng.integers(0, 256, (601, 707, 3), dtype=np.uint8)
    assert nthreads(big.size * 20) == 2  # the band split is exercised
    ref = cv2.GaussianBlur(big, (7, 13), sigmaX=1.5, sigmaY=2.5)
    np.testing.assert_array_equal(gaussian_blur_array(big, (7, 13), (1.5, 2.5)), ref)
    view = big[::2, 1::3]  # non-contiguous input
    ref = cv2.GaussianBlur(np.ascontiguousarray(view), (0, 0), 1.7)
    np.testing.assert_array_equal(gaussian_blur_array(view, 0, 1.7), ref)
    gray = big[..., 1]  # 2-D input comes back 2-D
    out = gaussian_blur_array(gray, 5)
    assert out.shape == gray.shape
    np.testing.assert_array_equal(out, cv2.GaussianBlur(np.ascontiguousarray(gray), (5, 5), 0))


def test_gaussian_u8_constant_border_value_and_kernel_taps(rng):
    img = rng.integers(0, 256, (9, 12, 1), dtype=np.uint8)
    out = gaussian_blur_array(img, 5, border="constant", border_value=200)
    pad = np.pad(img[..., 0].astype(np.int64), 2, constant_values=200)
    k = blur._gaussian_kernel_q8(5, 0.0).astype(np.int64)
    rows = sum(k[j] * pad[:, j:j + 12] for j in range(5))
    ref = (sum(k[i] * rows[i:i + 9] for i in range(5)) + (1 << 15)) >> 16
    np.testing.assert_array_equal(out[..., 0], ref)
    for n, s in [(3, 0), (9, 0), (13, 2.0), (61, 10.0), (5, 0.3)]:
        q = blur._gaussian_kernel_q8(n, s)
        assert q.sum() == 256 and np.array_equal(q, q[::-1]) and q.dtype == np.uint16


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("border", list(BORDERS))
def test_box_u8_is_the_rounded_mean(rng, shape, border):
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    for ksize in [(3, 3), (5, 5), (4, 4), (5, 2), (1, 7), (15, 9)]:
        ours = average_blur_array(img, ksize, border=border, border_value=17)
        f = cv2.blur(img.astype(np.float64), ksize, borderType=BORDERS[border]) \
            if border != "constant" else _box_constant(img, ksize, 17)
        np.testing.assert_array_equal(ours, np.floor(f.reshape(shape) + 0.5).astype(np.uint8))
        if border != "constant":
            ref = cv2.blur(img, ksize, borderType=BORDERS[border]).reshape(shape)
            assert np.abs(ours.astype(int) - ref).max() <= 1


def _box_constant(img, ksize, value):
    kx, ky = ksize
    pad = np.pad(img.astype(np.float64), ((ky // 2, ky - 1 - ky // 2), (kx // 2, kx - 1 - kx // 2),
                                           (0, 0)), constant_values=value)
    h, w = img.shape[:2]
    return sum(pad[i:i + h, j:j + w] for i in range(ky) for j in range(kx)) / (kx * ky)


def test_box_u8_large_window_falls_back_exactly(rng, two_threads):
    img = rng.integers(0, 256, (90, 100, 3), dtype=np.uint8)
    assert blur._box_divider(65 * 65) is None or 65 * 65 > 4096  # beyond the integer path
    ours = average_blur_array(img, 65)
    ref = cv2.blur(img, (65, 65))
    assert np.abs(ours.astype(int) - ref).max() <= 1
    big = rng.integers(0, 256, (900, 301, 3), dtype=np.uint8)
    assert nthreads(big.size * 14) == 2
    f = cv2.blur(big.astype(np.float64), (7, 7))
    np.testing.assert_array_equal(average_blur_array(big, 7), np.floor(f + 0.5))
    for n in (1, 2, 9, 25, 49, 4096):
        mul, add, shift = blur._box_divider(n)
        s = np.arange(255 * n + 1, dtype=np.uint64)
        assert np.array_equal((s * mul + add) >> shift, (s + n // 2) // n)


def test_box_divider16_is_exact_or_refused():
    found = 0
    for n in list(range(1, 257)) + [257, 300, 4096]:
        div = blur._box_divider16(n)
        if 255 * n + n // 2 >= 1 << 16:
            assert div is None
        if div is None:
            continue
        found += 1
        mul, add, shift = div
        assert mul < 1 << 16 and 255 * n + add < 1 << 16
        s = np.arange(255 * n + 1, dtype=np.uint64)
        got = ((s + np.uint64(add)) * np.uint64(mul)) >> np.uint64(16 + shift)
        np.testing.assert_array_equal(got, (s + n // 2) // n)
    assert found >= 200  # most boxes have one, the odd squares 3x3 to 15x15 all do
    assert all(blur._box_divider16(k * k) for k in range(3, 16, 2))


@pytest.mark.parametrize("ksize", [(3, 3), (5, 5), (4, 6), (16, 16), (7, 3)])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_box_column_sums_in_16_bits_equal_32_bits(rng, ksize, nthreads):
    # the two running column sums of the box, on noise and on a saturated image (every window
    # sum at the top of its range), widths around the vector lengths
    from ecvl.imgproc._kernutil import border_map, constant_row
    from ecvl.imgproc.filters import _filters

    nx, ny = ksize
    div, div16 = blur._box_divider(nx * ny), blur._box_divider16(nx * ny)
    for shape in [(40, 67, 1), (23, 31, 3), (70, 130, 1)]:
        for img in (rng.integers(0, 256, shape, dtype=np.uint8), np.full(shape, 255, np.uint8)):
            h, w, c = shape
            rows = border_map(h, ny // 2, ny - 1 - ny // 2, "reflect_101")
            cols = border_map(w, nx // 2, nx - 1 - nx // 2, "reflect_101")
            outs = []
            for extra in ((), div16):
                out = np.empty_like(img)
                _filters.sep_u8(img, out, np.ones(nx, np.uint16), np.ones(ny, np.uint32),
                                nx % 2 == 1, ny % 2 == 1, rows, cols, nx // 2,
                                constant_row(np.uint8, w * c, 0), *div, nthreads, *extra)
                outs.append(out)
            np.testing.assert_array_equal(outs[0], outs[1])
    bad = np.zeros((4, 5, 1), np.uint8)
    rows, cols = border_map(4, 1, 1, "replicate"), border_map(5, 1, 1, "replicate")
    args = (bad, bad.copy(), np.ones(3, np.uint16), np.ones(3, np.uint32), True, True, rows, cols,
            1, constant_row(np.uint8, 5, 0), *blur._box_divider(9), 1)
    for wrong in ((1 << 16, 4, 3), (58255, 70000, 3), (58255, 4, 16)):
        with pytest.raises(ValueError, match="16-bit divider"):
            _filters.sep_u8(*args, *wrong)
    with pytest.raises(ValueError, match="16-bit divider"):  # no running column sums
        _filters.sep_u8(*args[:3], np.ones(2, np.uint32), *args[4:6], rows[:-1], *args[7:],
                        58255, 4, 3)


def _hsv_cases():
    """Every (max, min) pair of channel values, the middle one random, in all six orders."""
    rng = np.random.default_rng(5)
    v, m = np.triu_indices(256)
    v, m = m, v  # v >= m
    mid = (m + rng.random(v.size) * (v - m + 1)).astype(np.int64).clip(m, v)
    pix = np.stack([v, m, mid], -1)
    orders = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
    return np.concatenate([pix[:, o] for o in orders]).astype(np.uint8).reshape(-1, 257, 3)


@pytest.mark.parametrize("order", ["RGB", "BGR"])
def test_hsv_ycbcr_u8_bit_exact_over_all_max_min_pairs(order):
    img = _hsv_cases()
    rgb = img if order == "RGB" else np.ascontiguousarray(img[..., ::-1])
    np.testing.assert_array_equal(change_color_space_array(rgb, order, "HSV"),
                                  cv2.cvtColor(img, cv2.COLOR_RGB2HSV))
    ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)[..., [0, 2, 1]]
    np.testing.assert_array_equal(change_color_space_array(rgb, order, "YCbCr"), ycc)
    back = change_color_space_array(ycc, "YCbCr", order)
    ref = cv2.cvtColor(np.ascontiguousarray(ycc[..., [0, 2, 1]]), cv2.COLOR_YCrCb2RGB)
    np.testing.assert_array_equal(back, ref if order == "RGB" else ref[..., ::-1])


def test_color_u8_other_layouts_agree_with_packed_paths(rng):
    rgba = rng.integers(0, 256, (17, 23, 4), dtype=np.uint8)
    rgb = np.ascontiguousarray(rgba[..., :3])
    for dst in ("HSV", "YCbCr", "GRAY", "BGR"):
        np.testing.assert_array_equal(change_color_space_array(rgba, "RGBA", dst),
                                      change_color_space_array(rgb, "RGB", dst))
        view = rgba[::2, ::3, :3]  # non-contiguous
        np.testing.assert_array_equal(change_color_space_array(view, "RGB", dst),
                                      change_color_space_array(np.ascontiguousarray(view), "RGB",
                                                               dst))
    vol = rng.integers(0, 256, (3, 5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(change_color_space_array(vol, "RGB", "HSV")[1],
                                  cv2.cvtColor(vol[1], cv2.COLOR_RGB2HSV))


def test_histogram_u8_partials_and_otsu(rng, two_threads):
    for n in (1, 3, 32768 * 3 + 5, 700001):
        a = rng.integers(0, 256, n, dtype=np.uint8)
        np.testing.assert_array_equal(_threshold.histogram_int(a, 2),
                                      np.bincount(a, minlength=256))
    a = np.full(100003, 7, np.uint8)  # one bin, the case interleaved tables exist for
    assert _threshold.histogram_int(a, 2)[7] == 100003
    img = np.clip(rng.normal(90, 30, (517, 611)), 0, 255).astype(np.uint8)
    img[100:300, 200:400] = np.clip(rng.normal(190, 20, (200, 200)), 0, 255)
    ref, _ = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    assert otsu_threshold_array(img) == int(ref)
    assert otsu_threshold_array(img[::3, ::2]) == int(
        cv2.threshold(np.ascontiguousarray(img[::3, ::2]), 0, 255,
                      cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0])


def test_thread_count_follows_the_work(two_threads):
    assert nthreads() == 2
    assert nthreads(10) == 1
    assert nthreads(1 << 30) == 2


def _morph_ref(a, se, is_max):
    """min/max over the element with OpenCV's neutral constant border, anchor at the centre."""
    kh, kw = se.shape
    info = np.finfo(a.dtype) if a.dtype.kind == "f" else np.iinfo(a.dtype)
    fill = info.min if is_max else info.max
    pad = np.pad(a, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0)),
                 constant_values=fill)
    h, w = a.shape[:2]
    views = [pad[i:i + h, j:j + w] for i in range(kh) for j in range(kw) if se[i, j]]
    return np.max(views, axis=0) if is_max else np.min(views, axis=0)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64,
                                   np.float32, np.float64])
def test_morphology_grouped_rows_every_dtype(rng, dtype):
    from ecvl.imgproc.morph import dilate_array, erode_array, structuring_element

    a = (rng.normal(0, 60, (23, 37, 3)) if np.dtype(dtype).kind == "f"
         else rng.integers(-100, 100, (23, 37, 3)) % (256 if np.dtype(dtype).kind == "u" else 200)
         ).astype(dtype)
    row = rng.integers(0, 2, (1, 7))
    row[0, 3] = 1
    patterned = np.concatenate([row, np.ones((1, 7)), row, row, np.ones((1, 7)), row, row,
                                np.zeros((1, 7)), row]).astype(np.uint8)  # 9 rows, 3 patterns
    for se in (patterned, structuring_element("ellipse", (7, 11)), np.ones((9, 6), np.uint8),
               np.ones((1, 1), np.uint8)):
        if se.shape[0] % 2 == 0 or se.shape[1] % 2 == 0:
            se = np.pad(se, ((0, 1 - se.shape[0] % 2), (0, 1 - se.shape[1] % 2)))
        np.testing.assert_array_equal(erode_array(a, se), _morph_ref(a, se, False))
        np.testing.assert_array_equal(dilate_array(a, se), _morph_ref(a, se, True))


def test_scalar_saturate_cast_matches_the_array_rules():
    from ecvl.core.convert import saturate_cast as core
    from ecvl.imgproc._kernutil import saturate_cast

    values = [0.5, 1.5, 2.5, -0.5, -1.5, 254.5, 255.5, 300.0, -300.0, np.inf, -np.inf, np.nan,
              1e30, -1e30, 127.49999, 2.0 ** 63, 9.3e18, -9.3e18]
    ints = [3, -7, 70000, 2 ** 63 - 1, -2 ** 63]
    for dt in [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32,
               np.float64]:
        for v in [np.float64(x) for x in values] + [np.int64(x) for x in ints]:
            ours, ref = saturate_cast(v, dt), core(np.asarray(v)[None], dt)[0]
            assert type(ours) is type(ref) and (ours == ref or (ours != ours and ref != ref))


# ---------------------------------------------------------------- uint8 3-channel shuffles
from ecvl.imgproc.color import _color  # noqa: E402

_LEVELS = [lv for lv in (0, 1, 2) if lv <= _color._simd_level()]
_GRAY_CV = {"RGB": cv2.COLOR_RGB2GRAY, "BGR": cv2.COLOR_BGR2GRAY}


@pytest.fixture(params=_LEVELS, ids=lambda lv: ("c", "ssse3", "avx2")[lv])
def simd_level(request):
    """Every shuffle kernel the CPU can run (plain C, SSSE3, AVX2), restored afterwards."""
    best = _color._simd_level()
    _color._simd_level(request.param)
    assert _color._simd_level() == request.param
    yield request.param
    _color._simd_level(best)


# widths around the 16- and 32-pixel vector blocks, so every tail length is exercised
@pytest.mark.parametrize("width", [1, 3, 15, 16, 17, 31, 32, 33, 47, 63, 65, 100])
def test_gray_and_bgr_u8_exact_on_every_kernel(rng, simd_level, width):
    img = rng.integers(0, 256, (3, width, 3), dtype=np.uint8)
    extremes = [[255, 255, 255], [0, 0, 0], [255, 0, 255], [0, 255, 0]][: min(width, 4)]
    img[0, : len(extremes)] = extremes
    for src in ("RGB", "BGR"):
        gray = change_color_space_array(img, src, "GRAY")
        np.testing.assert_array_equal(gray[..., 0], cv2.cvtColor(img, _GRAY_CV[src]))
        np.testing.assert_array_equal(change_color_space_array(img, src, src), img)
        other = "BGR" if src == "RGB" else "RGB"
        np.testing.assert_array_equal(change_color_space_array(img, src, other), img[..., ::-1])


def test_shuffle_u8_every_channel_map_and_gray_weights(rng, simd_level):
    pix = rng.integers(0, 256, (16 * 9 + 7, 3), dtype=np.uint8)
    for ix in np.ndindex(3, 3, 3):
        out = np.empty_like(pix)
        _color.shuffle(pix, out, list(ix), np.uint8(0), 1)
        np.testing.assert_array_equal(out, pix[:, list(ix)], err_msg=str(ix))
        gray = np.empty(pix.shape[0], np.uint8)
        _color.rgb_to_gray_u8(pix, gray, *ix, 1)
        p = pix.astype(np.int64)
        ref = (p[:, ix[0]] * 9798 + p[:, ix[1]] * 19235 + p[:, ix[2]] * 3735 + 16384) >> 15
        np.testing.assert_array_equal(gray, ref, err_msg=str(ix))


def test_gray_and_bgr_u8_non_contiguous_and_threaded(rng, two_threads):
    base = rng.integers(0, 256, (300, 410, 4), dtype=np.uint8)
    for img in (base[::2, 1::3, :3], base[:, :, 2::-1], base[5:280, 3:400, 1:].transpose(1, 0, 2)):
        assert not img.flags.c_contiguous
        np.testing.assert_array_equal(change_color_space_array(img, "RGB", "GRAY")[..., 0],
                                      cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY))
        np.testing.assert_array_equal(change_color_space_array(img, "RGB", "BGR"), img[..., ::-1])
    big = rng.integers(0, 256, (1030, 1031, 3), dtype=np.uint8)  # several blocks, odd tail
    np.testing.assert_array_equal(change_color_space_array(big, "BGR", "GRAY")[..., 0],
                                  cv2.cvtColor(big, cv2.COLOR_BGR2GRAY))
    np.testing.assert_array_equal(change_color_space_array(big, "BGR", "RGB"), big[..., ::-1])
