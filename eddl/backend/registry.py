"""Which computing backends are usable in this process, and why not.

A backend is a subpackage of :mod:`eddl.backend` exposing the same function names as
:mod:`eddl.backend.cpu`. Optional ones (CUDA, FPGA) are imported lazily, once, and the import
error is kept so ``eddl.show_config()`` can say why a backend is missing.
"""

import importlib

_status = {}

_MODULES = {
    "cpu": "eddl.backend.cpu",
    "cuda": "eddl.backend.cuda",
    "fpga": "eddl.backend.fpga",
}


def status(name):
    """Return ``(available, reason)`` for backend ``name`` ('cpu', 'cuda' or 'fpga')."""
    if name not in _MODULES:
        raise ValueError(f"unknown backend {name!r}; valid: {sorted(_MODULES)}")
    if name not in _status:
        try:
            importlib.import_module(_MODULES[name])
        except ImportError as exc:
            if name == "cuda" and getattr(exc, "name", None) == _MODULES[name]:
                reason = "not built (install with -Csetup-args=-Dcuda=enabled on a machine with nvcc)"
            elif name == "fpga" and getattr(exc, "name", None) == _MODULES[name]:
                reason = "not built (no XRT support in this build)"
            else:
                reason = f"{type(exc).__name__}: {exc}"
            _status[name] = (False, reason)
        else:
            _status[name] = (True, "ok")
    return _status[name]


def get(name):
    """Import and return backend module ``name``, or raise RuntimeError saying why not."""
    ok, reason = status(name)
    if not ok:
        raise RuntimeError(f"backend {name!r} is unavailable: {reason}")
    return importlib.import_module(_MODULES[name])
