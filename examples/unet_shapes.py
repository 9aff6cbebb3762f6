"""A small U-Net learns to segment synthetic shapes (discs and squares on noise).

Trains ``eddl.zoo.unet`` on 32x32 images with a dice loss, reports the dice score on held-out
images, and writes ``unet_shapes.png``: for a few test images, the input, the ground truth and
the prediction side by side (prediction thresholded at 0.5).

Run: ``python examples/unet_shapes.py [--epochs 8] [--out unet_shapes.png]``
"""

import argparse

import numpy as np
from PIL import Image

import eddl

SIZE = 32


def make_shapes(n, rng):
    """Images with one to three discs or squares plus noise, and their binary masks."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    x = np.zeros((n, 1, SIZE, SIZE), np.float32)
    m = np.zeros((n, 1, SIZE, SIZE), np.float32)
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            r = rng.integers(3, 8)
            cy, cx = rng.integers(r, SIZE - r, 2)
            if rng.random() < 0.5:
                inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            else:
                inside = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
            m[i, 0][inside] = 1.0
        x[i, 0] = m[i, 0] * rng.uniform(0.5, 1.0) + rng.normal(0, 0.25, (SIZE, SIZE))
    return x, m


def dice(pred, mask):
    p = (pred > 0.5).astype(np.float64)
    inter = (p * mask).sum(axis=(1, 2, 3))
    return float(np.mean((2 * inter + 1) / (p.sum(axis=(1, 2, 3)) + mask.sum(axis=(1, 2, 3)) + 1)))


def overlay(x, m, p, fname):
    def gray(a):
        a = (a - a.min()) / max(a.max() - a.min(), 1e-6)
        return np.repeat((a * 255).astype(np.uint8)[..., None], 3, axis=2)
    rows = []
    for i in range(len(x)):
        img = gray(x[i, 0])
        truth = img.copy()
        truth[m[i, 0] > 0.5] = (0, 200, 0)
        pred = img.copy()
        pred[p[i, 0] > 0.5] = (220, 0, 0)
        rows.append(np.concatenate([img, truth, pred], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).resize((3 * SIZE * 4, len(x) * SIZE * 4),
                                                         Image.NEAREST).save(fname)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--train", type=int, default=256)
    ap.add_argument("--out", default="unet_shapes.png")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    eddl.set_seed(0)
    xtr, mtr = make_shapes(args.train, rng)
    xte, mte = make_shapes(64, rng)
    net = eddl.zoo.unet([1, SIZE, SIZE], 1, depth=2, base_filters=8)
    eddl.build(net, eddl.adam(0.005), ["dice"], ["dice"])
    for epoch in range(args.epochs):
        eddl.fit(net, [xtr], [mtr], 16, 1)
        pred = np.asarray(eddl.predict(net, [xte])[0])
        print(f"epoch {epoch + 1}: test dice {dice(pred, mte):.3f}")
    score = dice(pred, mte)
    overlay(xte[:4], mte[:4], pred[:4], args.out)
    print(f"final test dice {score:.3f}; overlay written to {args.out}")
    return score


if __name__ == "__main__":
    main()
