"""CPU backend: NumPy arrays as storage, Cython/OpenMP kernels and BLAS for the work.

It provides the contract of :mod:`eddl.backend.contract`; layers and Tensor reach it through
the computing service or the tensor's device, never by importing this package directly. Where a
compiled kernel does not apply (dtype, layout, size), the NumPy form of the reference backend
computes the result.
"""

import numpy as np

from ..reference.core import empty, from_host, rng, scalar, to_host, zeros  # NumPy storage
from . import conv, nn, norm, pool, resample  # convolution, normalization, pooling, resizing

try:  # fused time loops of the recurrent layers: an optional family (layers step without it)
    from . import rnn
except ImportError:  # pragma: no cover - only when the extension is not built
    rnn = None
from ._alloc import cached_bytes, set_cache_limit
from .blas import gemm_batched
from .blas_policy import gemm
from .elementwise import BINARY, UNARY, binary, unary
from .reduce import REDUCTIONS, reduce

name = "cpu"
device = 0  # DEV_CPU
xp = np
array_types = (np.ndarray,)
