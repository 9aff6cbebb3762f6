"""Turning one dataset sample into its slot of a batch (image and target)."""

import os
import threading

import numpy as np

import ecvl
from ecvl import ColorType, Task
from ecvl.augment import sample_rng

from .convert import _channels_first, _check_image, image_to_array


class SampleError(RuntimeError):
    """A sample could not be loaded, augmented or converted; the message names its file."""


def _read(sample, ctype, is_gt, reader=None):
    """Sample.LoadImage without PyECVL's BGR round trip for single files (same pixels)."""
    path = sample.label_path_ if is_gt else (sample.location_[0] if len(sample.location_) == 1
                                             else None)
    if path is None or not os.path.isfile(path):
        return sample.LoadImage(ctype, is_gt=is_gt)  # stacking, and its error messages
    img = (reader or ecvl.imread)(path)
    if ctype is not None and ctype != ColorType.none and img.colortype_ != ctype:
        out = ecvl.Image.empty()
        ecvl.ChangeColorSpace(img, out, ctype)
        img = out
    return img


def one_hot(labels, num_classes, out):
    """Write the (multi-)hot row of class indices `labels` into the float row `out`.

    ValueError names a label outside ``0 .. num_classes - 1``; an empty list is refused too.
    """
    labels = list(labels or [])
    if not labels:
        raise ValueError("the sample has no label")
    bad = [c for c in labels if isinstance(c, bool) or not isinstance(c, (int, np.integer))
           or not 0 <= c < num_classes]
    if bad:
        raise ValueError(f"label {bad[0]!r} is not one of the {num_classes} classes")
    out[...] = 0
    out[labels] = 1
    return out


def sample_name(sample):
    return ", ".join(sample.location_) if sample.location_ else "<no location>"


class Producer:
    """Reads, augments and converts samples of a dataset; shared by all worker threads.

    Holds no state shared between calls (each thread has its own random generator), so any
    number of threads may call :meth:`fill` at once.
    """

    def __init__(self, ds, augs, ctype, ctype_gt, seed, scale, gt_scale, label_mode,
                 mask_values, reader=None):
        self.ds, self.augs, self.ctype, self.ctype_gt = ds, augs, ctype, ctype_gt
        self.reader = reader  # None: ecvl.imread in the calling thread
        self.seed, self.scale, self.gt_scale = int(seed), scale, gt_scale
        self.label_mode = label_mode
        self.mask_values = None if mask_values is None else np.asarray(sorted(mask_values))
        self.num_classes = len(ds.classes_)
        self.num_features = len(ds.features_)
        self._local = threading.local()

    def _thread_rng(self):
        # one generator per thread, reseeded per sample: same stream, none of the set-up cost
        rng = getattr(self._local, "rng", None)
        if rng is None:
            rng = self._local.rng = np.random.Generator(np.random.PCG64(0))
        return rng

    # -- target kind ------------------------------------------------------------------
    def target_kind(self, split):
        s = self.ds.split_[split]
        first = self.ds.samples_[s.samples_indices_[0]] if s.samples_indices_ else None
        if self.ds.task_ == Task.classification and not s.no_label_:
            return "class"
        if first is not None and first.label_path_ is None and first.label_ is None \
                and first.values_ and self.num_features:
            return "values"
        return None if s.no_label_ else "mask"

    def load(self, split, index, epoch, augs=None):
        """``(image, gt)`` of sample ``index`` after the split's augmentations.

        ``augs`` (a DatasetAugmentations) replaces the loader's own for this call.
        """
        augs = self.augs if augs is None else augs
        sample = self.ds.samples_[index]
        img = _read(sample, self.ctype, False, self.reader)
        gt = None
        if sample.label_path_ is not None and self.target_kind(split) == "mask":
            gt = _read(sample, self.ctype_gt, True, self.reader)
        if augs is not None and len(augs) > split:
            rng = sample_rng(self.seed, index, epoch, out=self._thread_rng())
            if gt is None:
                img = augs.apply(split, img, rng=rng)
            else:
                img, gt = augs.apply(split, img, gt, rng=rng)
        return img, gt

    def fill(self, split, index, epoch, x, y, slot, augs=None):
        """Write sample ``index`` into ``x[slot]`` and ``y[slot]``; SampleError on failure.

        ``augs`` as in :meth:`load`.
        """
        sample = self.ds.samples_[index]
        try:
            img, gt = self.load(split, index, epoch, augs)
            _check_image(img, "DLDataset")
            shape = _channels_first(img).shape
            if shape != x.shape[1:]:
                raise SampleError(
                    f"image of shape {shape} (C, H, W) after augmentation, but the batch "
                    f"holds {x.shape[1:]}: every sample must come out of the augmentations "
                    "at the same size (add an AugResizeDim)")
            image_to_array(img, x[slot], self.scale)
            if y is not None:
                self._target(split, sample, gt, y, slot)
        except SampleError as e:
            raise SampleError(f"{sample_name(sample)}: {e}") from None
        except Exception as e:
            raise SampleError(f"{sample_name(sample)}: {type(e).__name__}: {e}") from e

    def _target(self, split, sample, gt, y, slot):
        kind = self.target_kind(split)
        if kind == "class":
            try:
                row = one_hot(sample.label_, self.num_classes,
                              np.empty(self.num_classes, np.float32))
            except ValueError as e:
                raise SampleError(str(e)) from None
            if self.label_mode == "index":
                y[slot, 0] = sample.label_[0]
            else:
                y[slot] = row
        elif kind == "values":
            vals = sample.values_ or {}
            missing = [self.ds.features_[i] for i in range(self.num_features) if i not in vals]
            if missing:
                raise SampleError(f"no value for feature(s) {missing}")
            y[slot] = [float(vals[i]) for i in range(self.num_features)]
        else:
            if gt is None:
                raise SampleError("the sample has no ground-truth mask")
            shape = _channels_first(gt).shape
            if shape != y.shape[1:]:
                raise SampleError(f"ground truth {sample.label_path_} has shape {shape} "
                                  f"(C, H, W) after augmentation, expected {y.shape[1:]}")
            image_to_array(gt, y[slot], self.gt_scale)
            if self.mask_values is not None:
                vals = np.unique(y[slot])
                bad = vals[~np.isin(vals, self.mask_values)]
                if bad.size:
                    raise SampleError(f"mask {sample.label_path_} has label value(s) "
                                      f"{bad[:5].tolist()} not among the classes "
                                      f"{self.mask_values.tolist()}")

    def target_shape(self, split, gt_channels, dims):
        kind = self.target_kind(split)
        if kind == "class":
            return (1,) if self.label_mode == "index" else (self.num_classes,)
        if kind == "values":
            return (self.num_features,)
        if kind == "mask":
            return (gt_channels,) + tuple(dims)
        return None


def probe(producer, split, index):
    """Shape ``(C, H, W)`` of a sample and of its ground truth after augmentation."""
    img, gt = producer.load(split, index, 0)
    shape = _channels_first(img).shape
    gshape = _channels_first(gt).shape if gt is not None else None
    return shape, gshape

