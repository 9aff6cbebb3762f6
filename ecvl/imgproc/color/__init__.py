"""Colour-space conversion."""

from .color import *  # noqa: F401,F403
from .color import __all__  # noqa: F401
