"""Linear algebra of :class:`~eddl.Tensor`: matrix products through the backend's GEMM."""

import numpy as np

from ._base import TensorBase
from ._checks import is_scalar

__all__ = ["LinalgMixin"]


def _gemm_operand(x):
    """Return ``(array, transposed)``, with ``array`` a C-contiguous matrix for BLAS.

    When ``x`` is a transposed (F-contiguous) view, ``array`` is its transpose (no copy) and
    ``transposed`` is True; otherwise ``array`` is ``x`` itself or a C-contiguous copy of it.
    """
    if x.flags.c_contiguous:
        return x, False
    if x.flags.f_contiguous:
        return x.T, True
    return np.ascontiguousarray(x), False


class LinalgMixin(TensorBase):
    """Matrix products, diagonals, traces and interpolation."""

    def matmul(self, other):
        """Matrix product with NumPy's ``matmul`` rules (1-D promotion, batch broadcasting).

        Parameters
        ----------
        other : Tensor
            Float32 or float64; the inner dimensions must agree.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> a = Tensor.ones([2, 3])
        >>> a.matmul(Tensor.ones([3, 4])).shape
        [2, 4]
        """
        if not isinstance(other, TensorBase):
            raise TypeError(f"matmul: expected a Tensor, got {type(other).__name__}")
        self._same_device(other, "matmul")
        a, b = self._data, other._data
        for x in (a, b):
            if x.dtype not in (np.float32, np.float64):
                raise TypeError(f"matmul: needs float32 or float64 tensors, got {x.dtype.name}; "
                                "convert with astype()")
            if x.ndim == 0:
                raise ValueError("matmul: operands must have at least one dimension")
        dt = np.result_type(a, b)
        a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ValueError(f"matmul: shapes {self.shape} and {other.shape} do not align "
                             f"({a2.shape[-1]} != {b2.shape[-2]})")
        try:
            batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch shapes of {self.shape} and {other.shape} cannot be "
                             "broadcast together") from None
        m, n = a2.shape[-2], b2.shape[-1]
        out = np.empty(batch + (m, n), dtype=dt)
        if out.size:
            gemm = self._backend.gemm
            ab = np.broadcast_to(a2, batch + a2.shape[-2:])
            bb = np.broadcast_to(b2, batch + b2.shape[-2:])
            for idx in np.ndindex(*batch):
                x, ta = _gemm_operand(ab[idx])
                y, tb = _gemm_operand(bb[idx])
                gemm(x, y, out=out[idx], trans_a=ta, trans_b=tb)
        if a.ndim == 1:
            out = out[..., 0, :]
        if b.ndim == 1:
            out = out[..., 0]
        return self._new(out)

    @staticmethod
    def mult2D(A, B):
        """Product of two 2-D tensors (PyEDDL).

        Parameters
        ----------
        A, B : Tensor
            Shapes ``(m, k)`` and ``(k, n)``.

        Returns
        -------
        Tensor
            Shape ``(m, n)``.
        """
        if A.ndim != 2 or B.ndim != 2:
            raise ValueError(f"mult2D: needs 2-D tensors, got shapes {A.shape} and {B.shape}")
        return A.matmul(B)

    def outer(self, other):
        """Outer product of the flattened tensors: shape ``(self.size, other.size)``."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"outer: expected a Tensor, got {type(other).__name__}")
        return self.reshape([-1, 1])._binary("mul", other.reshape([1, -1]), "outer")

    def diag(self, k=0):
        """Diagonal of a matrix, EDDL style, or a diagonal matrix from a vector.

        A 2-D square tensor keeps its shape with every element off diagonal ``k`` set to zero
        (EDDL's ``diag``); a 1-D tensor becomes the square matrix with it on diagonal ``k``
        (NumPy's ``diag``). Use :meth:`diagonal` to extract the diagonal as a vector.

        Parameters
        ----------
        k : int, default 0
            Diagonal offset (positive above the main diagonal).

        Returns
        -------
        Tensor
        """
        x = self._data
        if x.ndim == 1:
            return self._new(np.diag(x, k))
        self._check_square("diag")
        mask = np.eye(x.shape[0], x.shape[1], k, dtype=bool)
        return self._new(np.where(mask, x, np.zeros((), x.dtype)))

    def diag_(self, k=0):
        """In-place EDDL :meth:`diag` of a square matrix; returns this tensor."""
        self._check_square("diag_")
        self._data[~np.eye(self.shape[0], self.shape[1], k, dtype=bool)] = 0
        return self

    def diagonal(self, k=0):
        """Return diagonal ``k`` of a 2-D tensor as a new 1-D tensor."""
        if self.ndim != 2:
            raise ValueError(f"diagonal: needs a 2-D tensor, got shape {self.shape}")
        return self._new(np.diagonal(self._data, k).copy())

    def _check_square(self, op):
        if self.ndim != 2 or self.shape[0] != self.shape[1]:
            raise ValueError(f"{op}: needs a square 2-D tensor, got shape {self.shape}")

    def trace(self, k=0):
        """Sum of diagonal ``k`` of a square 2-D tensor, as a Python number."""
        self._check_square("trace")
        return self.diagonal(k).sum()

    @staticmethod
    def static_trace(A, k=0):
        """``A.trace(k)`` (PyEDDL static form)."""
        return A.trace(k)

    @staticmethod
    def isSquared(A):
        """Return True when every dimension of ``A`` has the same size."""
        return len(set(A.shape)) <= 1

    @staticmethod
    def interpolate(factor1, A, factor2, B, C=None):
        """``factor1 * A + factor2 * B`` (PyEDDL), written into ``C`` when given.

        Parameters
        ----------
        factor1, factor2 : float
        A, B : Tensor
            Broadcastable shapes.
        C : Tensor, optional

        Returns
        -------
        Tensor
        """
        if not (is_scalar(factor1) and is_scalar(factor2)):
            raise TypeError("interpolate: factor1 and factor2 must be numbers")
        r = A._binary("mul", factor1, "interpolate")._binary(
            "add", B._binary("mul", factor2, "interpolate"), "interpolate")
        if C is None:
            return r
        if C.shape != r.shape:
            raise ValueError(f"interpolate: output shape {C.shape} differs from {r.shape}")
        C._data[...] = r._data
        return C
