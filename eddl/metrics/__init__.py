"""Metrics: built-in ones by name (``get_metric("accuracy")``) and the :class:`Metric` base."""

from .base import Metric, get_metric, metric_names, register_metric
from .standard import (MAE, MRE, MSE, BinaryAccuracy, CategoricalAccuracy, DiceMetric, IoU,
                       PixelAccuracy, Sum)

__all__ = ["Metric", "get_metric", "metric_names", "register_metric", "MAE", "MRE", "MSE",
           "BinaryAccuracy", "CategoricalAccuracy", "DiceMetric", "IoU", "PixelAccuracy", "Sum"]
