"""Metrics on whole prediction sets, usable outside training (NumPy arrays in, floats out).

Classification metrics take labels or scores; segmentation metrics take label maps or masks.
They follow scikit-learn's definitions (and are tested against it), with the undefined cases
fixed as documented on each function instead of warnings:

* a precision, recall, specificity or F1 whose denominator is zero is 0.0 (scikit-learn's
  ``zero_division=0``);
* an AUC of a class with no positive or no negative sample is undefined: the binary functions
  raise ``ValueError``; the one-vs-rest ``"macro"`` average skips such classes;
* Dice and IoU of a class absent from both maps are NaN (average with ``numpy.nanmean``);
* surface distances are NaN when both masks are empty and ``inf`` when only one is.

Arrays from another array library are accepted when ``numpy.asarray`` accepts them; CuPy
arrays are copied to the host first.
"""

import numpy as np
from scipy import ndimage

__all__ = ["confusion_matrix", "precision", "recall", "sensitivity", "specificity", "f1_score",
           "balanced_accuracy", "cohen_kappa", "roc_auc", "average_precision", "pr_auc",
           "dice_per_class", "ratio_from_confusion",
           "balanced_accuracy_from_confusion", "cohen_kappa_from_confusion", "iou_per_class", "hausdorff_distance", "hausdorff_distance_95",
           "average_surface_distance", "to_labels"]

_AVERAGES = ("binary", "macro", "micro", "weighted", None)


def _host(a, name):
    if hasattr(a, "get") and not isinstance(a, (np.ndarray, dict)):
        a = a.get()  # CuPy: copy to the host
    a = np.asarray(a)
    if a.dtype == object:
        raise TypeError(f"{name}: expected a numeric array, got dtype object")
    return a


def to_labels(a, name="labels"):
    """Integer class labels from labels, one-hot rows or scores.

    Parameters
    ----------
    a : array_like
        ``[N]`` integer labels; ``[N, C]`` one-hot targets or class scores (arg-max per row);
        ``[N, 1]`` binary probabilities (thresholded at 0.5).
    name : str
        Used in error messages.

    Returns
    -------
    numpy.ndarray of int64, shape [N]
    """
    a = _host(a, name)
    if a.ndim == 2:
        if a.shape[1] == 1:
            return (a[:, 0] > 0.5).astype(np.int64)
        return a.argmax(axis=1).astype(np.int64)
    if a.ndim != 1:
        raise ValueError(f"{name}: expected [N] labels or [N, C] scores, got shape {list(a.shape)}")
    if a.dtype.kind == "b":
        return a.astype(np.int64)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a) & (np.rint(a) == a)):
        raise ValueError(f"{name}: 1-D float values must be whole class numbers; threshold "
                         "probabilities first or pass [N, C] scores")
    if a.size and a.min() < 0:
        raise ValueError(f"{name}: class labels must be >= 0, got {a.min()}")
    return a.astype(np.int64)


def _pair(y_true, y_pred, n_classes):
    t = to_labels(y_true, "y_true")
    p = to_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.shape[0]} samples but y_pred has {p.shape[0]}")
    if n_classes is None:
        n_classes = int(max(t.max(initial=-1), p.max(initial=-1), 1)) + 1
    elif max(t.max(initial=-1), p.max(initial=-1)) >= n_classes:
        raise ValueError(f"labels must be < n_classes={n_classes}")
    return t, p, int(n_classes)


def confusion_matrix(y_true, y_pred, n_classes=None):
    """Count the samples ``C[i, j]`` of true class ``i`` predicted as ``j``.

    Parameters
    ----------
    y_true, y_pred : array_like
        Labels, one-hot rows or scores (see :func:`to_labels`).
    n_classes : int, optional
        Number of classes; the largest label plus one (at least 2) when omitted.

    Returns
    -------
    numpy.ndarray of int64, shape [n_classes, n_classes]
    """
    t, p, c = _pair(y_true, y_pred, n_classes)
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c)


def _div(num, den):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den != 0)


def _counts(cm):
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    return tp, fp, fn, tn, cm.sum(axis=1)


