"""Convolution and pooling kernels of the CPU backend, one algorithm against another.

An ablation of our own kernels, not a comparison with a peer (``train_cnn.py`` and
``onnx_import.py`` compare whole nets with PyTorch and onnxruntime): for the 3x3 stride-1
layer shapes of the MNIST conv net, VGG16 on 32x32, the U-Net and ResNet-18, the forward pass,
the input gradient and the weight gradient with the direct kernels (im2col or tiles + GEMM) and
with Winograd's F(2x2, 3x3) (``eddl.backend.cpu.conv.WINOGRAD``), and max pooling 3x3/2 with
the branch-free row loop against the generic one. Times are medians of the process's CPU
seconds (all threads), so a loaded machine inflates them less than wall time.

Run: ``python benchmarks/conv_kernels.py [--threads 1] [--reps 7]``. Prints a table and one
JSON line.
"""

import argparse
import json
import platform
import statistics
import time

import numpy as np

import eddl
from eddl.backend.cpu import conv, pool

# name, batch, channels, filters, output size (square, padding 1)
SHAPES = [
    ("MNIST conv2", 100, 16, 32, 14),
    ("VGG16 block 1", 100, 64, 64, 32),
    ("VGG16 block 2", 100, 128, 128, 16),
    ("U-Net level 1", 8, 16, 16, 128),
    ("U-Net level 2", 8, 32, 32, 64),
    ("ResNet-18 layer1 b1", 1, 64, 64, 56),
    ("ResNet-18 layer1 b8", 8, 64, 64, 56),
    ("ResNet-18 layer2 b8", 8, 128, 128, 28),
    ("ResNet-18 layer3 b8", 8, 256, 256, 14),
]


def cpu_ms(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return 1000 * statistics.median(times)


def conv_rows(reps):
    rng = np.random.default_rng(0)
    rows = []
    for name, n, c, f, hw in SHAPES:
        x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
        w = rng.standard_normal((f, c, 3, 3)).astype(np.float32)
        y = np.empty((n, f, hw, hw), np.float32)
        dx, dw = np.empty_like(x), np.empty_like(w)
        geo = ((1, 1), (1, 1), (1, 1))
        passes = {"forward": lambda: conv.conv_forward(x, w, y, *geo),
                  "input grad": lambda: conv.conv_backward_data(y, w, dx, *geo),
                  "weight grad": lambda: conv.conv_backward_weights(x, y, dw, *geo)}
        row = {"layer": name, "shape": [n, c, f, hw]}
        for algo in ("direct", "winograd"):
            conv.WINOGRAD = algo == "winograd"
            row[algo] = {p: cpu_ms(fn, reps) for p, fn in passes.items()}
        conv.WINOGRAD = True
        row["winograd taken"] = bool(conv._winograd_blocks(x, w, y, (1, 1), (1, 1), 1))
        rows.append(row)
    return rows


def pool_rows(reps):
    rng = np.random.default_rng(1)
    rows = []
    for n in (1, 8):
        x = rng.standard_normal((n, 64, 112, 112)).astype(np.float32)
        y = np.empty((n, 64, 56, 56), np.float32)
        idx = np.empty(y.shape, np.int32)
        row = {"batch": n}
        for fast in (False, True):
            row["rows" if fast else "generic"] = cpu_ms(
                lambda f=fast: pool.max_pool_forward(x, y, idx, (3, 3), (2, 2), (1, 1), _fast=f),
                reps)
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    eddl.set_num_threads(args.threads)
    convs, pools = conv_rows(args.reps), pool_rows(args.reps)
    print(f"machine: {platform.processor() or platform.machine()}, threads {args.threads}, "
          f"CPU ms (median of {args.reps})")
    print("| layer (N, C, F, HxW) | pass | direct | Winograd | direct / Winograd | default |")
    print("|---|---|---|---|---|---|")
    for r in convs:
        n, c, f, hw = r["shape"]
        for p in ("forward", "input grad", "weight grad"):
            d, wg = r["direct"][p], r["winograd"][p]
            print(f"| {r['layer']} ({n}, {c}, {f}, {hw}x{hw}) | {p} | {d:.2f} | {wg:.2f} | "
                  f"{d / wg:.2f} | {'Winograd' if r['winograd taken'] else 'direct'} |")
    print("\n| max pool 3x3/2, 64x112x112 | generic | row loop | generic / row loop |")
    print("|---|---|---|---|")
    for r in pools:
        print(f"| batch {r['batch']} | {r['generic']:.2f} | {r['rows']:.2f} | "
              f"{r['generic'] / r['rows']:.2f} |")
    print(json.dumps({"benchmark": "conv_kernels", "threads": args.threads, "conv": convs,
                      "maxpool": pools, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
