"""Pictures of a run: the training-curve PNG and segmentation overlays (Pillow only)."""

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from _deephealth.atomic import atomic_path
from ecvl.imgproc.draw import overlay_mask_array

__all__ = ["plot_curves", "overlay_png", "contact_sheet", "save_png_atomic"]

_COLOURS = {"train": (31, 119, 180), "val": (214, 39, 40)}


def save_png_atomic(pil_image, path):
    """Write a Pillow image as PNG via a temporary file, so readers never see half a file."""
    with atomic_path(path, ".png") as tmp:
        pil_image.save(tmp, format="PNG")


def _panel(draw, box, title, series):
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((x0 + 4, y0 - 14), title, fill=(0, 0, 0))
    values = [v for _, ys in series for v in ys if v is not None and np.isfinite(v)]
    if not values:
        return
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    n = max(len(ys) for _, ys in series)
    draw.text((x0 - 44, y0), f"{hi:.3g}", fill=(0, 0, 0))
    draw.text((x0 - 44, y1 - 10), f"{lo:.3g}", fill=(0, 0, 0))
    draw.text((x1 - 40, y1 + 4), f"epoch {n}", fill=(0, 0, 0))

    def pt(i, v):
        fx = 0.5 if n == 1 else i / (n - 1)
        return (x0 + 6 + fx * (x1 - x0 - 12), y1 - 6 - (v - lo) / (hi - lo) * (y1 - y0 - 12))

    for k, (label, ys) in enumerate(series):
        colour = _COLOURS.get(label, (0, 0, 0))
        pts = [pt(i, v) for i, v in enumerate(ys) if v is not None and np.isfinite(v)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        for p in pts:
            draw.ellipse([p[0] - 2, p[1] - 2, p[0] + 2, p[1] + 2], fill=colour)
        draw.text((x1 - 60, y0 + 4 + 12 * k), label, fill=colour)


def plot_curves(history, path, metric_name="metric"):
    """Draw loss and metric per epoch (training and validation) into a PNG.

    Parameters
    ----------
    history : list of dict
        One dict per epoch with ``train_loss``, ``train_metric``, ``val_loss``, ``val_metric``.
    path : str
        Destination PNG.
    metric_name : str, optional
        Title of the metric panel.

    Examples
    --------
    >>> import os, tempfile
    >>> h = [{"train_loss": 1.0, "val_loss": 0.9, "train_metric": 0.5, "val_metric": 0.6},
    ...      {"train_loss": 0.5, "val_loss": 0.6, "train_metric": 0.8, "val_metric": 0.7}]
    >>> p = os.path.join(tempfile.mkdtemp(), "curves.png")
    >>> plot_curves(h, p)
    >>> os.path.getsize(p) > 0
    True
    """
    img = PILImage.new("RGB", (720, 300), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for j, (key, title) in enumerate((("loss", "loss"), ("metric", metric_name))):
        series = [(side, [h.get(f"{side}_{key}") for h in history]) for side in ("train", "val")]
        _panel(draw, (60 + j * 360, 30, 340 + j * 360, 270), title, series)
    save_png_atomic(img, path)


def overlay_png(rgb, pred_mask, path, gt_mask=None):
    """Write an image with the predicted mask blended in red (and the true mask's edge in green).

    Parameters
    ----------
    rgb : numpy.ndarray
        ``(H, W, 3)`` uint8 image.
    pred_mask : numpy.ndarray
        ``(H, W)`` boolean prediction.
    path : str
        Destination PNG.
    gt_mask : numpy.ndarray, optional
        ``(H, W)`` boolean ground truth, drawn as a green outline.
    """
    out = overlay_mask_array(rgb, pred_mask.astype(np.uint8), color=(255, 0, 0), alpha=0.45)
    if gt_mask is not None:
        g = gt_mask.astype(bool)
        edge = g & ~(np.roll(g, 1, 0) & np.roll(g, -1, 0) & np.roll(g, 1, 1) & np.roll(g, -1, 1))
        out = out.copy()
        out[edge] = (0, 255, 0)
    save_png_atomic(PILImage.fromarray(np.ascontiguousarray(out, np.uint8), "RGB"), path)


def contact_sheet(images, captions, path, columns=8):
    """Tile same-sized RGB images into one PNG with a caption under each.

    Parameters
    ----------
    images : list of numpy.ndarray
        ``(H, W, 3)`` uint8 images, all of one size.
    captions : list of str
        One caption per image.
    path : str
        Destination PNG.
    columns : int, optional
        Images per row.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> p = os.path.join(tempfile.mkdtemp(), "sheet.png")
    >>> contact_sheet([np.zeros((8, 8, 3), np.uint8)] * 3, ["a", "b", "c"], p)
    >>> PILImage.open(p).size
    (192, 78)
    """
    if not images:
        raise ValueError("contact_sheet: no images")
    h, w = images[0].shape[:2]
    scale = max(1, 64 // max(h, w))  # small slices are enlarged so captions stay readable
    cell_w, cell_h = max(w * scale, 64), h * scale + 14
    cols = min(columns, len(images))
    rows = -(-len(images) // cols)
    sheet = PILImage.new("RGB", (cols * cell_w, rows * cell_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for k, (a, text) in enumerate(zip(images, captions)):
        tile = PILImage.fromarray(np.ascontiguousarray(a, np.uint8), "RGB")
        if scale > 1:
            tile = tile.resize((w * scale, h * scale), PILImage.NEAREST)
        x, y = (k % cols) * cell_w, (k // cols) * cell_h
        sheet.paste(tile, (x, y))
        draw.text((x + 2, y + h * scale + 1), text, fill=(0, 0, 0))
    save_png_atomic(sheet, path)
