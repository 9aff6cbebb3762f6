"""Build DDF datasets from a directory tree.

Classification: one folder per class, optionally inside split folders
(``root/training/cat/1.png``). Segmentation: ``images/`` and ``masks/`` (or
``ground_truth/``) folders with matching file names, optionally inside split folders.
Without split folders, ``ratios`` splits the samples at random with a seed.
"""

import os

import numpy as np

from .ddf import Dataset, Sample, Split

__all__ = [
    "generate_classification_dataset", "generate_segmentation_dataset",
    "GenerateClassificationDataset", "GenerateSegmentationDataset", "IMAGE_EXTENSIONS",
]

#: File extensions taken as images.
IMAGE_EXTENSIONS = frozenset(
    ".png .jpg .jpeg .bmp .tif .tiff .dcm .nii .gz .pgm .ppm .webp .jp2".split())
_MASK_DIRS = ("masks", "ground_truth", "gt", "labels")


def _is_image(name):
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _subdirs(path):
    return sorted(e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))


def _files(path):
    return sorted(e.name for e in os.scandir(path) if e.is_file() and _is_image(e.name))


def _ratio_splits(n, ratios, seed):
    if isinstance(ratios, dict):
        names, fr = list(ratios), [float(v) for v in ratios.values()]
    else:
        fr = [float(v) for v in ratios]
        names = ["training", "validation", "test"][:len(fr)]
        if len(fr) > 3:
            raise ValueError("ratios: give a dict to name more than three splits")
    if any(f < 0 for f in fr) or not 0 < sum(fr) <= 1 + 1e-9:
        raise ValueError(f"ratios must be non-negative and sum to at most 1, got {fr}")
    perm = np.random.default_rng(seed).permutation(n)
    counts = np.floor(np.asarray(fr) / sum(fr) * n).astype(int) if sum(fr) >= 1 - 1e-9 \
        else np.floor(np.asarray(fr) * n).astype(int)
    if sum(fr) >= 1 - 1e-9:
        counts[0] += n - counts.sum()  # the remainder goes to the first split
    out, start = [], 0
    for name, c in zip(names, counts):
        out.append(Split(name, sorted(int(i) for i in perm[start:start + c])))
        start += c
    return out


def _finish(root, samples, groups, ratios, seed, classes=()):
    d = Dataset()
    d.name_ = os.path.basename(os.path.normpath(root))
    d.description_ = f"Generated from {d.name_}"
    d.classes_ = list(classes)
    d.samples_ = samples
    if groups is not None:
        d.split_ = [Split(name, idx) for name, idx in groups]
    elif ratios is not None:
        d.split_ = _ratio_splits(len(samples), ratios, seed)
    else:
        d.split_ = [Split("training", list(range(len(samples))))]
    from ..core.enums import Task

    d.task_ = Task.classification if d.classes_ else Task.segmentation
    d.current_split_ = 0 if d.split_ else -1
    return d


def generate_classification_dataset(root, ratios=None, seed=0):
    """Dataset from class folders (``root/<class>/*``) or split folders of class folders.

    Parameters
    ----------
    root : str or os.PathLike
        Top folder.
    ratios : dict or sequence of float, optional
        Without split folders: fractions per split, e.g. ``{"training": 0.8, "test": 0.2}``
        or ``(0.7, 0.15, 0.15)`` for training/validation/test. Default: one training split.
    seed : int, optional
        Seed of the random assignment to splits.

    Returns
    -------
    Dataset
    """
    root = os.path.abspath(os.fspath(root))

    subs = _subdirs(root)
    # split folders hold only class folders; class folders hold the images
    split_layout = bool(subs) and all(
        not _files(os.path.join(root, s)) and _subdirs(os.path.join(root, s)) for s in subs)
    split_dirs = subs if split_layout else [None]
    classes = sorted({c for s in split_dirs for c in _subdirs(os.path.join(root, s) if s
                                                              else root)})
    if not classes:
        raise ValueError(f"{root}: no class folders found")
    index = {c: i for i, c in enumerate(classes)}
    samples, groups = [], []
    for s in split_dirs:
        base = os.path.join(root, s) if s else root
        idx = []
        for c in _subdirs(base):
            for f in _files(os.path.join(base, c)):
                idx.append(len(samples))
                samples.append(Sample(os.path.join(base, c, f), [index[c]]))
        groups.append((s, idx))
    return _finish(root, samples, groups if split_layout else None, ratios, seed, classes)


