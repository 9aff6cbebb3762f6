"""The exact integer Filter2D path for uint8 images (_f2du8.h) against OpenCV's filter2D."""

import cv2
import numpy as np
import pytest

import ecvl
from ecvl.imgproc.filters import _filters
from ecvl.imgproc.filters.linear import _small_int_kernel, filter2d_array

_CV_BORDER = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
              "reflect": cv2.BORDER_REFLECT, "reflect_101": cv2.BORDER_REFLECT_101}


def _cv(a, k, border, anchor=(-1, -1)):
    out = cv2.filter2D(a, -1, k.astype(np.float32), anchor=anchor, borderType=_CV_BORDER[border])
    return out.reshape(a.shape)


@pytest.mark.parametrize("border", list(_CV_BORDER) + ["wrap"])
def test_random_integer_kernels_match_opencv(border):
    rng = np.random.default_rng(sum(map(ord, border)))
    for _ in range(10):
        H, W = (int(v) for v in rng.integers(1, 45, 2))
        C = int(rng.choice([1, 2, 3, 4]))
        kh, kw = (int(v) for v in rng.integers(1, 6, 2))
        k = rng.integers(-5, 6, (kh, kw)).astype(np.float64)  # |sum| <= 125
        a = rng.integers(0, 256, (H, W, C), dtype=np.uint8)
        assert _small_int_kernel(k) is not None
        ref = _np_ref(a, k, "wrap") if border == "wrap" else _cv(a, k, border)  # no wrap in cv2
        np.testing.assert_array_equal(filter2d_array(a, k, border=border), ref)


def test_sharpen_sizes_threads_anchor_and_views():
    rng = np.random.default_rng(7)
    k = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float64)
    old = ecvl.get_num_threads()
    try:
        for shape in [(1, 1), (2, 700), (519, 263), (300, 301, 3)]:
            a = rng.integers(0, 256, shape, dtype=np.uint8)
            for n in (1, 2, 3):
                ecvl.set_num_threads(n)
                np.testing.assert_array_equal(filter2d_array(a, k),
                                              _cv(a, k, "reflect_101"))
    finally:
        ecvl.set_num_threads(old)
    base = rng.integers(0, 256, (40, 61, 3), dtype=np.uint8)
    a = base[::2, 1::2]
    c = np.ascontiguousarray(a)
    k2 = np.array([[1, 2, -3, 0], [0, 0, 4, 1]], np.float64)
    np.testing.assert_array_equal(filter2d_array(a, k2, anchor=(3, 0)),
                                  _cv(c, k2, "reflect_101", anchor=(3, 0)))
    np.testing.assert_array_equal(
        filter2d_array(a, k2, border="constant", border_value=300),  # saturated to 255
        _np_ref(c, k2, "constant", 255))


def _np_ref(a, k, mode, value=0):
    kh, kw = k.shape
    pads = ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0))
    kw_ = dict(constant_values=value) if mode == "constant" else {}
    p = np.pad(a.astype(np.int64), pads, mode=mode, **kw_)
    out = np.zeros(a.shape, np.int64)
    for i in range(kh):
        for j in range(kw):
            out += int(k[i, j]) * p[i:i + a.shape[0], j:j + a.shape[1]]
    return np.clip(out, 0, 255).astype(np.uint8)


def test_only_small_integer_kernels_take_the_integer_path():
    assert _small_int_kernel(np.array([[0.5, 1.0]])) is None
    assert _small_int_kernel(np.full((3, 3), 15.0)) is None  # |sum| 135 > 128
    assert _small_int_kernel(np.full((1, 128), -1.0)) is not None
    # integer kernels on either path are exact; fractional ones (float path) within one level
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (33, 35), dtype=np.uint8)
    for k in (np.full((3, 3), 15.0), np.full((1, 128), -1.0), np.full((2, 2), 3.0)):
        np.testing.assert_array_equal(filter2d_array(a, k), _cv(a, k, "reflect_101"))
    k = np.array([[0.25, 0.5, 0.25]])
    diff = filter2d_array(a, k).astype(int) - _cv(a, k, "reflect_101")
    assert np.abs(diff).max() <= 1


def test_kernel_entry_rejects_bad_arguments():
    a = np.zeros((4, 5, 1), np.uint8)
    out = np.empty_like(a)
    k = np.ones((3, 3), np.int16)
    rows = np.arange(-1, 5, dtype=np.intp).clip(-1, 3)
    cols = np.arange(-1, 6, dtype=np.intp).clip(-1, 4)
    _filters.filter2d_u8(a, out, k, rows, cols, 1, 0, 1)
    with pytest.raises(ValueError, match="16-bit"):
        _filters.filter2d_u8(a, out, np.full((3, 3), 20, np.int16), rows, cols, 1, 0, 1)
    with pytest.raises(ValueError, match="out of range"):
        _filters.filter2d_u8(a, out, k, rows + 1, cols, 1, 0, 1)
    with pytest.raises(ValueError, match="do not match"):
        _filters.filter2d_u8(a, out, k, rows[:-1], cols, 1, 0, 1)
    with pytest.raises(ValueError, match="anchor"):
        _filters.filter2d_u8(a, out, k, rows, cols, 3, 0, 1)
