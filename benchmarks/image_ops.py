"""Image operations: ecvl side by side with OpenCV and scikit-image, same thread count.

Adding an operation: append a ``Case`` to ``CASES`` (anywhere below, e.g. from another
section of this file). Each case has a name, the image it runs on (``"rgb"``: 2048x2048x3
uint8, ``"gray"``: 512x512 uint8), and three callables taking that canonical ``(H, W, C)``
array: ours, OpenCV's and scikit-image's (``None`` when a peer has no equivalent).

Run: ``python benchmarks/image_ops.py [--threads N] [--repeat R] [--only SUB1,SUB2]``.
Prints a table (median milliseconds over interleaved repetitions and ratios) and one JSON line.
"""

import argparse
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


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
    import cv2
    from skimage import transform as skt

    from ecvl.imgproc import geometric as g

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
            Case("flip (vertical)", img, g.flip_array, lambda a: cv2.flip(a, 0),
                 lambda a: np.ascontiguousarray(a[::-1])),
            Case("mirror (horizontal)", img, g.mirror_array, lambda a: cv2.flip(a, 1),
                 lambda a: np.ascontiguousarray(a[:, ::-1])),
            Case("transpose", img, g.transpose_array, cv2.transpose,
                 lambda a: np.ascontiguousarray(a.transpose(1, 0, 2))),
        ]
    return out


# ---------------------------------------------------------------- declared axis order
def _axis_order_cases():
    """The same pixels as an Image declared ``"yxc"`` (what a NumPy user's ``(H, W, C)`` array
    is) and ``"xyc"``: image-level operations should cost the same whatever the order."""
    import cv2

    import ecvl

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
    import cv2
    from skimage import color as skc
    from skimage import filters as skf
    from skimage import measure as skm
    from skimage import morphology as skmo

    import ecvl.imgproc as ip

    se5 = np.ones((5, 5), np.uint8)
    ell = ip.structuring_element("ellipse", 5)

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
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), skc.rgb2gray),
        Case("RGB->BGR", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "BGR"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2BGR), lambda a: np.ascontiguousarray(
                 a[..., ::-1])),
        Case("RGB->HSV", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "HSV"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2HSV), skc.rgb2hsv),
        Case("RGB->YCbCr", "rgb", lambda a: ip.change_color_space_array(a, "RGB", "YCbCr"),
             lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2YCrCb), skc.rgb2ycbcr),
        Case("Otsu threshold", "gray", ip.otsu_threshold_array,
             lambda a: cv2.threshold(a, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU),
             skf.threshold_otsu),
        Case("connected components (8)", "mask", lambda a: ip.label_array(a, 8),
             lambda a: cv2.connectedComponents(a, connectivity=8),
             lambda a: skm.label(a[..., 0], connectivity=2)),
        Case("find contours", "mask", ip.find_contours_array,
             lambda a: cv2.findContours(a, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE), None),
    ]
    return out


def _time(fn, a):
    t = time.perf_counter()
    fn(a)
    return time.perf_counter() - t


def run(cases, images, repeat):
    rows = []
    for c in cases:
        a = images[c.image]
        fns = {"ours": c.ours, "opencv": c.opencv, "skimage": c.skimage}
        fns = {k: f for k, f in fns.items() if f is not None}
        for f in fns.values():  # warm-up
            f(a)
        times = {k: [] for k in fns}
        keys = list(fns)
        for r in range(repeat):  # interleaved, so load changes hit every side alike
            # who runs first rotates: the first call after scikit-image (slow, large
            # temporaries) finds a cold cache, which would otherwise always be the same side's
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                times[k].append(_time(fns[k], a))
        med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
        rows.append({"op": c.name, "image": c.image, **{k + "_ms": v for k, v in med.items()},
                     "vs_opencv": med["ours"] / med["opencv"] if "opencv" in med else None,
                     "vs_skimage": med["ours"] / med["skimage"] if "skimage" in med else None})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--only", default="", help="comma-separated substrings of case names")
    args = ap.parse_args()

    import cv2
    import skimage

    import ecvl

    ecvl.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    images = {**_images(), **_filter_images()}
    # The axis-order rows keep two more 2048² images alive; run last, they cannot change the heap
    # (and so the page faults of large results) that every other case sees.
    cases = [c for c in CASES + _geometric_cases() + _filter_cases() + _axis_order_cases()
             if any(k in c.name for k in args.only.split(","))]
    rows = run(cases, images, args.repeat)

    def fmt(v):
        return "-" if v is None else f"{v:.2f}"

    print(f"threads={args.threads} repeat={args.repeat} opencv={cv2.__version__} "
          f"skimage={skimage.__version__} numpy={np.__version__} cpu={platform.processor() or '?'}")
    print("| op | image | ecvl ms | OpenCV ms | scikit-image ms | ecvl/OpenCV | ecvl/skimage |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['op']} | {r['image']} | {fmt(r.get('ours_ms'))} | {fmt(r.get('opencv_ms'))} | "
              f"{fmt(r.get('skimage_ms'))} | {fmt(r['vs_opencv'])} | {fmt(r['vs_skimage'])} |")
    print(json.dumps({"benchmark": "image_ops", "threads": args.threads, "rows": rows}))


if __name__ == "__main__":
    main()
