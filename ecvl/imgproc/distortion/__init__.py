"""Random distortions: elastic, grid and optical.

The array-level maps and warps come from :mod:`.distortion` and are reachable here; only
the Image-level forms (:mod:`.distortion_api`) are exported to ``ecvl``.
"""

from .distortion import *  # noqa: F401,F403
from .distortion_api import *  # noqa: F401,F403
from .distortion_api import __all__  # noqa: F401
