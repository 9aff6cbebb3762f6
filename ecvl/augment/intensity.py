"""Intensity augmentations: they change the image values and leave the ground truth alone.

``AugToFloat32`` and ``AugDivBy255`` are the exceptions PyECVL defines: they convert the
ground truth too.
"""

import numpy as np

from . import functional_intensity as FI
from .base import Augmentation
from .params import MAX_SIGMA, Param

__all__ = [
    "AugGaussianBlur", "AugAdditiveLaplaceNoise", "AugAdditivePoissonNoise",
    "AugGammaContrast", "AugCoarseDropout", "AugBrightness", "AugSalt", "AugPepper",
    "AugSaltAndPepper", "AugNormalize", "AugToFloat32", "AugDivBy255", "AugScaleTo",
    "AugScaleFromTo", "AugInvertIntensity", "AugEqualizeHistogram", "AugGaussianNoise",
    "AugContrast", "AugCTWindow", "AugCLAHE",
]


class _Simple(Augmentation, register=False):
    """One sampled value passed to one array function."""

    fn = None
    arg = None

    def transform(self, a, params, is_mask):
        return type(self).fn(a, params[self.arg])


class AugGaussianBlur(_Simple):
    """Gaussian blur with ``sigma`` drawn from a range (pixels).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.augment import AugGaussianBlur
    >>> AugGaussianBlur(sigma=[1, 2])(np.zeros((9, 9, 3), np.uint8), rng=0).shape
    (9, 9, 3)
    """

    params = (Param("sigma", "range", bounds=(0, MAX_SIGMA), doc="standard deviation"),)
    fn, arg = staticmethod(FI.gaussian_blur), "sigma"


class AugGammaContrast(_Simple):
    """Gamma correction ``max * (x/max) ** gamma`` with ``gamma`` drawn from a range."""

    params = (Param("gamma", "range", bounds=(0, None), doc="exponent"),)
    fn, arg = staticmethod(FI.gamma_contrast), "gamma"


class AugBrightness(_Simple):
    """Add ``beta`` (drawn from a range) with saturation."""

    params = (Param("beta", "range", doc="value added"),)
    fn, arg = staticmethod(FI.add_brightness), "beta"


class AugContrast(_Simple):
    """Scale the deviation from each channel's mean by ``alpha`` (drawn from a range)."""

    params = (Param("alpha", "range", bounds=(0, None), doc="contrast factor"),)
    fn, arg = staticmethod(FI.contrast), "alpha"


class _Seeded(Augmentation, register=False):
    """Noise-like augmentations: a per-call seed makes the noise replayable."""

    def draw(self, rng, shape, params):
        params["seed"] = int(rng.integers(0, 2**32))
        if "per_channel" in params:
            params["per_channel"] = bool(rng.random() < self._values["per_channel"])

    def transform(self, a, params, is_mask):
        return self.noise(a, params, np.random.default_rng(params["seed"]))


class AugAdditiveLaplaceNoise(_Seeded):
    """Add Laplace noise with standard deviation drawn from ``std_dev``."""

    params = (Param("std_dev", "range", bounds=(0, None), doc="noise std (e.g. 255*0.05)"),)

    def noise(self, a, params, rng):
        return FI.laplace_noise(a, params["std_dev"], rng)


class AugAdditivePoissonNoise(_Seeded):
    """Add zero-mean Poisson noise of rate ``lambda`` (drawn from a range)."""

    params = (Param("lambda_", "range", bounds=(0, None), dsl_name="lambda",
                    doc="Poisson rate (0..10 typical)"),)

    def noise(self, a, params, rng):
        return FI.poisson_noise(a, params["lambda_"], rng)


class AugGaussianNoise(_Seeded):
    """Add Gaussian noise with standard deviation drawn from ``std_dev``."""

    params = (Param("std_dev", "range", bounds=(0, None), doc="noise std"),
              Param("mean", "number", default=0.0, doc="noise mean"))

    def noise(self, a, params, rng):
        return FI.gaussian_noise(a, params["mean"], params["std_dev"], rng)


class AugCoarseDropout(_Seeded):
    """Zero rectangles of side ``drop_size`` (fraction), each with probability ``p``.

    Volumes get cuboids.

    ``per_channel`` is the probability of deciding per channel.
    """

    params = (Param("p", "range", bounds=(0, 1), doc="probability of dropping a cell"),
              Param("drop_size", "range", bounds=(0, 1), doc="cell side, fraction of size"),
              Param("per_channel", "number", bounds=(0, 1), doc="probability of per-channel"))

    def noise(self, a, params, rng):
        return FI.coarse_dropout(a, params["p"], params["drop_size"], params["per_channel"], rng)


class _SaltPepper(_Seeded, register=False):
    params = (Param("p", "range", bounds=(0, 1), doc="fraction of pixels changed"),
              Param("per_channel", "number", bounds=(0, 1), doc="probability of per-channel"))
    salt_fraction = 0.5

    def noise(self, a, params, rng):
        return FI.salt_and_pepper(a, params["p"], params["per_channel"], rng,
                                  type(self).salt_fraction)


class AugSalt(_SaltPepper):
    """Set a fraction ``p`` of pixels to the maximum value."""

    salt_fraction = 1.0


