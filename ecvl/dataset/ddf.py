"""The DeepHealth Dataset Format (DDF): the Dataset class.

A DDF file is YAML with the keys ``name``, ``description``, ``classes``, ``features``,
``images`` and ``split``. Relative locations are resolved against the file's folder.
Locations that are URLs are never fetched; they are reported as errors naming the entry.
"""

import os
import warnings

from ..core.enums import SplitType, Task
from ..core.errors import short
from . import _fastyaml
from ._build import DatasetError, _Builder
from .samples import Sample, Split

__all__ = ["Dataset", "Sample", "Split", "DatasetError", "load_dataset"]


def load_dataset(path, verify=False, strict=True):
    """Read a DDF file; see :class:`Dataset`."""
    return Dataset(path, verify=verify, strict=strict)


class Dataset:
    r"""A dataset described in the DeepHealth Dataset Format.

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
    ...     _ = f.write('name: MNIST\nclasses: [0, 1]\nimages:\n  - location: "a.png"\n'
    ...                 '    label: 1\nsplit:\n  training: [0]\n')
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
            with open(filename, "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DatasetError(filename, [f"not UTF-8 text: byte 0x{raw[e.start]:02x} at offset "
                                              f"{e.start}"]) from e
            try:
                data = _fastyaml.load(text)
            except Exception as e:  # yaml.YAMLError, and RecursionError/MemoryError of hostile input
                raise DatasetError(filename, [f"YAML syntax error: {short(' '.join(str(e).split()))}"]
                                   ) from e
            _fastyaml.check_expansion(data, len(text), filename)
            self._fill(data, os.path.dirname(os.path.abspath(filename)), verify, strict,
                       filename)

    @classmethod
    def from_dict(cls, data, root=".", verify=False, strict=True):
        """Build from already-loaded YAML data; relative paths resolve against ``root``."""
        d = cls()
        d._fill(data, os.path.abspath(root), verify, strict, "<dict>")
        return d

    def _fill(self, data, root, verify, strict, source):
        b = _Builder(data, root, verify, source)
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
        """Return the indices of a split given by index, name or SplitType (-1: the current one)."""
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
        """The dataset's name (``name_``)."""
        return self.name_

    @property
    def classes(self):
        """The class names (``classes_``), empty for segmentation."""
        return self.classes_

    @property
    def samples(self):
        """Every sample, in file order (``samples_``)."""
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
