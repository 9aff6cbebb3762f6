"""Turning loaded DDF YAML into samples and splits, collecting every problem found."""

import os

from ..core.errors import short
from .samples import _URL, Sample, Split

_MAX_LISTED = 20


def _r(value):
    """``repr`` of a value from the file, cut short: the message must stay readable."""
    return short(repr(value))


class DatasetError(ValueError, RuntimeError):
    """Invalid dataset description; ``problems`` lists every issue found."""

    def __init__(self, source, problems):
        self.problems = list(problems)
        head = f"{source}: {len(self.problems)} problem(s) in the dataset description"
        body = "\n  ".join(self.problems[:_MAX_LISTED])
        more = len(self.problems) - _MAX_LISTED
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{head}:\n  {body}{tail}")


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

    def __init__(self, data, root, verify, source="dataset"):
        self.problems = []
        self.root = root
        self.verify = verify
        if not isinstance(data, dict):
            raise DatasetError(source, ["the document must be a mapping with an 'images' key"])
        unknown = set(data) - {"name", "description", "classes", "features", "images", "split"}
        for k in sorted(unknown, key=str):
            self.problems.append(f"unknown top-level key {_r(k)}")
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
                                 f"got {_r(loc)}")
            return []
        out = []
        for x in loc:
            if "://" in x and _URL.match(x):
                self.problems.append(f"images[{i}]: location {_r(x)} is a URL; URLs are never "
                                     "fetched, download the file and give its path")
            p = _resolve(self.root, x)
            if self.verify and not _URL.match(x) and not os.path.exists(p):
                self.problems.append(f"images[{i}]: file {_r(p)} does not exist")
            out.append(p)
        return out

    def label(self, i, lab):
        """Return ``(label_list_or_None, label_path_or_None)``."""
        if lab is None:
            return None, None
        if isinstance(lab, str) and lab not in self.class_index and (
                not self.classes or _looks_like_path(lab)):
            if _URL.match(lab):
                self.problems.append(f"images[{i}]: label {_r(lab)} is a URL; URLs are never "
                                     "fetched")
            p = _resolve(self.root, lab)
            if self.verify and not os.path.exists(p):
                self.problems.append(f"images[{i}]: ground truth {_r(p)} does not exist")
            return None, p
        items = lab if isinstance(lab, list) else [lab]
        out = []
        for x in items:
            if isinstance(x, bool) or not isinstance(x, (int, str)):
                self.problems.append(f"images[{i}]: label {_r(x)} must be a class index or name")
            elif isinstance(x, str):
                if x in self.class_index:
                    out.append(self.class_index[x])
                else:
                    self.problems.append(f"images[{i}]: label {_r(x)} is not one of the classes")
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
                    self.problems.append(f"images[{i}]: value for unknown feature {_r(k)}")
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
                self.problems.append(f"split {_r(name)}: must be a list of indices")
                continue
            good = []
            for j in idx:
                if isinstance(j, bool) or not isinstance(j, int):
                    self.problems.append(f"split {_r(name)}: index {_r(j)} is not an integer")
                elif not 0 <= j < n:
                    self.problems.append(f"split {_r(name)}: index {j} out of range "
                                         f"(there are {n} images)")
                elif j in owner:
                    self.problems.append(f"split {_r(name)}: index {j} already in split "
                                         f"{_r(owner[j])}")
                else:
                    owner[j] = name
                    good.append(j)
            s = Split(name, good)
            first = self.samples[good[0]] if good else None
            s.no_label_ = first is None or (first.label_ is None and first.label_path_ is None)
            out.append(s)
        return out
