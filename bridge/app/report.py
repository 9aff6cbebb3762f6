"""Pictures of a run: training curves (matplotlib, via :mod:`eddl.figures`), overlays and sheets (Pillow)."""

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from _deephealth.atomic import atomic_path
from ecvl.imgproc.draw import overlay_mask_array
from eddl.figures import save_training_curves

__all__ = ["plot_curves", "overlay_png", "contact_sheet", "save_png_atomic"]


def save_png_atomic(pil_image, path):
    """Write a Pillow image as PNG via a temporary file, so readers never see half a file."""
    with atomic_path(path, ".png") as tmp:
        pil_image.save(tmp, format="PNG")


def plot_curves(history, path, metric_name="metric", best_epoch=None):
    """Draw loss and metric per epoch (training and validation) into a PNG.

    The figure is :func:`eddl.figures.plot_training_curves`: logarithmic loss axis, epoch
    ticks, grid, the best epoch marked and the legend above the panels.

    Parameters
    ----------
    history : list of dict
        One dict per epoch with ``train_loss``, ``train_metric``, ``val_loss``, ``val_metric``.
    path : str
        Destination PNG.
    metric_name : str, optional
        Title of the metric panel.
    best_epoch : int, optional
        Epoch to mark (default: the lowest validation loss).

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
    save_training_curves(history, path, metric="metric", metric_name=metric_name,
                         best_epoch=best_epoch)


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
