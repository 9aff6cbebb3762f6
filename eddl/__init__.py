"""eddl: deep learning for the DeepHealth toolkit.

PyEDDL scripts port by changing their import lines::

    import eddl                 # was: import pyeddl.eddl as eddl
    from eddl import Tensor     # was: from pyeddl.tensor import Tensor
"""

# First, before any compiled kernel loads OpenMP: the shared runtime sets the OpenMP wait policy.
import _deephealth  # noqa: F401
from _deephealth.runtime import get_num_threads, set_num_threads  # noqa: E402

from . import _pyeddl, callbacks, download, tensor, zoo  # noqa: E402
from ._config import config, cuda_status, openmp_enabled, show_config  # noqa: E402
from ._pyeddl import *  # noqa: E402,F401,F403
from .download import (  # noqa: E402
    DownloadError,
    download_cifar10,
    download_drive,
    download_eutrans,
    download_flickr,
    download_hlsinf,
    download_imdb_2000,
    download_mnist,
    download_model,
    exist,
)
from .tensor import *  # noqa: E402,F401,F403

__version__ = "0.1.0.dev0"

__all__ = [
    "config",
    "cuda_status",
    "DownloadError",
    "get_num_threads",
    "openmp_enabled",
    "set_num_threads",
    "show_config",
] + tensor.__all__ + _pyeddl.__all__ + download.PYEDDL_NAMES
