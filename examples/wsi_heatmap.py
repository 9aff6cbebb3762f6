"""Tumour heat map of a whole-slide image, tile by tile, as in the toolkit's pathology use case.

A synthetic slide (pink stroma with purple, densely nucleated "tumour" regions) is written as
a tiled, pyramidal TIFF with tifffile, which OpenSlide reads as a generic tiled TIFF. A small
CNN learns tumour vs stroma from patches of another synthetic slide; then
``bridge.slide.predict_slide`` reads the slide through ``ecvl.OpenSlideImage`` one batch of
tiles at a time (never whole), classifies every tile and blends the tiles' probabilities into
a map of ``--downsample`` pixels per cell. ``wsi_heatmap.png`` shows the predicted tumour
probability over the slide thumbnail with a colour bar, and ``wsi_labels.tiff`` holds the
predicted class per cell.

Run: ``python examples/wsi_heatmap.py [--tile 32] [--overlap 0.5] [--epochs 6]`` (needs
``tifffile`` to write the slide).
"""

import argparse
import os
import tempfile
import time

import numpy as np

import ecvl
import eddl
from bridge.app.models import small_cnn
from bridge.slide import predict_slide, save_label_tiff, save_slide_heatmap


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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--height", type=int, default=1536, help="slide height at level 0")
    ap.add_argument("--width", type=int, default=2048, help="slide width at level 0")
    ap.add_argument("--level", type=int, default=1, help="pyramid level to tile")
    ap.add_argument("--tile", type=int, default=32, help="tile side at that level (mult. of 8)")
    ap.add_argument("--overlap", type=float, default=0.5,
                    help="fraction of a tile shared with its neighbours, in [0, 1)")
    ap.add_argument("--downsample", type=int, default=16,
                    help="level pixels per cell of the probability map (0: the tile side)")
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
        print(f"{path}: {slide.GetLevelCount()} levels {slide.GetLevelsDimensions()}", flush=True)
        # cells of --downsample level pixels: with overlapping tiles a cell blends the
        # probabilities of every tile over it, finer than the tile grid
        res = predict_slide(slide, net, args.tile, level=args.level, overlap=args.overlap,
                            downsample=args.downsample or args.tile, batch_size=64)
        thumb = slide.thumbnail((512, 512))
    cell = res.downsample[0] * ds  # level-0 pixels per output cell
    prob = res.probabilities[1]
    cell_truth = np.array([[slide_mask[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell].mean()
                            > 0.5 for c in range(prob.shape[1])] for r in range(prob.shape[0])])
    accuracy = ((prob > 0.5) == cell_truth).mean()
    print(f"{res.tiles} tiles of {args.tile}x{args.tile} at level {args.level} into "
          f"{prob.shape[0]}x{prob.shape[1]} cells: cell accuracy {accuracy:.3f}")
    os.makedirs(args.out, exist_ok=True)
    out = os.path.join(args.out, "wsi_heatmap.png")
    save_slide_heatmap(res, out, thumbnail=thumb, class_name="tumour",
                       title=f"tumour probability, level {args.level}")
    save_label_tiff(res, os.path.join(args.out, "wsi_labels.tiff"))
    print(f"wrote {out} and wsi_labels.tiff ({time.time() - t0:.0f}s)")
    return accuracy


if __name__ == "__main__":
    main()
