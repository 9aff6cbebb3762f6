"""Checks of a dataset before training: files present, image sizes consistent."""

import os

from PIL import Image as PILImage

__all__ = ["DataCheckError", "check_dataset"]

_HEADER_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"}


class DataCheckError(ValueError):
    """The dataset cannot be trained on as configured; the message names the files."""


def _size(path):
    if os.path.splitext(path)[1].lower() not in _HEADER_EXT:
        return None
    try:
        with PILImage.open(path) as im:
            return im.size
    except Exception as e:
        raise DataCheckError(f"{path}: cannot read the image header ({e})") from None


def check_dataset(ds, resized_splits=()):
    """Check every sample of every split before training starts.

    Parameters
    ----------
    ds : ecvl.Dataset
        The dataset.
    resized_splits : collection of str, optional
        Splits whose augmentations end in a resize, so their images may differ in size.

    Raises
    ------
    DataCheckError
        Missing files, or images of a split (or their masks) of different sizes.
    """
    missing = []
    for s in ds.split_:
        for i in s.samples_indices_:
            smp = ds.samples_[i]
            for p in list(smp.location_) + ([smp.label_path_] if smp.label_path_ else []):
                if not os.path.isfile(p):
                    missing.append(p)
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise DataCheckError(f"{len(missing)} file(s) of the dataset do not exist: "
                             f"{', '.join(missing[:5])}{more}")
    for s in ds.split_:
        if s.split_name_ in resized_splits:
            continue
        first = None
        for i in s.samples_indices_:
            smp = ds.samples_[i]
            for p in list(smp.location_) + ([smp.label_path_] if smp.label_path_ else []):
                size = _size(p)
                if size is None:
                    continue
                if first is None:
                    first = (p, size)
                elif size != first[1]:
                    raise DataCheckError(
                        f"split {s.split_name_!r}: {p} is {size[0]}x{size[1]} but {first[0]} is "
                        f"{first[1][0]}x{first[1][1]}; images must share one size (set "
                        "input_size / --input-size to resize them)")
