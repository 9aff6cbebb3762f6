"""Saturating image arithmetic and type conversion: ecvl against OpenCV and plain NumPy.

Each case times ecvl, OpenCV and a NumPy formulation of the same saturating result on a
2048x2048 RGB image. Each library runs in its own process under its own default environment
(``benchmarks/procs.py``): ``--rounds`` rounds alternate one fresh process per library, each
timing ``--reps`` calls per case after a first one, whose result's digest must be the same for
all three (checked before any time is reported). Medians over the rounds of the per-process
medians, and their spread. The scale factor is 2.0, whose products are exact: ECVL truncates a
scaled integer image (as the original does) where OpenCV and NumPy round, so a factor such as
1.5 would compare two different results.

Run: python benchmarks/image_arith.py [--reps N] [--rounds N] [--threads N]
[--frameworks ecvl opencv numpy]
"""

import argparse
import hashlib
import json
import platform
import time

import numpy as np
import procs  # before any toolkit import: it keeps the environment from before it

FRAMEWORKS = ("ecvl", "opencv", "numpy")


def _data(rng):
    a = rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    f = (rng.random((2048, 2048, 3)) * 300 - 20).astype(np.float32)
    return a, b, f


def _cases(framework, rng):
    """(name, callable) of one library; the same data in every process (seeded ``rng``)."""
    a, b, f = _data(rng)
    if framework == "ecvl":
        import ecvl

        A, B, F = (ecvl.Image.from_canonical(x, "xyc") for x in (a, b, f))
        return [("add u8+u8", lambda: ecvl.add(A, B).canonical()),
                ("sub u8-u8", lambda: ecvl.sub(A, B).canonical()),
                ("add u8+40", lambda: (A + 40).canonical()),
                ("mul u8*2.0", lambda: (A * 2.0).canonical()),
                ("f32->u8 saturate", lambda: ecvl.convert_to(F, np.uint8).canonical()),
                ("u8->f32", lambda: ecvl.convert_to(A, np.float32).canonical())]
    if framework == "opencv":
        import cv2

        za, zf = np.zeros_like(a), np.zeros_like(f)
        k = (2.0, 2.0, 2.0, 0)
        return [("add u8+u8", lambda: cv2.add(a, b)), ("sub u8-u8", lambda: cv2.subtract(a, b)),
                ("add u8+40", lambda: cv2.add(a, (40, 40, 40, 0))),
                ("mul u8*2.0", lambda: cv2.multiply(a, k)),
                ("f32->u8 saturate", lambda: cv2.add(f, zf, dtype=cv2.CV_8U)),
                ("u8->f32", lambda: cv2.add(a, za, dtype=cv2.CV_32F))]
    return [("add u8+u8", lambda: np.clip(a.astype(np.int16) + b, 0, 255).astype(np.uint8)),
            ("sub u8-u8", lambda: np.clip(a.astype(np.int16) - b, 0, 255).astype(np.uint8)),
            ("add u8+40", lambda: np.clip(a.astype(np.int16) + 40, 0, 255).astype(np.uint8)),
            ("mul u8*2.0", lambda: np.clip(np.rint(a * 2.0), 0, 255).astype(np.uint8)),
            ("f32->u8 saturate", lambda: np.clip(np.rint(f), 0, 255).astype(np.uint8)),
            ("u8->f32", lambda: a.astype(np.float32))]


def _digest(x):
    x = np.ascontiguousarray(x)
    return f"{x.dtype}{x.shape}:" + hashlib.sha256(x.tobytes()).hexdigest()


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_framework(framework, threads, reps, mode="time"):
    """One round of one library in this process: case -> median ms, and each result's digest."""
    if framework == "ecvl":
        import ecvl

        if mode == "threads":  # the toolkit's default count, asked for by the parent
            return {"threads": ecvl.get_num_threads()}
        ecvl.set_num_threads(threads)
    elif framework == "opencv":
        import cv2

        cv2.setNumThreads(threads)
    out = {}
    for name, fn in _cases(framework, np.random.default_rng(0)):
        out[f"{name} digest"] = _digest(fn())  # also the warm-up
        out[name] = float(np.median([_time(fn) for _ in range(reps)])) * 1e3
    if framework == "opencv":
        import cv2

        out["version"] = cv2.__version__
    return out


RUNNERS = {fw: (lambda fw: lambda **kw: run_framework(fw, **kw))(fw) for fw in FRAMEWORKS}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15, help="calls per case timed in each process")
    p.add_argument("--rounds", type=int, default=3, help="processes per library, alternated")
    p.add_argument("--threads", type=int, default=None, help="default: the toolkit's default")
    procs.add_arguments(p, FRAMEWORKS)
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = p.parse_args()
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS, {"opencv": "cv2"})
    if "ecvl" not in frameworks:
        raise SystemExit("image_arith compares against ecvl: include it in --frameworks")
    threads = args.threads or procs.run_child(__file__, "ecvl", {"threads": None, "reps": 0,
                                                                 "mode": "threads"},
                                              "the default thread count")["threads"]
    res = procs.compare(__file__, frameworks, {"threads": threads, "reps": args.reps},
                        args.rounds, "saturating arithmetic")
    rows = []
    for name, _ in _cases("numpy", np.random.default_rng(0)):
        digests = {fw: r[f"{name} digest"] for fw, r in res.items()}
        if len(set(digests.values())) != 1:
            raise RuntimeError(f"{name}: the libraries' results differ ({digests})")
        med = {fw: r[name]["median"] for fw, r in res.items()}
        row = {"case": name, **{f"{k}_ms": round(v, 2) for k, v in med.items()},
               "spread_ms": {fw: [round(r[name]["min"], 2), round(r[name]["max"], 2)]
                             for fw, r in res.items()}}
        for peer in ("opencv", "numpy"):
            row[f"ecvl/{peer}"] = round(med["ecvl"] / med[peer], 2) if peer in med else None
        rows.append(row)

    def fmt(v, spec):
        return format(v, spec) if v is not None else format("-", ">" + spec.split(".")[0])
    print(f"2048x2048x3, {threads} thread(s), one process per library and round: median over "
          f"{args.rounds} alternated rounds of the median of {args.reps} calls, in ms")
    print(f"{'case':18s} {'ecvl':>8s} {'OpenCV':>8s} {'NumPy':>8s} {'ecvl/OpenCV':>12s} {'ecvl/NumPy':>11s}")
    for r in rows:
        print(f"{r['case']:18s} {r['ecvl_ms']:8.2f} {fmt(r.get('opencv_ms'), '8.2f')} "
              f"{fmt(r.get('numpy_ms'), '8.2f')} {fmt(r['ecvl/opencv'], '12.2f')} "
              f"{fmt(r['ecvl/numpy'], '11.2f')}")
    print(json.dumps({"benchmark": "image_arith", "threads": threads, "rounds": args.rounds,
                      "machine": platform.machine(), "numpy": np.__version__,
                      "opencv": res.get("opencv", {}).get("version"),
                      "rss_mib": {fw: r["rss_mib"]["median"] for fw, r in res.items()},
                      "rows": rows}))


if __name__ == "__main__":
    main()
