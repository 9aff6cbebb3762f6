"""Geometric augmentations: the ground truth follows with the same sampled parameters.

Masks are resampled with nearest interpolation (``gt_interp`` where PyECVL has it), so
their label values are kept. Sizes are written x-first as in PyECVL: ``dims=(w, h)`` or
``(w, h, d)`` for volumes.
"""

import numpy as np

from . import functional as F
from .base import Augmentation
from .params import Param

__all__ = [
    "AugRotate", "AugResizeDim", "AugResizeScale", "AugFlip", "AugMirror", "AugTranspose",
    "AugGridDistortion", "AugElasticTransform", "AugOpticalDistortion", "AugCenterCrop",
    "AugRandomCrop", "AugAffine", "AugRandomResizedCrop",
]

INTERP = {n: n for n in ("nearest", "linear", "area", "cubic", "lanczos4")}
BORDER = {n: n for n in ("constant", "replicate", "reflect", "wrap", "reflect_101",
                         "transparent")}
BORDER["reflect101"] = "reflect_101"
BORDER.update({"border_" + k: v for k, v in list(BORDER.items())})


def _interp(name="interp", default="linear"):
    return Param(name, "choice", default=default, choices=INTERP,
                 doc="interpolation: nearest, linear, area, cubic or lanczos4")


def _border(default="reflect_101"):
    return Param("border_type", "choice", default=default, choices=BORDER,
                 doc="border: constant, replicate, reflect, wrap or reflect_101")


_BORDER_VALUE = Param("border_value", "number", default=0, doc="value outside for constant")


def _prob(default=0.5):
    return Param("p", "number", default=default, bounds=(0, 1), doc="probability of applying")


def _spatial(a):
    return a.shape[-4:-1] if a.ndim == 4 else a.shape[-3:-1]


def _canon_size(size_xy, a, owner):
    """x-first size (w, h[, d]) -> canonical (h, w) or (d, h, w) for array ``a``."""
    size = tuple(int(round(s)) for s in reversed(size_xy))
    if len(size) == 3 and a.ndim != 4:
        raise ValueError(f"{owner}: a 3-value size needs a volume, got shape {a.shape}")
    return size


class _Flip(Augmentation, register=False):
    geometric = True
    params = (_prob(),)
    op = None

    def draw(self, rng, shape, params):
        params["apply"] = bool(rng.random() < self._values["p"])

    def transform(self, a, params, is_mask):
        return type(self).op(a) if params["apply"] else a


class AugFlip(_Flip):
    """Flip upside down with probability ``p`` (PyECVL ``Flip2D``).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.augment import AugFlip
    >>> AugFlip(p=1.0)(np.arange(4).reshape(2, 2, 1).astype(np.uint8))[:, :, 0]
    array([[2, 3],
           [0, 1]], dtype=uint8)
    """

    op = staticmethod(F.flip)


class AugMirror(_Flip):
    """Mirror left-right with probability ``p`` (PyECVL ``Mirror2D``)."""

    op = staticmethod(F.mirror)


class AugTranspose(_Flip):
    """Swap the x and y axes with probability ``p``."""

    op = staticmethod(F.transpose)


class AugRotate(Augmentation):
    """Rotate clockwise by an angle in degrees drawn from ``angle`` (same size, zeros outside).

    ``center`` is (x, y), default the image centre. Volumes rotate every slice about z.
    """

    geometric = True
    params = (Param("angle", "range", doc="rotation in degrees, [min, max]"),
              Param("center", "vector", default=None, length=2, doc="centre (x, y)"),
              Param("scale", "number", default=1.0, bounds=(1e-6, None), doc="zoom"),
              _interp(), _interp("gt_interp", "nearest"))

    def transform(self, a, params, is_mask):
        interp = params["gt_interp"] if is_mask else params["interp"]
        return F.rotate(a, params["angle"], params["center"], params["scale"], interp)


class AugResizeDim(Augmentation):
    """Resize to ``dims`` = (w, h), or (w, h, d) for volumes."""

    geometric = True
    params = (Param("dims", "vector", length=(2, 3), integer=True, bounds=(1, None),
                    doc="new size, x first"),
              _interp(), _interp("gt_interp", "nearest"))

    def transform(self, a, params, is_mask):
        size = _canon_size(params["dims"], a, type(self).__name__)
        return F.resize(a, size, params["gt_interp"] if is_mask else params["interp"])


