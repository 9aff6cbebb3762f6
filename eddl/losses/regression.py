"""Regression losses: squared and absolute errors, on EDDL's scale and as element means.

EDDL's ``mse`` (``src/losses/loss_mse.cpp``) returns, for a batch, ``sum((T - Y)^2) / size``
with ``size`` the number of values per sample, so the value summed over the batch is the sum
of the per-sample means; the reported loss (running sum over samples seen) is the mean over
all values. Its delta is ``(Y - T) / batch``: *not* the gradient of that value (which would
be ``2 (Y - T) / (size * batch)``) but the gradient of ``sum((T - Y)^2) / (2 batch)``. The
PyEDDL names keep EDDL's definitions so ported scripts train with the same step sizes; the
``*_mean`` names give the exact gradient of the reported mean (Keras' ``mean_squared_error``).
"""

from .base import Loss, register_loss

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "MeanSquaredErrorMean",
           "MeanAbsoluteErrorMean", "per_sample_size", "squared_error", "absolute_error"]


def per_sample_size(y):
    """Return the number of values in one sample of the batch-first ``y`` (EDDL's ``size``)."""
    return y.size // y.shape[0] if y.shape[0] else 1


def squared_error(t, y):
    """Sum over the batch of the per-sample mean of ``(y - t)^2`` (EDDL's mse value)."""
    d = y - t
    return float((d * d).sum()) / per_sample_size(y)


def absolute_error(t, y):
    """Sum over the batch of the per-sample mean of ``|y - t|`` (EDDL's mae metric value)."""
    return float(abs(y - t).sum()) / per_sample_size(y)


def _sign(t, y):
    return (y > t) * 1.0 - (y < t) * 1.0


class MeanSquaredError(Loss):
    """EDDL's mse: value ``sum((y - t)^2) / size`` per batch, delta ``(y - t) / batch``.

    ``size`` is the number of values per sample (``src/losses/loss_mse.cpp``).

    Examples
    --------
    >>> import numpy as np
    >>> mse = MeanSquaredError()
    >>> t, y = np.zeros((2, 10)), np.ones((2, 10))
    >>> mse.value(t, y)
    2.0
    >>> d = np.empty_like(y); mse.delta(t, y, d); float(d[0, 0])
    0.5
    """

    def value(self, t, y):
        return squared_error(t, y)

    def delta(self, t, y, d):
        d[...] = y - t
        d *= 1.0 / y.shape[0]


class MeanAbsoluteError(Loss):
    """Absolute error on EDDL's scale: value ``sum|y - t| / size``, delta ``sign(y - t) / batch``.

    EDDL declares ``LMeanAbsoluteError`` but leaves it empty (``src/losses/loss_mae.cpp``) and
    ``getLoss`` does not list it; the value is EDDL's ``mean_absolute_error`` metric and the
    delta follows its mse (no division by ``size``).
    """

    def value(self, t, y):
        return absolute_error(t, y)

    def delta(self, t, y, d):
        d[...] = _sign(t, y)
        d *= 1.0 / y.shape[0]


class MeanSquaredErrorMean(Loss):
    """Mean of ``(y - t)^2`` over all values, with its exact gradient (Keras' mse).

    The value is EDDL's; the delta is ``2 (y - t) / (size * batch)``.
    """

    def value(self, t, y):
        return squared_error(t, y)

    def delta(self, t, y, d):
        d[...] = y - t
        d *= 2.0 / (per_sample_size(y) * y.shape[0])


class MeanAbsoluteErrorMean(Loss):
    """Mean of ``|y - t|`` over all values, with its exact gradient ``sign(y - t) / (size * batch)``."""

    def value(self, t, y):
        return absolute_error(t, y)

    def delta(self, t, y, d):
        d[...] = _sign(t, y)
        d *= 1.0 / (per_sample_size(y) * y.shape[0])


register_loss(MeanSquaredError, "mse", "mean_squared_error")
register_loss(MeanAbsoluteError, "mae", "mean_absolute_error")
register_loss(MeanSquaredErrorMean, "mse_mean")
register_loss(MeanAbsoluteErrorMean, "mae_mean")
