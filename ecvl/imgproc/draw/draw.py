"""Drawing for visualising results: ellipses, contours and mask overlays.

Array-level functions draw in place on canonical ``(H, W, C)`` arrays (``_array`` suffix) or
return a new array (``overlay_mask_array``). Coordinates are ``(x, y)`` in pixels.
"""

import numpy as np

from ...core.enums import ColorType
from ...core.errors import EcvlValueError
from .._kernutil import as_image_array, image_canonical, saturate_cast

__all__ = [
    "draw_ellipse_array",
    "draw_contours_array",
    "overlay_mask_array",
    "DrawEllipse",
    "draw_ellipse",
    "draw_contours",
    "overlay_mask",
]


def _color(color, a, op):
    c = np.asarray(color, dtype=np.float64).ravel()
    nch = a.shape[-1]
    if c.size == 1:
        c = np.repeat(c, nch)
    if c.size < nch:
        raise EcvlValueError(f"{op}: color needs 1 or {nch} values, got {color!r}")
    return saturate_cast(c[:nch], a.dtype)


def _target(img, op):
    a = np.asarray(img)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or not a.flags.writeable:
        raise EcvlValueError(f"{op}: needs a writeable (H, W) or (H, W, C) array, "
                             f"got shape {a.shape}")
    return a


def _ellipse_mask(shape, center, axes, angle, thickness):
    H, W = shape
    cx, cy = float(center[0]), float(center[1])
    ax, ay = abs(float(axes[0])), abs(float(axes[1]))
    t = np.deg2rad(angle)
    half = 0.5 * max(1, thickness) if thickness >= 0 else 0.0
    reach = max(ax, ay) + half + 1
    x0, x1 = max(0, int(cx - reach)), min(W, int(cx + reach) + 2)
    y0, y1 = max(0, int(cy - reach)), min(H, int(cy + reach) + 2)
    mask = np.zeros(shape, bool)
    if x0 >= x1 or y0 >= y1:
        return mask
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dx, dy = xx - cx, yy - cy
    u = dx * np.cos(t) + dy * np.sin(t)      # along the first axis, rotated clockwise on screen
    v = -dx * np.sin(t) + dy * np.cos(t)

    def inside(a, b):
        a, b = max(a, 1e-9), max(b, 1e-9)
        return (u / a) ** 2 + (v / b) ** 2 <= 1.0

    if thickness < 0:
        region = inside(ax + 0.5, ay + 0.5)
    else:
        region = inside(ax + half, ay + half) & ~inside(ax - half, ay - half)
    mask[y0:y1, x0:x1] = region
    return mask


def draw_ellipse_array(img, center, axes, angle, color, thickness=1):
    """Draw an ellipse in place, as OpenCV's ``ellipse`` (angle in degrees, clockwise on screen).

    Parameters
    ----------
    img : numpy.ndarray
        Writeable ``(H, W)`` or ``(H, W, C)`` array.
    center : (float, float)
        Centre ``(x, y)``.
    axes : (float, float)
        Half-axis lengths.
    angle : float
        Rotation of the first axis, degrees.
    color : float or sequence of float
        Value per channel.
    thickness : int, optional
        Outline width in pixels; negative fills the ellipse.

    Returns
    -------
    numpy.ndarray
        `img`, drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.draw import draw_ellipse_array
    >>> img = np.zeros((9, 9), np.uint8)
    >>> int(draw_ellipse_array(img, (4, 4), (3, 2), 0, 255, -1)[4].sum() // 255)
    7
    """
    op = "DrawEllipse"
    a = _target(img, op)
    mask = _ellipse_mask(a.shape[:2], center, axes, angle, int(thickness))
    a[mask] = _color(color, a, op)
    return img


def _line_points(p0, p1):
    (x0, y0), (x1, y1) = p0, p1
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    xs = np.rint(np.linspace(x0, x1, n)).astype(np.intp)
    ys = np.rint(np.linspace(y0, y1, n)).astype(np.intp)
    return xs, ys


