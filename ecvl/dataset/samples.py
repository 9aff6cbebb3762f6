"""Samples and splits of a dataset (PyECVL's ``Sample`` and ``Split``)."""

import os
import re

from ..core.enums import ColorType, SplitType

__all__ = ["Sample", "Split"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class Sample:
    """One entry of ``images``: its location(s), label and feature values.

    Attributes
    ----------
    location_ : list of str
        Absolute paths (several when planes are stacked into one image).
    label_ : list of int or None
        Class indices (several for multi-label classification).
    label_path_ : str or None
        Path of the ground-truth mask (segmentation).
    values_ : dict or None
        Feature index -> value.
    size_ : list of int
        ``[w, h]`` once the image was loaded.
    """

    __slots__ = ("location_", "label_", "label_path_", "values_", "size_")

    def __init__(self, location=(), label=None, label_path=None, values=None):
        self.location_ = [location] if isinstance(location, str) else list(location)
        self.label_ = label
        self.label_path_ = label_path
        self.values_ = values
        self.size_ = []

    def __eq__(self, other):
        return isinstance(other, Sample) and all(
            getattr(self, k) == getattr(other, k) for k in ("location_", "label_",
                                                            "label_path_", "values_"))

    def __repr__(self):
        return (f"Sample(location={self.location_!r}, label={self.label_!r}, "
                f"label_path={self.label_path_!r})")

    def LoadImage(self, ctype=ColorType.RGB, is_gt=False):
        """Read the image (or its ground truth), stacking multiple locations.

        Parameters
        ----------
        ctype : ColorType, optional
            Colour type to convert to.
        is_gt : bool, optional
            Load the ground-truth mask instead of the image.

        Returns
        -------
        ecvl.Image
        """
        import ecvl

        if is_gt:
            if self.label_path_ is None:
                raise RuntimeError(f"sample {self.location_}: it has no ground-truth path")
            paths = [self.label_path_]
        else:
            paths = self.location_
        for p in paths:
            if _URL.match(p):
                raise RuntimeError(f"{p}: URLs are never fetched; download the file first")
            if not os.path.exists(p):
                raise RuntimeError(f"{p}: file does not exist")
        imgs = [ecvl.ImRead(p) for p in paths]
        if len(imgs) > 1:
            img = ecvl.Image.empty()
            ecvl.Stack(imgs, img)
        else:
            img = imgs[0]
        if ctype is not None and img.colortype_ != ctype and ctype != ColorType.none:
            out = ecvl.Image.empty()
            ecvl.ChangeColorSpace(img, out, ctype)
            img = out
        self.size_ = [img.Width(), img.Height()]
        return img


class Split:
    """A named list of sample indices (PyECVL's Split).

    Parameters
    ----------
    split_name : str
        Name, e.g. ``"training"``.
    samples_indices : list of int
        Indices into the dataset's samples.
    drop_last : bool, optional
        Drop the incomplete last batch.
    no_label : bool, optional
        The split has no labels.
    """

    def __init__(self, split_name="", samples_indices=None, drop_last=False, no_label=False):
        self.split_name_ = split_name
        self.split_type_ = SplitType[split_name] if split_name in SplitType.__members__ \
            else None
        self.samples_indices_ = list(samples_indices or [])
        self.drop_last_ = bool(drop_last)
        self.no_label_ = bool(no_label)
        self.num_batches_ = 0
        self.last_batch_ = 0

    def SetNumBatches(self, batch_size):
        """Set the number of batches: ceil (floor with ``drop_last``) of size / batch size."""
        n = len(self.samples_indices_)
        self.num_batches_ = n // batch_size if self.drop_last_ else -(-n // batch_size)

    def SetLastBatch(self, batch_size):
        """Size of the last batch (``batch_size`` when it divides or with ``drop_last``)."""
        r = len(self.samples_indices_) % batch_size
        self.last_batch_ = batch_size if (r == 0 or self.drop_last_) else r

    def __eq__(self, other):
        return (isinstance(other, Split) and self.split_name_ == other.split_name_
                and self.samples_indices_ == other.samples_indices_)

    def __repr__(self):
        return f"Split({self.split_name_!r}, {len(self.samples_indices_)} samples)"
