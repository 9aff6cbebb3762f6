"""Build and run-time configuration of ecvl: OpenMP, threads, optional readers."""

import importlib.util
import sys

from _deephealth import _openmp
from _deephealth.runtime import get_num_threads

__all__ = ["openmp_enabled", "config", "show_config"]

_OPTIONAL = ("pydicom", "nibabel", "openslide", "pylibjpeg", "cv2")


def openmp_enabled():
    """Return True when the compiled kernels were built with OpenMP."""
    return _openmp.openmp_enabled()


def config():
    """Return the configuration shown by :func:`show_config` as a dict."""
    import numpy

    info = {
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "openmp": openmp_enabled(),
        "openmp_version": _openmp.openmp_version(),
        "threads": get_num_threads(),
    }
    info.update(_openmp.build_info())
    for name in _OPTIONAL:
        info[name] = importlib.util.find_spec(name) is not None
    return info


def show_config(file=None):
    """Print how ecvl was built and which optional readers are installed."""
    for key, value in config().items():
        print(f"{key:<15}: {value}", file=file or sys.stdout)
