"""Intensity operations: normalisation, rescaling, contrast, noise and coarse dropout."""

from . import dropout, intensity, noise, scale
from .dropout import *  # noqa: F401,F403
from .intensity import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .scale import *  # noqa: F401,F403

__all__ = intensity.__all__ + noise.__all__ + dropout.__all__ + scale.__all__
