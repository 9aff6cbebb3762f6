"""Cross-entropies for imbalanced classes.

Class-weighted and label-smoothed categorical cross-entropy, ``pos_weight`` binary
cross-entropy, and focal losses (binary and multi-class).

All take probabilities (the output of a softmax or sigmoid layer), sum over every position of
a sample like :mod:`eddl.losses.crossentropy`, and clip probabilities to ``[EPS, 1 - EPS]``
inside logarithms. The class axis is the last one (where eddl's softmax normalises).
"""

import numpy as np

from .base import Loss, register_loss
from .crossentropy import EPS, _xp  # one helper for the arrays' namespace

__all__ = ["WeightedCrossEntropy", "LabelSmoothingCrossEntropy", "WeightedBinaryCrossEntropy",
           "FocalLoss", "BinaryFocalLoss"]


def _weights(xp, w, y, what):
    """Class weights as an array of the prediction's module, checked against the class axis."""
    if w is None:
        return None
    w = xp.asarray(w, dtype=y.dtype)
    if w.ndim > 1 or (w.ndim == 1 and w.shape[0] != y.shape[-1]):
        raise ValueError(f"{what} has shape {list(w.shape)}; expected a scalar or one value per "
                         f"class ({y.shape[-1]})")
    return w


def _check_weights(w, what):
    # constructor arguments are validated on the host; _weights moves them to the backend
    a = np.asarray(w, dtype=np.float64)
    if a.ndim > 1 or not np.all(np.isfinite(a)) or (a < 0).any():
        raise ValueError(f"{what} must be a non-negative finite scalar or 1-D sequence, got {w!r}")
    return a


