"""Build and run-time facts common to ecvl and eddl, for their ``config()``/``show_config()``."""

import sys

from . import _openmp
from .runtime import get_num_threads

__all__ = ["openmp_enabled", "base_config", "print_config"]


def openmp_enabled():
    """Return True when the compiled kernels were built with OpenMP.

    Without OpenMP every ``prange`` loop of the library runs serially; a build that lost it
    by accident is caught by the test suite when ``CI`` is set.
    """
    return _openmp.openmp_enabled()


def base_config():
    """Python, NumPy, OpenMP, thread and compiler facts shared by both packages (a dict)."""
    import numpy

    info = {
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "openmp": openmp_enabled(),
        "openmp_version": _openmp.openmp_version(),
        "threads": get_num_threads(),
    }
    info.update(_openmp.build_info())
    return info


def print_config(info, file=None):
    """Print a configuration dict as aligned ``key : value`` lines."""
    for key, value in info.items():
        print(f"{key:<15}: {value}", file=file or sys.stdout)