class AugResizeScale(Augmentation):
    """Resize by the factors ``scale`` = (sx, sy) or (sx, sy, sz)."""

    geometric = True
    params = (Param("scale", "vector", length=(2, 3), bounds=(1e-6, None),
                    doc="scale per axis, x first"),
              _interp(), _interp("gt_interp", "nearest"))

    def transform(self, a, params, is_mask):
        sp = _spatial(a)
        scale = tuple(reversed(params["scale"]))
        if len(scale) == 2 and len(sp) == 3:
            scale = (1.0,) + scale
        if len(scale) != len(sp):
            raise ValueError(f"AugResizeScale: {len(scale)} scales for shape {a.shape}")
        size = tuple(max(1, int(round(n * s))) for n, s in zip(sp, scale))
        return F.resize(a, size, params["gt_interp"] if is_mask else params["interp"])


class _Warp(Augmentation, register=False):
    """Distortions: a per-call seed makes image and mask warps identical."""

    geometric = True

    def draw(self, rng, shape, params):
        params["seed"] = int(rng.integers(0, 2**32))

    def maps(self, hw, params):
        raise NotImplementedError

    def transform(self, a, params, is_mask):
        mx, my = self.maps(a.shape[-3:-1], params)
        interp = "nearest" if is_mask else params["interp"]
        value = 0 if is_mask else params["border_value"]
        return F.remap(a, mx, my, interp, params["border_type"], value)


class AugGridDistortion(_Warp):
    """Grid distortion: each of ``num_steps`` cells per axis stretched by 1 + U(distort_limit)."""

    params = (Param("num_steps", "range", integer=True, bounds=(1, None), doc="cells per axis"),
              Param("distort_limit", "range", bounds=(-1, None), sampled=False,
                    doc="limits of the stretch of each cell"),
              _interp(), _border(), _BORDER_VALUE)

    def maps(self, hw, params):
        return F.grid_distortion_maps(hw, params["num_steps"], params["distort_limit"],
                                      params["seed"])


class AugElasticTransform(_Warp):
    """Elastic deformation: smoothed random displacements (``alpha`` scale, ``sigma`` smoothness)."""

    params = (Param("alpha", "range", bounds=(0, None), doc="displacement scale (pixels)"),
              Param("sigma", "range", bounds=(1e-3, None), doc="Gaussian smoothing (pixels)"),
              _interp(), _border(), _BORDER_VALUE)

    def maps(self, hw, params):
        return F.elastic_maps(hw, params["alpha"], params["sigma"], params["seed"])


class AugOpticalDistortion(_Warp):
    """Barrel/pincushion distortion with coefficient in ``distort_limit``, centre shift in
    ``shift_limit`` (fractions of the size)."""

    params = (Param("distort_limit", "range", sampled=False, doc="distortion coefficient"),
              Param("shift_limit", "range", sampled=False, doc="centre shift, fraction"),
              _interp(), _border(), _BORDER_VALUE)

    def draw(self, rng, shape, params):
        h, w = shape[-3:-1]
        params["k"] = float(rng.uniform(*params["distort_limit"]))
        params["dx"] = float(rng.uniform(*params["shift_limit"]) * w)
        params["dy"] = float(rng.uniform(*params["shift_limit"]) * h)

    def maps(self, hw, params):
        return F.optical_distortion_maps(hw, params["distort_limit"], params["shift_limit"],
                                         k=params["k"], dx=params["dx"], dy=params["dy"])


def _crop_size(size_xy, a, owner):
    sp = _spatial(a)
    size = _canon_size(size_xy, a, owner)
    if len(size) == 2 and len(sp) == 3:
        size = (sp[0],) + size
    return size, sp


