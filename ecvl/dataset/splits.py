"""Cross-validation folds: stratified and group-aware k-fold splits, written as DDF splits.

Samples are dealt to ``k`` folds so that each sample is in exactly one validation fold, classes
are spread evenly over the folds where labels allow it, and all samples of a group (e.g. the
images of one patient) land in the same fold. :func:`set_fold_splits` turns fold ``i`` into a
dataset's ``training`` and ``validation`` splits, keeping its ``test`` split.
"""

import numbers

import numpy as np

from .samples import Split

__all__ = ["kfold_splits", "set_fold_splits"]

_HELD_OUT = "test"


def _pool_and_labels(data):
    """Sample indices to split and their class labels (None where labels cannot stratify)."""
    if hasattr(data, "samples_") and hasattr(data, "split_"):
        held = {i for s in data.split_ if s.split_name_ == _HELD_OUT for i in s.samples_indices_}
        pool = [i for i in range(len(data.samples_)) if i not in held]
        labels = [data.samples_[i].label_ for i in pool]
        # only single-label classification stratifies; masks and multi-label sets do not
        if all(isinstance(lb, (list, tuple)) and len(lb) == 1 for lb in labels):
            return np.asarray(pool, dtype=np.int64), [lb[0] for lb in labels]
        return np.asarray(pool, dtype=np.int64), None
    if isinstance(data, numbers.Integral) and not isinstance(data, bool):
        if data < 0:
            raise ValueError(f"the number of samples must be >= 0, got {data}")
        return np.arange(int(data)), None
    if isinstance(data, (str, bytes)):
        raise TypeError("dataset_or_labels must be a Dataset, a sequence of labels or a number of "
                        f"samples, got {type(data).__name__}")
    labels = list(data)
    return np.arange(len(labels)), labels


def _groups_for(data, groups, pool):
    if isinstance(groups, str):
        features = list(getattr(data, "features_", None) or [])
        if groups not in features:
            raise ValueError(f"groups {groups!r} is not a feature of the dataset "
                             f"(features: {features})")
        f = features.index(groups)
        out = []
        for i in pool:
            values = data.samples_[i].values_ or {}
            if f not in values:
                raise ValueError(f"sample {i} has no value for the group feature {groups!r}")
            out.append(values[f])
        return out
    groups = list(groups)
    n_all = len(data.samples_) if hasattr(data, "samples_") else len(pool)
    if len(groups) != n_all:
        raise ValueError(f"groups has {len(groups)} entries but there are {n_all} samples")
    return [groups[i] for i in pool]


def _codes(values, what):
    """Integer codes of hashable values, in order of first appearance (seed-independent)."""
    index = {}
    try:
        codes = [index.setdefault(v, len(index)) for v in values]
    except TypeError:
        raise TypeError(f"{what} must be one hashable value per sample (e.g. a class index or a "
                        f"patient id), got {type(next(iter(values))).__name__}") from None
    return np.asarray(codes, dtype=np.int64), len(index)


