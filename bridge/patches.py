"""Patch sampling for training on volumes (and large images): uniform and label-balanced.

The semantics are TorchIO's samplers. :func:`uniform_patch_start` places a patch anywhere
inside the input with equal probability, as ``UniformSampler``. :func:`label_patch_start`
centres it on a voxel drawn from a label map, as ``LabelSampler``: without label
probabilities every foreground voxel (label > 0) is equally likely; with them, a label is
drawn first and then one of its voxels, so the centre voxel's label follows the given
probabilities. A patch never leaves the input: only voxels whose patch fits are centres
(TorchIO's cropped probability map).

:class:`AugUniformPatch` and :class:`AugLabelPatch` are augmentations: put one last in a
split's augmentations and :class:`~bridge.DLDataset` serves patches, drawn in its worker
threads from each sample's own stream ``sample_rng(seed, index, epoch)``, so the patches of
an epoch depend on the seed, the epoch and the sample index only, not on the number of
workers or on batching. Every patch has the same size, so batches always stack. They are
not in ecvl's augmentation registry (which is ecvl's own, whatever is imported): build them in
Python rather than in the augmentation text language.
"""

import numpy as np

from ecvl.augment import Augmentation
from ecvl.augment.params import MAX_SIDE, Param

__all__ = ["uniform_patch_start", "label_patch_start", "label_map", "AugUniformPatch",
           "AugLabelPatch"]


def _check_patch(shape, patch_size, what="patch_size"):
    shape = tuple(int(s) for s in shape)
    try:
        patch = tuple(int(p) for p in patch_size)
    except TypeError:
        raise TypeError(f"{what} must be a sequence of ints, got {patch_size!r}") from None
    if len(patch) != len(shape):
        raise ValueError(f"{what} {list(patch)} has {len(patch)} values but the input has "
                         f"{len(shape)} spatial axes {list(shape)}")
    if any(p < 1 for p in patch):
        raise ValueError(f"{what} must be positive, got {list(patch)}")
    if any(p > s for p, s in zip(patch, shape)):
        raise ValueError(f"{what} {list(patch)} is larger than the input {list(shape)}")
    return shape, patch


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def uniform_patch_start(shape, patch_size, rng):
    """Draw the corner of a patch placed uniformly inside an input (TorchIO's UniformSampler).

    Parameters
    ----------
    shape : sequence of int
        Spatial shape of the input, e.g. ``(D, H, W)``.
    patch_size : sequence of int
        Patch size, same axes, each ``<=`` the input's.
    rng : numpy.random.Generator
        Random stream (e.g. ``ecvl.augment.sample_rng(seed, index, epoch)``).

    Returns
    -------
    tuple of int
        First voxel of the patch along each axis, in ``[0, shape - patch_size]``.

    Examples
    --------
    >>> import numpy as np
    >>> from bridge.patches import uniform_patch_start
    >>> start = uniform_patch_start((10, 32, 32), (4, 16, 16), np.random.default_rng(0))
    >>> all(0 <= s <= m for s, m in zip(start, (6, 16, 16)))
    True
    """
    shape, patch = _check_patch(shape, patch_size)
    rng = _check_rng(rng)
    return tuple(int(rng.integers(0, s - p + 1)) for s, p in zip(shape, patch))


def _check_probabilities(label_probabilities):
    if label_probabilities is None:
        return None
    if not isinstance(label_probabilities, dict) or not label_probabilities:
        raise TypeError("label_probabilities must be a non-empty dict {label: probability}, "
                        f"got {label_probabilities!r}")
    probs = {}
    for label, p in label_probabilities.items():
        try:
            p = float(p)
        except (TypeError, ValueError):
            p = -1.0
        if not p >= 0 or not np.isfinite(p):
            raise ValueError(f"label_probabilities[{label!r}] must be a finite number >= 0, "
                             f"got {label_probabilities[label]!r}")
        probs[label] = p
    if sum(probs.values()) <= 0:
        raise ValueError(f"label_probabilities must have a positive sum, got {label_probabilities}")
    return probs


