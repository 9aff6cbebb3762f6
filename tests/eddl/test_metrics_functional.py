"""eddl.metrics functions on NumPy arrays against scikit-learn and SciPy, and the epoch-exact
training metrics against the same functions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist, directed_hausdorff

import eddl
from eddl import metrics as M

skm = pytest.importorskip("sklearn.metrics")

labels = st.integers(2, 5).flatmap(lambda c: st.tuples(
    st.just(c),
    st.lists(st.integers(0, c - 1), min_size=1, max_size=40),
    st.integers(0, 2**32 - 1)))


def _pair(c, t, seed):
    t = np.array(t)
    p = np.random.default_rng(seed).integers(0, c, t.size)
    return t, p


@settings(max_examples=60, deadline=None)
@given(labels)
def test_classification_metrics_match_sklearn(case):
    c, t, seed = case
    t, p = _pair(c, t, seed)
    lab = list(range(c))
    np.testing.assert_array_equal(M.confusion_matrix(t, p, c), skm.confusion_matrix(t, p, labels=lab))
    for avg in ("macro", "micro", "weighted", None):
        kw = dict(labels=lab, average=avg, zero_division=0)
        np.testing.assert_allclose(M.precision(t, p, avg, n_classes=c), skm.precision_score(t, p, **kw), rtol=1e-12)
        np.testing.assert_allclose(M.recall(t, p, avg, n_classes=c), skm.recall_score(t, p, **kw), rtol=1e-12)
        np.testing.assert_allclose(M.f1_score(t, p, avg, n_classes=c), skm.f1_score(t, p, **kw), rtol=1e-12)
    # specificity is the recall of the negatives, one class against the rest
    for k in range(c):
        spec = M.specificity(t, p, None, n_classes=c)[k]
        ref = skm.recall_score(t != k, p != k, zero_division=0)
        assert spec == pytest.approx(ref, rel=1e-12)
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        assert M.balanced_accuracy(t, p, c) == pytest.approx(skm.balanced_accuracy_score(t, p), rel=1e-12)
        for w in (None, "linear", "quadratic"):
            ref = skm.cohen_kappa_score(t, p, labels=lab, weights=w)
            got = M.cohen_kappa(t, p, w, n_classes=c)
            assert (np.isnan(got) and np.isnan(ref)) or got == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_binary_average_and_labels_from_scores():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, 50)
    s = rng.random((50, 2))
    p = s.argmax(1)
    assert M.f1_score(np.eye(2)[t], s) == pytest.approx(skm.f1_score(t, p), rel=1e-12)
    assert M.precision(t, p) == pytest.approx(skm.precision_score(t, p), rel=1e-12)
    assert M.sensitivity(t, p, pos_label=0) == pytest.approx(skm.recall_score(t, p, pos_label=0), rel=1e-12)
    # a prediction with no positive: precision defined as 0
    assert M.precision(t, np.zeros(50, int)) == 0.0
    with pytest.raises(ValueError, match="binary"):
        M.f1_score([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="whole class numbers"):
        M.f1_score([0.0, 1.0], [0.2, 0.9])
    with pytest.raises(ValueError, match="samples"):
        M.f1_score([0, 1, 1], [0, 1])


def test_kappa_undefined_when_chance_agreement_is_perfect():
    assert np.isnan(M.cohen_kappa([1, 1, 1], [1, 1, 1]))


scores = st.tuples(st.integers(2, 60), st.integers(1, 6), st.integers(0, 2**32 - 1))


@settings(max_examples=60, deadline=None)
@given(scores)
def test_binary_auc_and_ap_match_sklearn_with_ties(case):
    n, levels, seed = case
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    t[:2] = [0, 1]
    s = rng.integers(0, levels, n) / levels  # few levels: many ties
    assert M.roc_auc(t, s) == pytest.approx(skm.roc_auc_score(t, s), rel=1e-12)
    assert M.pr_auc(t, s) == pytest.approx(skm.average_precision_score(t, s), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_multiclass_auc_and_ap_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    n, c = 80, 4
    t = np.r_[np.arange(c), rng.integers(0, c, n - c)]
    s = np.round(rng.random((n, c)), 1)
    s /= s.sum(1, keepdims=True) + 1e-12
    oh = np.eye(c)[t]
    assert M.roc_auc(t, s) == pytest.approx(skm.roc_auc_score(t, s, multi_class="ovr", average="macro"), rel=1e-12)
    assert M.roc_auc(oh, s, "micro") == pytest.approx(skm.roc_auc_score(oh, s, average="micro"), rel=1e-12)
    np.testing.assert_allclose(M.roc_auc(t, s, None), skm.roc_auc_score(oh, s, average=None), rtol=1e-12)
    assert M.average_precision(t, s) == pytest.approx(skm.average_precision_score(oh, s, average="macro"), rel=1e-12)
    assert M.average_precision(t, s, "micro") == pytest.approx(skm.average_precision_score(oh, s, average="micro"), rel=1e-12)


def test_auc_degenerate_cases():
    with pytest.raises(ValueError, match="single class"):
        M.roc_auc([1, 1, 1], [0.1, 0.5, 0.7])
    # class 2 never occurs: macro skips it, the per-class array marks it NaN
    rng = np.random.default_rng(3)
    t = rng.integers(0, 2, 30)
    t[:2] = [0, 1]
    s = rng.random((30, 3))
    per = M.roc_auc(t, s, None)
    assert np.isnan(per[2])
    ref = np.mean([skm.roc_auc_score(t == k, s[:, k]) for k in (0, 1)])
    assert M.roc_auc(t, s) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        M.roc_auc([0, 1], [0.2, np.nan])


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_dice_and_iou_per_class_match_sklearn(c, seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, c, (7, 9, 3))
    p = rng.integers(0, c, (7, 9, 3))
    d, j = M.dice_per_class(t, p, c), M.iou_per_class(t, p, c)
    for k in range(c):
        tk, pk = (t == k).ravel(), (p == k).ravel()
        if not tk.any() and not pk.any():
            assert np.isnan(d[k]) and np.isnan(j[k])
            continue
        assert d[k] == pytest.approx(skm.f1_score(tk, pk), rel=1e-12)
        assert j[k] == pytest.approx(skm.jaccard_score(tk, pk), rel=1e-12)


def test_dice_absent_class_is_nan():
    d = M.dice_per_class(np.zeros((4, 4), int), np.zeros((4, 4), int), n_classes=3)
    assert d[0] == 1.0 and np.isnan(d[1:]).all()
    with pytest.raises(ValueError, match="integers in"):
        M.dice_per_class(np.full((2, 2), 3), np.zeros((2, 2), int), n_classes=3)


def _surface_points(m, spacing):
    from scipy import ndimage
    e = m & ~ndimage.binary_erosion(m, ndimage.generate_binary_structure(m.ndim, 1))
    return np.argwhere(e) * np.asarray(spacing)


def _blob(rng, shape):
    from scipy import ndimage
    m = ndimage.gaussian_filter(rng.random(shape), 1.5) > 0.5
    m[tuple(int(s * rng.uniform(0.3, 0.7)) for s in shape)] = True
    return m


@pytest.mark.parametrize("shape,spacing", [((24, 20), (1.0, 1.0)), ((24, 20), (0.7, 2.5)),
                                           ((12, 14, 10), (2.0, 0.5, 1.25))])
@pytest.mark.parametrize("seed", range(3))
def test_surface_distances_match_brute_force(shape, spacing, seed):
    rng = np.random.default_rng(seed)
    a, b = _blob(rng, shape), _blob(rng, shape)
    pa, pb = _surface_points(a, spacing), _surface_points(b, spacing)
    dab = cdist(pa, pb).min(1)
    dba = cdist(pb, pa).min(1)
    hd = max(directed_hausdorff(pa, pb)[0], directed_hausdorff(pb, pa)[0])
    assert M.hausdorff_distance(a, b, spacing) == pytest.approx(hd, rel=1e-12)
    assert M.hausdorff_distance_95(a, b, spacing) == pytest.approx(
        max(np.percentile(dab, 95), np.percentile(dba, 95)), rel=1e-12)
    assert M.average_surface_distance(a, b, spacing) == pytest.approx(np.r_[dab, dba].mean(), rel=1e-12)
    assert M.average_surface_distance(a, b, spacing, symmetric=False) == pytest.approx(dab.mean(), rel=1e-12)


def test_surface_distance_degenerate_and_bad_input():
    z, m = np.zeros((5, 5), bool), np.eye(5, dtype=bool)
    assert np.isnan(M.hausdorff_distance(z, z))
    assert M.hausdorff_distance(m, z) == np.inf and M.average_surface_distance(z, m) == np.inf
    assert M.hausdorff_distance(m, m, spacing=0.5) == 0.0
    with pytest.raises(ValueError, match="spacing"):
        M.hausdorff_distance(m, m, spacing=(1.0, -1.0))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        M.hausdorff_distance(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="differ in shape"):
        M.hausdorff_distance(m, m[:4])


@pytest.mark.parametrize("name,ref", [
    ("f1", lambda t, p, s: skm.f1_score(t, p)),
    ("precision", lambda t, p, s: skm.precision_score(t, p, zero_division=0)),
    ("recall", lambda t, p, s: skm.recall_score(t, p)),
    ("specificity", lambda t, p, s: skm.recall_score(1 - t, 1 - p)),
    ("balanced_accuracy", lambda t, p, s: skm.balanced_accuracy_score(t, p)),
    ("kappa", lambda t, p, s: skm.cohen_kappa_score(t, p)),
    ("auc", lambda t, p, s: skm.roc_auc_score(t, s)),
])
def test_epoch_metrics_are_exact_over_batches(name, ref):
    rng = np.random.default_rng(1)
    t = rng.integers(0, 2, (45, 1)).astype(float)
    t[:2, 0] = [0, 1]
    s = rng.random((45, 1))
    met = eddl.getMetric(name)
    total, seen = 0.0, 0
    for start in range(0, 45, 10):  # uneven last batch
        total += met.value(t[start:start + 10], s[start:start + 10])
        seen += len(t[start:start + 10])
    ti, pi = t[:, 0].astype(int), (s[:, 0] > 0.5).astype(int)
    assert total / seen == pytest.approx(ref(ti, pi, s[:, 0]), rel=1e-9)
    met.reset()
    assert met.value(t[:5], s[:5]) / 5 == pytest.approx(
        eddl.getMetric(name).value(t[:5], s[:5]) / 5, rel=1e-12)


def test_epoch_metrics_multiclass_and_training_build():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    lab = np.arange(40) % 3
    y = np.eye(3, dtype=np.float32)[lab]
    i = eddl.Input([4])
    net = eddl.Model([i], [eddl.Softmax(eddl.Dense(i, 3))])
    eddl.build(net, eddl.sgd(0.01), ["cross_entropy"], ["f1"])
    _, mets = eddl.evaluate(net, [x], [y], bs=7, verbose=0)
    p = eddl.predict(net, [x])[0]
    assert mets[0] == pytest.approx(skm.f1_score(lab, p.argmax(1), average="macro", labels=[0, 1, 2],
                                                 zero_division=0), rel=1e-6)
    eddl.build(net, eddl.sgd(0.01), ["cross_entropy"], ["auc"], init_weights=False)
    _, mets = eddl.evaluate(net, [x], [y], bs=7, verbose=0)
    assert mets[0] == pytest.approx(skm.roc_auc_score(lab, p, multi_class="ovr"), rel=1e-6)


def test_epoch_metrics_accept_sparse_labels():
    rng = np.random.default_rng(7)
    lab = np.r_[0, 1, 2, rng.integers(0, 3, 27)]
    s = rng.random((30, 3))
    for name in ("f1", "auc", "balanced_accuracy"):
        dense, sparse = eddl.getMetric(name), eddl.getMetric(name)
        assert sparse.value(lab.astype(float), s) == pytest.approx(dense.value(np.eye(3)[lab], s), rel=1e-12)
        assert sparse.value(lab[:, None].astype(float), s) != 0.0
