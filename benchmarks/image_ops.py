"""Image operations: ecvl side by side with OpenCV and scikit-image, same thread count.

Adding an operation: append a ``Case`` to ``CASES`` (anywhere below, e.g. from another
section of this file). Each case has a name, the image it runs on (``"rgb"``: 2048x2048x3
uint8, ``"gray"``: 512x512 uint8), and three callables taking that canonical ``(H, W, C)``
array: ours, OpenCV's and scikit-image's (``None`` when a peer has no equivalent). Modules
are named through ``_lazy`` so that building the cases imports nothing: each library's
process imports only its own.

Each library runs in its own process under its own default environment
(``benchmarks/procs.py``): ``--rounds`` rounds alternate one fresh process per library, each
timing ``--repeat`` calls of every case after a warm-up one; the medians over the rounds of
the per-process medians are compared.

Run: ``python benchmarks/image_ops.py [--threads N] [--repeat R] [--rounds 3] [--only SUB1,SUB2]
[--frameworks ecvl opencv skimage]``. Prints a table (median milliseconds and ratios) and one
JSON line.
"""

import argparse
import importlib
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import procs  # before any toolkit import: it keeps the environment from before it

FRAMEWORKS = ("ecvl", "opencv", "skimage")
MODULES = {"ecvl": "ecvl", "opencv": "cv2", "skimage": "skimage"}
# the 5x5 ellipse of both ecvl.imgproc.structuring_element("ellipse", 5) and OpenCV's
# getStructuringElement(MORPH_ELLIPSE, (5, 5)), written out so no library builds it for another
ELLIPSE5 = np.array([[0, 0, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1],
                     [0, 0, 1, 0, 0]], np.uint8)


