"""Losses: built-in ones by name (``get_loss("mse")``) and the :class:`Loss` base class."""

from .base import Loss, get_loss, loss_names, register_loss
from .crossentropy import (BinaryCrossEntropy, CategoricalCrossEntropy, SoftCrossEntropy,
                           SparseCategoricalCrossEntropy)
from .dice import BinaryCrossEntropyWithLogits, Dice, Jaccard
from .netloss import (NetLoss, NetMetric, compute_loss, compute_metric, newloss, newmetric,
                      optimize)
from .regression import MeanAbsoluteError, MeanSquaredError

__all__ = ["Loss", "get_loss", "loss_names", "register_loss", "BinaryCrossEntropy",
           "CategoricalCrossEntropy", "SoftCrossEntropy", "SparseCategoricalCrossEntropy",
           "Dice", "Jaccard", "BinaryCrossEntropyWithLogits", "MeanAbsoluteError",
           "MeanSquaredError", "NetLoss", "NetMetric", "compute_loss", "compute_metric", "newloss", "newmetric", "optimize"]