def _pairs(base, suffix, gt_name):
    img_dir = os.path.join(base, "images")
    mask_dir = next((os.path.join(base, m) for m in _MASK_DIRS
                     if os.path.isdir(os.path.join(base, m))), None)
    out = []
    if os.path.isdir(img_dir):
        masks = {}
        if mask_dir:
            for f in _files(mask_dir):
                stem = os.path.splitext(f)[0]
                if suffix and stem.endswith(suffix):
                    stem = stem[:-len(suffix)]
                masks[stem] = os.path.join(mask_dir, f)
        for f in _files(img_dir):
            m = masks.get(os.path.splitext(f)[0])
            if m is None and gt_name:
                m = os.path.join(base, gt_name)
            out.append(Sample(os.path.join(img_dir, f), None, m))
        return out
    if not suffix:
        raise ValueError(f"{base}: expected images/ and masks/ folders (or give a suffix "
                         "for images and masks side by side)")
    files = _files(base)
    gts = {os.path.splitext(f)[0][:-len(suffix)]: f for f in files
           if os.path.splitext(f)[0].endswith(suffix)}
    for f in files:
        stem = os.path.splitext(f)[0]
        if stem.endswith(suffix):
            continue
        m = gts.get(stem)
        out.append(Sample(os.path.join(base, f), None,
                          os.path.join(base, m) if m else
                          (os.path.join(base, gt_name) if gt_name else None)))
    return out


def generate_segmentation_dataset(root, suffix="", gt_name="", ratios=None, seed=0):
    """Dataset from ``images/`` + ``masks/`` folders (or split folders holding them).

    Masks are matched to images by file name (without extension, minus ``suffix``).

    Parameters
    ----------
    root : str or os.PathLike
        Top folder.
    suffix : str, optional
        Suffix of mask names (``"_segmentation"``); with it, images and masks may also sit
        side by side in one folder.
    gt_name : str, optional
        Mask used for images without their own.
    ratios : dict or sequence of float, optional
        As in :func:`generate_classification_dataset`.
    seed : int, optional
        Seed of the random assignment to splits.

    Returns
    -------
    Dataset
    """
    root = os.path.abspath(os.fspath(root))
    subs = _subdirs(root)
    split_layout = "images" not in subs and bool(subs) and all(
        os.path.isdir(os.path.join(root, s, "images")) for s in subs)
    samples, groups = [], []
    for s in (subs if split_layout else [None]):
        base = os.path.join(root, s) if s else root
        got = _pairs(base, suffix, gt_name)
        groups.append((s, list(range(len(samples), len(samples) + len(got)))))
        samples.extend(got)
    if not samples:
        raise ValueError(f"{root}: no images found")
    return _finish(root, samples, groups if split_layout else None, ratios, seed)


class GenerateClassificationDataset:
    """PyECVL form: ``GenerateClassificationDataset(root).GetDataset()``."""

    def __init__(self, dataset_root_directory):
        self.dataset_root_directory_ = os.fspath(dataset_root_directory)
        self.d_ = generate_classification_dataset(dataset_root_directory)
        self.splits_ = [s.split_name_ for s in self.d_.split_]
        self.num_samples_ = [len(s.samples_indices_) for s in self.d_.split_]

    def GetDataset(self):
        """Return the generated Dataset."""
        return self.d_


class GenerateSegmentationDataset(GenerateClassificationDataset):
    """PyECVL form: ``GenerateSegmentationDataset(root, suffix, gt_name).GetDataset()``."""

    def __init__(self, dataset_root_directory, suffix="", gt_name=""):
        self.dataset_root_directory_ = os.fspath(dataset_root_directory)
        self.d_ = generate_segmentation_dataset(dataset_root_directory, suffix, gt_name)
        self.splits_ = [s.split_name_ for s in self.d_.split_]
        self.num_samples_ = [len(s.samples_indices_) for s in self.d_.split_]
