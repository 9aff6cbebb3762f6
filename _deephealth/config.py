"""Build and run-time facts common to ecvl and eddl, for their ``config()``/``show_config()``."""

import sys

from . import _openmp
from .runtime import get_num_threads

__all__ = ["openmp_enabled", "instruction_set", "base_config", "print_config"]

_ISA_NAMES = {4: "x86-64-v4 (AVX-512)", 3: "x86-64-v3 (AVX2, FMA)", 2: "x86-64-v2 (SSE4.2)",
              1: "baseline"}


def openmp_enabled():
    """Return True when the compiled kernels were built with OpenMP.

    Without OpenMP every ``prange`` loop of the library runs serially; a build that lost it
    by accident is caught by the test suite when ``CI`` is set.
    """
    return _openmp.openmp_enabled()


def instruction_set():
    """Return the instruction set the compiled loops run with, e.g. ``"x86-64-v4 (AVX-512)"``.

    The best the CPU has, unless the environment variable ``DEEPHEALTH_ISA`` (``avx512``,
    ``avx2``, ``sse4`` or ``baseline``) lowers it: set it before the process starts, to test or
    compare the slower paths on a fast CPU. Each loop reads it when it first runs.
    """
    return _ISA_NAMES[_openmp.isa_level()]


def base_config():
    """Python, NumPy, OpenMP, thread and compiler facts shared by both packages (a dict)."""
    import numpy

    info = {
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "openmp": openmp_enabled(),
        "openmp_version": _openmp.openmp_version(),
        "threads": get_num_threads(),
        "instruction_set": instruction_set(),
    }
    info.update(_openmp.build_info())
    return info


def print_config(info, file=None):
    """Print a configuration dict as aligned ``key : value`` lines."""
    for key, value in info.items():
        print(f"{key:<15}: {value}", file=file or sys.stdout)
