"""Previews: 2-D images, mask overlays and orthogonal slices of volumes."""

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from ecvl import ColorType, Image


def test_gray_scaling_and_bgr():
    a = np.array([[0.0, 0.5], [1.0, 2.0]])  # x, y
    rgb = ecvl.render(Image.fromarray(a, "xy"))
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[..., 0].tolist() == [[0, 128], [64, 255]]  # rows first, min..max -> 0..255
    hwc = np.random.default_rng(0).integers(0, 255, (3, 4, 3)).astype(np.uint8)
    bgr = Image.from_canonical(hwc[..., ::-1].copy(), "xyc", ColorType.BGR)
    np.testing.assert_array_equal(ecvl.render(bgr), hwc)
    np.testing.assert_array_equal(ecvl.render(ecvl.rearrange_channels(bgr, "cxy")), hwc)
    ct = Image.fromarray(np.array([[-1000, 40, 1000]], np.int16).T, "xy")
    assert ecvl.render(ct, value_range=(-215, 295))[0, :, 0].tolist() == [0, 128, 255]


def test_mask_overlay():
    img = Image.fromarray(np.zeros((6, 4), np.uint8), "xy")
    mask = np.zeros((4, 6), np.uint8)  # rows first
    mask[1, 2] = 1
    mask[3, 5] = 2
    out = ecvl.render(img, mask=mask, alpha=1.0)
    np.testing.assert_array_equal(out[1, 2], ecvl.LABEL_COLORS[0])
    np.testing.assert_array_equal(out[3, 5], ecvl.LABEL_COLORS[1])
    assert out[0, 0].tolist() == [0, 0, 0]
    mimg = Image.fromarray(mask.T.copy(), "xy")
    np.testing.assert_array_equal(ecvl.render(img, mask=mimg, alpha=1.0), out)
    with pytest.raises(ecvl.EcvlValueError, match="spatial shape"):
        ecvl.render(img, mask=np.zeros((6, 4)))
    with pytest.raises(ecvl.EcvlValueError, match="alpha"):
        ecvl.render(img, alpha=2)


def test_volume_slices_respect_spacing():
    vol = np.zeros((16, 12, 8), np.float32)  # x, y, z
    vol[5, 7, 3] = 1.0
    img = Image.fromarray(vol, "xyz", spacings=[1.0, 1.0, 2.0])
    out = ecvl.render(img, slices=(5, 7, 3))
    # axial 12x16, coronal 16(z*2)x16, sagittal 16x12, with 4-pixel gaps
    assert out.shape == (16, 16 + 4 + 16 + 4 + 12, 3)
    assert out[7, 5, 0] == 255                     # axial plane z=3 at (x=5, y=7)
    coronal = out[:, 20:36, 0]
    assert coronal[:, 5].max() == 255 and coronal[:, :5].max() == 0
    with pytest.raises(ecvl.EcvlValueError, match="outside the volume"):
        ecvl.render(img, slices=(16, 0, 0))


def test_save_preview_writes_png(tmp_path):
    y, x = np.mgrid[0:40, 0:60]
    img = Image.from_canonical(((x + y) * 2).astype(np.uint8), "xy", ColorType.GRAY)
    mask = ((x - 30) ** 2 + (y - 20) ** 2 < 100).astype(np.uint8)
    path = tmp_path / "p.png"
    ecvl.save_preview(path, img, mask=mask)
    with PILImage.open(path) as pil:
        assert pil.format == "PNG" and pil.size == (60, 40) and pil.mode == "RGB"
    assert isinstance(ecvl.show(img), PILImage.Image)
    with pytest.raises(ecvl.EcvlValueError, match="needs x and y"):
        ecvl.render(Image.fromarray(np.zeros((3, 3)), "xt"))