def label_patch_start(labels, patch_size, rng, label_probabilities=None):
    """Draw the corner of a patch centred on a labelled voxel (TorchIO's LabelSampler).

    The patch's centre voxel is ``start + patch_size // 2``. Only voxels whose patch fits
    inside the input can be centres. Without ``label_probabilities`` every such voxel with a
    label > 0 is equally likely. With them, a label is drawn among those present at some
    possible centre, with probability proportional to its entry, then one of its voxels
    uniformly: the centre's label has exactly the (renormalised) given frequencies, whatever
    the labels' sizes. (TorchIO divides by each label's count over the whole map before
    cropping the border, which shifts the frequencies slightly towards labels that lie near
    the border.) When no possible centre has a wanted label, the patch is placed uniformly
    (TorchIO raises instead), so that a training volume without foreground still yields a
    patch.

    Parameters
    ----------
    labels : array_like
        Integer (or boolean) label map, spatial axes only, e.g. ``(D, H, W)``.
    patch_size : sequence of int
        Patch size, same axes.
    rng : numpy.random.Generator
        Random stream.
    label_probabilities : dict, optional
        ``{label value: weight}``, e.g. ``{0: 0.5, 1: 0.5}`` for half background- and half
        foreground-centred patches. Weights need not sum to 1.

    Returns
    -------
    tuple of int
        First voxel of the patch along each axis, in ``[0, shape - patch_size]``.

    Examples
    --------
    >>> import numpy as np
    >>> from bridge.patches import label_patch_start
    >>> lab = np.zeros((8, 8), np.uint8)
    >>> lab[5, 2] = 1
    >>> label_patch_start(lab, (4, 4), np.random.default_rng(0))  # centred on (5, 2)
    (3, 0)
    """
    lab = np.asarray(labels)
    if lab.ndim == 0:
        raise ValueError("labels must have spatial axes, got a scalar")
    shape, patch = _check_patch(lab.shape, patch_size)
    rng = _check_rng(rng)
    probs = _check_probabilities(label_probabilities)
    half = [p // 2 for p in patch]
    # the possible centres: patches starting in [0, s - p] along every axis
    inner = lab[tuple(slice(h, h + s - p + 1) for h, s, p in zip(half, shape, patch))]
    if probs is None:
        chosen = inner > 0
    else:
        present = [(v, p) for v, p in probs.items() if p > 0 and np.any(inner == v)]
        if present:
            w = np.array([p for _, p in present])
            pick = present[int(rng.choice(len(present), p=w / w.sum()))][0]
            chosen = inner == pick
        else:
            chosen = np.zeros(inner.shape, bool)
    candidates = np.flatnonzero(chosen)
    if candidates.size == 0:
        return tuple(int(rng.integers(0, s - p + 1)) for s, p in zip(shape, patch))
    centre = np.unravel_index(candidates[int(rng.integers(candidates.size))], inner.shape)
    return tuple(int(c) for c in centre)  # offsets in ``inner`` are the patches' starts


def label_map(gt):
    """Return the label of each voxel of a canonical ground truth ``(..., C)``.

    One channel holds the labels (e.g. 0/255 masks, or class indices); several channels are
    one-hot (or scores), and the label is the index of the largest.

    Parameters
    ----------
    gt : numpy.ndarray
        Canonical mask ``(H, W, C)`` or ``(D, H, W, C)``.

    Returns
    -------
    numpy.ndarray
        Spatial label map.

    Examples
    --------
    >>> import numpy as np
    >>> label_map(np.array([[[0, 1], [1, 0]]])).tolist()
    [[1, 0]]
    """
    gt = np.asarray(gt)
    return gt[..., 0] if gt.shape[-1] == 1 else np.argmax(gt, axis=-1)


def _spatial_size(params, ndim_spatial, owner):
    size = tuple(reversed(params["size"]))  # the DSL's (w, h[, d]) as (d,) h, w
    if len(size) != ndim_spatial:
        raise ValueError(f"{owner}: size {list(params['size'])} (x first) has {len(size)} "
                         f"values but the input has {ndim_spatial} spatial axes")
    return size


class _Patch(Augmentation, register=False):
    geometric = True
    volumes = True

    def _patch_start(self, a, gt, rng):
        raise NotImplementedError

    def Clone(self):
        """Independent copy (PyECVL)."""
        return type(self)(**self._values)

    def _forward(self, img, gt, rng, geo=None):
        # the start is drawn here rather than in draw(): the label sampler needs the mask
        params = self.sample(rng, img.shape)
        if gt is not None and gt.shape[:-1] != img.shape[:-1]:
            raise ValueError(f"{type(self).__name__}: the image's spatial shape "
                             f"{img.shape[:-1]} differs from its ground truth's "
                             f"{gt.shape[:-1]}")
        params["start"] = list(self._patch_start(img, gt, rng))
        img, gt = self._replay(img, gt, params, geo)
        return img, gt, params

    def transform(self, a, params, is_mask):
        size = _spatial_size(params, a.ndim - 1, type(self).__name__)
        where = tuple(slice(s, s + n) for s, n in zip(params["start"], size))
        return np.ascontiguousarray(a[where])


_SIZE = Param("size", "vector", length=(2, 3), integer=True, bounds=(1, MAX_SIDE),
              doc="patch size, x first: (w, h) or (w, h, d)")


class AugUniformPatch(_Patch, register=False):
    """Crop a patch of ``size`` (x first) placed uniformly inside the image or volume.

    The ground truth is cropped at the same place. See :func:`uniform_patch_start`.

    Examples
    --------
    >>> import numpy as np
    >>> from bridge.patches import AugUniformPatch
    >>> vol = np.zeros((10, 32, 32, 1), np.float32)          # (D, H, W, C)
    >>> AugUniformPatch(size=[16, 16, 4]).apply(vol, rng=0).shape
    (4, 16, 16, 1)
    """

    params = (_SIZE,)

    def _patch_start(self, a, gt, rng):
        shape = a.shape[:-1]
        size = _spatial_size(self._values, len(shape), type(self).__name__)
        _check_patch(shape, size, f"{type(self).__name__}: size (reversed: D, H, W)")
        return uniform_patch_start(shape, size, rng)


class AugLabelPatch(_Patch, register=False):
    """Crop a patch of ``size`` (x first) centred on a voxel drawn from the ground truth.

    ``labels`` and ``probabilities`` (equal lengths) give each label value's weight, e.g.
    ``labels=(0, 255) probabilities=(0.5, 0.5)`` for 0/255 masks; without them every
    foreground voxel (label > 0) is equally likely. The label of a voxel is the mask's
    value (one channel) or its largest channel (several). See :func:`label_patch_start`.

    Examples
    --------
    >>> import numpy as np
    >>> from bridge.patches import AugLabelPatch
    >>> img = np.zeros((12, 12, 1), np.float32)
    >>> gt = np.zeros((12, 12, 1), np.uint8)
    >>> gt[9, 9] = 255
    >>> aug = AugLabelPatch(size=[4, 4])
    >>> out, patch = aug.apply(img, gt, rng=0)
    >>> patch.shape, int(patch[2, 2, 0])                      # the centre is the foreground
    ((4, 4, 1), 255)
    """

    params = (_SIZE,
              Param("labels", "vector", default=None, doc="label values"),
              Param("probabilities", "vector", default=None, bounds=(0, None),
                    doc="weight of each label value"))

    def _check(self):
        labels, probs = self._values["labels"], self._values["probabilities"]
        if (labels is None) != (probs is None):
            raise ValueError("AugLabelPatch: labels and probabilities go together")
        if labels is not None and len(labels) != len(probs):
            raise ValueError(f"AugLabelPatch: {len(labels)} labels but {len(probs)} "
                             "probabilities")
        if probs is not None and not sum(probs) > 0:
            raise ValueError(f"AugLabelPatch: probabilities must have a positive sum, got "
                             f"{list(probs)}")

    def _patch_start(self, a, gt, rng):
        if gt is None:
            raise ValueError("AugLabelPatch needs a ground-truth mask to draw patch centres "
                             "from (use AugUniformPatch for images without one)")
        shape = a.shape[:-1]
        size = _spatial_size(self._values, len(shape), type(self).__name__)
        _check_patch(shape, size, f"{type(self).__name__}: size (reversed: D, H, W)")
        labels = self._values["labels"]
        probs = None if labels is None else dict(zip(labels, self._values["probabilities"]))
        return label_patch_start(label_map(gt), size, rng, probs)
