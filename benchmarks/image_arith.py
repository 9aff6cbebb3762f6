"""Saturating image arithmetic and type conversion: ecvl against OpenCV and plain NumPy.

Each case times ecvl, OpenCV and a NumPy formulation of the same saturating result on a
2048x2048 RGB image, interleaving the three in every repetition and reporting medians
(and the spread of the ecvl/OpenCV ratio). Every result is checked equal first.
Run: python benchmarks/image_arith.py [--reps N] [--threads N]
"""

import argparse
import json
import platform
import time

import numpy as np

import ecvl


def _cases(rng, cv2):
    a = rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    f = (rng.random((2048, 2048, 3)) * 300 - 20).astype(np.float32)
    A, B, F = (ecvl.Image.from_canonical(x, "xyc") for x in (a, b, f))
    za, zf = np.zeros_like(a), np.zeros_like(f)
    k = (1.5, 1.5, 1.5, 0)
    return [
        ("add u8+u8", lambda: ecvl.add(A, B).canonical(), lambda: cv2.add(a, b),
         lambda: np.clip(a.astype(np.int16) + b, 0, 255).astype(np.uint8)),
        ("sub u8-u8", lambda: ecvl.sub(A, B).canonical(), lambda: cv2.subtract(a, b),
         lambda: np.clip(a.astype(np.int16) - b, 0, 255).astype(np.uint8)),
        ("add u8+40", lambda: (A + 40).canonical(), lambda: cv2.add(a, (40, 40, 40, 0)),
         lambda: np.clip(a.astype(np.int16) + 40, 0, 255).astype(np.uint8)),
        ("mul u8*1.5", lambda: (A * 1.5).canonical(), lambda: cv2.multiply(a, k),
         lambda: np.clip(np.rint(a * 1.5), 0, 255).astype(np.uint8)),
        ("f32->u8 saturate", lambda: ecvl.convert_to(F, np.uint8).canonical(),
         lambda: cv2.add(f, zf, dtype=cv2.CV_8U), lambda: np.clip(np.rint(f), 0, 255).astype(np.uint8)),
        ("u8->f32", lambda: ecvl.convert_to(A, np.float32).canonical(),
         lambda: cv2.add(a, za, dtype=cv2.CV_32F), lambda: a.astype(np.float32)),
    ]


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--threads", type=int, default=ecvl.get_num_threads())
    args = p.parse_args()
    import cv2

    ecvl.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    rows = []
    for name, ours, peer, ref in _cases(np.random.default_rng(0), cv2):
        np.testing.assert_array_equal(ours(), peer())
        np.testing.assert_array_equal(ours(), ref())
        t = {"ecvl": [], "opencv": [], "numpy": []}
        for _ in range(args.reps):
            t["ecvl"].append(_time(ours))
            t["opencv"].append(_time(peer))
            t["numpy"].append(_time(ref))
        med = {k: float(np.median(v)) * 1e3 for k, v in t.items()}
        ratios = np.array(t["ecvl"]) / np.array(t["opencv"])
        rows.append({"case": name, **{f"{k}_ms": round(v, 2) for k, v in med.items()},
                     "ecvl/opencv": round(med["ecvl"] / med["opencv"], 2),
                     "ratio_iqr": [round(float(q), 2) for q in np.percentile(ratios, [25, 75])],
                     "ecvl/numpy": round(med["ecvl"] / med["numpy"], 2)})
    print(f"2048x2048x3, {args.threads} thread(s), {args.reps} interleaved repetitions, medians in ms")
    print(f"{'case':18s} {'ecvl':>8s} {'OpenCV':>8s} {'NumPy':>8s} {'ecvl/OpenCV':>12s} {'ecvl/NumPy':>11s}")
    for r in rows:
        print(f"{r['case']:18s} {r['ecvl_ms']:8.2f} {r['opencv_ms']:8.2f} {r['numpy_ms']:8.2f} "
              f"{r['ecvl/opencv']:12.2f} {r['ecvl/numpy']:11.2f}")
    print(json.dumps({"benchmark": "image_arith", "threads": args.threads, "machine": platform.machine(),
                      "numpy": np.__version__, "opencv": cv2.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
