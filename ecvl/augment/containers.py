"""Containers: apply several augmentations in sequence, one of them, or some of them."""

from .base import Augmentation
from .dsl import parse_container_body
from .params import Param

__all__ = [
    "SequentialAugmentationContainer",
    "OneOfAugmentationContainer",
    "SomeOfAugmentationContainer",
    "DatasetAugmentations",
]


def _children(augs, owner):
    if isinstance(augs, Augmentation):
        augs = [augs]
    try:
        augs = list(augs)
    except TypeError:
        raise TypeError(f"{owner}: augs must be a list of augmentations, got "
                        f"{type(augs).__name__}") from None
    for i, a in enumerate(augs):
        if not isinstance(a, Augmentation):
            raise TypeError(f"{owner}: augs[{i}] is a {type(a).__name__}, not an augmentation")
    return augs


class _Container(Augmentation, register=False):
    """Shared behaviour: children, records, text and equality."""

    is_container = True

    def __init__(self, *args, augs=None, **kwargs):
        name = type(self).__name__
        args = list(args)
        # PyECVL puts the children last positionally; raw text is accepted too.
        if augs is None and len(args) > len(self.params):
            augs = args.pop()
        if augs is None and args and len(self.params) == 0:
            augs = args.pop()
        if isinstance(augs, str):
            parsed = parse_container_body(type(self), augs)
            self.__dict__.update(parsed.__dict__)
            return
        super().__init__(*args, **kwargs)
        self.augs = _children([] if augs is None else augs, name)

    @classmethod
    def fromtext(cls, text):
        """Build from body text: the parameter line (if any), entries, then ``end``."""
        return parse_container_body(cls, text)

    def _pick(self, rng):
        raise NotImplementedError

    def _forward(self, img, gt, rng, geo=None):
        chosen = self._pick(rng)
        records = []
        for i in chosen:
            child = self.augs[i]
            img, gt, params = child._forward(img, gt, rng, geo)
            records.append({"name": type(child).__name__, "params": params})
        return img, gt, {"chosen": chosen, "children": records}

    def _replay(self, img, gt, params, geo=None):
        chosen, records = params["chosen"], params["children"]
        if len(chosen) != len(records):
            raise ValueError(f"{type(self).__name__}.replay: malformed record")
        for i, rec in zip(chosen, records):
            if not 0 <= i < len(self.augs) or rec["name"] != type(self.augs[i]).__name__:
                raise ValueError(f"{type(self).__name__}.replay: record does not match "
                                 f"this pipeline at child {i}")
            img, gt = self.augs[i]._replay(img, gt, rec["params"], geo)
        return img, gt

    def __len__(self):
        return len(self.augs)

    def __getitem__(self, i):
        return self.augs[i]

    def __iter__(self):
        return iter(self.augs)

    def __eq__(self, other):
        return (type(self) is type(other) and self._values == other._values
                and self.augs == other.augs)

    __hash__ = None

    def to_text(self, indent=0):
        """DSL text of the container and its children, closed by ``end``."""
        pad = " " * indent
        head = super().to_text(indent)
        body = [a.to_text(indent + 4) for a in self.augs]
        return "\n".join([head, *body, pad + "end"])

    def __repr__(self):
        inner = ", ".join(repr(a) for a in self.augs)
        args = super().__repr__()[len(type(self).__name__) + 1:-1]
        return f"{type(self).__name__}({args + ', ' if args else ''}[{inner}])"

    def to_dict(self):
        d = super().to_dict()
        d["children"] = [a.to_dict() for a in self.augs]
        return d


class SequentialAugmentationContainer(_Container):
    """Apply every augmentation in order.

    Parameters
    ----------
    augs : list of Augmentation or str
        The augmentations, or their DSL text (entries followed by ``end``).

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.augment import SequentialAugmentationContainer, AugMirror, AugRotate
    >>> seq = SequentialAugmentationContainer([AugMirror(p=1.0), AugRotate(angle=[-5, 5])])
    >>> seq(np.zeros((8, 8, 3), np.uint8), rng=0).shape
    (8, 8, 3)
    """

    params = ()

    def _pick(self, rng):
        return list(range(len(self.augs)))


