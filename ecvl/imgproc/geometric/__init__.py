"""Geometric operations: resizing, flips, rotations, affine warps, crops, padding and concatenation.

The array-level functions (``resize_array``, ``warp_affine_array``, ...) come from
:mod:`.geometric` and are reachable here, but only the Image-level forms (pythonic and
PyECVL, :mod:`.geometric_api`) are exported to ``ecvl``.
"""

from .geometric import *  # noqa: F401,F403
from .geometric_api import *  # noqa: F401,F403
from .geometric_api import __all__  # noqa: F401
