"""Dense linear algebra of the CPU backend (BLAS through scipy.linalg.cython_blas)."""

import numpy as np

__all__ = ["gemm"]


def gemm(a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """``out = alpha * op(a) @ op(b) + beta * out`` for 2-D float32/float64 arrays.

    ``op(m)`` is ``m.T`` when the matching ``trans_`` flag is set. ``out`` is allocated when
    None (then ``beta`` is ignored).
    """
    a2 = a.T if trans_a else a
    b2 = b.T if trans_b else b
    r = alpha * (a2 @ b2) if alpha != 1.0 else a2 @ b2
    if out is None:
        return r
    if beta == 0.0:
        out[...] = r
    else:
        out *= beta
        out += r
    return out
