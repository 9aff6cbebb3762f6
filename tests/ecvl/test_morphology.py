"""Morphology against OpenCV (2-D) and scipy.ndimage (volumes)."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc.morph import (
    dilate_array,
    erode_array,
    morphology_array,
    structuring_element,
)

cv2 = pytest.importorskip("cv2")
ndi = pytest.importorskip("scipy.ndimage")

SHAPES = {"rect": cv2.MORPH_RECT, "cross": cv2.MORPH_CROSS, "ellipse": cv2.MORPH_ELLIPSE}
OPS = ["erode", "dilate", "open", "close", "gradient", "tophat", "blackhat"]
CV_OPS = [cv2.MORPH_ERODE, cv2.MORPH_DILATE, cv2.MORPH_OPEN, cv2.MORPH_CLOSE,
          cv2.MORPH_GRADIENT, cv2.MORPH_TOPHAT, cv2.MORPH_BLACKHAT]


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("ksize", [(3, 3), (5, 7), (1, 4), (9, 9)])
def test_structuring_elements_equal_opencv(shape, ksize):
    np.testing.assert_array_equal(structuring_element(shape, ksize),
                                  cv2.getStructuringElement(SHAPES[shape], ksize))


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("op", range(7))
def test_all_ops_uint8_exact(rng, shape, op):
    img = rng.integers(0, 256, (31, 37, 3), dtype=np.uint8)
    se = structuring_element(shape, (5, 3))
    ours = morphology_array(img, OPS[op], se)
    ref = cv2.morphologyEx(img, CV_OPS[op], se)
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64,
                                   np.float32, np.float64])
def test_every_dtype_against_scipy(rng, dtype):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    # scipy's reference works in double: keep int64 within 2**50 so it stays exact
    lo, hi = (max(info.min, -2**50), min(info.max, 2**50)) if info else (0, 0)
    img = (rng.integers(lo, hi, (19, 23), endpoint=True, dtype=dtype) if info
           else rng.normal(size=(19, 23)).astype(dtype))
    se = structuring_element("ellipse", 5).astype(bool)
    # scipy's grey ops mirror the footprint for dilation; a symmetric one avoids the question
    np.testing.assert_array_equal(erode_array(img, se),
                                  ndi.grey_erosion(img, footprint=se, mode="nearest"))
    np.testing.assert_array_equal(dilate_array(img, se),
                                  ndi.grey_dilation(img, footprint=se, mode="nearest"))


def test_anchor_iterations_borders_and_noncontiguous(rng):
    img = rng.integers(0, 256, (40, 50), dtype=np.uint8)[::2, ::3]
    c = np.ascontiguousarray(img)
    se = np.ones((3, 4), np.uint8)
    np.testing.assert_array_equal(erode_array(img, se, anchor=(0, 2), iterations=2),
                                  cv2.erode(c, se, anchor=(0, 2), iterations=2))
    for border, cb in [("replicate", cv2.BORDER_REPLICATE), ("reflect", cv2.BORDER_REFLECT),
                       ("reflect_101", cv2.BORDER_REFLECT_101)]:
        np.testing.assert_array_equal(dilate_array(img, se, border=border),
                                      cv2.dilate(c, se, borderType=cb))
    np.testing.assert_array_equal(
        erode_array(img, se, border="constant", border_value=0),
        cv2.erode(c, se, borderType=cv2.BORDER_CONSTANT, borderValue=0))
    np.testing.assert_array_equal(erode_array(img, se, iterations=0), img)


def test_volume_box_and_ball_match_scipy(rng):
    vol = rng.integers(0, 256, (7, 9, 11, 1), dtype=np.uint8)
    box = np.ones((3, 3, 5), np.uint8)
    np.testing.assert_array_equal(
        erode_array(vol, box)[..., 0], ndi.grey_erosion(vol[..., 0], footprint=box,
                                                        mode="nearest"))
    ball = ndi.generate_binary_structure(3, 1)
    np.testing.assert_array_equal(
        dilate_array(vol, ball)[..., 0], ndi.grey_dilation(vol[..., 0], footprint=ball,
                                                           mode="nearest"))


def test_hit_or_miss_matches_opencv(rng):
    img = ((rng.random((30, 30)) < 0.5) * 255).astype(np.uint8)
    k = np.array([[0, 1, 0], [1, -1, 1], [0, 1, 0]], np.int32)
    np.testing.assert_array_equal(morphology_array(img, "hitmiss", k),
                                  cv2.morphologyEx(img, cv2.MORPH_HITMISS, k))


@pytest.mark.parametrize("call,match", [
    (lambda a: erode_array(a, np.zeros((3, 3))), "nonzero"),
    (lambda a: erode_array(a, np.ones(3)), "2-D"),
    (lambda a: erode_array(a, np.ones((3, 3)), anchor=(3, 0)), "anchor"),
    (lambda a: erode_array(a, np.ones((3, 3)), border="wrap"), "WRAP"),
    (lambda a: erode_array(a, np.ones((3, 3)), iterations=-1), "iterations"),
    (lambda a: morphology_array(a, "median", np.ones((3, 3))), "unknown"),
    (lambda a: structuring_element("disk", 3), "shape"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ecvl.EcvlValueError, match=match):
        call(np.zeros((8, 8), np.uint8))


def test_image_forms(rng):
    arr = rng.integers(0, 256, (10, 12, 1), dtype=np.uint8)
    img = ecvl.Image.from_canonical(arr, "xyc", ecvl.ColorType.GRAY)
    kimg = ecvl.Image.fromarray(np.ones((3, 3), np.uint8), "xy")
    dst = ecvl.Image.empty()
    ecvl.Morphology(img, dst, ecvl.MorphType.MORPH_CLOSE, kimg, [-1, -1], 1)
    np.testing.assert_array_equal(dst.canonical()[..., 0],
                                  cv2.morphologyEx(arr[..., 0], cv2.MORPH_CLOSE,
                                                   np.ones((3, 3), np.uint8)))
    out = ecvl.morphology(img, "gradient", structuring_element("cross", 3))
    assert out.colortype_ == ecvl.ColorType.GRAY and out.dims_ == img.dims_
