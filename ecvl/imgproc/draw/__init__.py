"""Drawing: ellipses, contours and mask overlays."""

from .draw import *  # noqa: F401,F403
from .draw import __all__  # noqa: F401
