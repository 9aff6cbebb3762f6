"""Which computing backends are usable in this process, and why not.

A backend is a subpackage of :mod:`eddl.backend` providing the contract of
:mod:`eddl.backend.contract`. Optional ones (CUDA, FPGA) are imported lazily, once, and the import
error is kept so ``eddl.show_config()`` can say why a backend is missing. A backend that imports
but lacks part of the contract is refused, naming what it lacks.
"""

import importlib

import numpy as np

from . import contract

__all__ = ["status", "get", "names", "hardware", "namespace_of", "array_namespace"]

_status = {}

_MODULES = {
    "cpu": "eddl.backend.cpu",
    "reference": "eddl.backend.reference",
    "cuda": "eddl.backend.cuda",
    "fpga": "eddl.backend.fpga",
}

#: the hardware (``CompServ.hw``) each backend computes on
_HARDWARE = {"cpu": "CPU", "reference": "CPU", "cuda": "GPU", "fpga": "FPGA"}

# Host data types that belong to NumPy without asking any backend.
_HOST_TYPES = (np.ndarray, np.generic, int, float, bool)


def names():
    """Return every backend name the registry knows (usable or not), sorted.

    Examples
    --------
    >>> from eddl.backend import registry
    >>> registry.names()
    ['cpu', 'cuda', 'fpga', 'reference']
    """
    return sorted(_MODULES)


def hardware(name):
    """Return the hardware (``"CPU"``, ``"GPU"`` or ``"FPGA"``) backend ``name`` computes on."""
    _check_name(name)
    return _HARDWARE[name]


def _check_name(name):
    if name not in _MODULES:
        raise ValueError(f"unknown backend {name!r}; valid: {sorted(_MODULES)}")


def status(name):
    """Return ``(available, reason)`` for backend ``name`` (one of :func:`names`)."""
    _check_name(name)
    if name not in _status:
        try:
            module = importlib.import_module(_MODULES[name])
        except ImportError as exc:
            if name == "cuda" and getattr(exc, "name", None) == _MODULES[name]:
                reason = "not built (install with -Csetup-args=-Dcuda=enabled on a machine with nvcc)"
            elif name == "fpga" and getattr(exc, "name", None) == _MODULES[name]:
                reason = "not built (no XRT support in this build)"
            else:
                reason = f"{type(exc).__name__}: {exc}"
            _status[name] = (False, reason)
        else:
            lacks = contract.missing(module)
            if lacks:
                _status[name] = (False, f"incomplete backend: lacks {', '.join(lacks)}")
            else:
                _status[name] = (True, "ok")
    return _status[name]


def get(name):
    """Import and return backend module ``name``, or raise RuntimeError saying why not."""
    ok, reason = status(name)
    if not ok:
        raise RuntimeError(f"backend {name!r} is unavailable: {reason}")
    return importlib.import_module(_MODULES[name])


def namespace_of(a):
    """Return the array namespace of a loaded backend whose arrays have the type of ``a``, or None.

    Host data (NumPy arrays and scalars, Python numbers) belongs to NumPy; other types are
    looked up among the backends imported so far, so no optional backend is loaded here.
    """
    if isinstance(a, _HOST_TYPES):
        return np
    for name, (ok, _) in list(_status.items()):
        if ok:
            be = importlib.import_module(_MODULES[name])
            if isinstance(a, be.array_types):
                return be.xp
    return None


def array_namespace(*arrays):
    """Return the array namespace (``xp``) of the backend owning ``arrays``.

    Losses and other code that receives bare arrays use this instead of guessing a module from
    the array's type. Python and NumPy scalars and NumPy arrays belong to NumPy; an array type
    of a loaded backend (``array_types``) maps to that backend's ``xp``.

    Parameters
    ----------
    *arrays : array or scalar

    Returns
    -------
    module

    Raises
    ------
    TypeError
        When the arrays belong to different backends or to none that is loaded.

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.backend.registry import array_namespace
    >>> array_namespace(np.zeros(2), 1.0).__name__
    'numpy'
    """
    found = None
    for a in arrays:
        xp = namespace_of(a)
        if xp is None:
            raise TypeError(f"no loaded backend holds arrays of type {type(a).__name__}")
        if found is not None and xp is not found:
            raise TypeError(f"arrays of different backends ({found.__name__} and {xp.__name__})")
        found = xp
    if found is None:
        raise TypeError("array_namespace: give at least one array")
    return found