class _lazy:  # noqa: N801  (stands in for a module name)
    """A module imported at its first attribute access."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


@dataclass
class Case:
    name: str
    image: str
    ours: Callable
    opencv: Callable | None = None
    skimage: Callable | None = None


CASES = []


def _images():
    rng = np.random.default_rng(0)
    # Smooth content plus noise: closer to photographs than pure noise, same cost.
    yy, xx = np.mgrid[0:2048, 0:2048]
    base = (127 + 60 * np.sin(xx / 37.0) * np.cos(yy / 53.0))[..., None]
    rgb = np.clip(base + rng.normal(0, 20, (2048, 2048, 3)), 0, 255).astype(np.uint8)
    gray = np.ascontiguousarray(rgb[:512, :512, :1])
    return {"rgb": rgb, "gray": gray}


# ---------------------------------------------------------------- geometric operations
def _geometric_cases():
    cv2, skt, g = _lazy("cv2"), _lazy("skimage.transform"), _lazy("ecvl.imgproc.geometric")

    def sk_rot(a, angle):
        return skt.rotate(a, -angle, order=1, preserve_range=True).astype(a.dtype)

    def cv_rot(a, angle):
        h, w = a.shape[:2]
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -angle, 1.0)
        return cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_LINEAR)

    def sk_resize(a, h, w, order, aa=False):
        return skt.resize(a, (h, w, a.shape[2]), order=order, preserve_range=True,
                          anti_aliasing=aa).astype(a.dtype)

    out = []
    for img in ("rgb", "gray"):
        out += [
            Case("resize 1/2 linear", img, lambda a: g.resize_array(a, (a.shape[0] // 2, a.shape[1] // 2)),
                 lambda a: cv2.resize(a, (a.shape[1] // 2, a.shape[0] // 2)),
                 lambda a: sk_resize(a, a.shape[0] // 2, a.shape[1] // 2, 1)),
            Case("resize 0.7 linear", img, lambda a: g.resize_array(a, (int(a.shape[0] * .7), int(a.shape[1] * .7))),
                 lambda a: cv2.resize(a, (int(a.shape[1] * .7), int(a.shape[0] * .7))),
                 lambda a: sk_resize(a, int(a.shape[0] * .7), int(a.shape[1] * .7), 1)),
            Case("resize 1.5 cubic", img, lambda a: g.resize_array(a, (a.shape[0] * 3 // 2, a.shape[1] * 3 // 2), "cubic"),
                 lambda a: cv2.resize(a, (a.shape[1] * 3 // 2, a.shape[0] * 3 // 2), interpolation=cv2.INTER_CUBIC),
                 # scikit-image's cubic takes over a minute on the RGB image: gray only
                 (lambda a: sk_resize(a, a.shape[0] * 3 // 2, a.shape[1] * 3 // 2, 3))
                 if img == "gray" else None),
            Case("resize 1/3 area", img, lambda a: g.resize_array(a, (a.shape[0] // 3, a.shape[1] // 3), "area"),
                 lambda a: cv2.resize(a, (a.shape[1] // 3, a.shape[0] // 3), interpolation=cv2.INTER_AREA),
                 lambda a: skt.downscale_local_mean(a, (3, 3, 1)).astype(a.dtype)),
            Case("rotate 30 linear", img, lambda a: g.rotate_array(a, 30), lambda a: cv_rot(a, 30),
                 lambda a: sk_rot(a, 30)),
            Case("flip (vertical)", img, lambda a: g.flip_array(a), lambda a: cv2.flip(a, 0),
                 lambda a: np.ascontiguousarray(a[::-1])),
            Case("mirror (horizontal)", img, lambda a: g.mirror_array(a), lambda a: cv2.flip(a, 1),
                 lambda a: np.ascontiguousarray(a[:, ::-1])),
            Case("transpose", img, lambda a: g.transpose_array(a), lambda a: cv2.transpose(a),
                 lambda a: np.ascontiguousarray(a.transpose(1, 0, 2))),
        ]
    return out


# ---------------------------------------------------------------- declared axis order
def _axis_order_cases():
    """The same pixels as an Image declared ``"yxc"`` (what a NumPy user's ``(H, W, C)`` array
    is) and ``"xyc"``: image-level operations should cost the same whatever the order."""
    cv2, ecvl = _lazy("cv2"), _lazy("ecvl")
    made = {}

    def image(a, channels):  # built once per array and order, outside the timing
        key = (id(a), channels)
        if key not in made:
            made[key] = (a, ecvl.Image.fromarray(
                a if channels == "yxc" else a.transpose(1, 0, 2), channels, ecvl.ColorType.RGB))
        return made[key][1]

    def half(a, channels):
        h, w = a.shape[:2]
        return ecvl.resize_dim(image(a, channels), [w // 2, h // 2])

    def cv_half(a):
        return cv2.resize(a, (a.shape[1] // 2, a.shape[0] // 2))

    return [Case("resize 2048² RGB, yxc vs xyc: yxc Image", "rgb", lambda a: half(a, "yxc"),
                 cv_half, None),
            Case("resize 2048² RGB, yxc vs xyc: xyc Image", "rgb", lambda a: half(a, "xyc"),
                 cv_half, None)]


# ---------------------------------------------------------------- non-geometric operations
def _filter_images():
    from scipy import ndimage

    rng = np.random.default_rng(1)
    # smoothed noise thresholded: a 2048x2048 mask with roughly 1,300 blobs
    noise = ndimage.gaussian_filter(rng.random((2048, 2048)).astype(np.float32), 5)
    mask = (noise > np.quantile(noise, 0.8)).astype(np.uint8)[..., None]
    return {"mask": mask}


def _filter_cases():
    cv2, ip = _lazy("cv2"), _lazy("ecvl.imgproc")
    skc, skf = _lazy("skimage.color"), _lazy("skimage.filters")
    skm, skmo = _lazy("skimage.measure"), _lazy("skimage.morphology")
    se5, ell = np.ones((5, 5), np.uint8), ELLIPSE5

    def fp(a, k):  # scikit-image footprint over (H, W, C): same element on every channel
        return k[:, :, None].astype(bool) if a.shape[2] > 1 else k.astype(bool)

    def sq(a):
        return a[..., 0] if a.shape[2] == 1 else a

    out = []
    for img in ("rgb", "gray"):
        ch = None if img == "gray" else -1
        out += [
            Case("gaussian blur sigma=2", img, lambda a: ip.gaussian_blur_array(a, 0, 2.0),
                 lambda a: cv2.GaussianBlur(a, (0, 0), 2.0),
                 lambda a, ch=ch: skf.gaussian(sq(a), sigma=2.0, channel_axis=ch,
                                               preserve_range=True, truncate=3.0)),
            Case("average blur 5x5", img, lambda a: ip.average_blur_array(a, 5),
                 lambda a: cv2.blur(a, (5, 5)), None),
            Case("filter2d 3x3", img, lambda a: ip.filter2d_array(a, [[0, -1, 0], [-1, 5, -1],
                                                                      [0, -1, 0]]),
                 lambda a: cv2.filter2D(a, -1, np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
                                                       np.float32)), None),
            Case("dilate 5x5 rect", img, lambda a: ip.dilate_array(a, se5),
                 lambda a: cv2.dilate(a, se5), lambda a: skmo.dilation(sq(a), fp(a, se5))),
            Case("erode 5x5 ellipse", img, lambda a: ip.erode_array(a, ell),
                 lambda a: cv2.erode(a, ell), lambda a: skmo.erosion(sq(a), fp(a, ell))),
            Case("threshold 127", img, lambda a: ip.threshold_array(a, 127, 255),
                 lambda a: cv2.threshold(a, 127, 255, cv2.THRESH_BINARY), None),
        ]
    out += [
        Case("RGB->GRAY", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "GRAY"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), lambda a: skc.rgb2gray(a)),
        Case("RGB->BGR", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "BGR"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2BGR), lambda a: np.ascontiguousarray(
                 a[..., ::-1])),
        Case("RGB->HSV", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "HSV"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2HSV), lambda a: skc.rgb2hsv(a)),
        Case("RGB->YCbCr", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "YCbCr"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2YCrCb), lambda a: skc.rgb2ycbcr(a)),
        Case("Otsu threshold", "gray", lambda a: ip.otsu_threshold_array(a),
             lambda a: cv2.threshold(a, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU),
             lambda a: skf.threshold_otsu(a)),
        Case("connected components (8)", "mask", lambda a: ip.label_array(a, 8),
             lambda a: cv2.connectedComponents(a, connectivity=8),
             lambda a: skm.label(a[..., 0], connectivity=2)),
        Case("find contours", "mask", lambda a: ip.find_contours_array(a),
             lambda a: cv2.findContours(a, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE), None),
    ]
    return out


def _key(case):
    return f"{case.name} | {case.image}"


def _cases(only):
    # The axis-order rows keep two more 2048² images alive; run last, they cannot change the heap
    # (and so the page faults of large results) that every other case sees.
    return [c for c in CASES + _geometric_cases() + _filter_cases() + _axis_order_cases()
            if any(k in c.name for k in only.split(","))]


def run_framework(framework, threads, repeat, only):
    """One round of one library in this process: case -> median ms of ``repeat`` calls."""
    if framework == "ecvl":
        import ecvl

        ecvl.set_num_threads(threads)
    elif framework == "opencv":
        import cv2

        cv2.setNumThreads(threads)
    images = {**_images(), **_filter_images()}
    attr = {"ecvl": "ours", "opencv": "opencv", "skimage": "skimage"}[framework]
    out = {}
    for c in _cases(only):
        fn = getattr(c, attr)
        if fn is None:
            continue
        a = images[c.image]
        fn(a)  # warm-up
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn(a)
            times.append(time.perf_counter() - t)
        out[_key(c)] = float(np.median(times)) * 1e3
    version = {"opencv": "cv2", "skimage": "skimage"}.get(framework)
    if version:
        out["version"] = importlib.import_module(version).__version__
    return out


RUNNERS = {fw: (lambda fw: lambda **kw: run_framework(fw, **kw))(fw) for fw in FRAMEWORKS}


def run(cases, frameworks, threads, repeat, rounds, only):
    """Alternated rounds of one process per library; a row per case."""
    res = procs.compare(__file__, frameworks,
                        {"threads": threads, "repeat": repeat, "only": only}, rounds,
                        "image operations")
    names = {"ecvl": "ours", "opencv": "opencv", "skimage": "skimage"}
    rows = []
    for c in cases:
        med = {names[fw]: r[_key(c)]["median"] for fw, r in res.items() if _key(c) in r}
        rows.append({"op": c.name, "image": c.image, **{k + "_ms": v for k, v in med.items()},
                     "vs_opencv": med["ours"] / med["opencv"] if "opencv" in med else None,
                     "vs_skimage": med["ours"] / med["skimage"] if "skimage" in med else None,
                     "spread_ms": {names[fw]: [r[_key(c)]["min"], r[_key(c)]["max"]]
                                   for fw, r in res.items() if _key(c) in r}})
    versions = {fw: r.get("version") for fw, r in res.items()}
    rss = {fw: r["rss_mib"]["median"] for fw, r in res.items()}
    return rows, versions, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=9, help="calls per case timed in each process")
    ap.add_argument("--rounds", type=int, default=3, help="processes per library, alternated")
    ap.add_argument("--only", default="", help="comma-separated substrings of case names")
    procs.add_arguments(ap, FRAMEWORKS)
    if procs.is_child():
        procs.serve(RUNNERS)
        return
    args = ap.parse_args()
    frameworks = procs.pick_frameworks(args.frameworks, FRAMEWORKS, MODULES)
    if "ecvl" not in frameworks:
        raise SystemExit("image_ops compares against ecvl: include it in --frameworks")
    cases = _cases(args.only)
    rows, versions, rss = run(cases, frameworks, args.threads, args.repeat, args.rounds, args.only)

    def fmt(v):
        return "-" if v is None else f"{v:.2f}"

    print(f"threads={args.threads} repeat={args.repeat} rounds={args.rounds} "
          f"opencv={versions.get('opencv')} skimage={versions.get('skimage')} "
          f"numpy={np.__version__} cpu={platform.processor() or '?'}; one process per library "
          f"and round")
    print("| op | image | ecvl ms | OpenCV ms | scikit-image ms | ecvl/OpenCV | ecvl/skimage |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['op']} | {r['image']} | {fmt(r.get('ours_ms'))} | {fmt(r.get('opencv_ms'))} | "
              f"{fmt(r.get('skimage_ms'))} | {fmt(r['vs_opencv'])} | {fmt(r['vs_skimage'])} |")
    print(json.dumps({"benchmark": "image_ops", "threads": args.threads, "rounds": args.rounds,
                      "rss_mib": rss, "rows": rows}))


if __name__ == "__main__":
    main()
