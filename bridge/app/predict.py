"""Inference of a trained run: a folder of images, a DICOM series, NIfTI volumes or a slide.

The run's model is rewritten by :func:`eddl.optimize_for_inference` first (its normalization
folded and its activation buffers shared), which predicts the same within float32 rounding.

Writes ``predictions.csv`` and pictures: overlays for segmentation (one per image or slice),
a contact sheet of slices for volume classification, for NIfTI inputs the predicted mask as a
NIfTI volume with the source's affine, and for a whole-slide image a heat map and a label TIFF.
"""

import csv
import os

import numpy as np

import ecvl
import eddl
from _deephealth.atomic import atomic_path
from ecvl import ColorType

from ..convert import image_to_array
from ..slide import predict_slide, save_label_tiff, save_slide_heatmap
from ..tta import windowed_predict
from ..volume import check_windows, is_volume_path, predict_volume, read_volume
from .report import contact_sheet, overlay_png
from .train import load_run_model

__all__ = ["predict_folder", "predict_path", "predict_slide_file", "predict_volume_file"]

_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".nii", ".gz"}
_KINDS = ("auto", "images", "dicom", "nifti", "slide")
# formats only OpenSlide reads; a tiled TIFF slide needs --kind slide (a .tif may be an image)
_SLIDE_EXT = (".svs", ".ndpi", ".mrxs", ".scn", ".vms", ".vmu", ".bif", ".svslide")
_NO_WINDOWS = {"roi_size": None, "overlap": 0.25, "blend": "constant", "tta": "none"}
_FLAGS = ("--window", "--tta")  # how errors name the settings: the command's options


def _inference_model(run_dir):
    """Return the run's best model rewritten for inference (fused layers, shared buffers)."""
    cfg, net, loader = load_run_model(run_dir)
    return cfg, eddl.optimize_for_inference(net), loader


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


def _load(path, shape, resize=True):
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
    if resize and (img.Width(), img.Height()) != (w, h):
        out = ecvl.Image.empty()
        ecvl.ResizeDim(img, out, [w, h])
        img = out
    return image_to_array(img, scale=1 / 255)


