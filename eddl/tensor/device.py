"""Device codes and the mapping from a device to its computing backend.

A tensor's ``device`` is an integer code as in EDDL: ``DEV_CPU`` (0), ``DEV_GPU + i``
(1000..1008) and ``DEV_FPGA + i`` (2000..2008). Everything a tensor computes goes through the
backend module of its device (:func:`backend_for`), so a new backend only has to provide the
contract of :mod:`eddl.backend.contract`.
"""

import numpy as np

from eddl.backend import registry

__all__ = [
    "DEV_CPU", "DEV_GPU", "DEV_FPGA", "MAX_GPUS", "MAX_FPGAS",
    "device_kind", "check_device", "backend_for", "array_module", "getDeviceID",
    "hardware_supported", "is_hardware_supported",
]

DEV_CPU = 0
DEV_GPU = 1000
DEV_FPGA = 2000
MAX_GPUS = 8
MAX_FPGAS = 8

# Backend module name per device family, as known to eddl.backend.registry.
_BACKEND = {"cpu": "cpu", "gpu": "cuda", "fpga": "fpga"}
_loaded = {}  # device code -> backend module, filled on first use


def device_kind(dev):
    """Return ``'cpu'``, ``'gpu'`` or ``'fpga'`` for a device code, or raise ValueError."""
    if isinstance(dev, (bool, np.bool_)) or not isinstance(dev, (int, np.integer)):
        raise TypeError(f"device must be an int DEV_* code, got {type(dev).__name__} {dev!r}")
    dev = int(dev)
    if dev == DEV_CPU:
        return "cpu"
    if DEV_GPU <= dev <= DEV_GPU + MAX_GPUS:
        return "gpu"
    if DEV_FPGA <= dev <= DEV_FPGA + MAX_FPGAS:
        return "fpga"
    raise ValueError(
        f"invalid device code {dev}: expected DEV_CPU (0), DEV_GPU..DEV_GPU+{MAX_GPUS} "
        f"(1000..{DEV_GPU + MAX_GPUS}) or DEV_FPGA..DEV_FPGA+{MAX_FPGAS} "
        f"(2000..{DEV_FPGA + MAX_FPGAS})")


def check_device(dev):
    """Validate ``dev`` and make sure its backend is usable; return it as an int."""
    backend_for(dev)
    return int(dev)


def backend_for(dev):
    """Return the backend module computing for device ``dev``.

    Raises
    ------
    RuntimeError
        If the backend of that device is not built or cannot be loaded; the message says why.
    """
    module = _loaded.get(dev)
    if module is None:
        module = registry.get(_BACKEND[device_kind(dev)])
        _loaded[int(dev)] = module
    return module


def array_module(dev):
    """Return the array namespace holding data on ``dev`` (NumPy on the CPU).

    It is the ``xp`` of the device's backend (see :mod:`eddl.backend.contract`).
    """
    return backend_for(dev).xp


def getDeviceID(dev):
    """Return the device code for a name such as ``"cpu"``, ``"gpu"``, ``"cuda:1"``, ``"fpga"``.

    Examples
    --------
    >>> getDeviceID("cuda:1")
    1001
    """
    if not isinstance(dev, str):
        raise TypeError(f"device name must be a str, got {type(dev).__name__}")
    name, _, index = dev.strip().lower().partition(":")
    try:
        idx = int(index) if index else 0
    except ValueError:
        raise ValueError(f"invalid device name {dev!r}: index after ':' must be an int") from None
    base = {"cpu": DEV_CPU, "gpu": DEV_GPU, "cuda": DEV_GPU, "cudnn": DEV_GPU, "fpga": DEV_FPGA}
    if name not in base:
        raise ValueError(f"unknown device name {dev!r}; valid: cpu, gpu, cuda, cudnn, fpga")
    limit = 0 if name == "cpu" else MAX_FPGAS if name == "fpga" else MAX_GPUS
    if not 0 <= idx <= limit:
        raise ValueError(f"invalid device index {idx} for {name!r}: expected 0..{limit}")
    return base[name] + idx


def hardware_supported():
    """Return the hardware this build can compute on, a subset of ``["cpu", "cuda", "fpga"]``."""
    out = ["cpu"]
    for hw, backend in (("cuda", "cuda"), ("fpga", "fpga")):
        if registry.status(backend)[0]:
            out.append(hw)
    return out


def is_hardware_supported(hardware):
    """Return True when ``hardware`` (``"cpu"``, ``"gpu"``/``"cuda"``, ``"fpga"``) is usable."""
    hw = str(hardware).lower()
    hw = "cuda" if hw in ("gpu", "cudnn") else hw
    return hw in hardware_supported()
