"""CPU backend: NumPy arrays as storage, Cython/OpenMP kernels and BLAS for the work.

Every backend exposes the same function names; layers and Tensor reach them through the
computing service, never by importing this package directly.
"""
