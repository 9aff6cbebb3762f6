"""Optimizers, learning-rate schedules and the name registry."""

from .adam import Adam, AdamW
from .adaptive import AdaDelta, Adagrad, Adamax, Nadam
from .base import Optimizer
from .rmsprop import RMSProp
from .schedules import CosineDecay, ExponentialDecay, ReduceLROnPlateau, Schedule, StepDecay
from .sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp, "adagrad": Adagrad,
              "adadelta": AdaDelta, "adamax": Adamax, "nadam": Nadam}


def get_optimizer(name):
    """Return the optimizer for ``name`` with default settings (an Optimizer passes through).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if isinstance(name, Optimizer):
        return name
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid: {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name.lower()]()


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSProp", "Adagrad", "AdaDelta", "Adamax",
           "Nadam", "Schedule", "StepDecay", "ExponentialDecay", "CosineDecay",
           "ReduceLROnPlateau", "OPTIMIZERS", "get_optimizer"]
