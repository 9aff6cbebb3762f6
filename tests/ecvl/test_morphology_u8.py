"""The uint8 erosion/dilation kernel (_morphu8.h) against OpenCV: every element shape, border,
anchor, channel count and odd size, single- and multi-threaded bands."""

import cv2
import numpy as np
import pytest

import ecvl
from ecvl.imgproc.morph import _morphology, dilate_array, erode_array, structuring_element

_CV_BORDER = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
              "reflect": cv2.BORDER_REFLECT, "reflect_101": cv2.BORDER_REFLECT_101}


def _element(kind, kh, kw, rng):
    if kind == "random":
        se = (rng.random((kh, kw)) < 0.5).astype(np.uint8)
        se[rng.integers(kh), rng.integers(kw)] = 1
        return se
    return structuring_element(kind, (kw, kh))


def _cv(fn, a, se, **kw):
    out = fn(a, se, **kw)
    return out.reshape(a.shape)


@pytest.mark.parametrize("kind", ["rect", "cross", "ellipse", "random"])
@pytest.mark.parametrize("border", list(_CV_BORDER))
def test_matches_opencv_random_shapes(kind, border):
    rng = np.random.default_rng(hash((kind, border)) % 2**32)
    for _ in range(12):
        H, W = (int(v) for v in rng.integers(1, 37, 2))
        C = int(rng.choice([1, 2, 3, 4]))
        kh, kw = (int(v) for v in rng.integers(1, 10, 2))
        se = _element(kind, kh, kw, rng)
        a = rng.integers(0, 256, (H, W, C), dtype=np.uint8)
        kw_cv = dict(borderType=_CV_BORDER[border])
        np.testing.assert_array_equal(dilate_array(a, se, border=border),
                                      _cv(cv2.dilate, a, se, **kw_cv))
        np.testing.assert_array_equal(erode_array(a, se, border=border),
                                      _cv(cv2.erode, a, se, **kw_cv))


def test_anchor_border_value_and_noncontiguous():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (41, 67, 3), dtype=np.uint8)
    a = base[::2, 1::2]  # non-contiguous view
    se = structuring_element("ellipse", (5, 7))
    c = np.ascontiguousarray(a)
    np.testing.assert_array_equal(erode_array(a, se, anchor=(0, 6)),
                                  cv2.erode(c, se, anchor=(0, 6)))
    np.testing.assert_array_equal(
        dilate_array(a, se, border="constant", border_value=200),
        cv2.dilate(c, se, borderType=cv2.BORDER_CONSTANT, borderValue=(200, 200, 200)))
    np.testing.assert_array_equal(
        erode_array(a, se, border="constant", border_value=-5),  # saturated to 0
        cv2.erode(c, se, borderType=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0)))


@pytest.mark.parametrize("shape", [(1, 1), (1, 300), (300, 1), (513, 257), (130, 1031)])
def test_gray_sizes_and_threads(shape):
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    se = structuring_element("ellipse", 5)
    ref_d, ref_e = cv2.dilate(a, se), cv2.erode(a, se)
    old = ecvl.get_num_threads()
    try:
        for n in (1, 2, 3):
            ecvl.set_num_threads(n)
            np.testing.assert_array_equal(dilate_array(a, se), ref_d)
            np.testing.assert_array_equal(erode_array(a, se), ref_e)
    finally:
        ecvl.set_num_threads(old)


def test_wide_elements_fall_back_and_match():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (20, 90), dtype=np.uint8)
    k = _morphology.MAX_U8_KERNEL
    for se in (np.ones((1, k), np.uint8), np.ones((1, k + 3), np.uint8),
               np.ones((k + 1, 1), np.uint8)):
        np.testing.assert_array_equal(dilate_array(a, se), cv2.dilate(a, se))
        np.testing.assert_array_equal(erode_array(a, se), cv2.erode(a, se))


def test_kernel_entry_rejects_bad_arguments():
    a = np.zeros((4, 5, 1), np.uint8)
    out = np.empty_like(a)
    se = np.ones((3, 3), np.uint8)
    rows = np.arange(-1, 5, dtype=np.intp)
    cols = np.arange(-1, 6, dtype=np.intp)
    _morphology.morph_u8(a, out, se, rows.clip(-1, 3), cols.clip(-1, 4), 1, 0, True, 1)
    with pytest.raises(ValueError, match="border map"):
        _morphology.morph_u8(a, out, se, rows, cols, 1, 0, True, 1)  # row 4 out of range
    with pytest.raises(ValueError, match="do not match"):
        _morphology.morph_u8(a, out, se, rows[:-1], cols, 1, 0, True, 1)
    with pytest.raises(ValueError, match="anchor"):
        _morphology.morph_u8(a, out, se, rows.clip(-1, 3), cols.clip(-1, 4), 3, 0, True, 1)
    with pytest.raises(ValueError, match="one shape"):
        _morphology.morph_u8(a, np.empty((4, 6, 1), np.uint8), se, rows, cols, 1, 0, True, 1)


@pytest.mark.parametrize("nthreads", [1, 2, 3])
def test_elements_of_identical_rows_pair_their_outputs(nthreads):
    # rows all alike (rectangles, or a repeated pattern of several columns) run two output
    # rows per shared column maximum: odd and even heights, bands starting at odd rows
    rng = np.random.default_rng(nthreads)
    old = ecvl.get_num_threads()
    try:
        ecvl.set_num_threads(nthreads)
        for se in (np.ones((3, 3), np.uint8), np.ones((5, 5), np.uint8), np.ones((4, 2), np.uint8),
                   np.ones((7, 1), np.uint8), np.tile(np.array([[1, 0, 1, 1]], np.uint8), (6, 1))):
            for shape in [(1, 9), (2, 5), (3, 7), (64, 33), (1037, 97), (300, 41, 3)]:
                a = rng.integers(0, 256, shape, dtype=np.uint8)
                for border in _CV_BORDER:
                    kw_cv = dict(borderType=_CV_BORDER[border])
                    np.testing.assert_array_equal(dilate_array(a, se, border=border),
                                                  _cv(cv2.dilate, a, se, **kw_cv))
                    np.testing.assert_array_equal(erode_array(a, se, border=border),
                                                  _cv(cv2.erode, a, se, **kw_cv))
    finally:
        ecvl.set_num_threads(old)
    # the kernel itself in bands (the public functions keep images this small on one thread)
    from ecvl.imgproc._kernutil import border_map

    a = rng.integers(0, 256, (1037, 97, 1), dtype=np.uint8)
    se = np.ones((5, 5), np.uint8)
    rows, cols = border_map(1037, 2, 2, "reflect_101"), border_map(97, 2, 2, "reflect_101")
    one, banded = np.empty_like(a), np.empty_like(a)
    _morphology.morph_u8(a, one, se, rows, cols, 2, 0, True, 1)
    _morphology.morph_u8(a, banded, se, rows, cols, 2, 0, True, nthreads)
    np.testing.assert_array_equal(banded, one)
    np.testing.assert_array_equal(one[..., 0], cv2.dilate(a, se, borderType=cv2.BORDER_REFLECT_101))
