"""The per-split report of ``deephealth-train``: metrics CSV, confusion-matrix and ROC PNGs.

For classification a sample is one image (its predicted class is the arg-max of the scores);
for segmentation a sample is one pixel of the masks (foreground when the probability exceeds
0.5), so the report reads as a pixel-wise binary classification.
"""

import csv
import math
import os

import numpy as np

import eddl
from _deephealth.atomic import atomic_path
from eddl.figures import save_confusion_matrix, save_roc
from eddl.metrics import functional as F

__all__ = ["split_predictions", "split_metrics", "write_split_report"]


def split_predictions(net, loader, split, task):
    """Targets and scores of ``net`` over every batch of ``split``, in the split's order.

    Parameters
    ----------
    net : eddl.model.Model
    loader : bridge.DLDataset
    split : str
    task : {"classification", "segmentation"}

    Returns
    -------
    y_true : numpy.ndarray of int64
        ``[N]`` class labels (classification) or ``[P]`` 0/1 pixels (segmentation).
    scores : numpy.ndarray of float64
        ``[N, C]`` class scores, or ``[P]`` foreground probabilities.

    None for a split without targets (unlabelled samples) or without any batch.
    """
    loader.SetSplit(split)
    loader.ResetBatch(shuffle=False, epoch=0)
    ys, ss = [], []
    batches = iter(loader)
    try:
        for x, y in batches:
            if y is None:
                return None
            ss.append(eddl.predict(net, [x])[0].numpy().astype(np.float64))
            ys.append(y.numpy())
    finally:
        batches.close()
    if not ss:
        return None
    y, s = np.concatenate(ys), np.concatenate(ss)
    if task == "segmentation":
        return (y.ravel() > 0.5).astype(np.int64), s.ravel()
    return y.argmax(axis=1).astype(np.int64), s


def split_metrics(y_true, scores, class_names):
    """Metrics of one split as ``(metric, class, value)`` rows (class empty for overall ones).

    Accuracy, balanced accuracy and the macro one-vs-rest ROC-AUC (binary AUC for two classes),
    then per class its precision, recall, F1, one-vs-rest ROC-AUC (NaN when the class has no
    positive or no negative sample) and support. Everything is computed by
    :mod:`eddl.metrics.functional`.

    Parameters
    ----------
    y_true : array_like
        ``[N]`` labels.
    scores : array_like
        ``[N, C]`` class scores, or ``[N]`` positive-class probabilities (two classes).
    class_names : list of str

    Returns
    -------
    list of tuple
    """
    scores = np.asarray(scores, dtype=np.float64)
    c = len(class_names)
    binary = scores.ndim == 1
    if binary and c != 2:
        raise ValueError(f"[N] scores are for two classes, got {c} class names")
    if not binary and scores.shape[1] != c:
        raise ValueError(f"{scores.shape[1]} score columns for {c} class names")
    y_pred = (scores > 0.5).astype(np.int64) if binary else scores.argmax(axis=1)
    cm = F.confusion_matrix(y_true, y_pred, c)
    if binary:
        t = np.asarray(y_true)
        per_auc = [_auc(t == 0, -scores), _auc(t == 1, scores)]
    else:
        per_auc = list(F.roc_auc(y_true, scores, average=None))
    if c == 2:
        auc = per_auc[1]  # the binary AUC, of the positive class
    else:
        auc = float(np.nanmean(per_auc)) if np.isfinite(per_auc).any() else math.nan
    rows = [("accuracy", "", float(np.trace(cm) / max(cm.sum(), 1))),
            ("balanced_accuracy", "", F.balanced_accuracy_from_confusion(cm)),
            ("roc_auc", "", auc)]
    per = {k: F.ratio_from_confusion(cm, k, average=None) for k in ("precision", "recall", "f1")}
    for i, name in enumerate(class_names):
        rows += [(k, name, float(per[k][i])) for k in ("precision", "recall", "f1")]
        rows += [("roc_auc", name, float(per_auc[i])), ("support", name, int(cm[i].sum()))]
    return rows


def _auc(t, s):
    t = t.astype(np.int64)
    return F.roc_auc(t, s) if 0 < t.sum() < t.size else math.nan


def write_split_report(y_true, scores, class_names, out, split):
    """Write ``report-<split>.csv``, ``confusion-<split>.png`` and ``roc-<split>.png``.

    Parameters
    ----------
    y_true, scores, class_names
        As :func:`split_metrics`.
    out : str
        Run folder.
    split : str
        Split name, used in the file names and titles.

    Returns
    -------
    dict
        ``{(metric, class): value}`` as written to the CSV.
    """
    rows = split_metrics(y_true, scores, class_names)
    path = os.path.join(out, f"report-{split}.csv")
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["metric", "class", "value"])
        w.writerows((m, c, repr(v)) for m, c, v in rows)
    scores = np.asarray(scores, dtype=np.float64)
    y_pred = (scores > 0.5).astype(np.int64) if scores.ndim == 1 else scores.argmax(axis=1)
    cm = F.confusion_matrix(y_true, y_pred, len(class_names))
    save_confusion_matrix(cm, os.path.join(out, f"confusion-{split}.png"),
                          class_names=class_names, title=f"{split}: confusion matrix")
    # a split where no class has both positive and negative samples has no ROC curve (the
    # CSV says NaN); a stale picture of an earlier run must not stand in for it
    roc = os.path.join(out, f"roc-{split}.png")
    if any(m == "roc_auc" and c and math.isfinite(v) for m, c, v in rows):
        save_roc(y_true, scores, roc, class_names=class_names, title=f"{split}: ROC curve")
    elif os.path.exists(roc):
        os.remove(roc)
    return {(m, c): v for m, c, v in rows}
