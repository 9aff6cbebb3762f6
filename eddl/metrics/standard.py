"""Built-in metrics: accuracies, regression errors, overlap scores."""

from eddl.losses.regression import absolute_error, per_sample_size, squared_error

from .base import Metric, register_metric

__all__ = ["CategoricalAccuracy", "BinaryAccuracy", "MSE", "MAE", "MRE", "Sum", "DiceMetric", "IoU",
           "PixelAccuracy"]

_EPS = 1e-7


def _flat(a):
    return a.reshape(a.shape[0], -1)


class CategoricalAccuracy(Metric):
    """Categorical accuracy: 1 per sample whose arg-max over the last axis matches the target's.

    Averaged over any other non-batch positions.
    """

    def value(self, t, y):
        ok = y.argmax(axis=-1) == t.argmax(axis=-1)
        return float(_flat(ok).mean(axis=1).sum()) if ok.ndim > 1 else float(ok.sum())


class BinaryAccuracy(Metric):
    """Fraction of positions where ``y > 0.5`` equals ``t > 0.5``, per sample."""

    def value(self, t, y):
        return float(_flat((y > 0.5) == (t > 0.5)).mean(axis=1).sum())


class MSE(Metric):
    """Per sample mean of ``(y - t)^2`` (EDDL's ``src/metrics/metric_mean_squared_error.cpp``).

    The reported value is the mean over all values, as the mse loss.
    """

    def value(self, t, y):
        return squared_error(t, y)


class MAE(Metric):
    """Per sample mean of ``|y - t|`` (EDDL's ``metric_mean_absolute_error.cpp``)."""

    def value(self, t, y):
        return absolute_error(t, y)


class MRE(Metric):
    """Per sample mean of ``|y - t| / (|t| + eps)`` (EDDL's ``metric_mean_relative_error.cpp``)."""

    def value(self, t, y):
        return float((abs(y - t) / (abs(t) + _EPS)).sum()) / per_sample_size(y)


class Sum(Metric):
    """Sum of the outputs."""

    def value(self, t, y):
        return float(y.sum())


class DiceMetric(Metric):
    """Per sample Dice coefficient ``2 |y . t| / (|y| + |t|)`` of the outputs thresholded at 0.5."""

    def value(self, t, y):
        yb, tb = _flat(y > 0.5), _flat(t > 0.5)
        inter = (yb & tb).sum(axis=1)
        tot = yb.sum(axis=1) + tb.sum(axis=1)
        return float(((2 * inter + _EPS) / (tot + _EPS)).sum())


class IoU(Metric):
    """Per sample intersection over union of the outputs thresholded at 0.5."""

    def value(self, t, y):
        yb, tb = _flat(y > 0.5), _flat(t > 0.5)
        inter = (yb & tb).sum(axis=1)
        union = (yb | tb).sum(axis=1)
        return float(((inter + _EPS) / (union + _EPS)).sum())


class PixelAccuracy(Metric):
    """Per sample, the fraction of pixels whose class is right.

    The class is the arg-max over the channel axis (axis 1 of a batch-first ``[N, C, ...]``
    output) for several channels, the output thresholded at 0.5 for one channel (or for
    ``[N, H, W]`` maps).
    """

    def value(self, t, y):
        if y.ndim >= 3 and y.shape[1] > 1:
            ok = y.argmax(axis=1) == t.argmax(axis=1)
        else:
            ok = (y > 0.5) == (t > 0.5)
        return float(_flat(ok).mean(axis=1).sum())


register_metric(CategoricalAccuracy, "categorical_accuracy", "accuracy")
register_metric(BinaryAccuracy, "binary_accuracy")
register_metric(MSE, "mse", "mean_squared_error")
register_metric(MAE, "mae", "mean_absolute_error")
register_metric(MRE, "mre", "mean_relative_error")
register_metric(Sum, "sum")
register_metric(DiceMetric, "dice", "dice_coefficient")
register_metric(IoU, "iou", "jaccard", "jaccard_index")
register_metric(PixelAccuracy, "pixel_accuracy", "pixel_acc")
