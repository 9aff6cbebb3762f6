"""Build and run-time configuration of ecvl: OpenMP, threads, optional readers."""

import importlib.util

from _deephealth.config import base_config, openmp_enabled, print_config

__all__ = ["openmp_enabled", "config", "show_config", "ECVL_EDDL"]

_OPTIONAL = ("pydicom", "nibabel", "openslide", "pylibjpeg", "cv2")


def _eddl_support():
    # found without being imported: `import ecvl` must not load eddl (tests/test_build.py)
    return all(importlib.util.find_spec(name) is not None for name in ("eddl", "bridge"))


#: PyECVL's build flag: True when the EDDL-facing names (``ecvl.DLDataset``,
#: ``ecvl.ImageToTensor``, ...) are available, i.e. the ``eddl`` and ``bridge`` packages are
#: installed beside ``ecvl``; they are imported on first use of one of those names.
ECVL_EDDL = _eddl_support()


def config():
    """Return the configuration shown by :func:`show_config` as a dict."""
    info = base_config()
    for name in _OPTIONAL:
        info[name] = importlib.util.find_spec(name) is not None
    info["eddl_support"] = ECVL_EDDL
    return info


def show_config(file=None):
    """Print how ecvl was built and which optional readers are installed."""
    print_config(config(), file)