class AugPepper(_SaltPepper):
    """Set a fraction ``p`` of pixels to the minimum value."""

    salt_fraction = 0.0


class AugSaltAndPepper(_SaltPepper):
    """Set a fraction ``p`` of pixels to the maximum or minimum, with equal odds."""


class AugNormalize(Augmentation):
    """``(x - mean) / std``, scalars or one value per channel; the result is float."""

    params = (Param("mean", "number_or_vector", doc="mean (scalar or per channel)"),
              Param("std", "number_or_vector", doc="std (scalar or per channel)"))

    def _check(self):
        m, s = self._values["mean"], self._values["std"]
        if isinstance(m, tuple) != isinstance(s, tuple):
            raise ValueError("AugNormalize: mean and std must both be numbers or both vectors")
        if (s == 0) if not isinstance(s, tuple) else any(v == 0 for v in s):
            raise ValueError(f"AugNormalize: std must not be 0, got std={s!r}; give nonzero "
                             "values (a number, or one per channel)")

    def transform(self, a, params, is_mask):
        return FI.normalize(a, params["mean"], params["std"])


class AugScaleTo(Augmentation):
    """Map the image's [min, max] linearly onto [``new_min``, ``new_max``]."""

    params = (Param("new_min", "number"), Param("new_max", "number"))

    def transform(self, a, params, is_mask):
        return FI.scale_to(a, params["new_min"], params["new_max"])


class AugScaleFromTo(Augmentation):
    """Map [``old_min``, ``old_max``] linearly onto [``new_min``, ``new_max``]."""

    params = (Param("old_min", "number"), Param("old_max", "number"),
              Param("new_min", "number"), Param("new_max", "number"))

    def transform(self, a, params, is_mask):
        return FI.scale_from_to(a, params["old_min"], params["old_max"], params["new_min"],
                                params["new_max"])


class AugCTWindow(Augmentation):
    """Apply CT windowing.

    Clip to ``center +- width/2`` (both drawn from ranges) and map to
    [``out_min``, ``out_max``] as float32.
    """

    params = (Param("center", "range", doc="window level (e.g. HU)"),
              Param("width", "range", bounds=(1e-9, None), doc="window width"),
              Param("out_min", "number", default=0.0), Param("out_max", "number", default=1.0))

    def transform(self, a, params, is_mask):
        return FI.ct_window(a, params["center"], params["width"], params["out_min"],
                            params["out_max"])


class AugToFloat32(Augmentation):
    """Convert to float32 and divide by ``divisor`` (the ground truth by ``divisor_gt``)."""

    geometric = True  # the ground truth is converted too
    params = (Param("divisor", "number", default=1.0, doc="image divisor"),
              Param("divisor_gt", "number", default=1.0, doc="ground-truth divisor"))

    def _check(self):
        if self._values["divisor"] == 0 or self._values["divisor_gt"] == 0:
            raise ValueError(f"AugToFloat32: divisors must not be 0, got divisor="
                             f"{self._values['divisor']!r} and divisor_gt="
                             f"{self._values['divisor_gt']!r}; give nonzero numbers")

    def transform(self, a, params, is_mask):
        return FI.to_float32(a, params["divisor_gt"] if is_mask else params["divisor"])


class AugDivBy255(Augmentation):
    """Divide image and ground truth by 255 (integer data becomes float32)."""

    geometric = True

    def transform(self, a, params, is_mask):
        return FI.div_by_255(a)


class _Maybe(Augmentation, register=False):
    params = (Param("p", "number", default=0.5, bounds=(0, 1), doc="probability"),)

    def draw(self, rng, shape, params):
        params["apply"] = bool(rng.random() < self._values["p"])

    def transform(self, a, params, is_mask):
        return type(self).fn(a) if params["apply"] else a


class AugInvertIntensity(_Maybe):
    """Invert intensities with probability ``p`` (``max - x`` for unsigned data)."""

    fn = staticmethod(FI.invert)


class AugEqualizeHistogram(_Maybe):
    """Histogram equalisation of every channel with probability ``p``."""

    fn = staticmethod(FI.equalize)


class AugCLAHE(Augmentation):
    """Contrast-limited adaptive histogram equalisation with probability ``p``.

    ``clip_limit`` (drawn from a range) caps each tile's histogram at that multiple of its
    mean bin; ``tile_grid_size`` is (columns, rows) of tiles. A volume is equalised slice
    by slice along z (2-D tiles in every axial slice, one intensity scale for the volume);
    this is not a 3-D CLAHE with cubic tiles.
    """

    params = (Param("clip_limit", "range", default=(1.0, 4.0), bounds=(0, None),
                    doc="histogram clip, multiple of the mean bin"),
              Param("tile_grid_size", "vector", default=(8, 8), length=2, integer=True,
                    bounds=(1, None), doc="tiles (x, y)"),
              Param("p", "number", default=0.5, bounds=(0, 1), doc="probability"))

    def draw(self, rng, shape, params):
        params["apply"] = bool(rng.random() < self._values["p"])

    def transform(self, a, params, is_mask):
        if not params["apply"]:
            return a
        gx, gy = params["tile_grid_size"]
        return FI.clahe(a, params["clip_limit"], (gy, gx))