class OneOfAugmentationContainer(_Container):
    """With probability ``p``, apply one augmentation chosen uniformly.

    Parameters
    ----------
    p : float
        Probability that any augmentation is applied.
    augs : list of Augmentation or str
        The candidates (or DSL text starting with a ``p=...`` line).

    Examples
    --------
    >>> from ecvl.augment import OneOfAugmentationContainer, AugFlip, AugMirror
    >>> one = OneOfAugmentationContainer(0.7, [AugFlip(1.0), AugMirror(1.0)])
    >>> print(one)
    OneOfAugmentationContainer p=0.7
        AugFlip p=1
        AugMirror p=1
    end
    """

    params = (Param("p", "number", bounds=(0, 1), doc="probability of applying one member"),)

    def _pick(self, rng):
        if not self.augs or rng.random() >= self._values["p"]:
            return []
        n = len(self.augs)  # uniform pick; cheaper than Generator.integers per image
        return [min(int(rng.random() * n), n - 1)]


class SomeOfAugmentationContainer(_Container):
    """Apply ``n`` distinct augmentations chosen at random, in their listed order.

    Parameters
    ----------
    n : int or [min, max]
        How many members to apply; a range draws the count per call.
    augs : list of Augmentation or str
        The candidates.

    Examples
    --------
    >>> from ecvl.augment import SomeOfAugmentationContainer, AugFlip, AugMirror, AugTranspose
    >>> some = SomeOfAugmentationContainer([1, 2], [AugFlip(), AugMirror(), AugTranspose()])
    >>> len(some)
    3
    """

    params = (Param("n", "range", integer=True, bounds=(0, None),
                    doc="number of members applied per call"),)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self._values["n"][1] > len(self.augs):
            raise ValueError(f"SomeOfAugmentationContainer: n={list(self._values['n'])} exceeds "
                             f"the {len(self.augs)} member(s)")

    def _pick(self, rng):
        lo, hi = self._values["n"]
        n = lo if lo == hi else int(rng.integers(lo, hi + 1))
        return sorted(int(i) for i in rng.choice(len(self.augs), size=n, replace=False))


class DatasetAugmentations:
    """One augmentation pipeline per dataset split, by split position (PyECVL).

    Parameters
    ----------
    augs : list of (Augmentation or None)
        ``None`` means no augmentation for that split.

    Examples
    --------
    >>> import numpy as np
    >>> from ecvl.augment import DatasetAugmentations, AugMirror
    >>> da = DatasetAugmentations([AugMirror(1.0), None])
    >>> da.IsEmpty()
    False
    """

    def __init__(self, augs=()):
        self.augs_ = []
        for i, a in enumerate(augs):
            if a is not None and not isinstance(a, Augmentation):
                raise TypeError(f"DatasetAugmentations: entry {i} is a {type(a).__name__}")
            self.augs_.append(a)

    def _get(self, split):
        i = int(split)
        if not 0 <= i < len(self.augs_):
            raise RuntimeError(f"Augmentation for this split does not exist (split {i}, "
                               f"{len(self.augs_)} given)")
        return self.augs_[i]

    def Apply(self, split, img, gt=None):
        """Augment ``img`` (and ``gt``) in place for ``split``; False when it has none."""
        aug = self._get(split)
        if aug is None:
            return False
        aug.Apply(img, gt)
        return True

    def apply(self, split, image, gt=None, *, rng=None):
        """Return augmented data for ``split`` (unchanged when the split has none)."""
        aug = self._get(split)
        if aug is None:
            return image if gt is None else (image, gt)
        return aug.apply(image, gt, rng=rng)

    def IsEmpty(self):
        """Return True when no split has augmentations."""
        return all(a is None for a in self.augs_)

    def __len__(self):
        return len(self.augs_)

