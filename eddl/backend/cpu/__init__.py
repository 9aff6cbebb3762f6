"""CPU backend: NumPy arrays as storage, Cython/OpenMP kernels and BLAS for the work.

Every backend exposes the same function names; layers and Tensor reach them through the
computing service, never by importing this package directly.
"""

from ._alloc import cached_bytes, set_cache_limit
from .blas import gemm, gemm_batched
from .blas_policy import gemm as gemm_small_serial
from .elementwise import BINARY, UNARY, binary, unary
from .reduce import REDUCTIONS, reduce
from . import nn
from . import conv, norm, pool, resample  # convolution, normalization, pooling, resizing

name = "cpu"
