"""Affine warps, rotations and remapping of canonical arrays.

Sampling follows OpenCV 5's ``warpAffine``/``remap``: source coordinates are exact (nearest
rounds them; linear and cubic weights are computed per pixel; Lanczos weights are read from a
1/32-pixel table), so integer results match OpenCV to within one intensity level. uint8
bilinear warps step their coordinates along rows in fixed point, within 2^-12 pixel of exact
(see ``ecvl.imgproc.geometric._warp``). Pixel ``(x, y)`` is the centre of column ``x``, row ``y``.

Rotations and warps of plain uint8 images with member enums and a scalar border value go
straight to one compiled entry; other arguments are validated (and converted) first.
"""

import math

import numpy as np

from ...core.enums import BorderType as BT
from ...core.enums import InterpolationType as IT
from ...core.errors import EcvlValueError
from . import _geomcheck as chk
from . import _warp
from .resize import _cubic_weights, _lanczos4_weights

__all__ = [
    "warp_affine_array",
    "remap_array",
    "rotate_array",
    "rotate_full_array",
    "rotation_matrix",
]

_TAB = 32


def _make_tables():
    f = np.arange(_TAB) / _TAB
    lin = np.stack([1 - f, f], axis=-1)
    tabs = {1: np.zeros(1), 2: lin.ravel(), 4: _cubic_weights(f).ravel(),
            8: _lanczos4_weights(f).ravel()}
    return {k: np.ascontiguousarray(v, np.float64) for k, v in tabs.items()}


_WTABS = _make_tables()
_KSIZE = {IT.nearest: 1, IT.linear: 2, IT.area: 2, IT.cubic: 4, IT.lanczos4: 8}
# A warped element costs several copied ones (coordinates, taps, weights): a 512x512 image
# is already worth a second thread.
_COST = 4


def _prepare(arr, op, interp, border, value, out_shape, out):
    a = chk.canonical(arr, op)
    interp = chk.interpolation(interp, op)
    border = chk.border(border, op)
    bval = chk.border_values(value, a.shape[2], op)
    if out is None:
        # Every output pixel is written unless the border is transparent.
        out = (np.zeros if border is BT.BORDER_TRANSPARENT else np.empty)(out_shape, a.dtype)
    elif (not isinstance(out, np.ndarray) or out.shape != tuple(out_shape) or out.dtype != a.dtype
          or not out.flags.c_contiguous or not out.flags.writeable):
        raise EcvlValueError(f"{op}: out must be a writable C-contiguous {a.dtype} array of shape "
                             f"{tuple(out_shape)}")
    return a, _KSIZE[interp], int(border), bval, out


