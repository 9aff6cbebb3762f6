"""Sliding-window inference on a volume with a 3-D U-Net, and whole-slide prediction.

First table: ``bridge.sliding.sliding_window_inference`` over a float32 ``[1, 1, D, H, W]``
volume (default 128 x 256 x 256) with ``eddl.zoo.unet3d`` (2 classes, softmax), ROI 96^3,
overlap 0.25, constant and Gaussian blending. For each run: the seconds of the whole call, the
seconds spent inside the network (the predictor calls, summed), the loop's own share
``(call - network) / network`` (target below 10%), and the peak of traced Python/NumPy memory
during a separate, untimed call (``tracemalloc``), next to the size of the output. When MONAI
is importable, ``monai.inferers.sliding_window_inference`` runs the same network on the same
volume (its predictor converts torch tensors to NumPy and back) and is shown side by side.

Second table: ``bridge.slide.predict_slide`` over a procedural slide (RGB tiles made on
demand, so no file is involved) with a small CNN classifier, overlapping tiles and Gaussian
blending: tiles per second, network, tile-reading and aggregation seconds, and the peak of
traced memory, to be compared with the size of the slide.

Run: ``python benchmarks/sliding_window.py [--size 128 256 256] [--roi 96] [--overlap 0.25]
[--sw-batch 2] [--depth 3] [--base 16] [--reps 3] [--slide 8192 8192] [--tile 128]``;
``--quick`` uses small sizes (a smoke test). Prints the tables and one JSON line.
"""

import argparse
import json
import platform
import statistics
import time
import tracemalloc

import numpy as np

import ecvl
import eddl
from bridge.app.models import small_cnn
from bridge.slide import predict_slide
from bridge.sliding import _predict_fn, sliding_window_inference


class Timed:
    """A predictor that adds up the seconds spent in the wrapped one."""

    def __init__(self, fn):
        self.fn, self.seconds, self.calls, self.samples = fn, 0.0, 0, 0

    def __call__(self, x):
        t = time.perf_counter()
        y = np.asarray(self.fn(x))
        self.seconds += time.perf_counter() - t
        self.calls += 1
        self.samples += len(x)
        return y


