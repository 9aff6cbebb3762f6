"""k-fold splits: partition, stratification (compared with scikit-learn's fold sizes), group
integrity, determinism, DDF splits written back, and argument checks."""

import numpy as np
import pytest

from ecvl.dataset import Dataset, Sample, Split, kfold_splits, set_fold_splits


def _labels(n=103, classes=4, seed=0):
    p = np.array([0.5, 0.25, 0.15, 0.1])[:classes]
    return np.random.default_rng(seed).choice(classes, size=n, p=p / p.sum())


def _check_partition(folds, n):
    vals = np.concatenate([v for _, v in folds])
    np.testing.assert_array_equal(np.sort(vals), np.arange(n))       # each sample once in validation
    for tr, va in folds:
        assert len(va) > 0
        np.testing.assert_array_equal(np.sort(np.concatenate([tr, va])), np.arange(n))
        assert not set(tr.tolist()) & set(va.tolist())


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_stratified_class_counts_within_one(k):
    y = _labels()
    folds = kfold_splits(list(y), k, seed=3)
    _check_partition(folds, len(y))
    for c in np.unique(y):
        per_fold = [int((y[va] == c).sum()) for _, va in folds]
        assert max(per_fold) - min(per_fold) <= 1
        assert sum(per_fold) == (y == c).sum()
    sizes = [len(va) for _, va in folds]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("k", [3, 5])
def test_fold_class_counts_match_sklearn(k):
    model_selection = pytest.importorskip("sklearn.model_selection")
    y = _labels(97, seed=1)
    ours = kfold_splits(y.tolist(), k, seed=0)
    skf = model_selection.StratifiedKFold(k, shuffle=True, random_state=0)
    theirs = [va for _, va in skf.split(np.zeros(len(y)), y)]
    for c in np.unique(y):
        assert sorted((y[va] == c).sum() for _, va in ours) == sorted((y[va] == c).sum() for va in theirs)


def test_unstratified_sizes():
    folds = kfold_splits(23, 4, seed=1)
    _check_partition(folds, 23)
    assert sorted(len(va) for _, va in folds) == [5, 6, 6, 6]
    # a class-blind split of labels differs from the stratified one
    y = [0] * 12 + [1] * 12
    assert any(not np.array_equal(a[1], b[1]) for a, b in
               zip(kfold_splits(y, 4, stratify=False, seed=2), kfold_splits(y, 4, seed=2)))


def _grouped(n_groups=40, seed=0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, n_groups)
    groups = np.repeat(np.arange(n_groups) * 7 + 100, sizes)      # arbitrary ids
    g_label = rng.choice(3, n_groups, p=[0.6, 0.3, 0.1])
    y = np.repeat(g_label, sizes)
    perm = rng.permutation(len(y))
    return y[perm], groups[perm]


@pytest.mark.parametrize("stratify", [False, True])
@pytest.mark.parametrize("k", [2, 4, 7])
def test_groups_never_leak(stratify, k):
    y, groups = _grouped()
    folds = kfold_splits(y.tolist(), k, stratify=stratify, groups=groups.tolist(), seed=4)
    _check_partition(folds, len(y))
    for tr, va in folds:
        assert not set(groups[tr]) & set(groups[va])


@pytest.mark.parametrize("k", [3, 5])
def test_group_fold_sizes_match_sklearn_group_kfold(k):
    model_selection = pytest.importorskip("sklearn.model_selection")
    y, groups = _grouped(seed=2)
    ours = kfold_splits(len(y), k, groups=groups.tolist())
    theirs = model_selection.GroupKFold(k).split(np.zeros(len(y)), y, groups)
    assert sorted(len(va) for _, va in ours) == sorted(len(va) for _, va in theirs)


def test_stratified_groups_balance_classes_as_well_as_sklearn():
    model_selection = pytest.importorskip("sklearn.model_selection")
    y, groups = _grouped(n_groups=120, seed=5)
    k = 4

    def spread(val_sets):
        # worst deviation of a fold's class share from the whole set's
        share = np.bincount(y) / len(y)
        return max(np.abs(np.bincount(y[va], minlength=3) / len(va) - share).max() for va in val_sets)

    ours = [va for _, va in kfold_splits(y.tolist(), k, groups=groups.tolist(), seed=0)]
    sgkf = model_selection.StratifiedGroupKFold(k, shuffle=True, random_state=0)
    theirs = [va for _, va in sgkf.split(np.zeros(len(y)), y, groups)]
    unstrat = [va for _, va in kfold_splits(y.tolist(), k, stratify=False, groups=groups.tolist(), seed=0)]
    assert spread(ours) <= spread(theirs) + 0.02
    assert spread(ours) < 0.05
    assert spread(ours) <= spread(unstrat)


