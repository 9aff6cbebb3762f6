"""Drawing, mask overlays and inpainting."""

import numpy as np
import pytest

import ecvl
from ecvl.imgproc.draw import draw_contours_array, draw_ellipse_array, overlay_mask_array
from ecvl.imgproc.label import find_contours_array
from ecvl.imgproc.restoration import inpaint_array

cv2 = pytest.importorskip("cv2")


def _iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


@pytest.mark.parametrize("angle", [0, 30, 90, 135])
def test_filled_ellipse_close_to_opencv(angle):
    ours = draw_ellipse_array(np.zeros((80, 90), np.uint8), (45, 40), (30, 15), angle, 255, -1)
    ref = cv2.ellipse(np.zeros((80, 90), np.uint8), (45, 40), (30, 15), angle, 0, 360, 255, -1)
    assert _iou(ours > 0, ref > 0) > 0.93


def test_ellipse_outline_and_color_per_channel():
    img = np.zeros((60, 60, 3), np.uint8)
    draw_ellipse_array(img, (30, 30), (20, 10), 0, (1, 2, 3), 2)
    ref = cv2.ellipse(np.zeros((60, 60), np.uint8), (30, 30), (20, 10), 0, 0, 360, 1, 2)
    assert _iou(img[..., 0] > 0, ref > 0) > 0.6
    assert set(map(tuple, img.reshape(-1, 3).tolist())) == {(0, 0, 0), (1, 2, 3)}
    assert img[30, 30].tolist() == [0, 0, 0]
    with pytest.raises(ecvl.EcvlValueError):
        draw_ellipse_array(img, (30, 30), (5, 5), 0, (1, 2), 1)


def test_contours_round_trip():
    m = np.zeros((30, 40), np.uint8)
    m[5:20, 8:30] = 1
    m[9:14, 12:18] = 0
    contours = find_contours_array(m, "external")
    filled = draw_contours_array(np.zeros_like(m), contours, 1, -1)
    ref = cv2.drawContours(np.zeros_like(m), [c[:, None] for c in contours], -1, 1, -1)
    np.testing.assert_array_equal(filled, ref)
    outline = draw_contours_array(np.zeros_like(m), contours, 1, 1)
    assert outline.sum() == len({tuple(p) for p in contours[0].tolist()})
    thick = draw_contours_array(np.zeros_like(m), contours, 1, 3)
    assert thick.sum() > outline.sum()


def test_overlay_mask():
    img = np.full((4, 4), 100, np.uint8)
    mask = np.zeros((4, 4), np.int32)
    mask[0, 0], mask[1, 1] = 1, 2
    out = overlay_mask_array(img, mask, alpha=0.5)
    assert out.shape == (4, 4, 3) and out[3, 3].tolist() == [100, 100, 100]
    assert out[0, 0].tolist() != out[1, 1].tolist()
    red = overlay_mask_array(img, mask > 0, (255, 0, 0), 1.0)
    assert red[0, 0].tolist() == [255, 0, 0]
    with pytest.raises(ecvl.EcvlValueError, match="mask shape"):
        overlay_mask_array(img, np.zeros((3, 3)))


@pytest.mark.parametrize("method", ["telea", ecvl.InpaintType.INPAINT_NS])
def test_inpaint_smooth_image(method):
    yy, xx = np.mgrid[0:40, 0:50]
    img = (2 * xx + yy).astype(np.float64)
    mask = np.zeros((40, 50), np.uint8)
    mask[15:22, 20:27] = 1
    out = inpaint_array(img, mask, 3, method)
    np.testing.assert_array_equal(out[mask == 0], img[mask == 0])
    assert np.abs(out - img)[mask > 0].max() < 8
    u8 = np.clip(img, 0, 255).astype(np.uint8)
    ref = cv2.inpaint(u8, mask, 3, cv2.INPAINT_TELEA)
    ours = inpaint_array(u8[..., None], mask, 3, method)[..., 0]
    assert np.abs(ours.astype(int) - ref)[mask > 0].mean() < 6
    with pytest.raises(ecvl.EcvlValueError, match="radius"):
        inpaint_array(img, mask, 0)
    with pytest.raises(ecvl.EcvlValueError, match="whole image"):
        inpaint_array(img, np.ones_like(mask))


def test_image_forms():
    img = ecvl.Image.from_canonical(np.zeros((30, 40, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
    ecvl.DrawEllipse(img, [20, 15], [10, 5], 0, [255, 0, 0], -1)
    assert img.canonical()[15, 20].tolist() == [255, 0, 0]
    copy = ecvl.draw_ellipse(img, [5, 5], [2, 2], 0, [0, 255, 0], -1)
    assert copy.canonical()[5, 5].tolist() == [0, 255, 0] and img.canonical()[5, 5, 1] == 0
    xy = ecvl.Image.fromarray(np.zeros((40, 30, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
    ecvl.DrawEllipse(xy, [20, 15], [3, 3], 0, 9, -1)
    assert np.asarray(xy)[20, 15].tolist() == [9, 9, 9]
    mask = ecvl.Image.from_canonical(np.zeros((30, 40, 1), np.uint8), "xyc", ecvl.ColorType.GRAY)
    mask.canonical()[10:12, 10:12] = 1
    ov = ecvl.overlay_mask(img, mask, (0, 0, 255), 1.0)
    assert ov.colortype_ == ecvl.ColorType.RGB and ov.canonical()[10, 10].tolist() == [0, 0, 255]
    dst = ecvl.Image.empty()
    ecvl.Inpaint(img, dst, mask, 2)
    assert dst.dims_ == img.dims_
    drawn = ecvl.draw_contours(img, [[[1, 1], [5, 1], [5, 5]]], [7, 7, 7])
    assert drawn.canonical()[1, 3].tolist() == [7, 7, 7]
