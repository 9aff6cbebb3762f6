"""CPU backend: NumPy arrays as storage, Cython/OpenMP kernels and BLAS for the work.

Every backend exposes the same function names; layers and Tensor reach them through the
computing service, never by importing this package directly.
"""

from .blas import gemm
from .elementwise import BINARY, UNARY, binary, unary
from .reduce import REDUCTIONS, reduce

name = "cpu"
