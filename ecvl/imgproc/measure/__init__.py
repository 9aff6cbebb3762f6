"""Measurements: per-channel statistics, image moments, integral images and local maxima."""

from . import peaks, statistics
from .peaks import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403

__all__ = statistics.__all__ + peaks.__all__