def _fill_polygon(mask, pts):
    """Even-odd scanline fill through pixel centres."""
    H, W = mask.shape
    x, y = pts[:, 0].astype(np.float64), pts[:, 1].astype(np.float64)
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    for row in range(max(0, int(y.min())), min(H, int(y.max()) + 1)):
        cross = (y <= row) != (yn <= row)
        if not cross.any():
            continue
        xi = x[cross] + (row - y[cross]) * (xn[cross] - x[cross]) / (yn[cross] - y[cross])
        xi.sort()
        for a, b in zip(xi[0::2], xi[1::2]):
            lo, hi = max(0, int(np.ceil(a))), min(W - 1, int(np.floor(b)))
            if lo <= hi:
                mask[row, lo:hi + 1] = True


def draw_contours_array(img, contours, color, thickness=1):
    """Draw closed contours (lists of ``(x, y)`` points) in place.

    Parameters
    ----------
    img : numpy.ndarray
        Writeable ``(H, W)`` or ``(H, W, C)`` array.
    contours : sequence of array_like
        Each an ``(N, 2)`` sequence of ``(x, y)`` points, as returned by
        :func:`~ecvl.imgproc.label.find_contours_array`.
    color : float or sequence of float
        Value per channel.
    thickness : int, optional
        Line width; negative fills the contours (even-odd rule) and draws their outline.

    Returns
    -------
    numpy.ndarray
        `img`, drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.draw import draw_contours_array
    >>> img = np.zeros((5, 5), np.uint8)
    >>> int(draw_contours_array(img, [[(1, 1), (3, 1), (3, 3), (1, 3)]], 1).sum())
    8
    """
    op = "DrawContours"
    a = _target(img, op)
    H, W = a.shape[:2]
    mask = np.zeros((H, W), bool)
    for c in contours:
        pts = np.asarray(c, dtype=np.float64).reshape(-1, 2)
        if pts.size == 0:
            continue
        if thickness < 0 and len(pts) > 2:
            _fill_polygon(mask, pts)
        nxt = np.roll(pts, -1, axis=0)
        for p0, p1 in zip(pts, nxt):
            xs, ys = _line_points(p0, p1)
            ok = (xs >= 0) & (xs < W) & (ys >= 0) & (ys < H)
            mask[ys[ok], xs[ok]] = True
    if thickness > 1:
        from ..morph.morphological import dilate_array, structuring_element

        mask = dilate_array(mask.astype(np.uint8),
                            structuring_element("ellipse", 2 * (int(thickness) // 2) + 1)) > 0
    a[mask] = _color(color, a, op)
    return img


_PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
                     [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230],
                     [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255]], np.float64)


def overlay_mask_array(img, mask, color=None, alpha=0.5):
    """Blend a mask (binary or labels) over an image for display.

    Parameters
    ----------
    img : numpy.ndarray
        ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` RGB array.
    mask : numpy.ndarray
        ``(H, W)`` (or ``(H, W, 1)``) mask; 0 is left untouched. Distinct nonzero values get
        distinct palette colours unless `color` is given.
    color : sequence of float, optional
        One RGB colour for every nonzero pixel, in the image's scale.
    alpha : float, optional
        Opacity of the overlay in [0, 1].

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` RGB array of the image's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.imgproc.draw import overlay_mask_array
    >>> out = overlay_mask_array(np.zeros((2, 2), np.uint8), np.eye(2), (255, 0, 0), 1.0)
    >>> out[0, 0].tolist(), out[0, 1].tolist()
    ([255, 0, 0], [0, 0, 0])
    """
    op = "OverlayMask"
    a, _ = as_image_array(img, op, allow_volume=False)
    if a.shape[-1] not in (1, 3):
        raise EcvlValueError(f"{op}: image needs 1 or 3 channels, got {a.shape[-1]}")
    m = np.asarray(mask)
    m = m[:, :, 0] if m.ndim == 3 and m.shape[-1] == 1 else m
    if m.shape != a.shape[:2]:
        raise EcvlValueError(f"{op}: mask shape {m.shape} differs from image {a.shape[:2]}")
    if not 0 <= alpha <= 1:
        raise EcvlValueError(f"{op}: alpha must be in [0, 1], got {alpha!r}")
    rgb = np.repeat(a, 3, axis=-1) if a.shape[-1] == 1 else a
    scale = 1.0 if a.dtype.kind == "f" else float(np.iinfo(a.dtype).max) / 255.0
    if color is not None:
        colors = np.broadcast_to(np.asarray(color, np.float64).ravel()[:3], (1, 3))
        idx = np.zeros(m.shape, np.intp)
    else:
        colors = _PALETTE * scale / (255.0 if a.dtype.kind == "f" else 1.0)
        _, inv = np.unique(m, return_inverse=True)
        idx = (inv.reshape(m.shape) - (1 if (m == 0).any() else 0)) % len(colors)
    on = m != 0
    out = rgb.astype(np.float64)
    out[on] = (1 - alpha) * out[on] + alpha * colors[idx[on]]
    return saturate_cast(out, a.dtype)


# ---------------------------------------------------------------- Image-level entry points
def _write_back(img, a):
    view = img.canonical()
    if not np.shares_memory(view, a):
        img._assign(img.new_like(a))


def DrawEllipse(src, center, axes, angle, color, thickness=1):
    """PyECVL ``DrawEllipse``: draw on `src` in place.

    Parameters
    ----------
    src : Image
        2-D image.
    center : (float, float)
        Centre ``[x, y]``.
    axes : (float, float)
        Half-axis lengths.
    angle : float
        Rotation in degrees.
    color : float or sequence of float
        Value per channel.
    thickness : int, optional
        Outline width; negative fills.
    """
    a = image_canonical(src, "DrawEllipse")
    if a.ndim != 3:
        raise EcvlValueError("DrawEllipse: needs a 2-D image")
    draw_ellipse_array(a, center, axes, angle, color, thickness)
    _write_back(src, a)


def draw_ellipse(src, center, axes, angle, color, thickness=1):
    """Copy of `src` with an ellipse drawn; see :func:`draw_ellipse_array`.

    Parameters
    ----------
    src : Image
        2-D image.
    center, axes, angle, color, thickness
        As for :func:`DrawEllipse`.

    Returns
    -------
    Image
        New image.
    """
    out = src.copy()
    DrawEllipse(out, center, axes, angle, color, thickness)
    return out


def draw_contours(src, contours, color, thickness=1):
    """Copy of `src` with contours drawn; see :func:`draw_contours_array`.

    Parameters
    ----------
    src : Image
        2-D image.
    contours : sequence
        Contours as lists of ``[x, y]`` points.
    color : float or sequence of float
        Value per channel.
    thickness : int, optional
        Line width; negative fills.

    Returns
    -------
    Image
        New image.
    """
    out = src.copy()
    a = image_canonical(out, "DrawContours")
    draw_contours_array(a, contours, color, thickness)
    _write_back(out, a)
    return out


def overlay_mask(src, mask, color=None, alpha=0.5):
    """RGB :class:`~ecvl.Image` of `mask` blended over `src`; see :func:`overlay_mask_array`.

    Parameters
    ----------
    src : Image
        GRAY or RGB image (BGR is converted).
    mask : Image or numpy.ndarray
        Mask image or canonical ``(H, W)`` array.
    color : sequence of float, optional
        RGB colour; default one palette colour per label.
    alpha : float, optional
        Opacity.

    Returns
    -------
    Image
        RGB image.
    """
    from ...core.image import Image
    from ..color.color import change_color_space

    if src.colortype_ not in (ColorType.GRAY, ColorType.RGB, ColorType.none):
        src = change_color_space(src, ColorType.RGB)
    a = image_canonical(src, "OverlayMask")
    m = image_canonical(mask, "OverlayMask") if isinstance(mask, Image) else np.asarray(mask)
    out = overlay_mask_array(a, m, color, alpha)
    channels = src.channels_ if "c" in src.channels_ else src.channels_ + "c"
    return src.new_like(out, channels=channels, colortype=ColorType.RGB)
