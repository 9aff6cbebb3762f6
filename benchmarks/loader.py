"""Data-loader throughput: DLDataset vs albumentations in a minimal thread-pool loader.

Both read the same 512x512 JPEG files, decode them, apply the toolkit paper's Listing 3
pipeline (see ``benchmarks/augment.py``) and assemble float32 ``[B, 3, 100, 100]`` batches
scaled to [0, 1]. Images per second for one epoch with 1 and 2 worker threads (after a
warm-up epoch). Each loader runs in its own process under its own default environment
(``benchmarks/procs.py``); ``--reps`` rounds alternate one fresh process per loader; medians
(and min-max) over the rounds.

Second table: the U-Net segmentation training of the training command (``small_unet`` on the
built-in synthetic lesions, 64x64, two loader threads), with the seconds each training epoch
spent blocked in the loader (``LoadBatch``) and their share of the epoch; the target is at most
5%, i.e. the training step never waits for data.

Run: ``python benchmarks/loader.py [--images 96] [--batch 16] [--reps 3] [--unet-epochs 3]
[--frameworks bridge albumentations]``
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import procs  # before any toolkit import: it keeps the environment from before it
from PIL import Image as PILImage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augment import LISTING_3, albumentations_pipeline  # noqa: E402

FRAMEWORKS = ("bridge", "albumentations")


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
    import ecvl.augment as A
    from bridge import DLDataset

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


def unet_loader_wait(epochs, workers=2):
    """Per-epoch loader wait of the training command's U-Net run (the history it records)."""
    from bridge.app.experiment import resolve
    from bridge.app.synth import generate_lesion_dataset
    from bridge.app.train import run_experiment

    root = tempfile.mkdtemp(prefix="unet_wait_")
    paths = generate_lesion_dataset(os.path.join(root, "data"))
    cfg = resolve(overrides={"dataset": paths["segmentation"], "epochs": epochs,
                             "workers": workers, "out": os.path.join(root, "run"),
                             "overlays": 0})
    history = run_experiment(cfg, verbose=False)["history"]
    return [{k: h[k] for k in ("epoch", "train_seconds", "loader_wait", "loader_wait_fraction")}
            for h in history]


def run_framework(framework, ddf, files, batch, mode="epochs", unet_epochs=0):
    """One round in this process: an epoch's images/s and CPU ms per image with 1 and 2 workers
    (after a warm-up epoch), or (``mode="unet"``, ours only) the U-Net run's loader waits."""
    if framework == "bridge":
        import ecvl

        ecvl.set_num_threads(-1 if mode == "unet" else 1)
        if mode == "unet":
            return {"unet": unet_loader_wait(unet_epochs)}
    else:
        import cv2

        cv2.setNumThreads(1)
    out = {}
    for workers in (1, 2):
        epoch = ours(ddf, batch, workers) if framework == "bridge" else peer(files, batch, workers)
        if workers == 1:
            epoch()  # warm-up: first-call costs, file cache
        t, c = time.perf_counter(), time.process_time()
        n = epoch()
        out[f"img_s_{workers}"] = n / (time.perf_counter() - t)
        out[f"cpu_ms_{workers}"] = 1e3 * (time.process_time() - c) / n
    if framework == "albumentations":
        import albumentations

        out["version"] = albumentations.__version__
    return out


RUNNERS = {fw: (lambda fw: lambda **kw: run_framework(fw, **kw))(fw) for fw in FRAMEWORKS}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=96)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3, help="processes per loader, alternated")
    ap.add_argument("--unet-epochs", type=int, default=3, help="0 skips the U-Net table")
    procs.add_arguments(ap, FRAMEWORKS)
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = ap.parse_args()
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS, {})
    if "bridge" not in frameworks:
        raise SystemExit("loader compares against DLDataset: include bridge in --frameworks")
    root = tempfile.mkdtemp(prefix="loader_bench_")
    ddf, files = make_files(root, args.images)
    res = procs.compare(__file__, frameworks, {"ddf": ddf, "files": files, "batch": args.batch},
                        args.reps, "the loader epoch")
    mine, theirs = res["bridge"], res.get("albumentations")
    alb_version = theirs["version"] if theirs else None
    rows = []
    for workers in (1, 2):
        rate, cpu = f"img_s_{workers}", f"cpu_ms_{workers}"
        rows.append({"workers": workers, "dldataset_img_s": mine[rate]["median"],
                     "peer_img_s": theirs[rate]["median"] if theirs else None,
                     "dldataset_cpu_ms": mine[cpu]["median"],
                     "peer_cpu_ms": theirs[cpu]["median"] if theirs else None,
                     "dldataset_spread": [mine[rate]["min"], mine[rate]["max"]],
                     "peer_spread": [theirs[rate]["min"], theirs[rate]["max"]] if theirs else None})
    print(f"Loader: {args.images} JPEG 512x512 -> Listing 3 -> float32 [B,3,100,100], batch "
          f"{args.batch}, one process per loader and round, median of {args.reps} alternated rounds")
    print("(CPU ms/img: process CPU time per image, all threads; less sensitive to other load)")
    print(f"{'workers':>7} | {'DLDataset img/s':>15} | {'albumentations+pool img/s':>25} | "
          f"ratio | {'CPU ms/img ours':>15} | {'peer':>6} | CPU ratio")
    for r in rows:
        p = r["peer_img_s"]
        ratio = f"{r['dldataset_img_s'] / p:.2f}" if p else "n/a"
        pc = r["peer_cpu_ms"]
        cratio = f"{pc / r['dldataset_cpu_ms']:.2f}" if pc else "n/a"
        print(f"{r['workers']:>7} | {r['dldataset_img_s']:>15.1f} | "
              f"{(f'{p:.1f}' if p else 'n/a'):>25} | {ratio:>5} | "
              f"{r['dldataset_cpu_ms']:>15.2f} | {(f'{pc:.2f}' if pc else 'n/a'):>6} | {cratio}")
    unet = []
    if args.unet_epochs > 0:
        unet = procs.run_child(__file__, "bridge", {"ddf": ddf, "files": files, "batch": args.batch,
                                                    "mode": "unet", "unet_epochs": args.unet_epochs},
                               "the U-Net loader wait")["unet"]
        print("\nU-Net training (deephealth-train --task segmentation: small_unet, 64x64, "
              "batch 32, 2 loader threads)")
        print(f"{'epoch':>5} | {'training s':>10} | {'loader wait s':>13} | share")
        for r in unet:
            print(f"{r['epoch']:>5} | {r['train_seconds']:>10.2f} | {r['loader_wait']:>13.3f} | "
                  f"{100 * r['loader_wait_fraction']:.1f}%")
    print(json.dumps({"benchmark": "loader", "rows": rows, "unet_loader_wait": unet,
                      "rss_mib": {fw: r["rss_mib"]["median"] for fw, r in res.items()},
                      "albumentations": alb_version, "numpy": np.__version__,
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
