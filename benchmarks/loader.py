"""Data-loader throughput: DLDataset vs albumentations in a minimal thread-pool loader.

Both read the same 512x512 JPEG files, decode them, apply the toolkit paper's Listing 3
pipeline (see ``benchmarks/augment.py``) and assemble float32 ``[B, 3, 100, 100]`` batches
scaled to [0, 1]. Images per second for one epoch with 1 and 2 worker threads, medians of
interleaved repetitions.

Run: ``python benchmarks/loader.py [--images 96] [--batch 16] [--reps 3]``
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image as PILImage

import ecvl
import ecvl.augment as A
from bridge import DLDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augment import LISTING_3, albumentations_pipeline  # noqa: E402


def make_files(root, n):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:512, 0:512]
    names = []
    for i in range(n):
        base = (128 + 100 * np.sin(xx / (20 + i)) * np.cos(yy / 30))[..., None]
        img = np.clip(base + rng.normal(0, 20, (512, 512, 3)), 0, 255).astype(np.uint8)
        name = f"img_{i:03d}.jpg"
        PILImage.fromarray(img).save(os.path.join(root, name), quality=90)
        names.append(name)
    ddf = os.path.join(root, "bench.yml")
    with open(ddf, "w") as f:
        f.write("name: bench\nimages:\n")
        f.writelines(f"  - {n}\n" for n in names)
        f.write("split:\n  training: [" + ", ".join(map(str, range(n))) + "]\n")
    return ddf, [os.path.join(root, n) for n in names]


def ours(ddf, batch, workers):
    da = A.DatasetAugmentations([A.AugmentationFactory.create(LISTING_3)])
    loader = DLDataset(ddf, batch, da, num_workers=workers, queue_ratio_size=2, scale=1 / 255)

    def epoch():
        loader.ResetBatch(shuffle=True)
        return sum(x.shape[0] for x, _ in loader)
    return epoch


def peer(files, batch, workers):
    run, _ = albumentations_pipeline()
    import cv2

    def one(i):
        img = cv2.cvtColor(cv2.imread(files[i]), cv2.COLOR_BGR2RGB)
        return run(i, img)

    def epoch():
        n = 0
        with ThreadPoolExecutor(workers) as ex:
            for b in range(0, len(files), batch):
                imgs = list(ex.map(one, range(b, min(b + batch, len(files)))))
                x = np.stack(imgs).transpose(0, 3, 1, 2).astype(np.float32) / 255
                n += x.shape[0]
        return n
    return epoch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=96)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="loader_bench_")
    ddf, files = make_files(root, args.images)
    ecvl.set_num_threads(1)
    try:
        import albumentations
        import cv2
        cv2.setNumThreads(1)
        alb_version = albumentations.__version__
    except ImportError:
        alb_version = None
    rows = []
    for workers in (1, 2):
        mine = ours(ddf, args.batch, workers)
        theirs = peer(files, args.batch, workers) if alb_version else None
        a, b = [], []
        for _ in range(args.reps):
            t = time.perf_counter()
            n = mine()
            a.append(n / (time.perf_counter() - t))
            if theirs is not None:
                t = time.perf_counter()
                n = theirs()
                b.append(n / (time.perf_counter() - t))
        rows.append({"workers": workers, "dldataset_img_s": statistics.median(a),
                     "peer_img_s": statistics.median(b) if b else None})
    print(f"Loader: {args.images} JPEG 512x512 -> Listing 3 -> float32 [B,3,100,100], batch "
          f"{args.batch}, median of {args.reps}")
    print(f"{'workers':>7} | {'DLDataset img/s':>15} | {'albumentations+pool img/s':>25} | ratio")
    for r in rows:
        p = r["peer_img_s"]
        ratio = f"{r['dldataset_img_s'] / p:.2f}" if p else "n/a"
        print(f"{r['workers']:>7} | {r['dldataset_img_s']:>15.1f} | "
              f"{(f'{p:.1f}' if p else 'n/a'):>25} | {ratio}")
    print(json.dumps({"benchmark": "loader", "rows": rows, "albumentations": alb_version,
                      "numpy": np.__version__, "python": platform.python_version()}))


if __name__ == "__main__":
    main()
