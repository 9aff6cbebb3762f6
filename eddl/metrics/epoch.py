"""Training-time metrics that are exact over the samples seen since the last reset.

F1, AUC and their kin are not sums of per-sample values, so the batch-sum protocol of
:class:`~eddl.metrics.Metric` cannot carry them directly. These metrics keep what they need
(a confusion matrix, or the scores for AUC) since the model's last ``reset_loss`` and return
from each ``value`` call the change of ``score * samples``: the model's running mean (the sum of
those returns divided by the samples seen) is then the exact score over the epoch so far, the
same number :mod:`eddl.metrics.functional` gives on the collected predictions.

Outputs are read as in :func:`eddl.metrics.functional.to_labels`: ``[N, C]`` rows are
arg-maxed (targets one-hot, or integer labels ``[N]`` / ``[N, 1]`` as for the sparse
cross-entropy), and any other shape (``[N]``, ``[N, 1]``, masks ``[N, 1, H, W]``)
is a binary problem with every position thresholded at 0.5.
"""

import numpy as np

from . import functional as F
from .base import Metric, register_metric

__all__ = ["F1", "Precision", "Recall", "Specificity", "BalancedAccuracy", "CohenKappa", "AUC"]


def _host(a):
    return np.asarray(a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a)


def _multiclass(y):
    return y.ndim == 2 and y.shape[1] > 1


def _class_labels(t):
    # one-hot rows, or the integer labels of the sparse cross-entropy ([N] or [N, 1])
    if t.ndim == 2 and t.shape[1] > 1:
        return t.argmax(axis=1)
    return t.reshape(-1).astype(np.int64)


class _Cumulative(Metric):
    """Returns ``score(all seen) * seen - previous total`` so running means stay exact."""

    def __init__(self, name="metric"):
        super().__init__(name)
        self.reset()

    def reset(self):
        self._seen = 0
        self._total = 0.0
        self._reset_state()

    def value(self, t, y):
        t, y = _host(t), _host(y)
        self._update(t, y)
        self._seen += y.shape[0]
        score = self._score()
        new_total = (0.0 if score is None else score) * self._seen
        delta = new_total - self._total
        self._total = new_total
        return float(delta)


class _ConfusionBased(_Cumulative):
    def _reset_state(self):
        self._cm = None

    def _update(self, t, y):
        if _multiclass(y):
            c = y.shape[1]
            cm = F.confusion_matrix(_class_labels(t), y.argmax(axis=1), n_classes=c)
        else:
            cm = F.confusion_matrix((t > 0.5).ravel().astype(np.int64),
                                    (y > 0.5).ravel().astype(np.int64), n_classes=2)
        self._cm = cm if self._cm is None else self._cm + cm

    def _average(self):
        return "binary" if self._cm.shape[0] == 2 else "macro"


class _Ratio(_ConfusionBased):
    kind = None

    def _score(self):
        return F.ratio_from_confusion(self._cm, self.kind, self._average())


class F1(_Ratio):
    """F1 over the epoch: of class 1 for binary outputs, macro over classes for ``[N, C]``."""

    kind = "f1"


class Precision(_Ratio):
    """Precision over the epoch (binary, or macro over classes for ``[N, C]`` outputs)."""

    kind = "precision"


class Recall(_Ratio):
    """Recall (sensitivity) over the epoch (binary, or macro over classes)."""

    kind = "recall"


class Specificity(_Ratio):
    """Specificity over the epoch (binary, or macro over classes)."""

    kind = "specificity"


class BalancedAccuracy(_ConfusionBased):
    """Balanced accuracy over the epoch (mean recall of the classes seen in the targets)."""

    def _score(self):
        return F.balanced_accuracy_from_confusion(self._cm)


class CohenKappa(_ConfusionBased):
    """Cohen's kappa over the epoch (0 while it is undefined)."""

    def _score(self):
        k = F.cohen_kappa_from_confusion(self._cm)
        return None if np.isnan(k) else k


class AUC(_Cumulative):
    """ROC AUC over the epoch: binary, or one-vs-rest macro for ``[N, C]`` outputs.

    It keeps every score of the epoch and reads 0 until both classes have been seen.
    """

    def _reset_state(self):
        self._t, self._y = [], []

    def _update(self, t, y):
        if _multiclass(y):
            self._t.append(_class_labels(t))
            self._y.append(y.astype(np.float64))
        else:
            self._t.append((t > 0.5).ravel().astype(np.int64))
            self._y.append(y.ravel().astype(np.float64))

    def _score(self):
        t, y = np.concatenate(self._t), np.concatenate(self._y)
        try:
            return F.roc_auc(t, y, average="macro")
        except ValueError:
            return None


register_metric(F1, "f1", "f1_score")
register_metric(Precision, "precision")
register_metric(Recall, "recall", "sensitivity")
register_metric(Specificity, "specificity")
register_metric(BalancedAccuracy, "balanced_accuracy")
register_metric(CohenKappa, "cohen_kappa", "kappa")
register_metric(AUC, "auc", "roc_auc")
