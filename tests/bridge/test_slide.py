"""Whole-slide prediction against a brute-force reference (the level read whole, every tile
predicted alone, weights written out per pixel, cells summed by loops), its memory bound on a
large procedural slide, and the atomic label TIFF and heat-map writers."""

import itertools
import math
import os
import tracemalloc

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from bridge.slide import SlidePrediction, predict_slide, save_label_tiff, save_slide_heatmap, slide_tiles
from bridge.sliding import sliding_window_inference

tifffile = pytest.importorskip("tifffile")


@pytest.fixture(scope="module")
def pyramid(tmp_path_factory):
    """A 3-level tiled TIFF of 256 x 184 pixels with structure at every scale (sizes divisible
    by 4: OpenSlide resamples a level of fractional downsample by a fraction of a pixel)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:184, 0:256]
    base = np.stack([x, (y * 255) // 184, (x * y) % 256], -1).astype(np.uint8)
    base[rng.random(base.shape[:2]) < 0.1] = (20, 200, 90)
    path = tmp_path_factory.mktemp("slide") / "pyr.tiff"
    with tifffile.TiffWriter(path) as tw:
        lv = base
        for i in range(3):
            tw.write(lv, tile=(32, 32), photometric="rgb", subfiletype=1 if i else 0)
            lv = lv[::2, ::2]
    return str(path)


def _starts_ref(size, tile, overlap):
    if tile >= size:
        return [0]
    step = max(int(tile * (1 - overlap)), 1)
    out, s = [], 0
    while s + tile < size:
        out.append(s)
        s += step
    out.append(size - tile)
    return out


def _gauss_ref(shape, scale=0.125):
    w = np.empty(shape)
    for i, j in itertools.product(range(shape[0]), range(shape[1])):
        w[i, j] = math.prod(math.exp(-((v - (n - 1) / 2) ** 2) / (2 * (n * scale) ** 2))
                            for v, n in zip((i, j), shape))
    return np.maximum(w, max(w.min(), 1e-3))


def _brute(level_img, f, tile, overlap, cell, mode):
    """``level_img``: the whole level (H, W, 3) uint8; white beyond it, as OpenSlide reads."""
    h, w = level_img.shape[:2]
    th, tw = tile
    padded = np.full((max(h, th), max(w, tw), 3), 255, np.uint8)
    padded[:h, :w] = level_img
    wt = np.ones(tile) if mode == "constant" else _gauss_ref(tile)
    num = den = None
    for y in _starts_ref(max(h, th), th, overlap):
        for x in _starts_ref(max(w, tw), tw, overlap):
            t = padded[y:y + th, x:x + tw].transpose(2, 0, 1)[None].astype(np.float32) / 255
            p = np.asarray(f(t), dtype=np.float64)[0]
            if p.ndim == 1:
                p = np.broadcast_to(p[:, None, None], (p.size,) + tile)
            if num is None:
                num = np.zeros((p.shape[0],) + padded.shape[:2])
                den = np.zeros(padded.shape[:2])
            num[:, y:y + th, x:x + tw] += p * wt
            den[y:y + th, x:x + tw] += wt
    num, den = num[:, :h, :w], den[:h, :w]  # pixels beyond the level do not count
    rows, cols = -(-h // cell[0]), -(-w // cell[1])
    out = np.zeros((num.shape[0], rows, cols))
    for r in range(rows):
        for c in range(cols):
            sl = (slice(r * cell[0], (r + 1) * cell[0]), slice(c * cell[1], (c + 1) * cell[1]))
            out[:, r, c] = num[(slice(None),) + sl].sum(axis=(1, 2)) / den[sl].sum()
    return out


def per_pixel(t):
    # depends on the tile's content and on the position inside it: blending matters
    ramp = np.arange(t.shape[-1]) / t.shape[-1]
    return np.concatenate([np.cumsum(t[:, :1], axis=-1) / t.shape[-1] + ramp,
                           t[:, 1:2] * t[:, 2:3]], axis=1)


def per_tile(t):
    m = t.mean(axis=(2, 3))
    e = np.exp(3 * m - 3 * m.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _level(path, level):
    with ecvl.OpenSlideImage(path) as s:
        w, h = s.GetLevelsDimensions()[level]
        return s.read_region(0, 0, w, h, level).canonical()


@pytest.mark.parametrize("level,tile,overlap,cell,mode,f", [
    (0, (32, 40), 0.0, None, "constant", per_tile),
    (0, (32, 40), 0.25, (7, 9), "gaussian", per_pixel),
    (1, (24, 24), 0.5, (5, 5), "constant", per_pixel),
    (1, (24, 20), 0.3, (16, 6), "gaussian", per_tile),
    (2, (56, 72), 0.25, (10, 10), "constant", per_pixel),     # the level is smaller than a tile
])
def test_matches_brute_force(pyramid, level, tile, overlap, cell, mode, f):
    ref_img = _level(pyramid, level)
    res = predict_slide(pyramid, f, tile, level, overlap, cell, mode, batch_size=3,
                        progress=False)
    step = tuple(max(int(t * (1 - overlap)), 1) for t in tile)
    want_cell = step if cell is None else cell
    ref = _brute(ref_img, f, tile, overlap, want_cell, mode)
    assert isinstance(res, SlidePrediction) and res.downsample == want_cell
    assert res.level == level and res.level_size == ref_img.shape[1::-1]
    with ecvl.OpenSlideImage(pyramid) as s:
        assert res.level_downsample == s.GetLevelDownsamples()[level]
    assert res.probabilities.dtype == np.float32 and res.probabilities.shape == ref.shape
    np.testing.assert_allclose(res.probabilities, ref, rtol=1e-5, atol=1e-6)
    assert res.tiles == len(_starts_ref(max(ref_img.shape[0], tile[0]), tile[0], overlap)) * \
        len(_starts_ref(max(ref_img.shape[1], tile[1]), tile[1], overlap))


def test_full_resolution_is_the_sliding_window_result(pyramid):
    level_img = _level(pyramid, 1)
    x = level_img.transpose(2, 0, 1)[None].astype(np.float32) / 255
    ref = sliding_window_inference(x, (24, 32), per_pixel, 4, 0.25, "gaussian")[0]
    with ecvl.OpenSlideImage(pyramid) as s:  # an open slide is left open
        res = predict_slide(s, per_pixel, (24, 32), 1, 0.25, 1, "gaussian", progress=False)
        assert s.GetLevelCount() == 3
    np.testing.assert_allclose(res.probabilities, ref, rtol=1e-5, atol=1e-6)


def test_labels_and_tile_grid():
    class Halves:
        def GetLevelsDimensions(self):
            return [(64, 48)]

        def GetLevelDownsamples(self):
            return [1.0]

        def read_region(self, x, y, w, h, level=0):
            a = np.zeros((h, w, 3), np.uint8)
            a[:, max(32 - x, 0):] = 255
            return ecvl.Image.from_canonical(a, "xyc", ecvl.ColorType.RGB)

    def f(t):
        m = t.mean(axis=(1, 2, 3))
        return np.stack([1 - m, m], 1)

    res = predict_slide(Halves(), f, 16, progress=False)
    assert res.probabilities.shape == (2, 3, 4) and res.tiles == 12
    np.testing.assert_array_equal(res.labels, [[0, 0, 1, 1]] * 3)
    assert res.labels.dtype == np.uint8
    sig = predict_slide(Halves(), lambda t: t.mean(axis=(1, 2, 3))[:, None], 16, progress=False)
    np.testing.assert_array_equal(sig.labels, [[0, 0, 1, 1]] * 3)  # one channel: threshold 0.5


def test_slide_tiles():
    assert slide_tiles((10, 7), 4, 0.25) == [(y, x) for y in (0, 3, 6) for x in (0, 3)]
    assert slide_tiles((5, 30), (8, 10), (0.0, 0.5)) == [(0, x) for x in (0, 5, 10, 15, 20)]


class Procedural:
    """A large one-level slide made up tile by tile: nothing of it exists whole."""

    def __init__(self, height, width):
        self.size = (width, height)

    def GetLevelsDimensions(self):
        return [self.size]

    def GetLevelDownsamples(self):
        return [1.0]

    def read_region(self, x, y, w, h, level=0):
        yy, xx = np.ogrid[y:y + h, x:x + w]
        a = np.empty((h, w, 3), np.uint8)
        a[..., 0] = ((xx // 300 + yy // 200) % 2) * 200
        a[..., 1] = (xx * 7 + yy * 3) % 256
        a[..., 2] = 90
        return ecvl.Image.from_canonical(a, "xyc", ecvl.ColorType.RGB)


def _peak(slide, f, tile):
    tracemalloc.start()
    try:
        res = predict_slide(slide, f, tile, overlap=0.25, downsample=64, batch_size=4,
                            progress=False)
        return tracemalloc.get_traced_memory()[1], res
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("f", [per_tile, per_pixel])
def test_memory_is_bounded_by_the_output_not_the_slide(f):
    tile = (256, 256)
    small, res_small = _peak(Procedural(1024, 1536), f, tile)
    big, res_big = _peak(Procedural(4096, 6144), f, tile)
    c = 3 if f is per_tile else 2
    assert res_small.probabilities.shape == (c, 16, 24)
    assert res_big.probabilities.shape == (c, 64, 96)
    # a batch of 4 tiles and its float64 maps take ~10 MiB: far below the 72 MiB of the slide
    # as uint8 RGB (288 MiB as the network's float32)
    assert big < 24 * 2**20
    # sixteen times the pixels: the peak grows by the output (accumulators and result) only
    out_growth = (c + 1) * 8 * (64 * 96 - 16 * 24) + c * 4 * (64 * 96 - 16 * 24)
    assert big - small < out_growth + 2**20


def test_bad_arguments(pyramid):
    with pytest.raises(ValueError, match="tile_size must be >= 1"):
        predict_slide(pyramid, per_tile, 0)
    with pytest.raises(ValueError, match=r"tile_size must be an int or a \(height, width\)"):
        predict_slide(pyramid, per_tile, (8, 8, 8))
    with pytest.raises(ValueError, match=r"overlap must be in \[0, 1\)"):
        predict_slide(pyramid, per_tile, 16, overlap=1.0)
    with pytest.raises(ValueError, match="downsample must be >= 1"):
        predict_slide(pyramid, per_tile, 16, downsample=(0, 4))
    with pytest.raises(ValueError, match=r"level must be an int in \[0, 2\]"):
        predict_slide(pyramid, per_tile, 16, level=3)
    with pytest.raises(ValueError, match="batch_size"):
        predict_slide(pyramid, per_tile, 16, batch_size=0)
    with pytest.raises(ValueError, match="mode"):
        predict_slide(pyramid, per_tile, 16, mode="linear")
    with pytest.raises(ValueError, match=r"predictor returned shape \[3, 2, 8, 8\] for tiles "
                                         r"of shape \[3, 3, 16, 16\]"):
        predict_slide(pyramid, lambda t: np.zeros((len(t), 2, 8, 8)), 16, level=2,
                      batch_size=3, progress=False)
    with pytest.raises(ValueError, match=r"returned shape \[2\]"):
        predict_slide(pyramid, lambda t: np.zeros(len(t)), 16, level=2, batch_size=2,
                      progress=False)
    calls = []

    def varying(t):
        calls.append(1)
        return np.zeros((len(t), len(calls)))

    with pytest.raises(ValueError, match="returned 2 channels, earlier tiles had 1"):
        predict_slide(pyramid, varying, 16, level=2, batch_size=1, progress=False)
    with pytest.raises(TypeError, match="GetLevelsDimensions"):
        predict_slide(object(), per_tile, 16)
    with pytest.raises(TypeError, match="predictor must be"):
        predict_slide(pyramid, 3, 16)


def test_label_tiff_round_trip_and_atomic(tmp_path, monkeypatch):
    lab = np.random.default_rng(1).integers(0, 5, (13, 17))
    path = tmp_path / "labels.tiff"
    save_label_tiff(lab, path)
    with PILImage.open(path) as im:
        assert im.format == "TIFF" and im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im), lab)
    big = lab * 1000
    save_label_tiff(big, path)
    np.testing.assert_array_equal(tifffile.imread(path), big)
    before = path.read_bytes()

    def broken(self, fp, *a, **k):
        with open(fp, "wb") as fh:
            fh.write(b"II*\x00 half")
        raise OSError("disk full")

    monkeypatch.setattr(PILImage.Image, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        save_label_tiff(lab, path)
    assert path.read_bytes() == before  # untouched, and no temporary left beside it
    with pytest.raises(OSError, match="disk full"):
        save_label_tiff(lab, tmp_path / "new.tiff")
    assert sorted(os.listdir(tmp_path)) == ["labels.tiff"]
    with pytest.raises(ValueError, match="non-empty 2-D"):
        save_label_tiff(np.zeros((2, 2, 2), int), path)
    with pytest.raises(ValueError, match=r"integers in \[0, 65535\]"):
        save_label_tiff(np.array([[0, -1]]), path)
    with pytest.raises(ValueError, match="integers"):
        save_label_tiff(np.zeros((2, 2)), path)


def test_heatmap_png(pyramid, tmp_path):
    pytest.importorskip("matplotlib")
    res = predict_slide(pyramid, per_tile, 32, level=1, downsample=8, progress=False)
    with ecvl.OpenSlideImage(pyramid) as s:
        thumb = s.thumbnail((64, 64))
    path = tmp_path / "heat.png"
    save_slide_heatmap(res, path, thumbnail=thumb, class_name="tumour", title="slide")
    with PILImage.open(path) as im:
        im.verify()
    save_slide_heatmap(res, tmp_path / "bare.png", class_index=0)
    assert sorted(os.listdir(tmp_path)) == ["bare.png", "heat.png"]
    with pytest.raises(ValueError, match=r"class_index must be an int in \[0, 2\]"):
        save_slide_heatmap(res, path, class_index=3)


def test_heatmap_lies_over_the_covered_part_of_the_thumbnail():
    pytest.importorskip("matplotlib")
    from eddl import figures

    seen = {}
    real = figures.save_overlay

    def spy(image, overlay, path, **kw):
        seen.update(kw, image=image, overlay=overlay)

    figures.save_overlay = spy
    try:
        # a 100 x 60 level in cells of 16 x 16: the 4 x 7 cells reach to 64 x 112 level pixels
        res = SlidePrediction(np.zeros((2, 4, 7), np.float32), 0, (16, 16), (100, 60), 1.0, 1)
        save_slide_heatmap(res, "unused.png", thumbnail=np.zeros((30, 50, 3), np.uint8))
    finally:
        figures.save_overlay = real
    assert seen["overlay_extent"] == pytest.approx((-0.5, 112 * 0.5 - 0.5, 64 * 0.5 - 0.5, -0.5))
    assert seen["colorbar_label"] == "p(class 1)"
