"""Operations on volume time series (fMRI)."""

from .slice_timing import *  # noqa: F401,F403
from .slice_timing import __all__  # noqa: F401
