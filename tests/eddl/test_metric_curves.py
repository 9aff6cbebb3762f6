"""ROC, precision-recall and calibration points against scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eddl import metrics as M

skm = pytest.importorskip("sklearn.metrics")
skcal = pytest.importorskip("sklearn.calibration")

# scores drawn from a few levels, so ties (shared thresholds) are frequent
cases = st.tuples(st.lists(st.integers(0, 1), min_size=2, max_size=60),
                  st.integers(0, 2**32 - 1), st.sampled_from([3, 7, 1000]))


def _case(t, seed, levels):
    t = np.array(t)
    s = np.random.default_rng(seed).integers(0, levels, t.size) / (levels - 1)
    return t, s


@settings(max_examples=80, deadline=None)
@given(cases)
def test_roc_curve_matches_sklearn(case):
    t, s = _case(*case)
    if t.min() == t.max():
        with pytest.raises(ValueError, match="single class"):
            M.roc_curve(t, s)
        return
    for drop in (True, False):
        got = M.roc_curve(t, s, drop_intermediate=drop)
        want = skm.roc_curve(t, s, drop_intermediate=drop)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12)
    fpr, tpr, _ = M.roc_curve(t, s)
    # the trapezoid under the points is the rank AUC of eddl.metrics
    assert np.trapezoid(tpr, fpr) == pytest.approx(M.roc_auc(t, s), abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(cases)
def test_precision_recall_curve_matches_sklearn(case):
    t, s = _case(*case)
    if t.max() == 0:
        with pytest.raises(ValueError, match="no positive"):
            M.precision_recall_curve(t, s)
        return
    got = M.precision_recall_curve(t, s)
    want = skm.precision_recall_curve(t, s)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    p, r, _ = got
    assert -np.sum(np.diff(r) * p[:-1]) == pytest.approx(M.average_precision(t, s), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(cases, st.integers(1, 12), st.sampled_from(["uniform", "quantile"]))
def test_calibration_curve_matches_sklearn(case, n_bins, strategy):
    t, s = _case(*case)
    got = M.calibration_curve(t, s, n_bins=n_bins, strategy=strategy, return_counts=True)
    want = skcal.calibration_curve(t, s, n_bins=n_bins, strategy=strategy)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    assert got[2].sum() == t.size and (got[2] > 0).all()


def test_curves_reject_bad_input():
    with pytest.raises(ValueError, match="0 and 1"):
        M.roc_curve([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="probabilities"):
        M.calibration_curve([0, 1], [0.1, 1.5])
    with pytest.raises(ValueError, match="n_bins"):
        M.calibration_curve([0, 1], [0.1, 0.5], n_bins=0)
    with pytest.raises(ValueError, match="strategy"):
        M.calibration_curve([0, 1], [0.1, 0.5], strategy="kmeans")
    with pytest.raises(ValueError, match="labels must be < 2"):
        M.curves.one_vs_rest([0, 2], 2)
