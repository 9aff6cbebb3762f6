"""Losses: built-in ones by name (``get_loss("mse")``) and the :class:`Loss` base class."""

from .base import Loss, get_loss, loss_names, register_loss
from .crossentropy import (BinaryCrossEntropy, CategoricalCrossEntropy, SoftCrossEntropy,
                           SparseCategoricalCrossEntropy)
from .dice import Dice
from .regression import MeanAbsoluteError, MeanSquaredError

__all__ = ["Loss", "get_loss", "loss_names", "register_loss", "BinaryCrossEntropy",
           "CategoricalCrossEntropy", "SoftCrossEntropy", "SparseCategoricalCrossEntropy",
           "Dice", "MeanAbsoluteError", "MeanSquaredError"]