class WeightedCrossEntropy(Loss):
    """Categorical cross-entropy with class weights and label smoothing.

    Per sample ``-sum(w_c t'_c log y_c)`` with ``t' = (1 - e) t + e / C``.

    Parameters
    ----------
    name : str
    weights : sequence of float, optional
        Weight of each class (last axis); None weighs all classes 1. The sum is not normalised
        by the weights (unlike PyTorch's ``reduction="mean"``), so the loss scale follows them.
    label_smoothing : float
        ``e`` in ``[0, 1)``: the share of each target spread evenly over the classes.
    """

    fuses_with = "softmax"

    def __init__(self, name="weighted_cross_entropy", weights=None, label_smoothing=0.0):
        super().__init__(name)
        self.weights = None if weights is None else _check_weights(weights, "weights")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def _target(self, t, y):
        xp = _xp(y)
        e = self.label_smoothing
        wt = t * (1.0 - e) + e / y.shape[-1] if e else t
        w = _weights(xp, self.weights, y, "weights")
        return wt if w is None else wt * w

    def value(self, t, y):
        xp = _xp(y)
        return float(-(self._target(t, y) * xp.log(xp.clip(y, EPS, 1.0))).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        xp.divide(self._target(t, y), xp.clip(y, EPS, 1.0), out=d)
        d *= -1.0 / y.shape[0]

    def fused_delta(self, t, y, d):
        # d/dz of -sum(a log softmax(z)) with a = w t' is y sum(a) - a
        a = self._target(t, y)
        d[...] = y * a.sum(axis=-1, keepdims=True) - a
        d *= 1.0 / y.shape[0]


class LabelSmoothingCrossEntropy(WeightedCrossEntropy):
    """:class:`WeightedCrossEntropy` with ``label_smoothing=0.1`` by default."""

    def __init__(self, name="label_smoothing_cross_entropy", weights=None, label_smoothing=0.1):
        super().__init__(name, weights, label_smoothing)


class WeightedBinaryCrossEntropy(Loss):
    """Binary cross-entropy with a weight on the positive term (PyTorch's ``pos_weight``).

    Per sample ``-sum(p t log y + (1 - t) log(1 - y))``.

    Parameters
    ----------
    name : str
    pos_weight : float or sequence of float
        ``p``: a scalar, or one value per entry of the last axis (one per label of a
        multi-label output); ``n_negative / n_positive`` balances a rare positive class.
    """

    fuses_with = "sigmoid"

    def __init__(self, name="weighted_binary_cross_entropy", pos_weight=1.0):
        super().__init__(name)
        self.pos_weight = _check_weights(pos_weight, "pos_weight")

    def _pw(self, y):
        return _weights(_xp(y), self.pos_weight, y, "pos_weight")

    def value(self, t, y):
        xp = _xp(y)
        yc = xp.clip(y, EPS, 1.0 - EPS)
        return float(-(self._pw(y) * t * xp.log(yc) + (1 - t) * xp.log(1 - yc)).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        yc = xp.clip(y, EPS, 1.0 - EPS)
        d[...] = (1 - t) / (1 - yc) - self._pw(y) * t / yc
        d *= 1.0 / y.shape[0]

    def fused_delta(self, t, y, d):
        # times sigmoid' = y (1 - y): y (p t + 1 - t) - p t
        pt = self._pw(y) * t
        d[...] = y * (pt + 1 - t) - pt
        d *= 1.0 / y.shape[0]


class BinaryFocalLoss(Loss):
    """Focal loss of Lin et al. for sigmoid outputs (independent binary labels).

    Per sample ``-sum(a t (1 - y)^g log y + (1 - a) (1 - t) y^g log(1 - y))``.

    Parameters
    ----------
    name : str
    gamma : float
        Focusing exponent ``g >= 0`` (0 gives the weighted binary cross-entropy).
    alpha : float or None
        Weight ``a`` in ``[0, 1]`` of the positive term (``1 - a`` on the negative); None
        weighs both terms 1.
    """

    def __init__(self, name="binary_focal_loss", gamma=2.0, alpha=0.25):
        super().__init__(name)
        if not gamma >= 0:
            raise ValueError(f"gamma must be >= 0, got {gamma!r}")
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1] or None, got {alpha!r}")
        self.gamma, self.alpha = float(gamma), alpha

    def _ab(self):
        return (1.0, 1.0) if self.alpha is None else (self.alpha, 1.0 - self.alpha)

    def value(self, t, y):
        xp = _xp(y)
        p = xp.clip(y, EPS, 1.0 - EPS)
        a, b = self._ab()
        g = self.gamma
        return float(-(a * t * (1 - p) ** g * xp.log(p) + b * (1 - t) * p ** g * xp.log(1 - p)).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        p = xp.clip(y, EPS, 1.0 - EPS)
        a, b = self._ab()
        g = self.gamma
        pos = a * t * (g * (1 - p) ** (g - 1) * xp.log(p) - (1 - p) ** g / p)
        neg = b * (1 - t) * (p ** g / (1 - p) - g * p ** (g - 1) * xp.log(1 - p))
        d[...] = (pos + neg) / y.shape[0]


class FocalLoss(Loss):
    """Multi-class focal loss for softmax outputs.

    Per sample ``-sum(a_c t_c (1 - y_c)^g log y_c)`` over the class axis (the last one) and positions.

    Parameters
    ----------
    name : str
    gamma : float
        Focusing exponent ``g >= 0`` (0 gives the weighted cross-entropy).
    alpha : sequence of float, optional
        Per-class weights ``a_c``; None weighs every class 1.
    """

    def __init__(self, name="focal_loss", gamma=2.0, alpha=None):
        super().__init__(name)
        if not gamma >= 0:
            raise ValueError(f"gamma must be >= 0, got {gamma!r}")
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else _check_weights(alpha, "alpha")

    def _at(self, t, y):
        w = _weights(_xp(y), self.alpha, y, "alpha")
        return t if w is None else t * w

    def value(self, t, y):
        xp = _xp(y)
        p = xp.clip(y, EPS, 1.0)
        return float(-(self._at(t, y) * (1 - p) ** self.gamma * xp.log(p)).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        p = xp.clip(y, EPS, 1.0)
        g = self.gamma
        # floored so that (1 - p)^(g - 1) stays finite for 0 < g < 1 at p = 1
        q = xp.maximum(1 - p, EPS)
        first = g * q ** (g - 1) * xp.log(p) if g > 0 else 0.0
        d[...] = self._at(t, y) * (first - q ** g / p) / y.shape[0]


register_loss(WeightedCrossEntropy, "weighted_cross_entropy", "weighted_categorical_cross_entropy",
              "wce")
register_loss(LabelSmoothingCrossEntropy, "label_smoothing_cross_entropy",
              "smoothed_cross_entropy")
register_loss(WeightedBinaryCrossEntropy, "weighted_binary_cross_entropy", "pos_weight_bce",
              "wbce")
register_loss(BinaryFocalLoss, "binary_focal_loss", "sigmoid_focal_loss")
register_loss(FocalLoss, "focal_loss", "focal", "categorical_focal_loss")