def _average(per_class, num, den, support, average, pos_label):
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    if average is None:
        return per_class
    if average == "binary":
        if per_class.size != 2:
            raise ValueError(f"average='binary' needs two classes, got {per_class.size}; "
                             "use 'macro', 'micro' or 'weighted'")
        return float(per_class[pos_label])
    if average == "micro":
        return float(_div(num.sum(), den.sum()))
    if average == "weighted":
        return float(_div((per_class * support).sum(), support.sum()))
    return float(per_class.mean())


#: (numerator, denominator) of each ratio metric from per-class tp, fp, fn, tn
RATIOS = {
    "precision": lambda tp, fp, fn, tn: (tp, tp + fp),
    "recall": lambda tp, fp, fn, tn: (tp, tp + fn),
    "specificity": lambda tp, fp, fn, tn: (tn, tn + fp),
    "f1": lambda tp, fp, fn, tn: (2 * tp, 2 * tp + fn + fp),
}


def ratio_from_confusion(cm, kind, average="binary", pos_label=1):
    """Compute a ratio metric (``kind`` in :data:`RATIOS`) from a confusion matrix.

    This is what :func:`precision`, :func:`recall`, :func:`specificity` and :func:`f1_score`
    compute.
    """
    tp, fp, fn, tn, support = _counts(np.asarray(cm))
    num, den = RATIOS[kind](tp, fp, fn, tn)
    return _average(_div(num, den), num, den, support, average, pos_label)


def _ratio_metric(y_true, y_pred, average, pos_label, n_classes, kind):
    return ratio_from_confusion(confusion_matrix(y_true, y_pred, n_classes), kind, average, pos_label)


def precision(y_true, y_pred, average="binary", pos_label=1, n_classes=None):
    """Precision ``tp / (tp + fp)``, per class or averaged.

    Parameters
    ----------
    y_true, y_pred : array_like
        Labels, one-hot rows or scores (see :func:`to_labels`).
    average : {"binary", "macro", "micro", "weighted", None}
        ``"binary"`` reports class ``pos_label`` of a two-class problem; ``"macro"`` the
        unweighted mean over classes; ``"micro"`` pools the counts of all classes;
        ``"weighted"`` weights classes by their support; None returns the per-class array.
    pos_label : int
        Positive class for ``average="binary"``.
    n_classes : int, optional
        Number of classes (see :func:`confusion_matrix`).

    Returns
    -------
    float or numpy.ndarray
        0.0 where the denominator is zero.
    """
    return _ratio_metric(y_true, y_pred, average, pos_label, n_classes, "precision")


def recall(y_true, y_pred, average="binary", pos_label=1, n_classes=None):
    """Recall (sensitivity) ``tp / (tp + fn)``; parameters as :func:`precision`."""
    return _ratio_metric(y_true, y_pred, average, pos_label, n_classes, "recall")


sensitivity = recall


def specificity(y_true, y_pred, average="binary", pos_label=1, n_classes=None):
    """Specificity ``tn / (tn + fp)`` (the recall of the negatives, one-vs-rest per class).

    Parameters as :func:`precision`.
    """
    return _ratio_metric(y_true, y_pred, average, pos_label, n_classes, "specificity")


def f1_score(y_true, y_pred, average="binary", pos_label=1, n_classes=None):
    """F1 score ``2 tp / (2 tp + fn + fp)``.

    Parameters as :func:`precision`. The ``"macro"`` average is the mean of the per-class
    scores (scikit-learn's definition), not the score of the mean precision and recall.
    """
    return _ratio_metric(y_true, y_pred, average, pos_label, n_classes, "f1")


def balanced_accuracy(y_true, y_pred, n_classes=None):
    """Mean recall over the classes present in ``y_true`` (scikit-learn's definition).

    Returns
    -------
    float
    """
    return balanced_accuracy_from_confusion(confusion_matrix(y_true, y_pred, n_classes))


def balanced_accuracy_from_confusion(cm):
    """:func:`balanced_accuracy` from a confusion matrix."""
    tp, _, _, _, support = _counts(np.asarray(cm))
    present = support > 0
    if not present.any():
        raise ValueError("balanced_accuracy: y_true is empty")
    return float((tp[present] / support[present]).mean())


