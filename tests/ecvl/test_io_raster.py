"""PNG, JPEG, BMP, TIFF and PNM reading and writing, read flags, content detection, atomic writes."""

import os

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from ecvl import ColorType, DataType, Image, ImReadMode


def _img(rng, dtype, c, w=13, h=7):
    if np.dtype(dtype).kind == "f":
        hwc = rng.standard_normal((h, w, c)).astype(dtype) * 1000
    else:
        info = np.iinfo(dtype)
        hwc = rng.integers(info.min, info.max, (h, w, c), endpoint=True).astype(dtype)
    ct = {1: ColorType.GRAY, 3: ColorType.RGB, 4: ColorType.RGBA}.get(c, ColorType.none)
    return Image.from_canonical(hwc, "xyc", ct)


LOSSLESS = [
    ("png", np.uint8, 1), ("png", np.uint8, 3), ("png", np.uint8, 4),
    ("png", np.uint16, 1), ("png", np.uint16, 3), ("png", np.uint16, 4),
    ("tif", np.uint8, 1), ("tif", np.uint8, 3), ("tif", np.uint8, 4),
    ("tif", np.uint16, 1), ("tif", np.int32, 1), ("tif", np.float32, 1),
    ("bmp", np.uint8, 1), ("bmp", np.uint8, 3),
    ("pgm", np.uint8, 1), ("pgm", np.uint16, 1), ("ppm", np.uint8, 3),
]


@pytest.mark.parametrize("ext,dtype,c", LOSSLESS)
def test_lossless_round_trip(tmp_path, ext, dtype, c):
    img = _img(np.random.default_rng(c), dtype, c)
    path = tmp_path / f"a.{ext}"
    ecvl.imwrite(path, img)
    back = ecvl.imread(path, ImReadMode.UNCHANGED)
    assert back.channels_ == "xyc" and back.dtype == np.dtype(dtype) and back.dims_ == img.dims_
    assert back.colortype_ == img.colortype_
    np.testing.assert_array_equal(np.asarray(back), np.asarray(img))
    assert back.contiguous_ and [p for p in os.listdir(tmp_path) if p.startswith(".ecvl-")] == []


@pytest.mark.parametrize("ext,dtype,c", [x for x in LOSSLESS if x[1] in (np.uint8,) or x[0] == "png"])
def test_reads_match_pillow(tmp_path, ext, dtype, c):
    """Files written by Pillow (or cv2 for 16-bit colour) read back to the same pixels."""
    rng = np.random.default_rng(7)
    hwc = _img(rng, dtype, c).canonical()
    path = str(tmp_path / f"p.{ext}")
    if dtype == np.uint16 and c > 1:
        cv2 = pytest.importorskip("cv2")
        # OpenCV's encoder uses adaptive row filters (Sub, Up, Average, Paeth)
        cv2.imwrite(path, np.ascontiguousarray(hwc[..., [2, 1, 0, 3][:c]] if c == 4 else hwc[..., ::-1]))
    else:
        PILImage.fromarray(hwc[..., 0] if c == 1 else hwc).save(path)
    back = ecvl.imread(path, ImReadMode.UNCHANGED)
    np.testing.assert_array_equal(back.canonical(), hwc)


def test_jpeg_close_to_original(tmp_path):
    y, x = np.mgrid[0:32, 0:48]
    hwc = np.stack([x * 5, y * 7, (x + y) * 3], axis=-1).astype(np.uint8)
    img = Image.from_canonical(hwc, "xyc", ColorType.RGB)
    ecvl.imwrite(tmp_path / "a.jpg", img, quality=98)
    back = ecvl.imread(tmp_path / "a.jpg")
    assert back.colortype_ == ColorType.RGB and back.dims_ == [48, 32, 3]
    assert np.abs(back.canonical().astype(int) - hwc).mean() < 2.0
    ref = np.asarray(PILImage.open(tmp_path / "a.jpg"))
    np.testing.assert_array_equal(back.canonical(), ref)


def test_pyecvl_imread_is_bgr_and_imwrite_restores_rgb(tmp_path):
    hwc = np.random.default_rng(1).integers(0, 255, (5, 6, 3)).astype(np.uint8)
    PILImage.fromarray(hwc).save(tmp_path / "a.png")
    bgr = ecvl.ImRead(str(tmp_path / "a.png"))
    assert bgr.colortype_ == ColorType.BGR and bgr.channels_ == "xyc"
    np.testing.assert_array_equal(bgr.canonical(), hwc[..., ::-1])
    ecvl.ImWrite(str(tmp_path / "b.png"), bgr)
    np.testing.assert_array_equal(np.asarray(PILImage.open(tmp_path / "b.png")), hwc)
    # a "cxy" image is written the same way
    ecvl.imwrite(tmp_path / "c.png", ecvl.rearrange_channels(bgr, "cxy"))
    np.testing.assert_array_equal(np.asarray(PILImage.open(tmp_path / "c.png")), hwc)


