"""Callbacks of :func:`eddl.fit`.

The protocol and the built-in ones are documented in :mod:`eddl.model.callbacks`, where they
live.
"""

from .model.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    Monitor,
)
from .model.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "Monitor", "EarlyStopping", "ModelCheckpoint", "CSVLogger",
           "LearningRateScheduler", "TensorBoard"]
