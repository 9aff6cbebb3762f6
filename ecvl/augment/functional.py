"""Geometric array functions used by the augmentations.

They take canonical arrays ``(H, W, C)`` or volumes ``(D, H, W, C)`` (2-D warps then
apply the same warp to every slice) and return new arrays of the same dtype. The
resampling itself is done by the compiled kernels of :mod:`ecvl.imgproc`; what is here
is the augmentation-specific part: volume folding, affine matrices and random crops.
"""

import math

import numpy as np

from ..imgproc import distortion as _dist
from ..imgproc import geometric as _geo

__all__ = [
    "flip", "mirror", "transpose", "resize", "rotate", "warp_affine", "remap",
    "affine_matrix", "crop", "pad", "elastic_maps", "grid_distortion_maps",
    "optical_distortion_maps",
]

flip = _geo.flip_array
mirror = _geo.mirror_array
transpose = _geo.transpose_array
elastic_maps = _dist.elastic_maps
grid_distortion_maps = _dist.grid_distortion_maps
optical_distortion_maps = _dist.optical_distortion_maps


def _fold(a):
    """View a volume as one 2-D image with D*C channels (same warp for every slice)."""
    if a.ndim == 3:
        return a, None
    d, h, w, c = a.shape
    return np.ascontiguousarray(a.transpose(1, 2, 0, 3)).reshape(h, w, d * c), (d, c)


def _unfold(a, fold):
    if fold is None:
        return a
    d, c = fold
    h, w = a.shape[:2]
    return np.ascontiguousarray(a.reshape(h, w, d, c).transpose(2, 0, 1, 3))


def resize(a, shape, interp="linear"):
    """Resize to ``shape`` = ``(H, W)`` or, for volumes, ``(D, H, W)``.

    A 2-D ``shape`` applied to a volume resizes every slice.
    """
    shape = tuple(int(s) for s in shape)
    if a.ndim == 4 and len(shape) == 2:
        shape = (a.shape[0],) + shape
    if len(shape) != a.ndim - 1:
        raise ValueError(f"resize: size {shape} does not fit an array of shape {a.shape}")
    if shape == a.shape[:-1]:
        return a.copy()
    return _geo.resize_array(a, shape, interp)


def remap(a, mapx, mapy, interp="linear", border="constant", value=0.0):
    """Sample ``a`` at ``(mapx, mapy)`` for every output pixel (2-D maps, any volume)."""
    f, fold = _fold(a)
    return _unfold(_geo.remap_array(f, mapx, mapy, interp, border, value), fold)


def warp_affine(a, matrix, out_hw=None, interp="linear", border="constant", value=0.0):
    """Affine warp; ``matrix`` (2x3) maps output pixel ``(x, y)`` to the input."""
    f, fold = _fold(a)
    return _unfold(_geo.warp_affine_array(f, matrix, out_hw, interp, border, value,
                                          inverse=True), fold)


def rotate(a, angle, center=None, scale=1.0, interp="linear", border="constant", value=0.0):
    """Rotate clockwise by ``angle`` degrees about ``center`` (x, y), same size.

    Volumes rotate every slice about the z axis.
    """
    return _geo.rotate_array(a, angle, center, scale, interp, border, value)


def affine_matrix(angle, center, scale=1.0, shift=(0.0, 0.0), shear=0.0):
    """Return the output->input 2x3 matrix of a rotation, scale, shear and shift.

    The rotation is clockwise (degrees), the scale isotropic, the shear along x (degrees) and
    the shift in pixels, all about ``center`` (x, y).
    """
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    # forward map on (x, y) with y pointing down: clockwise on screen
    fwd = scale * (np.array([[c, -s], [s, c]]) @ np.array([[1.0, math.tan(math.radians(shear))],
                                                            [0.0, 1.0]]))
    inv = np.linalg.inv(fwd)
    ctr = np.asarray(center, np.float64)
    m = np.empty((2, 3))
    m[:, :2] = inv
    m[:, 2] = ctr - inv @ (ctr + np.asarray(shift, np.float64))
    return m


def crop(a, starts, size):
    """Crop ``size`` (canonical order, spatial axes) at ``starts``."""
    sp = a.shape[:-1]
    if len(starts) != len(sp) or any(s < 0 or s + n > m for s, n, m in zip(starts, size, sp)):
        raise ValueError(f"crop: box {tuple(size)} at {tuple(starts)} exceeds the spatial "
                         f"shape {sp}")
    idx = tuple(slice(s, s + n) for s, n in zip(starts, size))
    return np.ascontiguousarray(a[idx])


_PAD_NP = {"constant": "constant", "transparent": "constant", "replicate": "edge",
           "reflect": "symmetric", "reflect_101": "reflect", "wrap": "wrap"}


def pad(a, pads, border="constant", value=0.0):
    """Pad the spatial axes by ``pads`` = ``((before, after), ...)`` in canonical order."""
    full = [(0, 0)] * (a.ndim - 1 - len(pads)) + [tuple(p) for p in pads] + [(0, 0)]
    mode = _PAD_NP[border]
    if mode == "constant":
        return np.pad(a, full, mode="constant", constant_values=value)
    return np.pad(a, full, mode=mode)