def cohen_kappa(y_true, y_pred, weights=None, n_classes=None):
    """Cohen's kappa: agreement beyond chance between two labelings.

    Parameters
    ----------
    y_true, y_pred : array_like
        Labels, one-hot rows or scores (see :func:`to_labels`).
    weights : {None, "linear", "quadratic"}
        Disagreement weights ``|i - j|`` or ``(i - j)^2`` for ordinal classes.
    n_classes : int, optional

    Returns
    -------
    float
        NaN when chance agreement is already perfect (both labelings one and the same single
        class), where kappa is undefined.
    """
    return cohen_kappa_from_confusion(confusion_matrix(y_true, y_pred, n_classes), weights)


def cohen_kappa_from_confusion(cm, weights=None):
    """:func:`cohen_kappa` from a confusion matrix."""
    cm = np.asarray(cm, dtype=np.float64)
    c = cm.shape[0]
    expected = np.outer(cm.sum(axis=1), cm.sum(axis=0)) / cm.sum()
    i, j = np.indices((c, c))
    if weights is None:
        w = (i != j).astype(np.float64)
    elif weights == "linear":
        w = np.abs(i - j).astype(np.float64)
    elif weights == "quadratic":
        w = ((i - j) ** 2).astype(np.float64)
    else:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    den = (w * expected).sum()
    if den == 0:
        return float("nan")
    return float(1.0 - (w * cm).sum() / den)


# ---------------------------------------------------------------------------------------------
# ranking metrics

def _binary_scores(y_true, y_score, fn_name):
    t = _host(y_true, "y_true")
    s = _host(y_score, "y_score").astype(np.float64)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1 or s.shape != t.shape:
        raise ValueError(f"{fn_name}: binary y_true and y_score must both be [N]; got "
                         f"{list(t.shape)} and {list(s.shape)}")
    if not np.isin(t, (0, 1)).all():
        raise ValueError(f"{fn_name}: binary y_true must hold only 0 and 1")
    if not np.isfinite(s).all():
        raise ValueError(f"{fn_name}: y_score holds NaN or Inf")
    return t.astype(bool), s


def _auc_binary(t, s):
    npos = int(t.sum())
    nneg = t.size - npos
    if npos == 0 or nneg == 0:
        return None
    # Mann-Whitney U with average ranks: tied scores count one half, as the trapezoid rule does
    from scipy.stats import rankdata
    r = rankdata(s)
    return float((r[t].sum() - npos * (npos + 1) / 2.0) / (npos * nneg))


def _ap_binary(t, s):
    npos = int(t.sum())
    if npos == 0:
        return None
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    # one operating point per distinct score: the last index of each run of equal scores
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(t)[last].astype(np.float64)
    prec = tps / (last + 1)
    rec = tps / npos
    return float(np.sum(np.diff(np.r_[0.0, rec]) * prec))


def _ranking(y_true, y_score, average, fn_name, binary_fn):
    s = _host(y_score, "y_score")
    if s.ndim == 1 or (s.ndim == 2 and s.shape[1] == 1):
        t, s = _binary_scores(y_true, s, fn_name)
        v = binary_fn(t, s)
        if v is None:
            raise ValueError(f"{fn_name}: undefined when y_true holds a single class")
        return v
    if s.ndim != 2:
        raise ValueError(f"{fn_name}: y_score must be [N] or [N, C], got shape {list(s.shape)}")
    if average not in ("macro", "micro", None):
        raise ValueError(f"{fn_name}: average must be 'macro', 'micro' or None, got {average!r}")
    n, c = s.shape
    t = _host(y_true, "y_true")
    if t.ndim == 2:
        if t.shape != s.shape:
            raise ValueError(f"{fn_name}: y_true {list(t.shape)} and y_score {list(s.shape)} differ")
        onehot = t > 0.5
    else:
        lab = to_labels(t, "y_true")
        if lab.shape[0] != n or (lab.size and lab.max() >= c):
            raise ValueError(f"{fn_name}: y_true must hold {n} labels in [0, {c})")
        onehot = np.zeros((n, c), dtype=bool)
        onehot[np.arange(n), lab] = True
    if not np.isfinite(s).all():
        raise ValueError(f"{fn_name}: y_score holds NaN or Inf")
    s = s.astype(np.float64)
    if average == "micro":
        v = binary_fn(onehot.ravel(), s.ravel())
        if v is None:
            raise ValueError(f"{fn_name}: undefined for the pooled classes")
        return v
    per = [binary_fn(onehot[:, k], s[:, k]) for k in range(c)]
    if average is None:
        return np.array([np.nan if v is None else v for v in per])
    defined = [v for v in per if v is not None]
    if not defined:
        raise ValueError(f"{fn_name}: undefined for every class (each has no positive or no "
                         "negative sample)")
    return float(np.mean(defined))


