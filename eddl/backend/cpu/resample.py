"""Separable resampling of the CPU backend: the reference backend's NumPy form.

Resampling is one small matrix product per spatial axis, which NumPy's BLAS already runs at full
speed, so the CPU backend has no kernel of its own here.
"""

from ..reference.resample import MODES, TRANSFORMS, resample, resample_backward, resample_matrix

__all__ = ["resample_matrix", "resample", "resample_backward", "MODES", "TRANSFORMS"]
