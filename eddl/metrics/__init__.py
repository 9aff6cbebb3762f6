"""Metrics: built-in ones by name, the base class, and functions on whole prediction sets.

Built-in metrics are found by name (``get_metric("accuracy")``); :class:`Metric` is their base;
the functions on whole prediction sets live in :mod:`eddl.metrics.functional` (scores) and
:mod:`eddl.metrics.curves` (ROC, precision-recall and calibration points) and are re-exported
here.
"""

from . import curves, functional
from .base import Metric, get_metric, metric_names, register_metric
from .curves import calibration_curve, precision_recall_curve, roc_curve
from .epoch import AUC, F1, BalancedAccuracy, CohenKappa, Precision, Recall, Specificity
from .functional import (
    average_precision,
    average_surface_distance,
    balanced_accuracy,
    cohen_kappa,
    confusion_matrix,
    dice_per_class,
    f1_score,
    hausdorff_distance,
    hausdorff_distance_95,
    iou_per_class,
    pr_auc,
    precision,
    recall,
    roc_auc,
    sensitivity,
    specificity,
)
from .sequence import Perplexity, SequenceAccuracy, TokenAccuracy
from .standard import (
    MAE,
    MRE,
    MSE,
    BinaryAccuracy,
    CategoricalAccuracy,
    DiceMetric,
    IoU,
    PixelAccuracy,
    Sum,
)

__all__ = ["Metric", "get_metric", "metric_names", "register_metric", "MAE", "MRE", "MSE",
           "BinaryAccuracy", "CategoricalAccuracy", "DiceMetric", "IoU", "PixelAccuracy", "Sum",
           "F1", "Precision", "Recall", "Specificity", "BalancedAccuracy", "CohenKappa", "AUC",
           "functional", "average_precision", "average_surface_distance", "balanced_accuracy",
           "cohen_kappa", "confusion_matrix", "dice_per_class", "f1_score", "hausdorff_distance",
           "hausdorff_distance_95", "iou_per_class", "pr_auc", "precision", "recall", "roc_auc",
           "sensitivity", "specificity", "curves", "roc_curve", "precision_recall_curve",
           "calibration_curve"]

__all__ += ["TokenAccuracy", "SequenceAccuracy", "Perplexity"]
