"""Weight regularizers (L1, L2, L1L2)."""

from .regularizers import L1, L1L2, L2, Regularizer

__all__ = ["L1", "L1L2", "L2", "Regularizer"]
