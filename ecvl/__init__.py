"""ecvl: computer vision for medical images, part of the DeepHealth toolkit.

PyECVL scripts port by changing their import line::

    import ecvl                 # was: import pyecvl.ecvl as ecvl

Importing ecvl never imports eddl.
"""

# First, before any compiled kernel loads OpenMP: the shared runtime sets the OpenMP wait policy.
import _deephealth  # noqa: F401
from _deephealth.runtime import get_num_threads, set_num_threads  # noqa: E402

from . import augment, core, dataset, imgproc, io, viz  # noqa: E402
from ._config import ECVL_EDDL, config, openmp_enabled, show_config  # noqa: E402
from .augment import *  # noqa: E402,F401,F403
from .core import *  # noqa: E402,F401,F403
from .dataset import *  # noqa: E402,F401,F403
from .imgproc import *  # noqa: E402,F401,F403
from .io import *  # noqa: E402,F401,F403
from .viz import *  # noqa: E402,F401,F403

__version__ = "0.1.0.dev0"

__all__ = [
    "ECVL_EDDL",
    "config",
    "get_num_threads",
    "openmp_enabled",
    "set_num_threads",
    "show_config",
]
for _sub in (core, io, imgproc, augment, dataset, viz):
    __all__ += _sub.__all__
del _sub

_BRIDGE_NAMES = frozenset({"ImageToTensor", "TensorToImage", "TensorToView", "DLDataset",
                           "MakeGrid", "ProducersConsumerQueue", "ThreadCounters"})


def __getattr__(name):
    # PyECVL exposes its eddl-facing names in ecvl; importing bridge (and so eddl) only on
    # first use keeps `import ecvl` free of eddl.
    if name in _BRIDGE_NAMES:
        import bridge

        value = getattr(bridge, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ecvl' has no attribute {name!r}")