def _invert_affine(m, op):
    """Return the inverse of an affine map given as six floats.

    Closed form, on Python floats: per-call cost matters for small images.
    """
    a, b, c, d, e, f = m
    det = a * e - b * d
    if abs(det) < 1e-12:
        raise EcvlValueError(f"{op}: the matrix {[[a, b, c], [d, e, f]]} is singular")
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return (ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def _warp_inverse(a, minv, size, interp, border, value, op, out=None):
    """Warp canonical (H, W, C) `a` by the destination-to-source map `minv` (six floats)."""
    shape = (size[0], size[1], a.shape[2])
    if out is None:
        res = _warp.affine_fast(a, minv, size[0], size[1], interp, border, value,
                                chk.threads(shape[0] * shape[1] * shape[2] * _COST))
        if res is not None:
            return res
    a, k, border, bval, out = _prepare(a, op, interp, border, value, shape, out)
    _warp.warp_affine(a, out, np.array(minv), k, _WTABS[k], border, bval,
                      chk.threads(out.size * _COST))
    return out


def warp_affine_array(arr, matrix, size=None, interp=IT.linear, border=BT.BORDER_CONSTANT,
                      value=0, inverse=False, out=None):
    """Apply a 2x3 affine transform to a canonical ``(H, W, C)`` image.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` image, any supported dtype.
    matrix : array_like
        2x3 matrix mapping source ``(x, y, 1)`` to destination ``(x, y)`` (as
        ``cv2.warpAffine``), or destination to source when `inverse` is True.
    size : sequence of int, optional
        Output ``(H, W)``; default the input's.
    interp : InterpolationType, optional
        ``nearest``, ``linear`` (default; also used for ``area``), ``cubic`` or ``lanczos4``.
    border : BorderType, optional
        How samples outside the source are made up (default ``BORDER_CONSTANT``).
        ``BORDER_TRANSPARENT`` leaves those output pixels as they are in `out` (zero when
        `out` is not given).
    value : float or sequence of float, optional
        Constant for ``BORDER_CONSTANT``: a scalar or one value per channel.
    inverse : bool, optional
        Whether `matrix` already maps destination to source.
    out : numpy.ndarray, optional
        Destination array (C-contiguous, right shape and dtype).

    Returns
    -------
    numpy.ndarray
        The warped image.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import warp_affine_array
    >>> a = np.arange(9, dtype=np.uint8).reshape(3, 3, 1)
    >>> warp_affine_array(a, [[1, 0, 1], [0, 1, 0]], interp="nearest")[..., 0]  # shift right
    array([[0, 0, 1],
           [0, 3, 4],
           [0, 6, 7]], dtype=uint8)
    """
    op = "warp_affine"
    m = np.asarray(matrix, dtype=np.float64)
    coeffs = m.ravel().tolist()
    if m.shape != (2, 3) or not all(map(math.isfinite, coeffs)):
        raise EcvlValueError(f"{op}: matrix must be a finite 2x3 array, got {np.asarray(matrix)!r}")
    a = chk.canonical(arr, op)
    size = a.shape[:2] if size is None else tuple(chk.sizes(size, 2, op, "size"))
    minv = tuple(coeffs) if inverse else _invert_affine(coeffs, op)
    return _warp_inverse(a, minv, size, interp, border, value, op, out)


def remap_array(arr, map_x, map_y, interp=IT.linear, border=BT.BORDER_CONSTANT, value=0, out=None):
    """Sample a canonical image at arbitrary source coordinates.

    ``out[y, x] = arr[map_y[y, x], map_x[y, x]]`` with interpolation (``cv2.remap``'s rule).

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` image.
    map_x, map_y : array_like
        Source x and y coordinates, both of the output's ``(h, w)`` shape (converted to
        float32). NaN coordinates count as outside the image.
    interp, border, value, out
        As in :func:`warp_affine_array`.

    Returns
    -------
    numpy.ndarray
        The resampled image, of shape ``map_x.shape + (C,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import remap_array
    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    >>> yy, xx = np.mgrid[0:2, 0:3].astype(np.float32)
    >>> remap_array(a, xx[:, ::-1], yy)[..., 0]          # a horizontal mirror
    array([[2., 1., 0.],
           [5., 4., 3.]], dtype=float32)
    """
    op = "remap"
    mx = np.ascontiguousarray(map_x, dtype=np.float32)
    my = np.ascontiguousarray(map_y, dtype=np.float32)
    if mx.ndim != 2 or mx.shape != my.shape or mx.size == 0:
        raise EcvlValueError(f"{op}: map_x and map_y must be 2-D arrays of one non-empty shape, "
                             f"got {mx.shape} and {my.shape}")
    a0 = chk.canonical(arr, op)
    a, k, border, bval, out = _prepare(a0, op, interp, border, value, mx.shape + (a0.shape[2],), out)
    _warp.remap(a, out, mx, my, k, _WTABS[k], border, bval, chk.threads(out.size * _COST))
    return out


def _rotation(center, angle, scale):
    """rotation_matrix's six coefficients as Python floats."""
    t = math.radians(-float(angle))
    al, be = scale * math.cos(t), scale * math.sin(t)
    cx, cy = float(center[0]), float(center[1])
    return (al, be, (1 - al) * cx - be * cy, -be, al, be * cx + (1 - al) * cy)


def rotation_matrix(center, angle, scale=1.0):
    """2x3 forward matrix rotating by `angle` degrees **clockwise** about `center` ``(x, y)``.

    Parameters
    ----------
    center : sequence of float
        Rotation centre ``(x, y)`` in pixels.
    angle : float
        Degrees; positive turns the picture clockwise as displayed (rows downwards).
    scale : float, optional
        Isotropic scale factor.

    Returns
    -------
    numpy.ndarray
        The 2x3 float64 matrix (``cv2.getRotationMatrix2D(center, -angle, scale)``).
    """
    return np.array(_rotation(center, angle, scale)).reshape(2, 3)


def _finite(v):
    """np.isfinite for one number; Python floats and ints skip NumPy (small-image cost)."""
    if type(v) is float:
        return math.isfinite(v)
    if type(v) is int and -2 ** 63 < v < 2 ** 63:
        return True
    return bool(np.isfinite(v))


def _check_rotation(op, angle, scale, center=None):
    if not _finite(angle):
        raise EcvlValueError(f"{op}: angle must be finite, got {angle!r}")
    if not _finite(scale) or scale <= 0:
        raise EcvlValueError(f"{op}: scale must be a positive number, got {scale!r}")
    if center is not None:
        c = np.asarray(center, dtype=np.float64).ravel()
        if c.size != 2 or not np.all(np.isfinite(c)):
            raise EcvlValueError(f"{op}: center must be [x, y], got {center!r}")
        return c


def _planes(a, axis, op):
    """Move the rotation plane of a (D, H, W, C) volume first; fold the rest into channels."""
    order = {"z": (1, 2, 0, 3), "y": (0, 2, 1, 3), "x": (0, 1, 2, 3)}
    if axis not in order:
        raise EcvlValueError(f"{op}: axis must be 'x', 'y' or 'z', got {axis!r}")
    perm = order[axis]
    v = a.transpose(perm)
    return np.ascontiguousarray(v).reshape(v.shape[0], v.shape[1], -1), perm, v.shape


def _unplanes(out2d, perm, vshape):
    v = out2d.reshape(out2d.shape[:2] + tuple(vshape[2:]))
    inv = np.argsort(perm)
    return np.ascontiguousarray(v.transpose(inv))


def rotate_array(arr, angle, center=None, scale=1.0, interp=IT.linear,
                 border=BT.BORDER_CONSTANT, value=0, axis="z"):
    """Rotate a canonical image clockwise by `angle` degrees, keeping its size.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` image, or ``(D, H, W, C)`` volume rotated about `axis`.
    angle : float
        Degrees, clockwise as displayed.
    center : sequence of float, optional
        ``(x, y)`` of the rotation centre in the rotation plane; default the middle of the
        pixel grid, ``((W - 1) / 2, (H - 1) / 2)``, so 180 degrees is an exact flip.
    scale : float, optional
        Isotropic scale factor (default 1).
    interp, border, value
        As in :func:`warp_affine_array`; outside pixels are 0 by default.
    axis : {'z', 'y', 'x'}, optional
        For volumes: the axis rotated about. ``'z'`` turns every slice in its (y, x)
        plane; ``'y'`` turns the (z, x) planes; ``'x'`` the (z, y) planes.

    Returns
    -------
    numpy.ndarray
        The rotated array, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import rotate_array
    >>> a = np.array([[1, 2], [3, 4]], np.uint8)[..., None]
    >>> rotate_array(a, 90, interp="nearest")[..., 0]
    array([[3, 1],
           [4, 2]], dtype=uint8)
    """
    op = "rotate"
    a = chk.canonical(arr, op, (3, 4))
    c = _check_rotation(op, angle, scale, center)
    if a.ndim == 4:
        plane, perm, vshape = _planes(a, axis, op)
        bval = np.tile(chk.border_values(value, a.shape[3], op), plane.shape[2] // a.shape[3])
        out = rotate_array(plane, angle, center, scale, interp, border, bval)
        return _unplanes(out, perm, vshape)
    h, w = a.shape[:2]
    if c is None:
        c = ((w - 1) / 2.0, (h - 1) / 2.0)
    return _warp_inverse(a, _invert_affine(_rotation(c, angle, scale), op), (h, w), interp,
                         border, value, op)


def rotate_full_array(arr, angle, scale=1.0, interp=IT.linear, border=BT.BORDER_CONSTANT, value=0,
                      axis="z"):
    """Rotate clockwise about the centre, enlarging the output to hold the whole rotated image.

    Parameters
    ----------
    arr : numpy.ndarray
        Canonical ``(H, W, C)`` image or ``(D, H, W, C)`` volume.
    angle : float
        Degrees, clockwise.
    scale : float, optional
        Isotropic scale factor.
    interp, border, value, axis
        As in :func:`rotate_array`.

    Returns
    -------
    numpy.ndarray
        The rotated image; its size is ``round(W|cos| + H|sin|)`` by ``round(W|sin| + H|cos|)``
        (times `scale`).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.geometric import rotate_full_array
    >>> rotate_full_array(np.ones((2, 4, 1), np.uint8), 90).shape
    (4, 2, 1)
    """
    op = "rotate_full"
    a = chk.canonical(arr, op, (3, 4))
    _check_rotation(op, angle, scale)
    if a.ndim == 4:
        plane, perm, vshape = _planes(a, axis, op)
        bval = np.tile(chk.border_values(value, a.shape[3], op), plane.shape[2] // a.shape[3])
        out = rotate_full_array(plane, angle, scale, interp, border, bval)
        return _unplanes(out, perm, vshape)
    h, w = a.shape[:2]
    m = list(_rotation(((w - 1) / 2.0, (h - 1) / 2.0), angle, scale))
    cs, sn = abs(m[0]), abs(m[1])
    nw = max(1, int(round(w * cs + h * sn)))
    nh = max(1, int(round(w * sn + h * cs)))
    m[2] += (nw - w) / 2.0
    m[5] += (nh - h) / 2.0
    return _warp_inverse(a, _invert_affine(m, op), (nh, nw), interp, border, value, op)
