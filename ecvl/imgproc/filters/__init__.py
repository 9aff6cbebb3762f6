"""Linear filters: Gaussian and box blurs, separable and 2-D convolution."""

from .filters import *  # noqa: F401,F403
from .filters import __all__  # noqa: F401