def test_read_flags(tmp_path):
    rgba = np.random.default_rng(2).integers(0, 255, (4, 5, 4)).astype(np.uint8)
    PILImage.fromarray(rgba).save(tmp_path / "a.png")
    p = tmp_path / "a.png"
    assert ecvl.imread(p, ImReadMode.UNCHANGED).colortype_ == ColorType.RGBA
    anyc = ecvl.imread(p)
    assert anyc.colortype_ == ColorType.RGB
    np.testing.assert_array_equal(anyc.canonical(), rgba[..., :3])
    gray = ecvl.imread(p, ImReadMode.GRAYSCALE)
    ref = np.rint(rgba[..., :3] @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    assert gray.colortype_ == ColorType.GRAY and gray.dims_ == [5, 4, 1]
    np.testing.assert_array_equal(gray.canonical()[..., 0], ref)
    g16 = (np.arange(20).reshape(4, 5) * 3000).astype(np.uint16)
    PILImage.fromarray(g16).save(tmp_path / "g.png")
    col = ecvl.imread(tmp_path / "g.png", ImReadMode.COLOR)
    assert col.dtype == np.uint16 and col.dims_ == [5, 4, 3]  # bit depth kept in every mode
    np.testing.assert_array_equal(col.canonical(), np.repeat(g16[..., None], 3, axis=2))
    assert ecvl.imread(tmp_path / "g.png").colortype_ == ColorType.GRAY


def test_palette_and_bilevel(tmp_path):
    pal = PILImage.fromarray(np.random.default_rng(3).integers(0, 255, (6, 6, 3)).astype(np.uint8)).quantize(8)
    pal.save(tmp_path / "p.png")
    np.testing.assert_array_equal(ecvl.imread(tmp_path / "p.png").canonical(), np.asarray(pal.convert("RGB")))
    bits = np.random.default_rng(4).integers(0, 2, (5, 9)).astype(np.uint8) * 255
    ecvl.imwrite(tmp_path / "b.pbm", Image.from_canonical(bits, "xy", ColorType.GRAY))
    np.testing.assert_array_equal(ecvl.imread(tmp_path / "b.pbm").canonical()[..., 0], bits)


def test_multipage_tiff(tmp_path):
    rng = np.random.default_rng(5)
    vol = rng.integers(0, 65535, (3, 6, 7, 1)).astype(np.uint16)
    img = Image.from_canonical(vol, "xyzc", ColorType.GRAY)
    ecvl.imwrite(tmp_path / "v.tif", img)
    with PILImage.open(tmp_path / "v.tif") as pil:
        assert pil.n_frames == 3
    back = ecvl.imread_multi(tmp_path / "v.tif")
    assert back.channels_ == "xyzc" and back.dims_ == [7, 6, 3, 1]
    np.testing.assert_array_equal(back.canonical(), vol)
    first = ecvl.imread(tmp_path / "v.tif")
    np.testing.assert_array_equal(first.canonical(), vol[0])
    rgb = rng.integers(0, 255, (2, 4, 5, 3)).astype(np.uint8)
    ecvl.imwrite(tmp_path / "c.tif", Image.from_canonical(rgb, "xyzc", ColorType.RGB))
    np.testing.assert_array_equal(ecvl.ImReadMulti(str(tmp_path / "c.tif")).canonical(), rgb[..., ::-1])


def test_format_found_by_content(tmp_path):
    hwc = np.random.default_rng(6).integers(0, 255, (4, 4, 3)).astype(np.uint8)
    PILImage.fromarray(hwc).save(tmp_path / "really_png.jpg", format="PNG")
    np.testing.assert_array_equal(ecvl.imread(tmp_path / "really_png.jpg").canonical(), hwc)
    PILImage.fromarray(hwc).save(tmp_path / "noext", format="BMP")
    np.testing.assert_array_equal(ecvl.imread(tmp_path / "noext").canonical(), hwc)
    assert ecvl.sniff_format(tmp_path / "noext") == "raster"


def test_unsupported_writes_raise_and_leave_nothing(tmp_path):
    f64 = Image([4, 4], DataType.float64, "xy")
    with pytest.raises(ecvl.ImageIOError, match=r"a\.png.*PNG cannot store float64"):
        ecvl.imwrite(tmp_path / "a.png", f64)
    with pytest.raises(ecvl.ImageIOError, match="JPEG cannot store uint16"):
        ecvl.imwrite(tmp_path / "a.jpg", Image([4, 4], DataType.uint16, "xy"))
    with pytest.raises(ecvl.ImageIOError, match="unknown extension"):
        ecvl.imwrite(tmp_path / "a.xyz", f64)
    with pytest.raises(ecvl.ImageIOError, match="write volumes as TIFF"):
        ecvl.imwrite(tmp_path / "v.png", Image([4, 4, 2], DataType.uint8, "xyz"))
    with pytest.raises(ecvl.ImageIOError, match="does not exist"):
        ecvl.imwrite(tmp_path / "missing" / "a.png", Image([4, 4], DataType.uint8, "xy"))
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    ecvl.imwrite(path, Image([4, 4], DataType.uint8, "xy"))
    before = path.read_bytes()

    def boom(self, fp, *a, **k):
        with open(fp, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(PILImage.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        ecvl.imwrite(path, Image([8, 8], DataType.uint8, "xy"))
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["a.png"]


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(ecvl.ImageIOError, match="nope.png: file does not exist"):
        ecvl.imread(tmp_path / "nope.png")
    (tmp_path / "junk.png").write_bytes(b"this is not an image at all")
    with pytest.raises(ecvl.ImageIOError, match="junk.png") as e:
        ecvl.imread(tmp_path / "junk.png")
    assert isinstance(e.value, OSError) and isinstance(e.value, RuntimeError)
    (tmp_path / "junk.bin").write_bytes(b"\x00" * 600)
    with pytest.raises(ecvl.ImageIOError, match="junk.bin: unsupported or unrecognised"):
        ecvl.imread(tmp_path / "junk.bin")
    with pytest.raises(ecvl.ImageIOError, match="is a directory"):
        ecvl.imread(tmp_path)
