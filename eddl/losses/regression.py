"""Regression losses: mean squared and mean absolute error (summed over features)."""

from .base import Loss, register_loss

__all__ = ["MeanSquaredError", "MeanAbsoluteError"]


class MeanSquaredError(Loss):
    """Per sample ``sum((y - t)^2)`` over its features."""

    def value(self, t, y):
        d = y - t
        return float((d * d).sum())

    def delta(self, t, y, d):
        d[...] = y - t
        d *= 2.0 / y.shape[0]


class MeanAbsoluteError(Loss):
    """Per sample ``sum(|y - t|)`` over its features."""

    def value(self, t, y):
        return float(abs(y - t).sum())

    def delta(self, t, y, d):
        d[...] = (y > t) * 1.0 - (y < t) * 1.0
        d *= 1.0 / y.shape[0]


register_loss(MeanSquaredError, "mse", "mean_squared_error")
register_loss(MeanAbsoluteError, "mae", "mean_absolute_error")
