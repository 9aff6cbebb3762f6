"""uint8 colour kernels on every instruction-set path, block split and store mode, against
OpenCV (bit-exact)."""

import itertools

import numpy as np
import pytest

import ecvl
from ecvl.imgproc.color import _color
from ecvl.imgproc.color import change_color_space_array as ccs

cv2 = pytest.importorskip("cv2")

_LEVELS = [lv for lv in (0, 1, 2) if lv <= _color._simd_level()]
# (ecvl target, OpenCV code from RGB, OpenCV code from BGR, channel order of OpenCV's result)
_TARGETS = [
    ("GRAY", cv2.COLOR_RGB2GRAY, cv2.COLOR_BGR2GRAY, None),
    ("HSV", cv2.COLOR_RGB2HSV, cv2.COLOR_BGR2HSV, None),
    ("YCbCr", cv2.COLOR_RGB2YCrCb, cv2.COLOR_BGR2YCrCb, [0, 2, 1]),
]


@pytest.fixture(params=_LEVELS, ids=lambda lv: ("c", "ssse3", "avx2")[lv])
def simd_level(request):
    """Every kernel the CPU can run (plain C, SSSE3, AVX2), restored afterwards."""
    best = _color._simd_level()
    _color._simd_level(request.param)
    yield request.param
    _color._simd_level(best)


def _opencv(img, code, order):
    ref = cv2.cvtColor(img, code)
    ref = ref[..., None] if ref.ndim == 2 else ref
    return ref[..., order] if order else ref


def _cube_and_noise(rng, width):
    """Rows of `width` pixels: the whole RGB cube on a coarse grid (every hue sector, grays,
    saturated extremes), then random pixels."""
    grid = np.array(list(itertools.product(range(0, 256, 17), repeat=3)), np.uint8)
    rows = -(-len(grid) // width) + 2
    pix = rng.integers(0, 256, (rows * width, 3), dtype=np.uint8)
    pix[: len(grid)] = grid
    return pix.reshape(rows, width, 3)


# widths around the 16- and 32-pixel vector blocks and the 256-pixel HSV chunk
@pytest.mark.parametrize("width", [1, 7, 31, 32, 33, 95, 255, 257, 300])
def test_conversions_exact_on_every_kernel(rng, simd_level, width):
    img = _cube_and_noise(rng, width)
    for dst, code_rgb, code_bgr, order in _TARGETS:
        np.testing.assert_array_equal(ccs(img, "RGB", dst), _opencv(img, code_rgb, order),
                                      err_msg=f"RGB->{dst}")
        np.testing.assert_array_equal(ccs(img, "BGR", dst), _opencv(img, code_bgr, order),
                                      err_msg=f"BGR->{dst}")
    np.testing.assert_array_equal(ccs(img, "RGB", "BGR"), img[..., ::-1])


@pytest.mark.parametrize("nthreads", [1, 2])
def test_several_blocks_and_threads_match_one_call(rng, nthreads):
    # 2 x 65536-pixel blocks plus a tail that is not a multiple of the vector width
    img = rng.integers(0, 256, (263, 501, 3), dtype=np.uint8)
    ecvl.set_num_threads(nthreads)
    for dst, code_rgb, _, order in _TARGETS:
        np.testing.assert_array_equal(ccs(img, "RGB", dst), _opencv(img, code_rgb, order))
    np.testing.assert_array_equal(ccs(img, "RGB", "BGR"), img[..., ::-1])
    pix = img.reshape(-1, 3)
    for name, k in [("rgb_to_hsv_u8", cv2.COLOR_RGB2HSV), ("rgb_to_ycbcr_u8", None)]:
        out = np.empty_like(pix)
        getattr(_color, name)(pix, out, 0, 1, 2, nthreads)
        ref = cv2.cvtColor(img, k) if k is not None else cv2.cvtColor(
            img, cv2.COLOR_RGB2YCrCb)[..., [0, 2, 1]]
        np.testing.assert_array_equal(out.reshape(img.shape), ref, err_msg=name)


@pytest.mark.parametrize("offset", [0, 1, 5, 16])
@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("stream", [1, 0])
def test_streaming_shuffle_on_unaligned_destinations(rng, offset, nthreads, stream):
    # the non-temporal store path aligns its stores after a head of up to 31 pixels:
    # destinations at every alignment, odd pixel count, streamed or through the cache
    n = (1 << 20) // 3 + 1001
    pix = rng.integers(0, 256, (n, 3), dtype=np.uint8)
    buf = np.full(3 * n + 64, 7, np.uint8)
    out = buf[offset:offset + 3 * n].reshape(n, 3)
    assert out.flags.c_contiguous
    _color.shuffle(pix, out, [2, 1, 0], np.uint8(0), nthreads, stream)
    np.testing.assert_array_equal(out, pix[:, ::-1])
    assert (buf[:offset] == 7).all() and (buf[offset + 3 * n:] == 7).all()


@pytest.mark.parametrize("shape", [(1200, 2400, 3), (1700, 3301, 3)])  # 8.6 MB, 16.8 MB
def test_streaming_size_through_the_public_function(rng, shape):
    # below and above the size from which the shuffle streams its output
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    out = ccs(img, "BGR", "RGB")
    np.testing.assert_array_equal(out, cv2.cvtColor(img, cv2.COLOR_BGR2RGB))


def test_kernels_on_unaligned_source_and_destination(rng, simd_level):
    # the vector loops use unaligned loads and stores: pixel data at any byte offset
    n = 301
    img = rng.integers(0, 256, (1, n, 3), dtype=np.uint8)
    refs = {"rgb_to_gray_u8": cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).reshape(n),
            "rgb_to_hsv_u8": cv2.cvtColor(img, cv2.COLOR_RGB2HSV).reshape(n, 3),
            "rgb_to_ycbcr_u8": cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)[..., [0, 2, 1]].reshape(n, 3)}
    for so, do in [(1, 0), (0, 3), (5, 7), (13, 30)]:
        src = np.empty(3 * n + 32, np.uint8)[so:so + 3 * n].reshape(n, 3)
        src[:] = img.reshape(n, 3)
        for name, ref in refs.items():
            dst = np.empty(ref.size + 32, np.uint8)[do:do + ref.size].reshape(ref.shape)
            getattr(_color, name)(src, dst, 0, 1, 2, 1)
            np.testing.assert_array_equal(dst, ref, err_msg=f"{name} offsets {so}, {do}")


@pytest.mark.parametrize("name", ["rgb_to_gray_u8", "rgb_to_ycbcr_u8", "rgb_to_hsv_u8",
                                  "ycbcr_to_rgb_u8", "hsv_to_rgb_u8"])
def test_private_kernels_reject_bad_channel_indices(name):
    src = np.zeros((4, 3), np.uint8)
    dst = np.zeros(4, np.uint8) if name == "rgb_to_gray_u8" else np.zeros((4, 3), np.uint8)
    for idx in [(0, 1, 3), (-1, 1, 2), (0, -5, 2)]:
        with pytest.raises(ValueError):
            getattr(_color, name)(src, dst, *idx, 1)