class ProceduralSlide:
    """One-level RGB slide whose tiles are computed when read: stripes, blobs and noise."""

    def __init__(self, height, width):
        self.size = (width, height)
        self.read_seconds = 0.0

    def GetLevelsDimensions(self):
        return [self.size]

    def GetLevelDownsamples(self):
        return [1.0]

    def read_region(self, x, y, w, h, level=0):
        t = time.perf_counter()
        yy, xx = np.ogrid[y:y + h, x:x + w]
        a = np.empty((h, w, 3), np.uint8)
        a[..., 0] = 120 + 100 * (((xx // 700) + (yy // 500)) % 2)
        a[..., 1] = (xx * 3 + yy * 5) % 256
        a[..., 2] = 180
        img = ecvl.Image.from_canonical(a, "xyc", ecvl.ColorType.RGB)
        self.read_seconds += time.perf_counter() - t
        return img


def built(net):
    eddl.build(net, eddl.adam(0.001), ["mse"], ["mse"], eddl.CS_CPU())
    return net


def traced_peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def volume_rows(args):
    rng = np.random.default_rng(0)
    vol = rng.random((1, 1) + tuple(args.size), dtype=np.float32)
    roi = (args.roi,) * 3
    net = built(eddl.zoo.unet3d([1, *roi], 2, depth=args.depth, base_filters=args.base))
    predict = _predict_fn(net)
    try:
        import torch
        from monai.inferers import sliding_window_inference as monai_swi
        monai_version = __import__("monai").__version__
    except ImportError:
        monai_swi, monai_version = None, None
    rows = []
    for mode in ("constant", "gaussian"):
        ours, peer = [], []
        for _ in range(args.reps):
            f = Timed(predict)
            t = time.perf_counter()
            out = sliding_window_inference(vol, roi, f, args.sw_batch, args.overlap, mode)
            ours.append((time.perf_counter() - t, f.seconds, f.calls, f.samples))
            if monai_swi is not None:
                g = Timed(predict)

                def torch_predictor(b, g=g):
                    return torch.from_numpy(g(b.numpy()))

                t = time.perf_counter()
                with torch.no_grad():
                    monai_swi(torch.from_numpy(vol), roi, args.sw_batch, torch_predictor,
                              overlap=args.overlap, mode=mode)
                peer.append((time.perf_counter() - t, g.seconds, g.calls))
        peak = traced_peak(lambda: sliding_window_inference(vol, roi, Timed(predict),
                                                            args.sw_batch, args.overlap, mode))
        row = {"mode": mode, "windows": ours[0][3], "predictor_calls": ours[0][2],
               "call_s": statistics.median(r[0] for r in ours),
               "network_s": statistics.median(r[1] for r in ours),
               "peak_mib": peak / 2**20, "output_mib": out.nbytes / 2**20}
        row["loop_overhead"] = (row["call_s"] - row["network_s"]) / row["network_s"]
        if peer:
            row["monai_call_s"] = statistics.median(r[0] for r in peer)
            row["monai_network_s"] = statistics.median(r[1] for r in peer)
            row["monai_loop_overhead"] = ((row["monai_call_s"] - row["monai_network_s"])
                                          / row["monai_network_s"])
        rows.append(row)
    return rows, monai_version


def slide_rows(args):
    tile = args.tile
    net = built(small_cnn([3, tile, tile], 2))
    rows = []
    for overlap, mode in ((0.0, "constant"), (0.5, "gaussian")):
        slide = ProceduralSlide(*args.slide)
        f = Timed(_predict_fn(net))
        t = time.perf_counter()
        res = predict_slide(slide, f, tile, overlap=overlap, mode=mode, downsample=tile // 4,
                            batch_size=32, progress=False)
        total = time.perf_counter() - t
        peak = traced_peak(lambda: predict_slide(ProceduralSlide(*args.slide), _predict_fn(net),
                                                 tile, overlap=overlap, mode=mode,
                                                 downsample=tile // 4, batch_size=32,
                                                 progress=False))
        rows.append({"overlap": overlap, "mode": mode, "tiles": res.tiles, "call_s": total,
                     "tiles_per_s": res.tiles / total, "network_s": f.seconds,
                     "read_s": slide.read_seconds,
                     "aggregate_s": total - f.seconds - slide.read_seconds,
                     "peak_mib": peak / 2**20,
                     "slide_mib": args.slide[0] * args.slide[1] * 3 / 2**20,
                     "output_shape": list(res.probabilities.shape)})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, nargs=3, default=[128, 256, 256], metavar=("D", "H", "W"))
    ap.add_argument("--roi", type=int, default=96)
    ap.add_argument("--overlap", type=float, default=0.25)
    ap.add_argument("--sw-batch", type=int, default=2)
    ap.add_argument("--depth", type=int, default=3, help="poolings of the U-Net")
    ap.add_argument("--base", type=int, default=16, help="filters of its first level")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--slide", type=int, nargs=2, default=[8192, 8192], metavar=("H", "W"))
    ap.add_argument("--tile", type=int, default=128)
    ap.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    args = ap.parse_args(argv)
    if args.quick:
        args.size, args.roi, args.depth, args.base, args.reps = [24, 40, 36], 16, 2, 4, 1
        args.slide, args.tile = [384, 512], 64
    vol, monai_version = volume_rows(args)
    d, h, w = args.size
    print(f"Sliding window: [1, 1, {d}, {h}, {w}] float32, eddl.zoo.unet3d depth {args.depth} "
          f"base {args.base}, ROI {args.roi}^3, overlap {args.overlap}, sw_batch "
          f"{args.sw_batch}, median of {args.reps}")
    print(f"{'blend':>8} | {'windows':>7} | {'call s':>8} | {'network s':>9} | loop share | "
          f"{'peak MiB':>8} | {'output MiB':>10} | {'MONAI call s':>12} | MONAI loop share")
    for r in vol:
        m = (f"{r['monai_call_s']:>12.2f} | {100 * r['monai_loop_overhead']:.1f}%"
             if "monai_call_s" in r else f"{'n/a':>12} | n/a")
        print(f"{r['mode']:>8} | {r['windows']:>7} | {r['call_s']:>8.2f} | "
              f"{r['network_s']:>9.2f} | {100 * r['loop_overhead']:>9.1f}% | "
              f"{r['peak_mib']:>8.1f} | {r['output_mib']:>10.1f} | {m}")
    sl = slide_rows(args)
    print(f"\nWhole slide: {args.slide[0]} x {args.slide[1]} RGB (procedural), tiles "
          f"{args.tile}, small_cnn, cells of {args.tile // 4} pixels")
    print(f"{'overlap':>7} | {'tiles':>6} | {'tiles/s':>8} | {'network s':>9} | {'read s':>7} | "
          f"{'aggregate s':>11} | {'peak MiB':>8} | slide MiB")
    for r in sl:
        print(f"{r['overlap']:>7} | {r['tiles']:>6} | {r['tiles_per_s']:>8.1f} | "
              f"{r['network_s']:>9.2f} | {r['read_s']:>7.2f} | {r['aggregate_s']:>11.2f} | "
              f"{r['peak_mib']:>8.1f} | {r['slide_mib']:.1f}")
    print(json.dumps({"benchmark": "sliding_window", "size": args.size, "roi": args.roi,
                      "overlap": args.overlap, "sw_batch": args.sw_batch, "depth": args.depth,
                      "base": args.base, "volume": vol, "slide": sl, "slide_size": args.slide,
                      "tile": args.tile, "monai": monai_version, "numpy": np.__version__,
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
