"""Connected-component labelling, contours and skeletons."""

from .label import *  # noqa: F401,F403
from .label import __all__  # noqa: F401
