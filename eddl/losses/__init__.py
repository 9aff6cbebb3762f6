"""Losses: built-in ones by name (``get_loss("mse")``) and the :class:`Loss` base class."""

from .base import Loss, get_loss, loss_names, register_loss
from .crossentropy import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    DeprecatedCrossEntropy,
    SoftCrossEntropy,
    SparseCategoricalCrossEntropy,
)
from .dice import BinaryCrossEntropyWithLogits, Dice, Jaccard
from .overlap import DiceCE, FocalTversky, GeneralizedDice, Tversky
from .regression import MeanAbsoluteError, MeanAbsoluteErrorMean, MeanSquaredError, MeanSquaredErrorMean
from .sequence import SequenceCrossEntropy
from .weighted import (
    BinaryFocalLoss,
    FocalLoss,
    LabelSmoothingCrossEntropy,
    WeightedBinaryCrossEntropy,
    WeightedCrossEntropy,
)

__all__ = ["Loss", "get_loss", "loss_names", "register_loss", "BinaryCrossEntropy",
           "CategoricalCrossEntropy", "DeprecatedCrossEntropy", "SoftCrossEntropy", "SparseCategoricalCrossEntropy",
           "Dice", "Jaccard", "BinaryCrossEntropyWithLogits", "MeanAbsoluteError",
           "MeanSquaredError", "MeanAbsoluteErrorMean", "MeanSquaredErrorMean", "WeightedCrossEntropy", "LabelSmoothingCrossEntropy",
           "WeightedBinaryCrossEntropy", "FocalLoss", "BinaryFocalLoss", "Tversky", "FocalTversky",
           "GeneralizedDice", "DiceCE", "NetLoss", "NetMetric", "compute_loss", "compute_metric", "newloss", "newmetric", "optimize"]

__all__ += ["SequenceCrossEntropy"]

_NETLOSS = ("NetLoss", "NetMetric", "compute_loss", "compute_metric", "newloss", "newmetric",
            "optimize")


def __getattr__(name):
    # Graph-defined losses build a Model, so they live in eddl.model.netloss; importing them
    # here only on first use keeps eddl.losses free of a dependency on eddl.model.
    if name in _NETLOSS:
        from ..model import netloss
        return getattr(netloss, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
