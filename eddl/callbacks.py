"""Callbacks of :func:`eddl.fit`, and the learning-rate finder.

The protocol and the built-in callbacks are documented in :mod:`eddl.model.callbacks`, where
they live; :class:`TensorBoard` in :mod:`eddl.model.tensorboard` and :func:`lr_finder` in
:mod:`eddl.model.lr_finder`.
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
from .model.lr_finder import LRFinderResult, lr_finder
from .model.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "Monitor", "EarlyStopping", "ModelCheckpoint", "CSVLogger",
           "LearningRateScheduler", "TensorBoard", "lr_finder", "LRFinderResult"]
