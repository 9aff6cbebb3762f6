"""Block-based labelling and C border following: raster-order numbering, strip stitching,
thread counts, odd sizes and layouts, against scipy and OpenCV (test-only references)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import ecvl
from ecvl.imgproc.label import find_contours_array, label_array

cv2 = pytest.importorskip("cv2")
ndi = pytest.importorskip("scipy.ndimage")

STRUCT = {4: ndi.generate_binary_structure(2, 1), 8: np.ones((3, 3), bool)}


def _check_labels(mask, conn):
    labels, n = label_array(mask, conn)
    ref, nref = ndi.label(np.asarray(mask) != 0, STRUCT[conn])
    assert n == nref
    np.testing.assert_array_equal(labels, ref)


def _check_contours(mask):
    m8 = np.ascontiguousarray((np.asarray(mask) != 0).astype(np.uint8))
    for mode, cv_mode in (("external", cv2.RETR_EXTERNAL), ("list", cv2.RETR_LIST)):
        ours = find_contours_array(mask, mode)
        ref, _ = cv2.findContours(m8, cv_mode, cv2.CHAIN_APPROX_NONE)
        assert all(c.dtype == np.int32 and c.ndim == 2 and c.shape[1] == 2 for c in ours)
        # same traversals (start point and direction included), in any order
        assert sorted(c.tobytes() for c in ours) == sorted(
            np.ascontiguousarray(c.reshape(-1, 2), np.int32).tobytes() for c in ref)


@pytest.fixture
def threads():
    old = ecvl.get_num_threads()
    yield ecvl.set_num_threads
    ecvl.set_num_threads(old)


@settings(max_examples=150, deadline=None)
@given(mask=arrays(np.uint8, st.tuples(st.integers(1, 13), st.integers(1, 13)),
                   elements=st.sampled_from([0, 0, 1, 255])))
def test_small_masks_equal_scipy_and_opencv(mask):
    for conn in (4, 8):
        _check_labels(mask, conn)
    _check_contours(mask)


def _all_4x4_patterns(offset):
    """Every 4x4 binary pattern, each in its own 6x6 cell at (offset, offset): one image."""
    bits = (np.arange(2 ** 16)[:, None] >> np.arange(16)) & 1
    cells = np.zeros((2 ** 16, 6, 6), np.uint8)
    cells[:, offset:offset + 4, offset:offset + 4] = bits.reshape(-1, 4, 4)
    return cells.reshape(256, 256, 6, 6).transpose(0, 2, 1, 3).reshape(1536, 1536)


@pytest.mark.parametrize("offset", [0, 1])
def test_every_4x4_pattern_at_both_block_parities(offset):
    # the 2x2-block decisions look at a 4x4 window; with the pattern at an even and an odd
    # offset every window content meets every block alignment
    img = _all_4x4_patterns(offset)
    for conn in (4, 8):
        _check_labels(img, conn)
        _check_labels(img[1:, 1:], conn)


def test_every_4x4_pattern_contours():
    img = _all_4x4_patterns(1)[:768]
    _check_contours(img)


def test_lower_row_start_numbered_after_upper_row_start():
    # both components start in block row 0: the left one in pixel row 1, the right one in
    # pixel row 0, so the right one is first in raster order
    m = np.zeros((4, 9), np.uint8)
    m[1, 0] = m[2, 0] = 1
    m[0, 6] = m[1, 5] = 1          # joins its lower-row start through the block on its left
    m[1, 2] = 1
    for conn in (4, 8):
        _check_labels(m, conn)
    assert label_array(m, 8)[0][0, 6] == 1


@pytest.mark.parametrize("shape", [(300, 301), (517, 263), (130, 1001)])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_parallel_strips_equal_scipy(rng, threads, shape, n_threads):
    threads(n_threads)
    noise = (rng.random(shape) < 0.45).astype(np.uint8)
    blobs = (ndi.gaussian_filter(rng.random(shape), 3) > 0.5).astype(np.uint8) * 255
    for mask in (noise, blobs):
        for conn in (4, 8):
            _check_labels(mask, conn)


def test_serpentine_crossing_every_strip_is_one_component(threads):
    # one path winding through all rows: every strip border must be stitched, and the union
    # chains run across all strips
    m = np.zeros((515, 300), np.uint8)
    m[::2] = 1
    m[1::4, -1] = 1
    m[3::4, 0] = 1
    for n_threads in (1, 2, 4):
        threads(n_threads)
        for conn in (4, 8):
            labels, n = label_array(m, conn)
            assert n == 1 and (labels == m).all()
    diag = np.eye(400, dtype=np.uint8)[:, ::-1]   # 8-connected only
    assert label_array(diag, 8)[1] == 1 and label_array(diag, 4)[1] == 400


def test_layouts_and_degenerate_masks(rng):
    base = (rng.random((67, 45)) < 0.5).astype(np.uint8)
    views = [base[::2, ::-1], np.asfortranarray(base), base.T, (base * 7)[..., None],
             base.astype(bool)]
    for v in views:
        for conn in (4, 8):
            _check_labels(np.asarray(v)[..., 0] if np.ndim(v) == 3 else v, conn)
            labels, n = label_array(v, conn)
            assert labels.shape == np.asarray(v).shape[:2] and labels.dtype == np.int32
        _check_contours(np.asarray(v)[..., 0] if np.ndim(v) == 3 else v)
    for shape in [(1, 1), (2, 2), (1, 9), (9, 1), (3, 64)]:
        for fill in (0, 1):
            m = np.full(shape, fill, np.uint8)
            labels, n = label_array(m)
            assert n == fill and (labels == fill).all()
            _check_contours(m)


def test_contours_of_nested_rings_and_holes(rng):
    m = np.zeros((64, 70), np.uint8)
    for k in range(0, 28, 4):                      # concentric square rings
        m[2 + k:62 - k, 2 + k:62 - k] = 1 - (k // 4) % 2
    m[30:33, 63:69] = 1                            # a thick ring with a blob in its hole
    m[20:40, 62:70] = 1
    m[25:35, 64:68] = 0
    m[29:31, 65:67] = 1
    m[0, :] = 1                                    # borders touching the image edge
    m[:, 0] = 1
    _check_contours(m)
    ext = find_contours_array(m, "external")
    assert len(ext) == 2
    for seed in range(4):
        r = np.random.default_rng(seed)
        noisy = (r.random((90, 77)) < (0.3 + 0.15 * seed)).astype(np.uint8)
        _check_contours(noisy)
        _check_contours(cv2.morphologyEx(noisy, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)))


def test_thin_lines_and_isolated_pixels():
    m = np.zeros((20, 30), np.uint8)
    m[5, 2:25] = 1          # horizontal line: every interior pixel visited twice
    m[2:18, 27] = 1         # vertical line along the outer side
    m[10, 10] = m[15, 3] = 1
    idx = np.arange(12)
    m[6 + idx, 12 + idx] = 1  # diagonal attached to the line's underside
    _check_contours(m)
    pts = find_contours_array(m[10:11, 10:11])
    assert len(pts) == 1 and pts[0].tolist() == [[0, 0]]


def test_too_large_mask_is_refused_before_any_work():
    # a broadcast view: huge shape, no memory behind it
    huge = np.broadcast_to(np.zeros(1, np.uint8), (50000, 50000))
    with pytest.raises(ecvl.EcvlValueError, match="ConnectedComponentsLabeling.*too large"):
        label_array(huge)
    with pytest.raises(ecvl.EcvlValueError, match="FindContours.*too large"):
        find_contours_array(huge)