def roc_auc(y_true, y_score, average="macro"):
    """Area under the ROC curve.

    Parameters
    ----------
    y_true : array_like
        ``[N]`` 0/1 labels for a binary problem; ``[N]`` class labels or ``[N, C]`` one-hot
        (or multi-label) rows for ``C`` classes.
    y_score : array_like
        ``[N]`` scores of the positive class, or ``[N, C]`` scores per class.
    average : {"macro", "micro", None}
        For ``[N, C]`` scores, one-vs-rest: ``"macro"`` averages the per-class AUCs over the
        classes that have both positive and negative samples (the others are skipped);
        ``"micro"`` pools all (sample, class) pairs; None returns the per-class array (NaN
        for undefined classes).

    Returns
    -------
    float or numpy.ndarray
        Tied scores count one half (the trapezoidal ROC area).

    Raises
    ------
    ValueError
        When the AUC is undefined (a binary ``y_true`` with a single class).
    """
    return _ranking(y_true, y_score, average, "roc_auc", _auc_binary)


def average_precision(y_true, y_score, average="macro"):
    """Area under the precision-recall curve as average precision.

    Average precision is ``sum_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds (no
    interpolation; scikit-learn's ``average_precision_score``). Inputs and averaging as
    :func:`roc_auc`; a class is undefined when it has no positive sample.
    """
    return _ranking(y_true, y_score, average, "average_precision", _ap_binary)


pr_auc = average_precision


# ---------------------------------------------------------------------------------------------
# segmentation overlap

def _label_maps(y_true, y_pred, n_classes):
    t, p = _host(y_true, "y_true"), _host(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true {list(t.shape)} and y_pred {list(p.shape)} differ in shape")
    if n_classes is None:
        n_classes = int(max(t.max(initial=0), p.max(initial=0))) + 1
    for a, nm in ((t, "y_true"), (p, "y_pred")):
        if a.size and (a.min() < 0 or a.max() >= n_classes or (np.rint(a) != a).any()):
            raise ValueError(f"{nm}: label maps must hold integers in [0, {n_classes})")
    return t.astype(np.int64).ravel(), p.astype(np.int64).ravel(), int(n_classes)


def _overlap(y_true, y_pred, n_classes):
    t, p, c = _label_maps(y_true, y_pred, n_classes)
    cm = np.bincount(t * c + p, minlength=c * c).reshape(c, c)
    inter = np.diag(cm).astype(np.float64)
    return inter, cm.sum(axis=1).astype(np.float64), cm.sum(axis=0).astype(np.float64)


def dice_per_class(y_true, y_pred, n_classes=None):
    """Dice ``2 |T_c & P_c| / (|T_c| + |P_c|)`` of each class of two label maps.

    Parameters
    ----------
    y_true, y_pred : array_like
        Integer label maps of the same shape (any number of dimensions; a binary mask is a
        two-class map).
    n_classes : int, optional
        Number of classes; the largest label plus one when omitted.

    Returns
    -------
    numpy.ndarray of float64, shape [n_classes]
        NaN for a class absent from both maps.
    """
    inter, nt, npred = _overlap(y_true, y_pred, n_classes)
    den = nt + npred
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * inter / den, np.nan)


