"""Connected components, contours and thinning against scipy, OpenCV and scikit-image."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc.label import find_contours_array, label_array, skeletonize_array

cv2 = pytest.importorskip("cv2")
ndi = pytest.importorskip("scipy.ndimage")
skmorph = pytest.importorskip("skimage.morphology")

STRUCT = {4: ndi.generate_binary_structure(2, 1), 8: np.ones((3, 3), bool)}


@pytest.mark.parametrize("shape", [(1, 1), (1, 17), (23, 1), (64, 80), (257, 131)])
@pytest.mark.parametrize("conn", [4, 8])
@pytest.mark.parametrize("density", [0.2, 0.5, 0.8])
def test_labels_equal_scipy_exactly(rng, shape, conn, density):
    mask = (rng.random(shape) < density).astype(np.uint8)
    labels, n = label_array(mask, conn)
    ref, nref = ndi.label(mask, STRUCT[conn])
    assert n == nref
    np.testing.assert_array_equal(labels, ref)  # same raster-order numbering
    assert labels.dtype == np.int32


def test_labels_match_opencv_count_and_partition(rng):
    mask = (ndi.gaussian_filter(rng.random((300, 300)), 2) > 0.52).astype(np.uint8)
    for conn in (4, 8):
        n_cv, lab_cv = cv2.connectedComponents(mask, connectivity=conn)
        labels, n = label_array(mask, conn)
        assert n + 1 == n_cv
        # same partition: the pairs (ours, theirs) form a bijection
        pairs = np.unique(np.stack([labels.ravel(), lab_cv.ravel()]), axis=1)
        assert pairs.shape[1] == n + 1


def test_label_threads_do_not_change_result(rng):
    mask = (rng.random((200, 150)) < 0.55).astype(np.uint8)
    old = ecvl.set_num_threads(1)
    try:
        one = label_array(mask)[0]
    finally:
        ecvl.set_num_threads(old)
    ecvl.set_num_threads(2)
    try:
        np.testing.assert_array_equal(label_array(mask)[0], one)
    finally:
        ecvl.set_num_threads(old)


def test_label_accepts_bool_and_nonbinary_values():
    m = np.array([[0, 5, 0], [0, 7, 0]], np.int16)
    labels, n = label_array(m > 0)
    assert n == 1
    assert label_array(m)[1] == 1
    with pytest.raises(ecvl.EcvlValueError, match="connectivity"):
        label_array(m, 6)
    with pytest.raises(ecvl.EcvlValueError, match="single-channel"):
        label_array(np.zeros((4, 4, 3), np.uint8))


def _as_sets(contours):
    return sorted(sorted(map(tuple, np.asarray(c).reshape(-1, 2).tolist())) for c in contours)


@pytest.mark.parametrize("mode,cv_mode", [("external", cv2.RETR_EXTERNAL),
                                          ("list", cv2.RETR_LIST)])
def test_contours_equal_opencv(rng, mode, cv_mode):
    m = np.zeros((40, 50), np.uint8)
    m[5:30, 5:40] = 1
    m[10:20, 10:20] = 0
    m[12:15, 12:15] = 1
    m[35, 45] = 1
    m[2:4, 44:49] = 1
    rand = cv2.morphologyEx((rng.random((60, 70)) < 0.6).astype(np.uint8), cv2.MORPH_CLOSE,
                            np.ones((3, 3), np.uint8))
    for mask in (m, rand):
        ours = find_contours_array(mask, mode)
        ref, _ = cv2.findContours(mask, cv_mode, cv2.CHAIN_APPROX_NONE)
        assert len(ours) == len(ref)
        assert _as_sets(ours) == _as_sets(ref)
        # the traversal itself matches too
        assert sorted(c.tolist() for c in ours) == sorted(c.reshape(-1, 2).tolist() for c in ref)


def test_contours_of_empty_and_full_masks():
    assert find_contours_array(np.zeros((5, 5), np.uint8)) == []
    full = find_contours_array(np.ones((3, 4), np.uint8))
    assert len(full) == 1 and len(full[0]) == 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_skeleton_equals_skimage_thin(seed):
    rng = np.random.default_rng(seed)
    m = ndi.binary_closing(rng.random((70, 90)) < 0.55, np.ones((5, 5))).astype(np.uint8)
    ours = skeletonize_array(m) > 0
    np.testing.assert_array_equal(ours, skmorph.thin(m > 0))


def test_skeleton_of_rectangle_is_a_line():
    m = np.zeros((20, 40), np.uint8)
    m[5:15, 5:35] = 1
    sk = skeletonize_array(m) > 0
    assert sk.sum() < 40 and label_array(sk)[1] == 1
    assert skeletonize_array(m, max_iter=1).sum() > sk.sum() * 255


def test_image_forms():
    arr = np.zeros((6, 7, 1), np.uint8)
    arr[1:3, 1:3] = 255
    arr[4:6, 4:7] = 255
    img = ecvl.Image.from_canonical(arr, "xyc", ecvl.ColorType.GRAY)
    dst = ecvl.Image.empty()
    assert ecvl.ConnectedComponentsLabeling(img, dst) == 3
    assert dst.elemtype_ == ecvl.DataType.int32 and dst.dims_ == img.dims_
    contours = ecvl.FindContours(img)
    assert len(contours) == 2 and all(len(p) == 2 for c in contours for p in c)
    ecvl.Skeletonize(img, dst)
    assert dst.dims_ == img.dims_
