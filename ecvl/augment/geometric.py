"""Geometric augmentations: the ground truth follows with the same sampled parameters.

Masks are resampled with nearest interpolation (``gt_interp`` where PyECVL has it), so
their label values are kept. Sizes are written x-first as in PyECVL: ``dims=(w, h)`` or
``(w, h, d)`` for volumes.
"""

import numpy as np

from .._kernels import border_choices
from . import functional as F
from .base import Augmentation
from .params import MAX_SIDE, MAX_SIGMA, Param

__all__ = [
    "AugRotate", "AugResizeDim", "AugResizeScale", "AugFlip", "AugMirror", "AugTranspose",
    "AugGridDistortion", "AugElasticTransform", "AugOpticalDistortion", "AugCenterCrop",
    "AugRandomCrop", "AugAffine", "AugRandomResizedCrop",
]

INTERP = {n: n for n in ("nearest", "linear", "area", "cubic", "lanczos4")}
BORDER = border_choices()


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
        raise ValueError(f"{owner}: a 3-value size (x, y, z) needs a volume (D, H, W, C); got "
                         f"a 2-D image of shape {a.shape}")
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
    """Swap the x and y axes with probability ``p``.

    Every slice of a volume is transposed; the x and y spacings of an Image are swapped too.
    """

    op = staticmethod(F.transpose)

    def update_geometry(self, geo, params, in_shape, out_shape):
        if params["apply"]:
            geo.swap_xy()


class _Resample(Augmentation, register=False):
    """Augmentations that resample the pixel grid: spacings scale by old / new size."""

    geometric = True

    def update_geometry(self, geo, params, in_shape, out_shape):
        geo.resampled(in_shape, out_shape)


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


class AugResizeDim(_Resample):
    """Resize to ``dims`` = (w, h), or (w, h, d) for volumes.

    A 2-value size resizes every slice of a volume. Spacings of Images scale by
    ``old size / new size``.

    Examples
    --------
    >>> import ecvl
    >>> from ecvl.augment import AugResizeDim
    >>> img = ecvl.Image([100, 80, 3], channels="xyc", spacings=[0.5, 0.5, 1])
    >>> AugResizeDim(dims=(50, 80))(img).spacings_
    [1.0, 0.5, 1.0]
    """

    params = (Param("dims", "vector", length=(2, 3), integer=True, bounds=(1, MAX_SIDE),
                    doc="new size, x first"),
              _interp(), _interp("gt_interp", "nearest"))

    def transform(self, a, params, is_mask):
        size = _canon_size(params["dims"], a, type(self).__name__)
        return F.resize(a, size, params["gt_interp"] if is_mask else params["interp"])


class AugResizeScale(_Resample):
    """Resize by the factors ``scale`` = (sx, sy) or (sx, sy, sz).

    sz = 1 when a volume gets two factors; spacings of Images scale by
    ``old size / new size``.
    """

    params = (Param("scale", "vector", length=(2, 3), bounds=(1e-6, None),
                    doc="scale per axis, x first"),
              _interp(), _interp("gt_interp", "nearest"))

    def transform(self, a, params, is_mask):
        sp = _spatial(a)
        scale = tuple(reversed(params["scale"]))
        if len(scale) == 2 and len(sp) == 3:
            scale = (1.0,) + scale
        if len(scale) != len(sp):
            raise ValueError(f"AugResizeScale: 3 scales (x, y, z) need a volume (D, H, W, C); "
                             f"got a 2-D image of shape {a.shape}")
        size = tuple(max(1, int(round(n * s))) for n, s in zip(sp, scale))
        return F.resize(a, size, params["gt_interp"] if is_mask else params["interp"])


class _Warp(Augmentation, register=False):
    """Distortions: a per-call seed makes image and mask warps identical.

    Volumes get the same 2-D warp on every slice (an in-plane deformation).
    """

    geometric = True

    def draw(self, rng, shape, params):
        params["seed"] = int(rng.integers(0, 2**32))

    def maps(self, hw, params):
        raise NotImplementedError

    def transform(self, a, params, is_mask, maps=None):
        mx, my = self.maps(a.shape[-3:-1], params) if maps is None else maps
        interp = "nearest" if is_mask else params["interp"]
        value = 0 if is_mask else params["border_value"]
        return F.remap(a, mx, my, interp, params["border_type"], value)

    def _replay(self, img, gt, params, geo=None):
        maps = self.maps(img.shape[-3:-1], params)  # built once for image and mask
        out = self.transform(img, params, False, maps)
        if gt is not None:
            gt = self.transform(gt, params, True, maps)
        return out, gt


