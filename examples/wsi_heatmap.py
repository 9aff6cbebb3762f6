"""Tumour heat map of a whole-slide image, tile by tile, as in the toolkit's pathology use case.

A synthetic slide (pink stroma with purple, densely nucleated "tumour" regions) is written as
a tiled, pyramidal TIFF with tifffile, which OpenSlide reads as a generic tiled TIFF. A small
CNN learns tumour vs stroma from patches of another synthetic slide; then the slide is read
through ``ecvl.OpenSlideImage`` one tile at a time (``tiles()``, never whole), every tile is
classified, and ``wsi_heatmap.png`` shows the slide thumbnail, the predicted tumour
probability per tile over it, and the true tumour outline.

Run: ``python examples/wsi_heatmap.py [--tile 32] [--epochs 6]`` (needs ``tifffile``).
"""

import argparse
import os
import tempfile
import time

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

import ecvl
import eddl
from bridge.app.models import small_cnn


def synthetic_slide(rng, height, width):
    """``(H, W, 3)`` uint8 H&E-like slide and its boolean tumour mask."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    tumour = np.zeros((height, width), bool)
    for _ in range(4):
        cy, cx = rng.uniform(0.15, 0.85) * height, rng.uniform(0.15, 0.85) * width
        ry, rx = rng.uniform(0.06, 0.16) * height, rng.uniform(0.06, 0.16) * width
        tumour |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
    img = np.empty((height, width, 3), np.float32)
    img[:] = (235, 180, 205)  # eosin-pink stroma
    img += (10 * np.sin(xx / 7 + yy / 11))[..., None]  # fibres
    img[tumour] = (150, 95, 170)  # haematoxylin-rich
    nuclei = rng.random((height, width)) < np.where(tumour, 0.12, 0.01)
    img[nuclei] = (70, 40, 110)
    img += rng.normal(0, 8, img.shape)
    tissue = ((yy - height / 2) / (0.48 * height)) ** 2 + ((xx - width / 2) / (0.49 * width)) ** 2 < 1
    img[~tissue] = 245  # glass
    return np.clip(img, 0, 255).astype(np.uint8), tumour & tissue


def write_pyramid(path, rgb, levels=3, tile=256):
    """A tiled pyramidal TIFF (full resolution, then halves) that OpenSlide opens."""
    import tifffile

    with tifffile.TiffWriter(path) as tw:
        lv = rgb
        for i in range(levels):
            tw.write(lv, tile=(tile, tile), photometric="rgb", subfiletype=1 if i else 0,
                     resolution=(4000, 4000), resolutionunit="CENTIMETER")
            lv = lv[::2, ::2]


def patches(rgb, tumour, rng, n, size):
    """``n`` random ``(3, size, size)`` patches in [0, 1] with one-hot tumour labels."""
    h, w = tumour.shape
    ys = rng.integers(0, h - size, n)
    xs = rng.integers(0, w - size, n)
    x = np.stack([rgb[y:y + size, c:c + size] for y, c in zip(ys, xs)])
    frac = np.array([tumour[y:y + size, c:c + size].mean() for y, c in zip(ys, xs)])
    y = np.eye(2, dtype=np.float32)[(frac > 0.5).astype(int)]
    return x.transpose(0, 3, 1, 2).astype(np.float32) / 255, y


def heatmap_png(thumb, prob, truth, path):
    """Thumbnail | probability blended in red | true outline in green, side by side."""
    h, w = thumb.shape[:2]
    heat = np.array(PILImage.fromarray((prob * 255).astype(np.uint8)).resize((w, h),
                                                                           PILImage.NEAREST))
    a = (heat / 255.0)[..., None] * 0.6
    blended = (thumb * (1 - a) + np.array([255, 0, 0]) * a).astype(np.uint8)
    edge = truth & ~(np.roll(truth, 1, 0) & np.roll(truth, -1, 0) & np.roll(truth, 1, 1)
                     & np.roll(truth, -1, 1))
    outlined = blended.copy()
    outlined[edge] = (0, 200, 0)
    canvas = PILImage.new("RGB", (3 * w + 40, h + 20), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for k, (im, title) in enumerate(((thumb, "slide"), (blended, "tumour probability"),
                                     (outlined, "+ true tumour outline"))):
        canvas.paste(PILImage.fromarray(im), (k * (w + 20), 20))
        draw.text((k * (w + 20) + 2, 4), title, fill=(0, 0, 0))
    canvas.save(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--height", type=int, default=1536, help="slide height at level 0")
    ap.add_argument("--width", type=int, default=2048, help="slide width at level 0")
    ap.add_argument("--level", type=int, default=1, help="pyramid level to tile")
    ap.add_argument("--tile", type=int, default=32, help="tile side at that level (mult. of 8)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--patches", type=int, default=1200, help="training patches")
    ap.add_argument("--out", default=".", help="folder for wsi_heatmap.png")
    args = ap.parse_args(argv)
    t0 = time.time()
    rng = np.random.default_rng(0)
    eddl.set_seed(0)
    ds = 2 ** args.level

    # training patches at the tiling level's resolution, from another slide
    train_rgb, train_mask = synthetic_slide(rng, args.height // ds, args.width // ds)
    x, y = patches(train_rgb, train_mask, rng, args.patches, args.tile)
    net = small_cnn([3, args.tile, args.tile], 2)
    eddl.build(net, eddl.adam(0.005), ["softmax_cross_entropy"], ["categorical_accuracy"],
               eddl.CS_CPU())
    eddl.fit(net, [x], [y], 32, args.epochs, verbose=0)
    print(f"patch classifier: training accuracy {eddl.get_metrics(net)[0]:.3f}", flush=True)

    slide_rgb, slide_mask = synthetic_slide(rng, args.height, args.width)
    path = os.path.join(tempfile.mkdtemp(prefix="wsi_"), "slide.tiff")
    write_pyramid(path, slide_rgb)
    with ecvl.OpenSlideImage(path) as slide:
        lw, lh = slide.GetLevelsDimensions()[args.level]
        print(f"{path}: {slide.GetLevelCount()} levels {slide.GetLevelsDimensions()}", flush=True)
        grid = np.zeros((-(-lh // args.tile), -(-lw // args.tile)), np.float32)
        batch, where = [], []

        def flush():
            if batch:
                p = eddl.predict(net, [np.stack(batch)])[0].numpy()[:, 1]
                for (r, c), v in zip(where, p):
                    grid[r, c] = v
                batch.clear()
                where.clear()

        n = 0
        for x0, y0, tile in slide.tiles(level=args.level, size=args.tile):
            a = tile.canonical()
            if a.shape[:2] != (args.tile, args.tile):  # edge tile: pad with glass
                full = np.full((args.tile, args.tile, 3), 245, np.uint8)
                full[:a.shape[0], :a.shape[1]] = a
                a = full
            batch.append(a.transpose(2, 0, 1).astype(np.float32) / 255)
            where.append((y0 // ds // args.tile, x0 // ds // args.tile))
            n += 1
            if len(batch) == 64:
                flush()
        flush()
        thumb_level = slide.GetLevelCount() - 1
        tw, th = slide.GetLevelsDimensions()[thumb_level]
        thumb = slide.read_region(0, 0, tw, th, thumb_level).canonical()
    tds = 2 ** thumb_level
    truth = slide_mask[::tds, ::tds][:th, :tw]
    tile_truth = np.array([[slide_mask[r * args.tile * ds:(r + 1) * args.tile * ds,
                                       c * args.tile * ds:(c + 1) * args.tile * ds].mean() > 0.5
                            for c in range(grid.shape[1])] for r in range(grid.shape[0])])
    accuracy = ((grid > 0.5) == tile_truth).mean()
    print(f"{n} tiles of {args.tile}x{args.tile} at level {args.level}: tile accuracy "
          f"{accuracy:.3f}")
    os.makedirs(args.out, exist_ok=True)
    out = os.path.join(args.out, "wsi_heatmap.png")
    heatmap_png(thumb, grid, truth, out)
    print(f"wrote {out} ({time.time() - t0:.0f}s)")
    return accuracy


if __name__ == "__main__":
    main()
