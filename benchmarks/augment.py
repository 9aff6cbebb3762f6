"""Augmentation throughput: the toolkit paper's Listing 3 pipeline vs albumentations.

512x512 RGB uint8 images go through: resize to 100x100, mirror (p=0.5), one of gamma /
brightness (p=0.7), one of elastic / grid distortion (p=0.4), rotation in [-30, 30].
Images per second on one thread (a plain loop, kernels single-threaded) and on two (a
thread pool of two workers, the data-loader way), medians of interleaved repetitions.

Run: ``python benchmarks/augment.py [--images 200] [--reps 5] [--profile]``

``--profile`` adds a per-augmentation table for one thread: CPU time per image (and per
call) of each step of both pipelines, and what is left for the pipeline itself (sampling,
dispatch, containers).
"""

import argparse
import collections
import json
import os
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import ecvl
import ecvl.augment as A

LISTING_3 = """\
SequentialAugmentationContainer
    AugResizeDim dims=(100,100)
    AugMirror p=0.5
    OneOfAugmentationContainer p=0.7
        AugGammaContrast gamma=[0,3]
        AugBrightness beta=[0,30]
    End
    OneOfAugmentationContainer p=0.4
        AugElasticTransform alpha=[30,120] sigma=[3,6]
        AugGridDistortion num_steps=[2,5] distort_limit=[-0.3,0.3]
    End
    AugRotate angle=[-30,30]
End
"""


def ours():
    pipe = A.AugmentationFactory.create(LISTING_3)

    def run(i, img):
        return pipe(img, rng=A.sample_rng(0, i))
    return run


def albumentations_pipeline():
    try:
        import albumentations as al
        import cv2
    except ImportError:
        return None, None
    cv2.setNumThreads(1)
    pipe = al.Compose([
        al.Resize(100, 100),
        al.HorizontalFlip(p=0.5),
        al.OneOf([al.RandomGamma(gamma_limit=(1, 300), p=1.0),
                  al.RandomBrightnessContrast(brightness_limit=(0, 30 / 255), contrast_limit=0,
                                              p=1.0)], p=0.7),
        al.OneOf([al.ElasticTransform(alpha=75, sigma=4.5, p=1.0),
                  al.GridDistortion(num_steps=5, distort_limit=(-0.3, 0.3), p=1.0)], p=0.4),
        al.Rotate(limit=30, border_mode=cv2.BORDER_CONSTANT, p=1.0),
    ], seed=0)

    def run(i, img):
        return pipe(image=img)["image"]
    return run, al.__version__


def _timed(table, name, fn):
    def call(*args, **kwargs):
        t = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            table[name][0] += time.thread_time() - t
            table[name][1] += 1
    return call


def profile(images, reps):
    """Per-step CPU time of both pipelines on one thread, interleaved image by image."""
    ours_t, theirs_t = collections.defaultdict(lambda: [0.0, 0]), collections.defaultdict(
        lambda: [0.0, 0])
    pipe = A.AugmentationFactory.create(LISTING_3)
    stack = [pipe]
    while stack:
        aug = stack.pop()
        if hasattr(aug, "augs"):
            stack.extend(aug.augs)
        else:
            aug._forward = _timed(ours_t, type(aug).__name__, aug._forward)
    theirs, _ = albumentations_pipeline()
    if theirs is not None:
        import albumentations as al

        for cls in (al.Resize, al.HorizontalFlip, al.RandomGamma, al.RandomBrightnessContrast,
                    al.ElasticTransform, al.GridDistortion, al.Rotate):
            cls.__call__ = _timed(theirs_t, cls.__name__, cls.__call__)
    total = [0.0, 0.0]
    for _ in range(reps):
        for i, img in enumerate(images):
            t = time.thread_time()
            pipe(img, rng=A.sample_rng(0, i))
            total[0] += time.thread_time() - t
            if theirs is not None:
                t = time.thread_time()
                theirs(i, img)
                total[1] += time.thread_time() - t
    n = reps * len(images)
    print(f"\nper step, one thread, CPU us per image (per call), {n} images")
    for label, table, tot in (("ecvl", ours_t, total[0]), ("albumentations", theirs_t, total[1])):
        if not table:
            continue
        for name, (sec, calls) in table.items():
            print(f"  {label:>14} {name:<26} {sec / n * 1e6:8.1f} ({sec / calls * 1e6:7.1f})")
        rest = tot - sum(v[0] for v in table.values())
        print(f"  {label:>14} {'(pipeline itself)':<26} {rest / n * 1e6:8.1f}")
        print(f"  {label:>14} {'total':<26} {tot / n * 1e6:8.1f}")


def throughput(run, images, workers):
    t = time.perf_counter()
    if workers == 1:
        for i, img in enumerate(images):
            run(i, img)
    else:
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(run, range(len(images)), images))
    return len(images) / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="per-augmentation CPU times too")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (512, 512, 3), dtype=np.uint8) for _ in range(args.images)]
    ecvl.set_num_threads(1)
    mine = ours()
    theirs, alb_version = albumentations_pipeline()
    rows = []
    for workers in (1, 2):
        a, b = [], []
        for _ in range(args.reps):  # interleaved: both see the same machine noise
            a.append(throughput(mine, images, workers))
            if theirs is not None:
                b.append(throughput(theirs, images, workers))
        rows.append({
            "threads": workers,
            "ecvl_img_s": statistics.median(a), "ecvl_spread": [min(a), max(a)],
            "albumentations_img_s": statistics.median(b) if b else None,
            "albumentations_spread": [min(b), max(b)] if b else None,
        })
    print(f"Listing 3 pipeline, 512x512 RGB uint8, {args.images} images, median of "
          f"{args.reps} interleaved runs ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs)")
    print(f"{'threads':>7} | {'ecvl img/s':>10} | {'albumentations img/s':>20} | {'ratio':>5}")
    for r in rows:
        alb = r["albumentations_img_s"]
        ratio = r["ecvl_img_s"] / alb if alb else float("nan")
        r["ratio"] = ratio
        print(f"{r['threads']:>7} | {r['ecvl_img_s']:>10.0f} | "
              f"{(f'{alb:.0f}' if alb else 'n/a'):>20} | {ratio:>5.2f}")
    print(json.dumps({"benchmark": "augment", "numpy": np.__version__,
                      "albumentations": alb_version, "rows": rows}))
    if args.profile:
        profile(images[:100], 3)


if __name__ == "__main__":
    main()
