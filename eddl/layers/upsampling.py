"""Resampling layers (UpSampling2D/3D, Resize) and constant padding (Pad).

Resampling is separable: each spatial axis is mapped by a small ``out x in`` matrix (nearest or
linear interpolation with an ONNX coordinate transformation mode), so the backward pass is the
product with the transposed matrices. Samples near the border use the nearest input values.
"""

from .base import Layer
from .conv import int_tuple

__all__ = ["Resample", "UpSampling2D", "UpSampling3D", "Resize", "Pad"]

_DA_MODES = ("constant", "reflect", "nearest", "mirror", "wrap", "original")


class Resample(Layer):
    """Resize the spatial axes of ``C x *spatial`` inputs to ``new_shape``."""

    prefix = "resize"

    def __init__(self, parent, new_shape, interpolation="nearest",
                 coordinate_transformation_mode="asymmetric", name=""):
        modes = {"nearest": "nearest", "linear": "linear", "bilinear": "linear",
                 "trilinear": "linear"}
        if interpolation not in modes:
            raise ValueError(f"{type(self).__name__}: interpolation must be one of {sorted(modes)}, "
                             f"got {interpolation!r}")
        self.interp = modes[interpolation]
        transforms = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")
        if coordinate_transformation_mode not in transforms:
            raise ValueError(f"{type(self).__name__}: coordinate_transformation_mode must be one "
                             f"of {transforms}, got {coordinate_transformation_mode!r}")
        self.transform = coordinate_transformation_mode
        self._new_shape = new_shape
        self._mats = None
        super().__init__([parent], name)

    def compute_shape(self, s):
        if not 2 <= len(s) <= 4:
            raise self.shape_error(f"expects C x 1-3 spatial axes, got {list(s)}")
        new = int_tuple(self._new_shape, len(s) - 1, "new_shape", self.name)
        return (s[0],) + new

    def _matrices(self):
        if self._mats is None or self._mats[0].dtype != self.dtype:
            rs = self.be.resample
            ins = self.parents[0].shape[1:]
            self._mats = [rs.resample_matrix(i, o, self.interp, self.transform, self.dtype)
                          for i, o in zip(ins, self.shape[1:])]
        return self._mats

    def forward(self):
        x = self.parents[0].output
        if not x.flags.c_contiguous:
            buf = self.buffer("x", x.shape)
            buf[...] = x
            x = buf
        self.be.resample.resample(x, self.output, self._matrices())

    def backward(self):
        self.put_delta(0, lambda out: self.be.resample.resample_backward(self.delta, out,
                                                                          self._matrices()))


class UpSampling2D(Resample):
    """Enlarge ``C x H x W`` inputs by integer factors ``size`` (nearest or bilinear)."""

    prefix = "upsampling"

    def __init__(self, parent, size, interpolation="nearest", name=""):
        self._size = int_tuple(size, 2, "size", "UpSampling2D")
        super().__init__(parent, None, interpolation, "asymmetric", name)

    def compute_shape(self, s):
        if len(s) != 3:
            raise self.shape_error(f"expects a C x H x W input, got {list(s)}")
        self._new_shape = [n * f for n, f in zip(s[1:], self._size)]
        return super().compute_shape(s)


def _check_da(da_mode, reshape, what):
    if da_mode not in _DA_MODES:
        raise ValueError(f"{what}: da_mode must be one of {_DA_MODES}, got {da_mode!r}")
    if not reshape:
        raise NotImplementedError(f"{what}: reshape=False (resize inside a fixed canvas) is not "
                                  f"supported; use reshape=True")


class Resize(Resample):
    """Resize the spatial axes to ``new_shape`` (linear interpolation, like EDDL's Resize)."""

    prefix = "resize"

    def __init__(self, parent, new_shape, reshape=True, da_mode="constant", constant=0.0,
                 coordinate_transformation_mode="asymmetric", name="", interpolation="linear"):
        _check_da(da_mode, reshape, type(self).__name__)
        self.constant = float(constant)
        super().__init__(parent, new_shape, interpolation, coordinate_transformation_mode, name)


class UpSampling3D(Resize):
    """Resize ``C x D x H x W`` inputs to ``new_shape`` (trilinear)."""

    prefix = "upsampling3d"

    def compute_shape(self, s):
        if len(s) != 4:
            raise self.shape_error(f"expects a C x D x H x W input, got {list(s)}")
        return super().compute_shape(s)


class Pad(Layer):
    """Constant padding of the last two axes: ``padding`` is ``[top, right, bottom, left]``
    (or ``[vertical, horizontal]``, applied on both sides)."""

    prefix = "pad"

    def __init__(self, parent, padding, constant=0.0, name=""):
        p = list(padding)
        if len(p) == 2:
            p = [p[0], p[1], p[0], p[1]]
        if len(p) != 4 or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in p):
            raise ValueError(f"Pad: padding must be 2 or 4 non-negative ints, got {padding!r}")
        self.padding = tuple(p)
        self.constant = float(constant)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if len(s) < 2:
            raise self.shape_error(f"needs at least 2 axes to pad, got {list(s)}")
        t, r, b, l = self.padding
        return s[:-2] + (s[-2] + t + b, s[-1] + l + r)

    def _inner(self, a):
        t, _, _, l = self.padding
        h, w = self.parents[0].shape[-2:]
        return a[..., t:t + h, l:l + w]

    def forward(self):
        self.output.fill(self.constant)
        self._inner(self.output)[...] = self.parents[0].output

    def backward(self):
        def write(out):
            out[...] = self._inner(self.delta)
        self.put_delta(0, write)
