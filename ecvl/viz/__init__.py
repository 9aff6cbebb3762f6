"""ecvl viz: render images, mask overlays and volume slices to PNG without a GUI toolkit."""

from .preview import *  # noqa: F401,F403
from .preview import __all__  # noqa: F401
