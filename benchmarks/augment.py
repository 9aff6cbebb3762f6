"""Augmentation throughput: the toolkit paper's Listing 3 pipeline vs albumentations.

512x512 RGB uint8 images go through: resize to 100x100, mirror (p=0.5), one of gamma /
brightness (p=0.7), one of elastic / grid distortion (p=0.4), rotation in [-30, 30].
Images per second on one thread (a plain loop, kernels single-threaded) and on two (a
thread pool of two workers, the data-loader way). Each library runs in its own process under
its own default environment (``benchmarks/procs.py``): ``--reps`` rounds alternate one fresh
process per library, each warming up on 10 images and then timing one pass per thread count;
medians (and min-max) over the rounds.

Run: ``python benchmarks/augment.py [--images 200] [--reps 5] [--profile]
[--frameworks ecvl albumentations]``

``--profile`` adds a per-augmentation table for one thread: CPU time per image (and per
call) of each step of both pipelines (each in its own process), and what is left for the
pipeline itself (sampling, dispatch, containers).
"""

import argparse
import collections
import json
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import procs  # before any toolkit import: it keeps the environment from before it

FRAMEWORKS = ("ecvl", "albumentations")

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
    import ecvl.augment as A

    pipe = A.AugmentationFactory.create(LISTING_3)

    def run(i, img):
        return pipe(img, rng=A.sample_rng(0, i))
    run.pipe = pipe
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


def _instrument(framework):
    """The pipeline of ``framework`` with every step's CPU time recorded into the returned table."""
    table = collections.defaultdict(lambda: [0.0, 0])
    if framework == "ecvl":
        run = ours()
        stack = [run.pipe]
        while stack:
            aug = stack.pop()
            if hasattr(aug, "augs"):
                stack.extend(aug.augs)
            else:
                aug._forward = _timed(table, type(aug).__name__, aug._forward)
        return run, table
    import albumentations as al

    run, _ = albumentations_pipeline()
    for cls in (al.Resize, al.HorizontalFlip, al.RandomGamma, al.RandomBrightnessContrast,
                al.ElasticTransform, al.GridDistortion, al.Rotate):
        cls.__call__ = _timed(table, cls.__name__, cls.__call__)
    return run, table


def profile(framework, images, reps):
    """Per-step CPU time of one pipeline on one thread: step -> [us per image, us per call]."""
    run, table = _instrument(framework)
    total = 0.0
    for _ in range(reps):
        for i, img in enumerate(images):
            t = time.thread_time()
            run(i, img)
            total += time.thread_time() - t
    n = reps * len(images)
    out = {name: [sec / n * 1e6, sec / calls * 1e6] for name, (sec, calls) in table.items()}
    out["(pipeline itself)"] = [(total - sum(v[0] for v in table.values())) / n * 1e6, None]
    out["total"] = [total / n * 1e6, None]
    return out


def print_profile(tables, n):
    print(f"\nper step, one thread, CPU us per image (per call), {n} images, each pipeline in "
          f"its own process")
    for label, table in tables.items():
        for name, (per_img, per_call) in table.items():
            call = f" ({per_call:7.1f})" if per_call is not None else ""
            print(f"  {label:>14} {name:<26} {per_img:8.1f}{call}")


def throughput(run, images, workers):
    t = time.perf_counter()
    if workers == 1:
        for i, img in enumerate(images):
            run(i, img)
    else:
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(run, range(len(images)), images))
    return len(images) / (time.perf_counter() - t)


def _images(n):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (512, 512, 3), dtype=np.uint8) for _ in range(n)]


def run_framework(framework, images, mode="throughput", profile_reps=3):
    """One round of ``framework`` in this process: images/s with 1 and 2 workers, or a profile."""
    imgs = _images(images)
    if framework == "ecvl":
        import ecvl

        ecvl.set_num_threads(1)
    if mode == "profile":
        return {"profile": profile(framework, imgs, profile_reps)}
    run, version = (ours(), None) if framework == "ecvl" else albumentations_pipeline()
    for i, img in enumerate(imgs[:10]):  # warm-up: first-call costs of every step
        run(i, img)
    out = {f"img_s_{w}": throughput(run, imgs, w) for w in (1, 2)}
    return {**out, "version": version} if version else out


RUNNERS = {fw: (lambda fw: lambda **kw: run_framework(fw, **kw))(fw) for fw in FRAMEWORKS}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5, help="processes per framework, alternated")
    ap.add_argument("--profile", action="store_true", help="per-augmentation CPU times too")
    procs.add_arguments(ap, FRAMEWORKS)
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = ap.parse_args()
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS, {})
    if "ecvl" not in frameworks:
        raise SystemExit("augment compares against ecvl: include it in --frameworks")
    res = procs.compare(__file__, frameworks, {"images": args.images}, args.reps,
                        "the Listing 3 pipeline")
    alb = res.get("albumentations")
    rows = []
    for workers in (1, 2):
        a, b = res["ecvl"][f"img_s_{workers}"], alb[f"img_s_{workers}"] if alb else None
        rows.append({
            "threads": workers,
            "ecvl_img_s": a["median"], "ecvl_spread": [a["min"], a["max"]],
            "albumentations_img_s": b["median"] if b else None,
            "albumentations_spread": [b["min"], b["max"]] if b else None,
        })
    print(f"Listing 3 pipeline, 512x512 RGB uint8, {args.images} images, one process per "
          f"framework and round, median of {args.reps} alternated rounds "
          f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs)")
    print(f"{'threads':>7} | {'ecvl img/s':>10} | {'albumentations img/s':>20} | {'ratio':>5}")
    for r in rows:
        alb_s = r["albumentations_img_s"]
        ratio = r["ecvl_img_s"] / alb_s if alb_s else float("nan")
        r["ratio"] = ratio
        print(f"{r['threads']:>7} | {r['ecvl_img_s']:>10.0f} | "
              f"{(f'{alb_s:.0f}' if alb_s else 'n/a'):>20} | {ratio:>5.2f}")
    print(json.dumps({"benchmark": "augment", "numpy": np.__version__,
                      "albumentations": alb["version"] if alb else None, "rows": rows,
                      "rss_mib": {fw: r["rss_mib"]["median"] for fw, r in res.items()}}))
    if args.profile:
        n = min(args.images, 100)
        tables = {fw: procs.run_child(__file__, fw, {"images": n, "mode": "profile"},
                                      "the Listing 3 profile")["profile"] for fw in frameworks}
        print_profile(tables, 3 * n)


if __name__ == "__main__":
    main()
