"""Previews: an image, a label mask over it, or orthogonal slices of a volume, as RGB pixels."""

import numpy as np

from ..core.enums import ColorType
from ..core.errors import EcvlValueError
from ..core.image import Image

__all__ = ["render", "save_preview", "show", "LABEL_COLORS"]

#: Colours of mask labels 1, 2, ... (label 0 is left transparent); they repeat after the last.
LABEL_COLORS = np.array([
    [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
    [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40],
], dtype=np.uint8)

_GAP = 4


def _to_display(a, value_range):
    """(..., C) array -> uint8 (..., 3) RGB-ordered display pixels."""
    c = a.shape[-1]
    if c >= 3:
        a = a[..., :3]
    elif c == 2:
        a = a[..., :1]
    if a.dtype == np.uint8 and value_range is None:
        out = a
    else:
        f = a.astype(np.float64)
        finite = f[np.isfinite(f)]
        lo, hi = value_range if value_range is not None else (
            (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        out = np.rint(np.clip(np.nan_to_num((f - lo) * scale), 0, 255)).astype(np.uint8)
    return np.repeat(out, 3, axis=-1) if out.shape[-1] == 1 else out


def _mask_array(mask, img, layout):
    if mask is None:
        return None
    if isinstance(mask, Image):
        mch = mask._need_data("render: mask") is not None and mask.channels_
        chan = "c" if "c" in mch else ("o" if "o" in mch else "c")
        try:
            m = mask.to_numpy(layout[:-1] + chan)[..., 0]
        except EcvlValueError:
            raise EcvlValueError(f"render: mask channels {mch!r} do not match image channels "
                                 f"{img.channels_!r}") from None
    else:
        m = np.asarray(mask)
    want = tuple(img.to_numpy(layout).shape[:-1])
    if m.shape != want:
        raise EcvlValueError(f"mask dims {m.shape} do not match the image's spatial shape {want}")
    return m


def _overlay(rgb, labels, alpha):
    if labels is None:
        return rgb
    lab = np.asarray(labels)
    if lab.dtype.kind == "f":
        lab = np.rint(np.nan_to_num(lab))
    lab = lab.astype(np.int64)
    out = rgb.astype(np.float64)
    on = lab > 0
    colors = LABEL_COLORS[(lab[on] - 1) % len(LABEL_COLORS)]
    out[on] = (1 - alpha) * out[on] + alpha * colors
    return np.rint(out).astype(np.uint8)


def _aspect(panel, sy, sx, max_size):
    """Resample a (H, W, 3) panel (nearest) so that pixels are square in physical units."""
    h, w = panel.shape[:2]
    s = min(sy, sx)
    nh, nw = max(1, int(round(h * sy / s))), max(1, int(round(w * sx / s)))
    k = min(1.0, max_size / max(nh, nw))
    nh, nw = max(1, int(round(nh * k))), max(1, int(round(nw * k)))
    rows = np.minimum((np.arange(nh) + 0.5) * h / nh, h - 1).astype(np.intp)
    cols = np.minimum((np.arange(nw) + 0.5) * w / nw, w - 1).astype(np.intp)
    return panel[rows][:, cols]


def render(img, mask=None, alpha=0.4, value_range=None, slices=None, max_size=1024):
    """Render an image (optionally with a label mask over it) to RGB uint8 pixels.

    2-D images are shown as they are; volumes (a ``z`` axis) as three orthogonal
    slices side by side: axial (an x-y plane), coronal (x-z) and sagittal (y-z),
    resampled so that physical proportions (spacings) are respected.

    Parameters
    ----------
    img : Image
        Image or volume with x and y axes (z optional); BGR images are shown in
        true colours, gray and one-channel data in gray levels.
    mask : Image or numpy.ndarray, optional
        Integer labels with the image's spatial shape (an ndarray is rows first:
        ``(H, W)`` or ``(D, H, W)``); label 0 is transparent, others get
        :data:`LABEL_COLORS`.
    alpha : float, optional
        Opacity of the mask colours.
    value_range : (float, float), optional
        Values mapped to black and white; default: uint8 data as is, other types
        from their min to max (pass a CT window such as ``(-160, 240)``).
    slices : (int, int, int), optional
        x, y, z indices of the planes shown for a volume (default: the middle).
    max_size : int, optional
        Longest side of each panel in pixels.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB pixels (rows first).

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> vol = ecvl.Image.fromarray(np.zeros((16, 12, 8), np.int16), "xyz", spacings=[1, 1, 2])
    >>> ecvl.render(vol).shape      # axial 12x16, coronal 16x16, sagittal 16x12 (z doubled)
    (16, 52, 3)
    """
    if not isinstance(img, Image):
        raise EcvlValueError(f"render: expected an Image, got {type(img).__name__}")
    img._need_data("render")
    if not 0 <= alpha <= 1:
        raise EcvlValueError(f"render: alpha must be in [0, 1], got {alpha}")
    ch = img.channels_
    if "x" not in ch or "y" not in ch or not set(ch) <= set("xyzco"):
        raise EcvlValueError(f"render: needs x and y axes (z, c optional), got channels {ch!r}")
    chan = "c" if "c" in ch else ("o" if "o" in ch else "c")
    if "z" not in ch:
        layout = "yx" + chan
        a = img.to_numpy(layout)
        if img.colortype_ is ColorType.BGR:
            a = a[..., ::-1]
        rgb = _overlay(_to_display(a, value_range), _mask_array(mask, img, layout), alpha)
        sp = img.spacings_
        sy, sx = (sp[ch.index("y")], sp[ch.index("x")]) if sp else (1.0, 1.0)
        return _aspect(rgb, sy, sx, max_size)
    layout = "zyx" + chan
    a = img.to_numpy(layout)
    if img.colortype_ is ColorType.BGR:
        a = a[..., ::-1]
    d, h, w = a.shape[:3]
    x, y, z = slices if slices is not None else (w // 2, h // 2, d // 2)
    if not (0 <= x < w and 0 <= y < h and 0 <= z < d):
        raise EcvlValueError(f"render: slices {slices} outside the volume (x<{w}, y<{h}, z<{d})")
    # one value range for all three panels, so that they are comparable
    if value_range is None and a.dtype != np.uint8:
        f = a[np.isfinite(a)] if a.dtype.kind == "f" else a
        value_range = (float(f.min()), float(f.max())) if f.size else (0.0, 1.0)
    m = _mask_array(mask, img, layout)
    sp = img.spacings_
    sx, sy, sz = (sp[ch.index("x")], sp[ch.index("y")], sp[ch.index("z")]) if sp else (1.0, 1.0, 1.0)
    panels = [
        _aspect(_overlay(_to_display(a[z], value_range), None if m is None else m[z], alpha), sy, sx, max_size),
        _aspect(_overlay(_to_display(a[::-1, y], value_range), None if m is None else m[::-1, y], alpha),
                sz, sx, max_size),
        _aspect(_overlay(_to_display(a[::-1, :, x], value_range), None if m is None else m[::-1, :, x], alpha),
                sz, sy, max_size),
    ]
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + _GAP * (len(panels) - 1)
    canvas = np.zeros((height, width, 3), np.uint8)
    col = 0
    for p in panels:
        canvas[: p.shape[0], col:col + p.shape[1]] = p
        col += p.shape[1] + _GAP
    return canvas


def save_preview(filename, img, mask=None, **kwargs):
    """Render `img` (see :func:`render`) and write it as a PNG file, atomically.

    Parameters
    ----------
    filename : str or os.PathLike
        Destination (``.png`` recommended; any raster extension works).
    img : Image
        Image or volume.
    mask : Image or numpy.ndarray, optional
        Label mask drawn over the image.
    **kwargs
        Passed to :func:`render`.

    Examples
    --------
    >>> import ecvl, numpy as np, tempfile, os
    >>> img = ecvl.Image.fromarray(np.random.default_rng(0).random((32, 24)), "xy")
    >>> path = os.path.join(tempfile.mkdtemp(), "preview.png")
    >>> ecvl.save_preview(path, img, mask=np.eye(24, 32, dtype=np.uint8))
    >>> ecvl.imread(path).dims_
    [32, 24, 3]
    """
    from ..io.raster import write_raster

    rgb = render(img, mask, **kwargs)
    write_raster(filename, Image.from_canonical(rgb, "xyc", ColorType.RGB))


def show(img, mask=None, **kwargs):
    """Return the rendering of `img` as a Pillow image (shown inline by Jupyter).

    Parameters
    ----------
    img : Image
        Image or volume.
    mask : Image or numpy.ndarray, optional
        Label mask drawn over the image.
    **kwargs
        Passed to :func:`render`.

    Returns
    -------
    PIL.Image.Image
        The preview; call its ``show()`` method to open an external viewer.
    """
    from PIL import Image as PILImage

    return PILImage.fromarray(render(img, mask, **kwargs))