def kfold_splits(dataset_or_labels, k, stratify=True, groups=None, seed=0):
    """Split samples into ``k`` folds: per fold, training and validation indices.

    Parameters
    ----------
    dataset_or_labels : Dataset, sequence or int
        A :class:`~ecvl.dataset.Dataset` (its samples outside the ``test`` split are split,
        stratified by class when every one of them has exactly one label), a sequence of class
        labels (any hashable values, one per sample), or a number of samples (no labels).
    k : int
        Number of folds, ``2 <= k <=`` the number of samples (of groups, with ``groups``).
    stratify : bool
        Spread each class evenly over the folds: without groups every fold gets
        ``floor`` or ``ceil`` of ``count / k`` samples of each class (as scikit-learn's
        ``StratifiedKFold``). Ignored when there are no labels.
    groups : sequence or str, optional
        A group per sample (e.g. patient ids; for a Dataset, one per sample of the whole
        dataset), or for a Dataset the name of a feature holding it. All samples of a group
        go to the same fold; groups are dealt largest first to the fold where they fit best
        (the smallest fold, or with ``stratify`` the one whose class counts they unbalance
        least), as scikit-learn's ``GroupKFold`` and ``StratifiedGroupKFold`` do.
    seed : int
        Seed of the shuffling; the same seed gives the same folds.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        ``k`` pairs ``(train, validation)`` of sorted int64 sample indices (dataset indices
        for a Dataset); the validation sets partition the samples.

    Examples
    --------
    >>> from ecvl.dataset import kfold_splits
    >>> folds = kfold_splits(["a", "a", "b", "b", "a", "b"], 3, seed=0)
    >>> sorted(int(i) for _, val in folds for i in val)
    [0, 1, 2, 3, 4, 5]
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    pool, labels = _pool_and_labels(dataset_or_labels)
    n = len(pool)
    if k > n:
        raise ValueError(f"k={k} folds need at least {k} samples, there are {n}")
    rng = np.random.default_rng(seed)
    y = None
    if stratify and labels is not None:
        y, _ = _codes(labels, "labels")
    if groups is None:
        fold = _deal(rng, y, n, k)
    else:
        g, n_groups = _codes(_groups_for(dataset_or_labels, groups, pool), "groups")
        if k > n_groups:
            raise ValueError(f"k={k} folds need at least {k} groups, there are {n_groups}")
        fold = _deal_groups(rng, y, g, n_groups, k)
    out = []
    for f in range(k):
        val = fold == f
        out.append((pool[~val], pool[val]))
    return out


def _deal(rng, y, n, k):
    """Shuffle (within each class), then deal round-robin: sizes and class counts differ by <= 1."""
    if y is None:
        order = rng.permutation(n)
    else:
        order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in range(y.max() + 1)])
    fold = np.empty(n, dtype=np.int64)
    fold[order] = np.arange(n) % k
    return fold


def _deal_groups(rng, y, g, n_groups, k):
    sizes = np.bincount(g, minlength=n_groups)
    # shuffled, then a stable sort by size: equal-sized groups are taken in a seeded order
    order = rng.permutation(n_groups)
    order = order[np.argsort(-sizes[order], kind="stable")]
    if y is not None:
        per_group = np.zeros((n_groups, y.max() + 1))
        np.add.at(per_group, (g, y), 1)
        targets = per_group.sum(0) / k
    counts = np.zeros((k, 0 if y is None else per_group.shape[1]))
    fold_sizes = np.zeros(k)
    of_group = np.empty(n_groups, dtype=np.int64)
    for left, grp in zip(range(n_groups, 0, -1), order):
        candidates = np.arange(k)
        empty = candidates[fold_sizes == 0]
        if left <= len(empty):
            candidates = empty      # every fold must end with at least one group
        if y is None:
            cost = fold_sizes[candidates]
        else:
            # squared distance of the class counts from their targets after adding the group
            after = counts[candidates] + per_group[grp]
            cost = ((after - targets) ** 2).sum(1) - ((counts[candidates] - targets) ** 2).sum(1)
            cost = cost + 1e-9 * fold_sizes[candidates]
        f = candidates[int(np.argmin(cost))]
        of_group[grp] = f
        fold_sizes[f] += sizes[grp]
        if y is not None:
            counts[f] += per_group[grp]
    return of_group[g]


def set_fold_splits(dataset, fold, k, stratify=True, groups=None, seed=0, path=None):
    """Make fold ``fold`` of :func:`kfold_splits` the dataset's training and validation splits.

    The ``training`` and ``validation`` splits are replaced; the ``test`` split and any other
    split are kept, after them.

    Parameters
    ----------
    dataset : Dataset
        The dataset, changed in place.
    fold : int
        Which fold is the validation split, ``0 <= fold < k``.
    k, stratify, groups, seed
        As in :func:`kfold_splits` (the same arguments give the same folds).
    path : str or os.PathLike, optional
        Also write the dataset there as DDF YAML (see :func:`~ecvl.dataset.dump_dataset`).

    Returns
    -------
    Dataset
        ``dataset``.

    Examples
    --------
    >>> from ecvl.dataset import Dataset, Sample, Split, set_fold_splits
    >>> d = Dataset()
    >>> d.classes_ = ["a", "b"]
    >>> d.samples_ = [Sample(f"/data/{i}.png", [i % 2]) for i in range(6)]
    >>> d.split_ = [Split("training", [0, 1, 2, 3]), Split("test", [4, 5])]
    >>> _ = set_fold_splits(d, 0, 2)
    >>> [s.split_name_ for s in d.split_], len(d.GetSplit("validation")), d.GetSplit("test")
    (['training', 'validation', 'test'], 2, [4, 5])
    """
    if not (hasattr(dataset, "samples_") and hasattr(dataset, "split_")):
        raise TypeError(f"dataset must be an ecvl.dataset.Dataset, got {type(dataset).__name__}")
    if isinstance(fold, bool) or not isinstance(fold, numbers.Integral):
        raise TypeError(f"fold must be an int, got {type(fold).__name__}")
    folds = kfold_splits(dataset, k, stratify=stratify, groups=groups, seed=seed)
    if not 0 <= fold < k:
        raise ValueError(f"fold must be in [0, {k}), got {fold}")
    train, val = folds[fold]
    kept = [s for s in dataset.split_ if s.split_name_ not in ("training", "validation")]
    dataset.split_ = [Split("training", train.tolist()), Split("validation", val.tolist())] + kept
    dataset.current_split_ = 0
    if path is not None:
        dataset.Dump(path)
    return dataset
