"""Overlap and logit losses for segmentation outputs.

Soft Dice, soft Jaccard (IoU) and binary cross-entropy on logits.
"""

from ..backend.registry import array_namespace as _xp  # the namespace of the arrays' backend
from .base import Loss, register_loss

__all__ = ["Dice", "Jaccard", "BinaryCrossEntropyWithLogits"]

#: smoothing term that keeps empty masks finite
SMOOTH = 1.0


class _Overlap(Loss):
    """Per-sample overlap score ``s(inter, union)`` with loss ``1 - s``.

    Subclasses give the score and its partial derivatives with respect to
    ``inter = sum(y t)`` and ``total = sum(y) + sum(t)``.
    """

    def _terms(self, t, y):
        n = y.shape[0]
        yf, tf = y.reshape(n, -1), t.reshape(n, -1)
        inter = (yf * tf).sum(axis=1, keepdims=True)
        total = yf.sum(axis=1, keepdims=True) + tf.sum(axis=1, keepdims=True)
        return tf, inter, total

    def value(self, t, y):
        _, inter, total = self._terms(t, y)
        return float((1.0 - self._score(inter, total)[0]).sum())

    def delta(self, t, y, d):
        tf, inter, total = self._terms(t, y)
        _, ds_di, ds_dt = self._score(inter, total)
        # d(inter)/dy = t, d(total)/dy = 1
        d.reshape(y.shape[0], -1)[...] = -(ds_di * tf + ds_dt) / y.shape[0]


class Dice(_Overlap):
    """Per sample ``1 - (2 sum(y t) + s) / (sum(y) + sum(t) + s)``, with ``s`` = :data:`SMOOTH`."""

    def _score(self, inter, total):
        den = total + SMOOTH
        score = (2 * inter + SMOOTH) / den
        return score, 2 / den, -score / den


class Jaccard(_Overlap):
    """Soft Jaccard (IoU) loss.

    Per sample ``1 - (I + s) / (sum(y) + sum(t) - I + s)`` with ``I = sum(y t)`` and
    ``s`` = :data:`SMOOTH`.
    """

    def _score(self, inter, total):
        den = total - inter + SMOOTH
        score = (inter + SMOOTH) / den
        # d/dI = (den + (I + s)) / den^2, d/dtotal = -(I + s) / den^2
        return score, (1 + score) / den, -score / den


class BinaryCrossEntropyWithLogits(Loss):
    """Binary cross-entropy of ``sigmoid(z)`` computed from the logits ``z`` of a linear output.

    Per sample ``sum(max(z, 0) - z t + log(1 + exp(-|z|)))``, exact for any ``z`` (no clipping,
    no overflow).
    """

    def value(self, t, z):
        xp = _xp(z)
        return float((xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))).sum())

    def delta(self, t, z, d):
        xp = _xp(z)
        # sigmoid(z) - t, with sigmoid written so that exp never overflows
        e = xp.exp(-xp.abs(z))
        xp.divide(xp.where(z >= 0, 1.0, e), 1.0 + e, out=d)
        d -= t
        d *= 1.0 / z.shape[0]


register_loss(Dice, "dice", "dice_loss")
register_loss(Jaccard, "jaccard", "iou", "jaccard_loss", "iou_loss")
register_loss(BinaryCrossEntropyWithLogits, "binary_cross_entropy_with_logits", "bce_with_logits",
              "bce_logits")
