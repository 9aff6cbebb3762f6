"""eddl: deep learning for the DeepHealth toolkit.

PyEDDL scripts port by changing their import lines::

    import eddl                 # was: import pyeddl.eddl as eddl
    from eddl import Tensor     # was: from pyeddl.tensor import Tensor
"""

# First, before any compiled kernel loads OpenMP: the shared runtime sets the OpenMP wait policy.
import _deephealth  # noqa: F401
from _deephealth.runtime import get_num_threads, set_num_threads  # noqa: E402

from . import _pyeddl, callbacks, distributed, download, tensor, zoo  # noqa: E402
from ._config import config, cuda_status, openmp_enabled, show_config  # noqa: E402
from ._pyeddl import *  # noqa: E402,F401,F403
from .compserv import MAX_THREADS  # noqa: E402
from .distributed import (  # noqa: E402
    CS_MPI,
    avg_float_distributed,
    avg_metrics_distributed,
    avg_weights_distributed,
    barrier_distributed,
    bcast_weights_distributed,
    distributeParams,
    end_distributed,
    get_id_distributed,
    get_n_procs_distributed,
    get_rank,
    get_world_size,
    init_distributed,
    is_mpi_distributed,
)
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
from .utils import LOG_LEVEL  # noqa: E402
from .zoo.downloads import *  # noqa: E402,F401,F403
from .zoo.downloads import __all__ as _model_downloads  # noqa: E402

__version__ = "0.1.0.dev0"

# ONNX support loads the onnx package, which takes a while: only when first used
_ONNX_NAMES = ("save_net_to_onnx_file", "serialize_net_to_onnx_string", "import_net_from_onnx_file",
               "import_net_from_onnx_string", "set_weights_from_onnx", "apply_grads_from_onnx")


def __getattr__(name):
    if name in _ONNX_NAMES or name == "onnx":
        import importlib

        mod = importlib.import_module(".onnx", __name__)
        return mod if name == "onnx" else getattr(mod, name)
    raise AttributeError(f"module 'eddl' has no attribute {name!r}")


# EDDL's MPI-branch names and their pythonic twins (mpi4py loads only when a run starts)
_DISTRIBUTED_NAMES = ["CS_MPI", "init_distributed", "end_distributed", "is_mpi_distributed",
                      "get_id_distributed", "get_n_procs_distributed", "get_rank", "get_world_size",
                      "barrier_distributed", "bcast_weights_distributed", "avg_weights_distributed",
                      "distributeParams",
                      "avg_metrics_distributed", "avg_float_distributed"]

__all__ = [
    "config",
    "cuda_status",
    "DownloadError",
    "get_num_threads",
    "LOG_LEVEL",
    "MAX_THREADS",
    "openmp_enabled",
    "set_num_threads",
    "show_config",
] + list(_ONNX_NAMES) + _DISTRIBUTED_NAMES + tensor.__all__ + _pyeddl.__all__ + download.PYEDDL_NAMES + [
    n for n in _model_downloads if n.startswith("download_")]