def test_deterministic_for_a_seed():
    y, groups = _grouped()
    for kw in ({}, {"groups": groups.tolist()}, {"stratify": False}):
        a = kfold_splits(y.tolist(), 5, seed=11, **kw)
        b = kfold_splits(y.tolist(), 5, seed=11, **kw)
        c = kfold_splits(y.tolist(), 5, seed=12, **kw)
        assert all(np.array_equal(p[1], q[1]) for p, q in zip(a, b))
        assert any(not np.array_equal(p[1], q[1]) for p, q in zip(a, c))


def _dataset(n=30, features=("patient",)):
    d = Dataset()
    d.classes_ = ["benign", "malignant", "other"]
    d.features_ = list(features)
    d.samples_ = [Sample(f"/data/{i}.png", [i % 3], values={0: f"p{i // 3}"}) for i in range(n)]
    d.split_ = [Split("training", list(range(20))), Split("validation", list(range(20, 24))),
                Split("test", list(range(24, n)))]
    return d


def test_dataset_folds_keep_the_test_split_and_follow_labels():
    d = _dataset()
    folds = kfold_splits(d, 4)
    pool = np.arange(24)
    np.testing.assert_array_equal(np.sort(np.concatenate([v for _, v in folds])), pool)
    y = np.array([s.label_[0] for s in d.samples_])
    ref = kfold_splits(y[:24].tolist(), 4)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, ref))
    # a feature names the groups: the three images of a patient stay together
    for tr, va in kfold_splits(d, 4, groups="patient"):
        assert not {d.samples_[i].values_[0] for i in tr} & {d.samples_[i].values_[0] for i in va}


def test_segmentation_dataset_is_split_without_stratification():
    d = _dataset()
    for s in d.samples_:
        s.label_, s.label_path_ = None, "/data/mask.png"
    folds = kfold_splits(d, 3, seed=1)
    np.testing.assert_array_equal(folds[0][1], kfold_splits(24, 3, seed=1)[0][1])


def test_set_fold_splits_writes_a_loadable_ddf(tmp_path):
    d = _dataset()
    path = tmp_path / "fold.yml"
    set_fold_splits(d, 2, 4, groups="patient", seed=3, path=path)
    tr, va = kfold_splits(_dataset(), 4, groups="patient", seed=3)[2]
    back = Dataset(str(path))
    assert [s.split_name_ for s in back.split_] == ["training", "validation", "test"]
    assert back.GetSplit("training") == tr.tolist() == d.GetSplit("training")
    assert back.GetSplit("validation") == va.tolist()
    assert back.GetSplit("test") == list(range(24, 30))
    # every fold over the k runs validates each non-test sample once
    seen = []
    for f in range(4):
        seen += set_fold_splits(_dataset(), f, 4, groups="patient", seed=3).GetSplit("validation")
    assert sorted(seen) == list(range(24))


def test_bad_arguments():
    y = [0, 1, 0, 1, 0]
    with pytest.raises(ValueError, match="k must be >= 2"):
        kfold_splits(y, 1)
    with pytest.raises(TypeError, match="k must be an int"):
        kfold_splits(y, 2.0)
    with pytest.raises(ValueError, match="at least 6 samples, there are 5"):
        kfold_splits(y, 6)
    with pytest.raises(ValueError, match="groups has 4 entries but there are 5 samples"):
        kfold_splits(y, 2, groups=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="at least 3 groups, there are 2"):
        kfold_splits(y, 3, groups=[0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="not a feature"):
        kfold_splits(_dataset(), 2, groups="site")
    with pytest.raises(TypeError, match="labels must be one hashable value per sample"):
        kfold_splits(np.eye(3)[[0, 1, 2, 0]], 2)
    with pytest.raises(TypeError, match="groups must be one hashable value per sample"):
        kfold_splits(y, 2, groups=[[0], [0], [1], [1], [1]])
    with pytest.raises(TypeError, match="dataset_or_labels"):
        kfold_splits("abc", 2)
    with pytest.raises(ValueError, match=r"fold must be in \[0, 4\)"):
        set_fold_splits(_dataset(), 4, 4)
    with pytest.raises(TypeError, match="Dataset"):
        set_fold_splits([0, 1], 0, 2)
