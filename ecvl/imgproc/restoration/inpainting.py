"""Inpainting: fill masked pixels from their surroundings.

``telea`` fills the hole from its border inwards, layer by layer in order of distance to the
known pixels (the fast-marching order of Telea 2004), each pixel taking a weighted mean of the
known pixels within `radius`, weighted by inverse squared distance and by how close their
arrival times are. ``ns`` starts from that result and relaxes it towards a harmonic (smooth)
fill by Jacobi iterations of Laplace's equation inside the hole; it is an isotropic-diffusion
stand-in for OpenCV's Navier-Stokes method, not the same algorithm.
"""

import numpy as np
from scipy import ndimage

from ...core._twins import pyecvl_twin
from ...core.enums import InpaintType
from ...core.errors import EcvlValueError
from .._kernutil import as_image_array, deliver, image_canonical, restore, saturate_cast

__all__ = ["inpaint_array", "Inpaint", "inpaint"]


def _method(flag):
    name = getattr(flag, "name", flag)
    key = str(name).lower().replace("inpaint_", "")
    if key not in ("telea", "ns"):
        raise EcvlValueError(f"Inpaint: method must be INPAINT_TELEA or INPAINT_NS, got {flag!r}")
    return key


def inpaint_array(src, mask, radius=3, method="telea"):
    """Fill the pixels where `mask` is nonzero.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` array of any ecvl dtype.
    mask : numpy.ndarray
        ``(H, W)`` (or ``(H, W, 1)``) array; nonzero marks the pixels to fill.
    radius : float, optional
        Neighbourhood radius in pixels (>= 1).
    method : {"telea", "ns"} or InpaintType, optional
        Algorithm (see the module notes).

    Returns
    -------
    numpy.ndarray
        Copy of `src` with the masked pixels filled.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.restoration import inpaint_array
    >>> img = np.tile(np.arange(8, dtype=np.float64) * 10, (8, 1))
    >>> hole = np.zeros((8, 8), np.uint8); hole[3:5, 3:5] = 1
    >>> bool(np.allclose(inpaint_array(img, hole)[3:5, 3:5], img[3:5, 3:5], atol=6))
    True
    """
    op = "Inpaint"
    key = _method(method)
    a, squeeze = as_image_array(src, op, allow_volume=False)
    m = np.asarray(mask)
    m = m[:, :, 0] if m.ndim == 3 and m.shape[-1] == 1 else m
    if m.shape != a.shape[:2]:
        raise EcvlValueError(f"{op}: mask shape {m.shape} differs from image {a.shape[:2]}")
    if not np.isfinite(radius) or radius < 1:
        raise EcvlValueError(f"{op}: radius must be >= 1, got {radius!r}")
    hole = m != 0
    out = a.astype(np.float64)
    if not hole.any():
        return restore(a.copy(), squeeze)
    if hole.all():
        raise EcvlValueError(f"{op}: the mask covers the whole image, nothing to fill from")
    T = ndimage.distance_transform_edt(hole)
    known = ~hole
    r = int(np.ceil(radius))
    offsets = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)
               if 0 < dy * dy + dx * dx <= radius * radius]
    H, W = hole.shape
    levels = np.ceil(T[hole] - 1e-9).astype(np.int64)
    ys_all, xs_all = np.nonzero(hole)
    for lev in np.unique(levels):
        sel = levels == lev
        ys, xs = ys_all[sel], xs_all[sel]
        acc = np.zeros((len(ys), out.shape[-1]))
        wsum = np.zeros(len(ys))
        for dy, dx in offsets:
            qy, qx = ys + dy, xs + dx
            ok = (qy >= 0) & (qy < H) & (qx >= 0) & (qx < W)
            ok[ok] &= known[qy[ok], qx[ok]]
            if not ok.any():
                continue
            w = np.zeros(len(ys))
            w[ok] = 1.0 / (dy * dy + dx * dx) / (1.0 + np.abs(T[ys[ok], xs[ok]] - T[qy[ok], qx[ok]]))
            acc[ok] += w[ok, None] * out[qy[ok], qx[ok]]
            wsum += w
        filled = wsum > 0
        out[ys[filled], xs[filled]] = acc[filled] / wsum[filled, None]
        known[ys[filled], xs[filled]] = True
    if key == "ns":
        out = _harmonic(out, hole)
    return restore(saturate_cast(out, a.dtype) if a.dtype.kind != "f" else out.astype(a.dtype),
                   squeeze)


def _harmonic(img, hole, iterations=200):
    padded_hole = hole
    for _ in range(iterations):
        p = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
        avg = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) / 4.0
        img[padded_hole] = avg[padded_hole]
    return img


def inpaint(src, mask, radius=3, method=InpaintType.INPAINT_TELEA):
    """Inpainted copy of an :class:`~ecvl.Image`; see :func:`inpaint_array`.

    Parameters
    ----------
    src : Image
        2-D image.
    mask : Image
        One-channel mask of the pixels to fill.
    radius : float, optional
        Neighbourhood radius.
    method : InpaintType or str, optional
        ``INPAINT_TELEA`` (default) or ``INPAINT_NS``.

    Returns
    -------
    Image
        Filled image.
    """
    a = image_canonical(src, "Inpaint")
    m = image_canonical(mask, "Inpaint")
    return deliver(src, inpaint_array(a, m, radius, method))


Inpaint = pyecvl_twin(inpaint, "Inpaint",
                       renamed={"inpaintMask": "mask", "inpaintRadius": "radius", "flag": "method"})
