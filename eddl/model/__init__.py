"""Models: the layer graph, training loops, persistence and description."""

from . import callbacks
from .info import get_topk_predictions, plot, summary, to_dot
from .io import load, save
from .model import Model, NonFiniteLossError
from .profile import reset_profile, set_profiling, show_profile
from .training import evaluate, fit, predict, random_indices

__all__ = ["Model", "callbacks", "NonFiniteLossError", "evaluate", "fit", "get_topk_predictions", "load", "plot",
           "predict", "random_indices", "reset_profile", "save", "set_profiling", "show_profile",
           "summary", "to_dot"]
