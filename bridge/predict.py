"""Inference of a trained run on a folder of images: CSV of predictions and overlays."""

import csv
import os

import numpy as np

import eddl
import ecvl
from ecvl import ColorType

from .convert import image_to_array
from .report import overlay_png
from .train import load_run_model

__all__ = ["predict_folder"]

_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".nii", ".gz"}


def _files(images):
    if os.path.isfile(images):
        return [os.path.abspath(images)]
    if not os.path.isdir(images):
        raise ValueError(f"{images}: no such file or folder")
    files = sorted(os.path.join(images, f) for f in os.listdir(images)
                   if os.path.splitext(f)[1].lower() in _EXT)
    if not files:
        raise ValueError(f"{images}: no image files found (looked for {sorted(_EXT)})")
    return files


def _load(path, shape):
    try:
        img = ecvl.ImRead(path)
    except Exception as e:
        raise RuntimeError(f"{path}: cannot read the image ({e})") from None
    c, h, w = shape
    ctype = ColorType.RGB if c == 3 else ColorType.GRAY
    if img.colortype_ != ctype:
        conv = ecvl.Image.empty()
        ecvl.ChangeColorSpace(img, conv, ctype)
        img = conv
    if (img.Width(), img.Height()) != (w, h):
        out = ecvl.Image.empty()
        ecvl.ResizeDim(img, out, [w, h])
        img = out
    return image_to_array(img, scale=1 / 255)


def predict_folder(run_dir, images, out=None, batch_size=16):
    """Predict every image of a folder with the best model of a training run.

    Parameters
    ----------
    run_dir : str
        Output folder of ``deephealth-train``.
    images : str
        Folder of images, or one image file.
    out : str, optional
        Output folder (default ``<run_dir>/predictions``).
    batch_size : int, optional
        Images per forward pass.

    Returns
    -------
    str
        Path of the CSV: classification rows ``file, class, p_<name>...``; segmentation rows
        ``file, lesion_fraction`` plus one overlay PNG per image.
    """
    cfg, net, loader = load_run_model(run_dir)
    files = _files(images)
    out = out or os.path.join(run_dir, "predictions")
    os.makedirs(out, exist_ok=True)
    shape = tuple(loader.tensors_shape_[0][1:])
    seg = cfg["task"] == "segmentation"
    classes = list(loader.classes_)
    rows = []
    for k in range(0, len(files), batch_size):
        chunk = files[k:k + batch_size]
        x = np.stack([_load(f, shape) for f in chunk])
        pred = eddl.predict(net, [x])[0].numpy()
        for f, xi, pi in zip(chunk, x, pred):
            if seg:
                mask = pi[0] > 0.5
                rgb = np.clip(xi.transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
                if rgb.shape[2] == 1:
                    rgb = np.repeat(rgb, 3, axis=2)
                name = os.path.splitext(os.path.basename(f))[0]
                overlay_png(rgb, mask, os.path.join(out, f"{name}_overlay.png"))
                rows.append([f, f"{mask.mean():.6f}"])
            else:
                rows.append([f, classes[int(np.argmax(pi))]] + [f"{v:.6f}" for v in pi])
    header = ["file", "lesion_fraction"] if seg else ["file", "class"] + [f"p_{c}" for c in classes]
    path = os.path.join(out, "predictions.csv")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)
    return path
