"""Mathematical morphology: structuring elements, erosion, dilation and compound operations."""

from .morphological import *  # noqa: F401,F403
from .morphological import __all__  # noqa: F401
