"""The DeepHealth Dataset Format (DDF): parsing, validation and the Dataset classes.

A DDF file is YAML with the keys ``name``, ``description``, ``classes``, ``features``,
``images`` and ``split``. Relative locations are resolved against the file's folder.
Locations that are URLs are never fetched; they are reported as errors naming the entry.
"""

import os
import re
import warnings

from ..core.enums import ColorType, SplitType, Task
from . import _fastyaml

__all__ = ["Dataset", "Sample", "Split", "DatasetError", "load_dataset"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_MAX_LISTED = 20


class DatasetError(ValueError, RuntimeError):
    """Invalid dataset description; ``problems`` lists every issue found."""

    def __init__(self, source, problems):
        self.problems = list(problems)
        head = f"{source}: {len(self.problems)} problem(s) in the dataset description"
        body = "\n  ".join(self.problems[:_MAX_LISTED])
        more = len(self.problems) - _MAX_LISTED
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{head}:\n  {body}{tail}")


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
        """Number of batches: ceil (floor with ``drop_last``) of size / batch size."""
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


def _resolve(root, loc):
    if loc[:1] == "/" or ("://" in loc and _URL.match(loc)) or (
            os.sep != "/" and os.path.isabs(loc)):
        return loc
    if "/." in "/" + loc or "\\" in loc or "//" in loc or os.sep != "/":
        return os.path.normpath(os.path.join(root, loc))
    return root + os.sep + loc  # already normal: skip normpath (hot for big datasets)


def _looks_like_path(s):
    return "/" in s or "\\" in s or bool(os.path.splitext(s)[1])


class _Builder:
    """Turns loaded YAML data into samples and splits, collecting problems."""

    def __init__(self, data, root, verify):
        self.problems = []
        self.root = root
        self.verify = verify
        if not isinstance(data, dict):
            raise DatasetError("dataset", ["the document must be a mapping with an 'images' key"])
        unknown = set(data) - {"name", "description", "classes", "features", "images", "split"}
        for k in sorted(unknown, key=str):
            self.problems.append(f"unknown top-level key {k!r}")
        self.name = str(data.get("name") or "DeepHealth dataset")
        self.description = str(data.get("description") or "")
        self.classes = self._names(data.get("classes"), "classes")
        self.features = self._names(data.get("features"), "features")
        self.class_index = {c: i for i, c in enumerate(self.classes)}
        self.feature_index = {f: i for i, f in enumerate(self.features)}
        images = data.get("images")
        if not isinstance(images, list):
            self.problems.append("'images' must be a list of entries")
            images = []
        self.samples = [self.sample(i, e) for i, e in enumerate(images)]
        self.splits = self._splits(data.get("split"))

    def _names(self, v, key):
        if v is None:
            return []
        if not isinstance(v, list):
            self.problems.append(f"'{key}' must be a list")
            return []
        return [str(x) for x in v]

    def location(self, i, loc):
        if isinstance(loc, str):
            loc = [loc]
        if not isinstance(loc, list) or not loc or not all(isinstance(x, str) for x in loc):
            self.problems.append(f"images[{i}]: location must be a path or a list of paths, "
                                 f"got {loc!r}")
            return []
        out = []
        for x in loc:
            if "://" in x and _URL.match(x):
                self.problems.append(f"images[{i}]: location {x!r} is a URL; URLs are never "
                                     "fetched, download the file and give its path")
            p = _resolve(self.root, x)
            if self.verify and not _URL.match(x) and not os.path.exists(p):
                self.problems.append(f"images[{i}]: file {p!r} does not exist")
            out.append(p)
        return out

    def label(self, i, lab):
        """Return ``(label_list_or_None, label_path_or_None)``."""
        if lab is None:
            return None, None
        if isinstance(lab, str) and lab not in self.class_index and (
                not self.classes or _looks_like_path(lab)):
            if _URL.match(lab):
                self.problems.append(f"images[{i}]: label {lab!r} is a URL; URLs are never "
                                     "fetched")
            p = _resolve(self.root, lab)
            if self.verify and not os.path.exists(p):
                self.problems.append(f"images[{i}]: ground truth {p!r} does not exist")
            return None, p
        items = lab if isinstance(lab, list) else [lab]
        out = []
        for x in items:
            if isinstance(x, bool) or not isinstance(x, (int, str)):
                self.problems.append(f"images[{i}]: label {x!r} must be a class index or name")
            elif isinstance(x, str):
                if x in self.class_index:
                    out.append(self.class_index[x])
                else:
                    self.problems.append(f"images[{i}]: label {x!r} is not one of the classes")
            elif self.classes and not 0 <= x < len(self.classes):
                self.problems.append(f"images[{i}]: label {x} is out of range for "
                                     f"{len(self.classes)} classes")
            elif x < 0:
                self.problems.append(f"images[{i}]: label {x} is negative")
            else:
                out.append(x)
        return out, None

    def values(self, i, vals):
        if vals is None:
            return None
        if isinstance(vals, list):
            if self.features and len(vals) > len(self.features):
                self.problems.append(f"images[{i}]: {len(vals)} values for "
                                     f"{len(self.features)} features")
            return {k: v for k, v in enumerate(vals) if v is not None}
        if isinstance(vals, dict):
            out = {}
            for k, v in vals.items():
                if str(k) not in self.feature_index:
                    self.problems.append(f"images[{i}]: value for unknown feature {k!r}")
                elif v is not None:
                    out[self.feature_index[str(k)]] = v
            return out
        self.problems.append(f"images[{i}]: values must be a list or a mapping")
        return None

    def sample(self, i, e):
        if type(e) is dict and not self.verify:  # fast path: one path and one class index
            loc = e.get("location")
            lab = e.get("label")
            if type(loc) is str and "://" not in loc and type(lab) is int and len(e) == 2 \
                    and 0 <= lab < (len(self.classes) or lab + 1):
                s = Sample.__new__(Sample)
                s.location_, s.label_, s.label_path_ = [_resolve(self.root, loc)], [lab], None
                s.values_, s.size_ = None, []
                return s
        if isinstance(e, (str, list)):
            return Sample(self.location(i, e))
        if not isinstance(e, dict) or "location" not in e:
            self.problems.append(f"images[{i}]: entry must be a path, a list of paths or a "
                                 "mapping with a 'location'")
            return Sample([])
        extra = set(e) - {"location", "label", "values"}
        if extra:
            self.problems.append(f"images[{i}]: unknown keys {sorted(map(str, extra))}")
        label, path = self.label(i, e.get("label"))
        return Sample(self.location(i, e["location"]), label, path, self.values(i, e.get("values")))

    def _splits(self, split):
        if split is None:
            return []
        if not isinstance(split, dict):
            self.problems.append("'split' must map split names to lists of indices")
            return []
        n = len(self.samples)
        owner = {}
        out = []
        for name, idx in split.items():
            name = str(name)
            if idx is None:
                idx = []
            if not isinstance(idx, list):
                self.problems.append(f"split {name!r}: must be a list of indices")
                continue
            good = []
            for j in idx:
                if isinstance(j, bool) or not isinstance(j, int):
                    self.problems.append(f"split {name!r}: index {j!r} is not an integer")
                elif not 0 <= j < n:
                    self.problems.append(f"split {name!r}: index {j} out of range "
                                         f"(there are {n} images)")
                elif j in owner:
                    self.problems.append(f"split {name!r}: index {j} already in split "
                                         f"{owner[j]!r}")
                else:
                    owner[j] = name
                    good.append(j)
            s = Split(name, good)
            first = self.samples[good[0]] if good else None
            s.no_label_ = first is None or (first.label_ is None and first.label_path_ is None)
            out.append(s)
        return out


def load_dataset(path, verify=False, strict=True):
    """Read a DDF file; see :class:`Dataset`."""
    return Dataset(path, verify=verify, strict=strict)


class Dataset:
    """A dataset described in the DeepHealth Dataset Format.

    Parameters
    ----------
    filename : str or os.PathLike, optional
        The YAML file. Without it the dataset is empty (fill it or use :meth:`from_dict`).
    verify : bool, optional
        Also check that every image and ground-truth file exists.
    strict : bool, optional
        True (default): raise :class:`DatasetError` listing every problem. False: warn
        with a summary, keep what is valid and record the problems in ``problems``.

    Examples
    --------
    >>> import os, tempfile
    >>> from ecvl.dataset import Dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "mnist.yml")
    >>> with open(path, "w") as f:
    ...     _ = f.write('name: MNIST\\nclasses: [0, 1]\\nimages:\\n  - location: "a.png"\\n'
    ...                 '    label: 1\\nsplit:\\n  training: [0]\\n')
    >>> d = Dataset(path)
    >>> d.name_, d.classes_, d.samples_[0].label_, d.GetSplit("training")
    ('MNIST', ['0', '1'], [1], [0])
    """

    def __init__(self, filename=None, verify=False, strict=True):
        self.name_ = "DeepHealth dataset"
        self.description_ = ""
        self.classes_ = []
        self.features_ = []
        self.samples_ = []
        self.split_ = []
        self.current_split_ = -1
        self.task_ = Task.segmentation
        self.problems = []
        self.source = None
        if filename is not None:
            filename = os.fspath(filename)
            if not os.path.isfile(filename):
                raise RuntimeError(f"{filename}: dataset file does not exist")
            with open(filename, encoding="utf-8") as f:
                text = f.read()
            try:
                data = _fastyaml.load(text)
            except Exception as e:  # yaml.YAMLError and friends
                raise DatasetError(filename, [f"YAML syntax error: {e}"]) from None
            self._fill(data, os.path.dirname(os.path.abspath(filename)), verify, strict,
                       filename)

    @classmethod
    def from_dict(cls, data, root=".", verify=False, strict=True):
        """Build from already-loaded YAML data; relative paths resolve against ``root``."""
        d = cls()
        d._fill(data, os.path.abspath(root), verify, strict, "<dict>")
        return d

    def _fill(self, data, root, verify, strict, source):
        b = _Builder(data, root, verify)
        self.source = source
        self.name_, self.description_ = b.name, b.description
        self.classes_, self.features_ = b.classes, b.features
        self.samples_, self.split_ = b.samples, b.splits
        self.task_ = Task.classification if self.classes_ else Task.segmentation
        self.problems = b.problems
        if self.split_:
            self.current_split_ = 0
        if b.problems:
            if strict:
                raise DatasetError(source, b.problems)
            warnings.warn(str(DatasetError(source, b.problems)), stacklevel=3)

    # -- PyECVL methods --------------------------------------------------------------
    def _split_index(self, split):
        if isinstance(split, SplitType):
            for i, s in enumerate(self.split_):
                if s.split_type_ == split:
                    return i
            raise RuntimeError(f"dataset has no {split.name} split")
        if isinstance(split, str):
            for i, s in enumerate(self.split_):
                if s.split_name_ == split:
                    return i
            raise RuntimeError(f"dataset has no split named {split!r} "
                               f"(splits: {[s.split_name_ for s in self.split_]})")
        i = int(split)
        if 0 <= i < len(self.split_):
            return i
        if self.current_split_ < 0:
            raise RuntimeError("dataset has no current split")
        return self.current_split_

    def GetSplit(self, split=-1):
        """Indices of a split given by index, name or SplitType (-1: the current one)."""
        return list(self.split_[self._split_index(split)].samples_indices_)

    def SetSplit(self, split):
        """Make ``split`` (index, name or SplitType) the current split."""
        self.current_split_ = self._split_index(split)

    def GetLocations(self):
        """Locations of every sample."""
        return [list(s.location_) for s in self.samples_]

    def Dump(self, path):
        """Write the dataset as DDF YAML (see :func:`ecvl.dataset.dump_dataset`)."""
        from .writer import dump_dataset

        dump_dataset(self, path)

    # -- pythonic aliases ------------------------------------------------------------
    dump = Dump

    @property
    def name(self):
        return self.name_

    @property
    def classes(self):
        return self.classes_

    @property
    def samples(self):
        return self.samples_

    @property
    def splits(self):
        """Split name -> list of sample indices, in file order."""
        return {s.split_name_: list(s.samples_indices_) for s in self.split_}

    def __len__(self):
        return len(self.samples_)

    def __eq__(self, other):
        return (isinstance(other, Dataset) and self.name_ == other.name_
                and self.description_ == other.description_
                and self.classes_ == other.classes_ and self.features_ == other.features_
                and self.samples_ == other.samples_ and self.split_ == other.split_)

    def __repr__(self):
        return (f"Dataset({self.name_!r}, {len(self.samples_)} samples, "
                f"splits={[s.split_name_ for s in self.split_]})")
