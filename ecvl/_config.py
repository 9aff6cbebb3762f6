"""Build and run-time configuration of ecvl: OpenMP, threads, optional readers."""

import importlib.util

from _deephealth.config import base_config, openmp_enabled, print_config

__all__ = ["openmp_enabled", "config", "show_config"]

_OPTIONAL = ("pydicom", "nibabel", "openslide", "pylibjpeg", "cv2")


def config():
    """Return the configuration shown by :func:`show_config` as a dict."""
    info = base_config()
    for name in _OPTIONAL:
        info[name] = importlib.util.find_spec(name) is not None
    return info


def show_config(file=None):
    """Print how ecvl was built and which optional readers are installed."""
    print_config(config(), file)