def _write_csv(path, header, rows):
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _rgb8(unit):
    """``(H, W, C)`` floats in [0, 1] as ``(H, W, 3)`` uint8 for pictures."""
    rgb = np.clip(unit * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(rgb, 3, axis=2) if rgb.shape[2] == 1 else rgb[..., :3]


def predict_folder(run_dir, images, out=None, batch_size=16, windows=None):
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
        Images per forward pass (windows per forward pass with sliding windows).
    windows : dict, optional
        Sliding-window and test-time augmentation settings: ``roi_size`` (``(H, W)``, the
        network's input size, or None), ``overlap``, ``blend`` and ``tta`` (see
        :func:`bridge.tta.windowed_predict`). With ``roi_size`` every image is predicted at
        its own size, window by window, instead of being resized to the network's input.

    Returns
    -------
    str
        Path of the CSV: classification rows ``file, class, p_<name>...``; segmentation rows
        ``file, lesion_fraction`` plus one overlay PNG per image.
    """
    cfg, net, loader = _inference_model(run_dir)
    files = _files(images)
    w = dict(_NO_WINDOWS, **(windows or {}))
    roi = check_windows(loader.tensors_shape_[0][1:], net.lout[0].shape, w["roi_size"], w["tta"],
                        _FLAGS)
    plain = roi is None and w["tta"] == "none"
    task = cfg["task"]
    out = out or os.path.join(run_dir, "predictions")
    os.makedirs(out, exist_ok=True)
    shape = tuple(loader.tensors_shape_[0][1:])
    seg = cfg["task"] == "segmentation"
    classes = list(loader.classes_)
    rows = []
    step = 1 if roi is not None else batch_size  # native sizes differ from image to image
    for k in range(0, len(files), step):
        chunk = files[k:k + step]
        x = np.stack([_load(f, shape, resize=roi is None) for f in chunk])
        if plain:
            pred = eddl.predict(net, [x])[0].numpy()
        else:
            pred = windowed_predict(net, x, roi, w["overlap"], w["blend"], w["tta"],
                                    batch_size, task)
        for f, xi, pi in zip(chunk, x, pred):
            if seg:
                mask = pi[0] > 0.5
                name = os.path.splitext(os.path.basename(f))[0]
                overlay_png(_rgb8(xi.transpose(1, 2, 0)), mask,
                            os.path.join(out, f"{name}_overlay.png"))
                rows.append([f, f"{mask.mean():.6f}"])
            else:
                rows.append([f, classes[int(np.argmax(pi))]] + [f"{v:.6f}" for v in pi])
    header = ["file", "lesion_fraction"] if seg else ["file", "class"] + [f"p_{c}" for c in classes]
    path = os.path.join(out, "predictions.csv")
    _write_csv(path, header, rows)
    return path


def _stem(path):
    name = os.path.basename(os.path.normpath(path))
    for ext in (".nii.gz", ".nii", ".dcm"):
        if name.lower().endswith(ext):
            return name[:-len(ext)]
    return name


def _write_nifti_mask(img, mask, path):
    """Write a ``(D, H, W)`` mask as NIfTI with the affine and codes of the source volume."""
    import nibabel as nib

    from ecvl.io._common import atomic_path

    data = mask.transpose(2, 1, 0)  # nibabel's (x, y, z) from the canonical (z, y, x)
    if "z" not in img.channels_:
        data = data[..., 0]
    aff = img.get_meta("affine")
    aff = np.asarray(aff, np.float64) if aff is not None else np.diag(
        list(img.spacings_[:3]) + [1.0] * (4 - len(img.spacings_[:3])))
    nimg = nib.Nifti1Image(np.ascontiguousarray(data, np.uint8), aff)
    nimg.set_qform(aff, int(img.get_meta("qform_code") or 1))
    nimg.set_sform(aff, int(img.get_meta("sform_code") or 1))
    with atomic_path(path, suffix=".nii.gz" if path.endswith(".gz") else ".nii") as tmp:
        nib.save(nimg, tmp)


def predict_volume_file(net, source, out, classes=None, window=None, batch_size=16,
                        max_overlays=None, windows=None):
    """Predict one volume and write its pictures; returns the CSV rows.

    Parameters
    ----------
    net : eddl.model.Model
        Built 2-D or 3-D network (see :func:`bridge.volume.predict_volume`).
    source : str
        DICOM series folder, DICOM file or NIfTI file.
    out : str
        Existing output folder.
    classes : list of str, optional
        Class names of a classifier (default ``class0, class1...``).
    window : tuple of float, optional
        Intensity window.
    batch_size : int, optional
        Slices per forward pass.
    max_overlays : int, optional
        Segmentation overlays to write (default: every slice).
    windows : dict, optional
        Sliding-window and TTA settings, as in :func:`predict_folder` (``roi_size`` is
        ``(H, W)`` for a 2-D network, ``(D, H, W)`` for a 3-D one).

    Returns
    -------
    list of list
        Rows ``[source, slice, class, p...]`` (classification) or
        ``[source, slice, lesion_fraction]``; ``slice`` is ``all`` for a 3-D network.
    """
    img, kind = read_volume(source)
    res = predict_volume(net, img, window=window, batch_size=batch_size,
                         **dict(_NO_WINDOWS, **(windows or {})))
    name, unit = _stem(source), res["unit"]
    labels = ["all"] if res["per"] == "volume" else list(range(unit.shape[0]))
    if "probs" in res:
        probs = res["probs"]
        classes = classes or [f"class{k}" for k in range(probs.shape[1])]
        rows = [[source, z, classes[int(np.argmax(p))]] + [f"{v:.6f}" for v in p]
                for z, p in zip(labels, probs)]
        if res["per"] == "volume":
            caption = [f"z{z}" + (f": {rows[0][2]}" if z == 0 else "")
                       for z in range(unit.shape[0])]
        else:
            caption = [f"z{z}: {r[2]}" for z, r in enumerate(rows)]
        contact_sheet([_rgb8(s) for s in unit], caption, os.path.join(out, f"{name}_slices.png"))
        return rows
    mask = res["mask"]
    n = unit.shape[0] if max_overlays is None else min(unit.shape[0], int(max_overlays))
    for z in range(n):
        overlay_png(_rgb8(unit[z]), mask[z], os.path.join(out, f"{name}_z{z:03d}.png"))
    if kind == "nifti":
        _write_nifti_mask(img, mask, os.path.join(out, f"{name}_mask.nii.gz"))
    if res["per"] == "volume":
        return [[source, "all", f"{(mask > 0).mean():.6f}"]]
    return [[source, z, f"{(m > 0).mean():.6f}"] for z, m in enumerate(mask)]


def _volume_sources(path, kind):
    if kind == "dicom" or os.path.isfile(path):
        return [os.path.abspath(path)]
    # a folder: one DICOM series, or NIfTI files (one volume each)
    if kind in ("auto", "volume") and is_volume_path(path):
        return [os.path.abspath(path)]
    found = sorted(os.path.join(path, f) for f in os.listdir(path)
                   if f.lower().endswith((".nii", ".nii.gz")))
    if not found:
        raise ValueError(f"{path}: no NIfTI files (.nii, .nii.gz) found")
    return [os.path.abspath(f) for f in found]


def _kind_of(path, kind):
    if kind not in _KINDS:
        raise ValueError(f"unknown input kind {kind!r}; valid: {list(_KINDS)}")
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file or folder")
    if kind != "auto":
        return kind
    if os.path.isfile(path) and path.lower().endswith(_SLIDE_EXT):
        return "slide"
    if is_volume_path(path):
        return "volume"
    if os.path.isdir(path):
        names = os.listdir(path)
        if names and all(n.lower().endswith((".nii", ".nii.gz")) for n in names
                         if not n.startswith(".")):
            return "volume"
    return "images"


def predict_slide_file(net, source, out, classes=None, level=0, overlap=0.0, blend="constant",
                       downsample=None, batch_size=16):
    """Predict a whole-slide image tile by tile; write a heat map and a label TIFF.

    Parameters
    ----------
    net : eddl.model.Model
        Built network on ``[3, H, W]`` RGB tiles: a classifier (``[C]`` outputs, one per
        tile) or a segmentation network (``[C, H, W]``).
    source : str
        The slide (any format OpenSlide reads).
    out : str
        Existing output folder.
    classes : list of str, optional
        Class names of a classifier (default ``class0, class1...``).
    level : int
        Slide level to tile.
    overlap : float
        Fraction of a tile shared with its neighbours, in ``[0, 1)``.
    blend : {"constant", "gaussian"}
        Weights of overlapping tiles.
    downsample : int, optional
        Level pixels per cell of the output maps (default the tiles' step).
    batch_size : int
        Tiles per forward pass.

    Returns
    -------
    list
        The CSV row ``[source, level, tiles, rows, cols, fraction...]``: the fraction of
        cells of each class (classifier) or of lesion cells (segmentation).
    """
    shape = tuple(net.lin[0].shape)
    if len(shape) != 3 or shape[0] != 3:
        raise ValueError(f"{source}: slides are tiled into RGB [3, H, W] inputs, the network "
                         f"takes {list(shape)}")
    try:
        res = predict_slide(source, net, shape[1:], level, overlap, downsample, blend,
                            batch_size=batch_size)
        thumb = ecvl.OpenSlideImage(source)
        try:
            thumbnail = thumb.thumbnail((1024, 1024))
        finally:
            thumb.Close()
    except ecvl.ImageIOError as e:
        raise RuntimeError(str(e)) from None
    name = os.path.splitext(os.path.basename(source))[0]
    c = res.probabilities.shape[0]
    positive = "lesion" if c == 1 else (classes[-1] if classes else f"class{c - 1}")
    save_slide_heatmap(res, os.path.join(out, f"{name}_heatmap.png"), thumbnail=thumbnail,
                       class_name=positive, title=f"{name}: level {level}")
    save_label_tiff(res, os.path.join(out, f"{name}_labels.tiff"))
    labels = res.labels
    fractions = [labels.mean()] if c == 1 else [(labels == k).mean() for k in range(c)]
    return [source, level, res.tiles, *labels.shape] + [f"{f:.6f}" for f in fractions]


def predict_path(run_dir, path, out=None, batch_size=16, kind="auto", window=None,
                 max_overlays=None, windows=None, slide=None):
    """Predict images or volumes with the best model of a training run.

    Parameters
    ----------
    run_dir : str
        Output folder of ``deephealth-train``.
    path : str
        Folder of images or one image; a DICOM series folder or DICOM file; a NIfTI file or
        a folder of NIfTI files; a whole-slide image.
    out : str, optional
        Output folder (default ``<run_dir>/predictions``).
    batch_size : int, optional
        Images or slices per forward pass.
    kind : str, optional
        ``auto`` (from the files' content; slides from their extension, ``.svs``,
        ``.ndpi``...), ``images``, ``dicom``, ``nifti`` or ``slide`` (any slide OpenSlide
        reads, a tiled TIFF among them).
    window : tuple of float, optional
        Intensity window ``(center, width)`` for volumes.
    max_overlays : int, optional
        Segmentation overlays per volume (default: every slice).
    windows : dict, optional
        Sliding-window and test-time augmentation settings (see :func:`predict_folder`).
    slide : dict, optional
        Whole-slide settings: ``level``, ``overlap``, ``blend`` and ``downsample`` (see
        :func:`predict_slide_file`); the tiles have the network's input size.

    Returns
    -------
    str
        Path of ``predictions.csv``. Volumes give one row per slice: ``file, slice, class,
        p_<name>...`` or ``file, slice, lesion_fraction``; a slide one row ``file, level,
        tiles, rows, cols`` and the fraction of output cells per class (``fraction_<name>``)
        or of lesion cells (``lesion_fraction``), with ``<name>_heatmap.png`` and
        ``<name>_labels.tiff``.
    """
    k = _kind_of(path, kind)
    if k == "images":
        return predict_folder(run_dir, path, out, batch_size, windows)
    cfg, net, loader = _inference_model(run_dir)
    out = out or os.path.join(run_dir, "predictions")
    os.makedirs(out, exist_ok=True)
    classes = list(loader.classes_) or None
    if k == "slide":
        if not os.path.isfile(path):
            raise ValueError(f"{path}: a slide must be one file")
        row = predict_slide_file(net, os.path.abspath(path), out, classes,
                                 batch_size=batch_size, **(slide or {}))
        seg = cfg["task"] == "segmentation"
        header = ["file", "level", "tiles", "rows", "cols"] + (
            ["lesion_fraction"] if seg else [f"fraction_{c}" for c in classes])
        csv_path = os.path.join(out, "predictions.csv")
        _write_csv(csv_path, header, [row])
        return csv_path
    w = dict(_NO_WINDOWS, **(windows or {}))
    check_windows(net.lin[0].shape, net.lout[0].shape, w["roi_size"], w["tta"], _FLAGS)
    rows = []
    for src in _volume_sources(path, k):
        try:
            rows += predict_volume_file(net, src, out, classes, window, batch_size, max_overlays,
                                        windows)
        except ecvl.ImageIOError as e:
            raise RuntimeError(str(e)) from None
    seg = cfg["task"] == "segmentation"
    header = ["file", "slice"] + (["lesion_fraction"] if seg else
                                  ["class"] + [f"p_{c}" for c in classes])
    csv_path = os.path.join(out, "predictions.csv")
    _write_csv(csv_path, header, rows)
    return csv_path