def iou_per_class(y_true, y_pred, n_classes=None):
    """Intersection over union ``|T_c & P_c| / |T_c | P_c|`` of each class.

    Inputs and result as :func:`dice_per_class` (NaN for a class absent from both maps).
    """
    inter, nt, npred = _overlap(y_true, y_pred, n_classes)
    den = nt + npred - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, inter / den, np.nan)


# ---------------------------------------------------------------------------------------------
# surface distances

def _masks(a, b, spacing):
    a = _host(a, "mask_pred").astype(bool)
    b = _host(b, "mask_true").astype(bool)
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {list(a.shape)} and {list(b.shape)}")
    if a.ndim not in (2, 3):
        raise ValueError(f"surface distances need 2-D or 3-D masks, got {a.ndim}-D")
    if spacing is None:
        spacing = (1.0,) * a.ndim
    spacing = tuple(float(s) for s in np.broadcast_to(np.asarray(spacing, dtype=np.float64), (a.ndim,)))
    if not all(s > 0 and np.isfinite(s) for s in spacing):
        raise ValueError(f"spacing must be positive and finite, got {spacing}")
    return a, b, spacing


def _surface(m):
    # boundary voxels: in the mask with a face neighbour outside it (the array border counts
    # as outside)
    return m & ~ndimage.binary_erosion(m, structure=ndimage.generate_binary_structure(m.ndim, 1))


def _directed(a, b, spacing):
    """Distances from each surface voxel of ``a`` to the nearest surface voxel of ``b``."""
    sa, sb = _surface(a), _surface(b)
    dist = ndimage.distance_transform_edt(~sb, sampling=spacing)
    return dist[sa]


def _surface_distances(pred, true, spacing):
    a, b, spacing = _masks(pred, true, spacing)
    ea, eb = a.any(), b.any()
    if not ea and not eb:
        return None, None, float("nan")
    if not ea or not eb:
        return None, None, float("inf")
    return _directed(a, b, spacing), _directed(b, a, spacing), None


def hausdorff_distance(mask_pred, mask_true, spacing=None, percentile=None):
    """Symmetric Hausdorff distance between the surfaces of two binary masks.

    Parameters
    ----------
    mask_pred, mask_true : array_like
        2-D or 3-D masks of the same shape (non-zero is inside).
    spacing : float or sequence of float, optional
        Voxel size along each axis (e.g. millimetres per voxel); 1 when omitted.
    percentile : float, optional
        Replace the maximum of each directed distance set by this percentile (95 gives the
        usual HD95; MONAI's definition: the larger of the two directed percentiles).

    Returns
    -------
    float
        In the units of ``spacing``; NaN when both masks are empty, ``inf`` when one is.

    Notes
    -----
    The surface of a mask is its voxels with a face neighbour outside it; voxels on the array
    border are on the surface. Distances are Euclidean between voxel centres, through
    ``scipy.ndimage.distance_transform_edt``.
    """
    d_ab, d_ba, special = _surface_distances(mask_pred, mask_true, spacing)
    if special is not None:
        return special
    if percentile is None:
        return float(max(d_ab.max(), d_ba.max()))
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {percentile!r}")
    return float(max(np.percentile(d_ab, percentile), np.percentile(d_ba, percentile)))


def hausdorff_distance_95(mask_pred, mask_true, spacing=None):
    """95th-percentile Hausdorff distance (see :func:`hausdorff_distance`)."""
    return hausdorff_distance(mask_pred, mask_true, spacing, percentile=95)


def average_surface_distance(mask_pred, mask_true, spacing=None, symmetric=True):
    """Mean distance between the surfaces of two binary masks.

    Parameters
    ----------
    mask_pred, mask_true, spacing
        As :func:`hausdorff_distance`.
    symmetric : bool
        True: the mean over the surface voxels of both masks (each to the other surface);
        False: the mean over the surface of ``mask_pred`` only.

    Returns
    -------
    float
        NaN when both masks are empty, ``inf`` when one is.
    """
    d_ab, d_ba, special = _surface_distances(mask_pred, mask_true, spacing)
    if special is not None:
        return special
    if not symmetric:
        return float(d_ab.mean())
    return float(np.concatenate([d_ab, d_ba]).mean())
