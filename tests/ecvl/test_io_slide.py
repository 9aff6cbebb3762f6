"""OpenSlideImage on a generic tiled TIFF pyramid written by the test."""

import numpy as np
import pytest

import ecvl
from ecvl import ColorType

tifffile = pytest.importorskip("tifffile")


@pytest.fixture(scope="module")
def pyramid(tmp_path_factory):
    y, x = np.mgrid[0:600, 0:1000]
    base = np.stack([x * 255 // 1000, y * 255 // 600, (x + y) % 256], -1).astype(np.uint8)
    path = tmp_path_factory.mktemp("slide") / "pyr.tiff"
    with tifffile.TiffWriter(path) as tw:
        lv = base
        for i in range(3):
            # 4000 px/cm = 2.5 microns per pixel at level 0
            tw.write(lv, tile=(64, 64), photometric="rgb", subfiletype=1 if i else 0,
                     resolution=(4000, 4000), resolutionunit="CENTIMETER")
            lv = lv[::2, ::2]
    return str(path), base


def test_levels_and_properties(pyramid):
    path, base = pyramid
    with ecvl.OpenSlideImage(path) as s:
        assert s.GetLevelCount() == 3
        assert s.GetLevelsDimensions() == [(1000, 600), (500, 300), (250, 150)]
        assert s.GetLevelDownsamples() == [1.0, 2.0, 4.0]
        assert s.GetBestLevelForDownsample(2.5) == 1 and s.GetBestLevelForDownsample(100) == 2
        assert s.GetBestLevelForDownsample(-1) == -1 and s.GetBestLevelForDownsample("x") == -1
        assert s.properties["openslide.vendor"] == "generic-tiff"
        dst = ecvl.Image.empty()
        s.GetProperties(dst)
        assert dst.get_meta("openslide.mpp-x") == "2.5"
        assert s.associated_images == []
        with pytest.raises(ecvl.EcvlValueError, match="no associated image 'label'"):
            s.associated_image("label")


@pytest.mark.parametrize("level", [0, 1, 2])
def test_read_region_matches_pixels(pyramid, level):
    path, base = pyramid
    ds = 2 ** level
    ref_level = base[::ds, ::ds]
    with ecvl.OpenSlideImage(path) as s:
        x0, y0, w, h = 40, 24, 37, 21  # level-0 coordinates, level-sized region
        img = s.ReadRegion(level, [x0, y0, w, h])
        assert img.channels_ == "cxy" and img.colortype_ == ColorType.RGB and img.dims_ == [3, w, h]
        np.testing.assert_array_equal(img.canonical(), ref_level[y0 // ds:y0 // ds + h, x0 // ds:x0 // ds + w])
        assert img.spacings_[1] == pytest.approx(0.0025 * ds)
        xyc = s.read_region(x0, y0, w, h, level)
        assert xyc.channels_ == "xyc" and np.array_equal(xyc.canonical(), img.canonical())


def test_outside_the_slide_is_white(pyramid):
    path, base = pyramid
    with ecvl.OpenSlideImage(path) as s:
        img = s.read_region(990, 590, 20, 20)
        c = img.canonical()
        np.testing.assert_array_equal(c[:10, :10], base[590:, 990:])
        assert (c[10:, 10:] == 255).all()


def test_tiles_cover_the_level(pyramid):
    path, base = pyramid
    ref = base[::2, ::2]
    out = np.zeros_like(ref)
    seen = 0
    with ecvl.OpenSlideImage(path) as s:
        for x, y, tile in s.tiles(level=1, size=(128, 96)):
            c = tile.canonical()
            out[y // 2:y // 2 + c.shape[0], x // 2:x // 2 + c.shape[1]] = c
            seen += 1
        assert seen == 4 * 4
        np.testing.assert_array_equal(out, ref)
        tiles = list(s.tiles(level=2, size=100, overlap=20))
        assert [t[2].dims_[:2] for t in tiles[:4]] == [[100, 100], [100, 100], [90, 100], [100, 70]]
        with pytest.raises(ecvl.EcvlValueError, match="overlap"):
            next(s.tiles(size=10, overlap=10))


def test_too_large_region_and_closed_slide(pyramid):
    path, _ = pyramid
    s = ecvl.OpenSlideImage(path, max_bytes=1 << 20)
    with pytest.raises(ecvl.EcvlValueError, match=r"region 1000x600 at level 0 needs about .* GiB, more than"):
        s.ReadRegion(0, [0, 0, 1000, 600])
    default = ecvl.OpenSlideImage(path)
    with pytest.raises(ecvl.EcvlValueError, match="read it in tiles"):
        default.read_region(0, 0, 10 ** 6, 10 ** 6)
    with pytest.raises(ecvl.EcvlValueError, match="level 5 out of range"):
        s.read_region(0, 0, 4, 4, level=5)
    thumb = s.thumbnail((100, 100))
    assert thumb.colortype_ == ColorType.RGB and max(thumb.dims_[:2]) == 100
    s.Close()
    with pytest.raises(ecvl.EcvlError, match="closed"):
        s.GetLevelCount()
    default.close()


def test_open_errors(tmp_path):
    with pytest.raises(ecvl.ImageIOError, match="missing.svs: file does not exist"):
        ecvl.OpenSlideImage(tmp_path / "missing.svs")
    (tmp_path / "junk.svs").write_bytes(b"junk" * 100)
    with pytest.raises(ecvl.ImageIOError, match="junk.svs"):
        ecvl.OpenSlideImage(tmp_path / "junk.svs")
