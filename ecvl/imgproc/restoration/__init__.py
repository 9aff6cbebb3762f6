"""Inpainting of masked regions."""

from .inpainting import *  # noqa: F401,F403
from .inpainting import __all__  # noqa: F401
