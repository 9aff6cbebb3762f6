"""ecvl imgproc: image processing, one folder per family of operations.

Each family folder holds the array-level functions, the Image-level pythonic and PyECVL
forms, and the compiled kernels they call.
"""

from . import (
               color,
               distortion,
               draw,
               filters,
               geometric,
               intensity,
               label,
               measure,
               morph,
               restoration,
               thresholding,
               volume,
)
from .color import *  # noqa: F401,F403
from .distortion import *  # noqa: F401,F403
from .draw import *  # noqa: F401,F403
from .filters import *  # noqa: F401,F403
from .geometric import *  # noqa: F401,F403
from .intensity import *  # noqa: F401,F403
from .label import *  # noqa: F401,F403
from .measure import *  # noqa: F401,F403
from .morph import *  # noqa: F401,F403
from .restoration import *  # noqa: F401,F403
from .thresholding import *  # noqa: F401,F403
from .volume import *  # noqa: F401,F403

__all__ = [
    name
    for family in (color, draw, filters, restoration, intensity, label, measure, morph,
                   thresholding, geometric, distortion, volume)
    for name in family.__all__
]
