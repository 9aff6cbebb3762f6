"""Intensity operations: normalisation, contrast, noise and coarse dropout."""

from .intensity import *  # noqa: F401,F403
from .intensity import __all__  # noqa: F401
