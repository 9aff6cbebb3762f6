"""Dice loss for segmentation outputs."""

from .base import Loss, register_loss

__all__ = ["Dice"]

#: smoothing term that keeps empty masks finite
SMOOTH = 1.0


class Dice(Loss):
    """Per sample ``1 - (2 sum(y t) + s) / (sum(y) + sum(t) + s)``, with ``s`` = :data:`SMOOTH`."""

    def _terms(self, t, y):
        n = y.shape[0]
        yf, tf = y.reshape(n, -1), t.reshape(n, -1)
        inter = (yf * tf).sum(axis=1, keepdims=True)
        union = yf.sum(axis=1, keepdims=True) + tf.sum(axis=1, keepdims=True)
        return yf, tf, inter, union

    def value(self, t, y):
        _, _, inter, union = self._terms(t, y)
        return float((1.0 - (2 * inter + SMOOTH) / (union + SMOOTH)).sum())

    def delta(self, t, y, d):
        yf, tf, inter, union = self._terms(t, y)
        den = union + SMOOTH
        g = -(2 * tf * den - (2 * inter + SMOOTH)) / (den * den)
        d.reshape(y.shape[0], -1)[...] = g / y.shape[0]


register_loss(Dice, "dice")