class AugGridDistortion(_Warp):
    """Grid distortion: each of ``num_steps`` cells per axis stretched by 1 + U(distort_limit)."""

    params = (Param("num_steps", "range", integer=True, bounds=(1, 1024), doc="cells per axis"),
              Param("distort_limit", "range", bounds=(-1, None), sampled=False,
                    doc="limits of the stretch of each cell"),
              _interp(), _border(), _BORDER_VALUE)

    def maps(self, hw, params):
        return F.grid_distortion_maps(hw, params["num_steps"], params["distort_limit"],
                                      params["seed"])


class AugElasticTransform(_Warp):
    """Elastic deformation: smoothed random displacements (``alpha`` scale, ``sigma`` smoothness).

    The field is ECVL's (uniform noise, 17-tap Gaussian); for ``sigma >= 3`` it is computed
    on a grid of every other pixel with the same statistics (see :mod:`ecvl.imgproc.distortion`).
    """

    params = (Param("alpha", "range", bounds=(0, None), doc="displacement scale (pixels)"),
              Param("sigma", "range", bounds=(1e-3, MAX_SIGMA), doc="Gaussian smoothing (pixels)"),
              _interp(), _border(), _BORDER_VALUE)

    def maps(self, hw, params):
        return F.elastic_maps(hw, params["alpha"], params["sigma"], params["seed"])


class AugOpticalDistortion(_Warp):
    """Apply a barrel/pincushion distortion.

    Its coefficient is drawn from ``distort_limit``, its centre shift from ``shift_limit``
    (fractions of the size).
    """

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
                    bounds=(1, MAX_SIDE), doc="crop size, x first"),)

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
    params = (Param("size", "vector", length=(2, 3), integer=True, bounds=(1, MAX_SIDE),
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


class AugRandomResizedCrop(_Resample):
    """Crop a random box and resize it to ``size``.

    The box covers ``scale`` (a fraction of the area) with aspect ``ratio`` (w/h).

    On a volume a 3-value ``size`` = (w, h, d) crops a box in 3-D: ``scale`` is then the
    fraction of the volume, the depth side takes its cube root (``d / D = scale ** (1/3)``)
    and the in-plane sides the rest with aspect ``ratio``; the box is resized back with the
    volume resize. A 2-value size crops in-plane over the full depth and resizes every
    slice. Spacings of Images scale by ``crop size / output size``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.augment import AugRandomResizedCrop
    >>> vol = np.zeros((20, 32, 32, 1), np.float32)
    >>> AugRandomResizedCrop(size=(16, 16, 8))(vol, rng=0).shape
    (8, 16, 16, 1)
    """

    params = (Param("size", "vector", length=(2, 3), integer=True, bounds=(1, MAX_SIDE),
                    doc="output size (w, h) or (w, h, d)"),
              Param("scale", "range", default=(0.08, 1.0), bounds=(1e-6, 1), sampled=False,
                    doc="area (volume) fraction"),
              Param("ratio", "range", default=(0.75, 4 / 3), bounds=(1e-6, None),
                    sampled=False, doc="aspect ratio w/h"),
              _interp(), _interp("gt_interp", "nearest"))

    def draw(self, rng, shape, params):
        sp = shape[:-1]
        deep = len(params["size"]) == 3
        if deep and len(sp) != 3:
            raise ValueError(f"AugRandomResizedCrop: a 3-value size (x, y, z) needs a volume "
                             f"(D, H, W, C); got a 2-D image of shape {tuple(shape)}")
        h, w = sp[-2:]
        depth = sp[0] if deep else None
        lr = np.log(params["ratio"])
        for _ in range(10):
            frac = rng.uniform(*params["scale"])
            head = []
            if deep:
                cd = min(depth, max(1, int(round(depth * frac ** (1 / 3)))))
                frac *= depth / cd  # what is left for the in-plane area
                head = [int(rng.integers(0, depth - cd + 1))]
            area = h * w * frac
            ar = float(np.exp(rng.uniform(*lr)))
            cw = int(round(np.sqrt(area * ar)))
            ch = int(round(np.sqrt(area / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                starts = head + [int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))]
                params["box"] = starts + ([cd] if deep else []) + [ch, cw]
                return
        m = min(h, w)
        params["box"] = ([0] if deep else []) + [(h - m) // 2, (w - m) // 2] + \
            ([depth] if deep else []) + [m, m]

    @staticmethod
    def _box(shape, box):
        n = len(box) // 2
        starts, size = list(box[:n]), list(box[n:])
        if len(starts) < len(shape) - 1:  # in-plane box on a volume: full depth
            starts, size = [0] + starts, [shape[0]] + size
        return starts, size

    def transform(self, a, params, is_mask):
        starts, size = self._box(a.shape, params["box"])
        c = F.crop(a, starts, size)
        out = _canon_size(params["size"], a, type(self).__name__)
        return F.resize(c, out, params["gt_interp"] if is_mask else params["interp"])

    def update_geometry(self, geo, params, in_shape, out_shape):
        geo.resampled(tuple(self._box(in_shape, params["box"])[1]) + (1,), out_shape)
