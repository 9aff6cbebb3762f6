"""FPGA backend: EDDL's HLSinf kernels, emulated on the CPU where no card is present.

HLSinf runs fused convolution chains for inference; everything else of a model runs on the
host, as in EDDL. This backend is the reference backend (:mod:`eddl.backend.reference`) with the
convolutions HLSinf runs routed through the kernel's emulator (:mod:`.emulator`), so its arrays
are host NumPy arrays on ``DEV_CPU``. On top of the backend contract it has ``hlsinf``, the
launch of one fused chain (:func:`.launch.launch`), which the fused layers of a model made by
``eddl.toFPGA`` call. ``CS_FPGA(emulate=True)`` selects it; without
``emulate`` the computing service opens a card through XRT (:mod:`.xrt`) and says what is
missing when it cannot.

Examples
--------
>>> from eddl.backend import registry
>>> be = registry.get("fpga")
>>> be.name, be.conv.CPI
('fpga', 4)
"""

from .. import reference as _ref
from . import conv
from .launch import launch as hlsinf
from .xrt import open_device

name = "fpga"
device = 0  # DEV_CPU: the emulator keeps the data in host memory, as EDDL's CPU-side layers do
xp = _ref.xp
array_types = _ref.array_types

empty, zeros, rng = _ref.empty, _ref.zeros, _ref.rng
to_host, from_host, scalar = _ref.to_host, _ref.from_host, _ref.scalar
gemm, gemm_batched = _ref.gemm, _ref.gemm_batched
unary, binary, reduce = _ref.unary, _ref.binary, _ref.reduce
nn, pool, norm, resample = _ref.nn, _ref.pool, _ref.norm, _ref.resample

__all__ = ["name", "device", "xp", "array_types", "empty", "zeros", "rng", "to_host", "from_host",
           "scalar", "gemm", "gemm_batched", "unary", "binary", "reduce", "nn", "conv", "pool",
           "norm", "resample", "hlsinf", "open_device"]
