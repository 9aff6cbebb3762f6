"""Fixed, multi-level and Otsu thresholding (and the LUT and histogram kernels they share)."""

from .thresholding import *  # noqa: F401,F403
from .thresholding import __all__  # noqa: F401
