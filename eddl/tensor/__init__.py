"""Tensor: the hardware abstraction layer of eddl.

A :class:`Tensor` holds an array of its device's backend (a NumPy array on the CPU) and a
device code. Everything it computes goes through that backend's ``unary``, ``binary``,
``reduce`` and ``gemm`` functions.
"""

from ._checks import TensorFormatError
from .device import (
    DEV_CPU,
    DEV_FPGA,
    DEV_GPU,
    MAX_FPGAS,
    MAX_GPUS,
    getDeviceID,
    hardware_supported,
    is_hardware_supported,
)
from .random import get_generator, manual_seed, set_seed
from .tensor import Tensor

# EDDL's numbered device constants.
DEV_GPU_0, DEV_GPU_1, DEV_GPU_2, DEV_GPU_3, DEV_GPU_4, DEV_GPU_5, DEV_GPU_6, DEV_GPU_7, \
    DEV_GPU_8 = range(DEV_GPU, DEV_GPU + 9)
DEV_FPGA_0, DEV_FPGA_1, DEV_FPGA_2, DEV_FPGA_3, DEV_FPGA_4, DEV_FPGA_5, DEV_FPGA_6, \
    DEV_FPGA_7, DEV_FPGA_8 = range(DEV_FPGA, DEV_FPGA + 9)

__all__ = [
    "Tensor", "TensorFormatError", "manual_seed", "set_seed", "get_generator",
    "DEV_CPU", "DEV_GPU", "DEV_FPGA", "MAX_GPUS", "MAX_FPGAS",
    *(f"DEV_GPU_{i}" for i in range(9)), *(f"DEV_FPGA_{i}" for i in range(9)),
    "getDeviceID", "hardware_supported", "is_hardware_supported",
]
