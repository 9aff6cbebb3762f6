"""Operating-point curves of scores: ROC, precision-recall and calibration (NumPy in, NumPy out).

The points follow scikit-learn's ``roc_curve``, ``precision_recall_curve`` and
``calibration.calibration_curve`` (and are tested against them); the areas under the curves
are :func:`eddl.metrics.functional.roc_auc` and :func:`~eddl.metrics.functional.average_precision`.
"""

import numpy as np

from .functional import _binary_scores, _host, to_labels

__all__ = ["roc_curve", "precision_recall_curve", "calibration_curve", "one_vs_rest"]


def _operating_points(y_true, y_score, fn_name):
    """Cumulative false and true positives at each distinct score, highest score first."""
    t, s = _binary_scores(y_true, y_score, fn_name)
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    # the last index of each run of equal scores: tied samples cross the threshold together
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(t)[last].astype(np.float64)
    fps = (last + 1) - tps
    return fps, tps, s[last]


def roc_curve(y_true, y_score, drop_intermediate=True):
    """Compute the false and true positive rates of a binary scorer at every threshold.

    Parameters
    ----------
    y_true : array_like
        ``[N]`` labels, 0 or 1.
    y_score : array_like
        ``[N]`` scores of the positive class (any monotone scale).
    drop_intermediate : bool
        Drop points on a straight segment between their neighbours (they do not change the
        curve's shape or area), as scikit-learn does by default.

    Returns
    -------
    fpr, tpr, thresholds : numpy.ndarray
        ``fpr[i]`` and ``tpr[i]`` are the rates of predicting positive when
        ``score >= thresholds[i]``; the first point is ``(0, 0)`` with threshold ``inf``.

    Raises
    ------
    ValueError
        When ``y_true`` holds a single class (one of the rates is undefined).

    Examples
    --------
    >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    fps, tps, thr = _operating_points(y_true, y_score, "roc_curve")
    if tps[-1] == 0 or fps[-1] == 0:
        raise ValueError("roc_curve: undefined when y_true holds a single class")
    if drop_intermediate and fps.size > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thr]


def precision_recall_curve(y_true, y_score):
    """Precision and recall of a binary scorer at every threshold.

    Parameters
    ----------
    y_true, y_score : array_like
        As :func:`roc_curve`.

    Returns
    -------
    precision, recall : numpy.ndarray
        One point per distinct score, in increasing threshold order, followed by the point
        ``(precision 1, recall 0)`` that has no threshold.
    thresholds : numpy.ndarray
        Increasing distinct scores; one fewer than the points.

    Raises
    ------
    ValueError
        When ``y_true`` has no positive sample (recall is undefined).

    Examples
    --------
    >>> p, r, thr = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> p.round(3).tolist(), r.tolist()
    ([0.5, 0.667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0])
    """
    fps, tps, thr = _operating_points(y_true, y_score, "precision_recall_curve")
    if tps[-1] == 0:
        raise ValueError("precision_recall_curve: undefined when y_true has no positive sample")
    prec = tps / (tps + fps)
    rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], thr[::-1]


def calibration_curve(y_true, y_prob, n_bins=10, strategy="uniform", return_counts=False):
    """Observed frequency against mean predicted probability, per probability bin.

    Parameters
    ----------
    y_true : array_like
        ``[N]`` labels, 0 or 1.
    y_prob : array_like
        ``[N]`` predicted probabilities of the positive class, in ``[0, 1]``.
    n_bins : int
        Number of bins of ``[0, 1]``.
    strategy : {"uniform", "quantile"}
        Bins of equal width, or with equal numbers of samples (edges at the quantiles of
        ``y_prob``).
    return_counts : bool
        Also return the number of samples in each non-empty bin.

    Returns
    -------
    prob_true, prob_pred : numpy.ndarray
        Fraction of positives and mean probability of each non-empty bin.
    counts : numpy.ndarray of int64
        Only with ``return_counts``.

    Examples
    --------
    >>> t, p = calibration_curve([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> t.tolist(), p.round(2).tolist()
    ([0.0, 1.0], [0.15, 0.8])
    """
    t, p = _binary_scores(y_true, y_prob, "calibration_curve")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("calibration_curve: y_prob must be probabilities in [0, 1]")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"calibration_curve: n_bins must be a positive int, got {n_bins!r}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        # scikit-learn's arithmetic exactly: scores tied with an edge fall in the same bin
        edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        raise ValueError(f"calibration_curve: strategy must be 'uniform' or 'quantile', got {strategy!r}")
    # a probability equal to an inner edge belongs to the lower bin (scikit-learn's rule)
    ids = np.searchsorted(edges[1:-1], p)
    total = np.bincount(ids, minlength=n_bins)
    hits = np.bincount(ids, weights=t.astype(np.float64), minlength=n_bins)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    nz = total > 0
    out = (hits[nz] / total[nz], sums[nz] / total[nz])
    return out + (total[nz].astype(np.int64),) if return_counts else out


def one_vs_rest(y_true, n_classes):
    """Boolean ``[N, n_classes]`` membership from ``[N]`` labels or ``[N, C]`` one-hot rows.

    Examples
    --------
    >>> one_vs_rest([0, 2], 3).astype(int).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    t = _host(y_true, "y_true")
    if t.ndim == 2 and t.shape[1] > 1:
        if t.shape[1] != n_classes:
            raise ValueError(f"y_true has {t.shape[1]} columns for {n_classes} classes")
        return t > 0.5
    lab = to_labels(t, "y_true")
    if lab.size and lab.max() >= n_classes:
        raise ValueError(f"y_true: labels must be < {n_classes}, got {lab.max()}")
    out = np.zeros((lab.size, n_classes), dtype=bool)
    out[np.arange(lab.size), lab] = True
    return out