class AugCenterCrop(Augmentation):
    """Central crop of ``size`` = (w, h[, d]); without it, the largest centred square."""

    geometric = True
    params = (Param("size", "vector", default=None, length=(2, 3), integer=True,
                    bounds=(1, None), doc="crop size, x first"),)

    def transform(self, a, params, is_mask):
        owner = type(self).__name__
        if params["size"] is None:
            h, w = a.shape[-3:-1]
            m = min(h, w)
            size, sp = (m, m) if a.ndim == 3 else (a.shape[0], m, m), _spatial(a)
        else:
            size, sp = _crop_size(params["size"], a, owner)
        if any(c > s for c, s in zip(size, sp)):
            raise ValueError(f"{owner}: crop {size} larger than the image {sp}")
        return F.crop(a, [(s - c) // 2 for s, c in zip(sp, size)], size)


class AugRandomCrop(Augmentation):
    """Crop ``size`` = (w, h[, d]) at a random position, padding first when needed."""

    geometric = True
    params = (Param("size", "vector", length=(2, 3), integer=True, bounds=(1, None),
                    doc="crop size, x first"),
              _border("constant"), _BORDER_VALUE)

    def draw(self, rng, shape, params):
        sp = shape[:-1]
        size = tuple(reversed(params["size"]))
        if len(size) == 2 and len(sp) == 3:
            size = (sp[0],) + size
        params["start"] = [int(rng.integers(0, max(s - c, 0) + 1)) for s, c in zip(sp, size)]

    def transform(self, a, params, is_mask):
        size, sp = _crop_size(params["size"], a, type(self).__name__)
        pads = [((c - s) // 2, c - s - (c - s) // 2) if c > s else (0, 0)
                for s, c in zip(sp, size)]
        if any(p != (0, 0) for p in pads):
            value = 0 if is_mask else params["border_value"]
            a = F.pad(a, pads, params["border_type"], value)
        return F.crop(a, params["start"], size)


class AugAffine(Augmentation):
    """Random affine (shift-scale-rotate-shear) about the image centre.

    ``shift`` is a fraction of the image size, ``angle`` and ``shear`` are in degrees.
    """

    geometric = True
    params = (Param("angle", "range", default=(0.0, 0.0), doc="rotation (degrees)"),
              Param("scale", "range", default=(1.0, 1.0), bounds=(1e-6, None), doc="zoom"),
              Param("shift", "range", default=(0.0, 0.0), doc="shift, fraction of the size"),
              Param("shear", "range", default=(0.0, 0.0), bounds=(-80, 80), doc="shear (deg)"),
              _interp(), _interp("gt_interp", "nearest"), _border("constant"), _BORDER_VALUE)

    def draw(self, rng, shape, params):
        params["shift_y"] = float(rng.uniform(*self._values["shift"]))
        params["shift"] = float(params["shift"])

    def transform(self, a, params, is_mask):
        h, w = a.shape[-3:-1]
        m = F.affine_matrix(params["angle"], ((w - 1) / 2, (h - 1) / 2), params["scale"],
                            (params["shift"] * w, params["shift_y"] * h), params["shear"])
        interp = params["gt_interp"] if is_mask else params["interp"]
        value = 0 if is_mask else params["border_value"]
        return F.warp_affine(a, m, (h, w), interp, params["border_type"], value)


class AugRandomResizedCrop(Augmentation):
    """Crop a random area fraction ``scale`` with aspect ``ratio``, resized to ``size``."""

    geometric = True
    volumes = False
    params = (Param("size", "vector", length=2, integer=True, bounds=(1, None),
                    doc="output size (w, h)"),
              Param("scale", "range", default=(0.08, 1.0), bounds=(1e-6, 1), sampled=False,
                    doc="area fraction"),
              Param("ratio", "range", default=(0.75, 4 / 3), bounds=(1e-6, None),
                    sampled=False, doc="aspect ratio w/h"),
              _interp(), _interp("gt_interp", "nearest"))

    def draw(self, rng, shape, params):
        h, w = shape[-3:-1]
        lr = np.log(params["ratio"])
        for _ in range(10):
            area = h * w * rng.uniform(*params["scale"])
            ar = float(np.exp(rng.uniform(*lr)))
            cw = int(round(np.sqrt(area * ar)))
            ch = int(round(np.sqrt(area / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                params["box"] = [int(rng.integers(0, h - ch + 1)),
                                 int(rng.integers(0, w - cw + 1)), ch, cw]
                return
        m = min(h, w)
        params["box"] = [(h - m) // 2, (w - m) // 2, m, m]

    def transform(self, a, params, is_mask):
        top, left, ch, cw = params["box"]
        c = F.crop(a, (top, left), (ch, cw))
        w, h = params["size"]
        return F.resize(c, (h, w), params["gt_interp"] if is_mask else params["interp"])
