"""Dense linear algebra of the CPU backend (BLAS through scipy.linalg.cython_blas).

float32/float64 products go to SciPy's OpenBLAS (``sgemm``/``dgemm``) with the GIL released;
other dtypes (integers, complex) use NumPy's ``matmul`` with the same semantics.
"""

import numpy as np

from . import _blas

__all__ = ["gemm", "gemm_batched"]

_BLAS_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _as_operand(x, dtype):
    # Transposed or row-strided views go to BLAS as they are; anything else is copied once.
    if x.dtype != dtype:
        x = x.astype(dtype)
    if x.size and _blas.blas_layout(x) is None:
        x = np.ascontiguousarray(x)
    return x


def _shape_error(what, a, b, trans_a, trans_b, out=None):
    ta = ".T" if trans_a else ""
    tb = ".T" if trans_b else ""
    msg = f"{what}: cannot multiply a{ta} of shape {a.shape} by b{tb} of shape {b.shape}"
    if out is not None:
        msg += f" into out of shape {out.shape}"
    return ValueError(msg)


def _product(what, a, b, out, trans_a, trans_b, alpha, beta, batched):
    a = np.asarray(a)
    b = np.asarray(b)
    if batched:
        if not (a.ndim in (2, 3) and b.ndim in (2, 3) and 3 in (a.ndim, b.ndim)):
            raise ValueError(f"{what}: expects 3-D operands (one may be 2-D and shared), "
                             f"got {a.ndim}-D and {b.ndim}-D")
    elif a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"{what}: expects 2-D operands, got {a.ndim}-D and {b.ndim}-D")
    m, k = a.shape[-2:][::-1] if trans_a else a.shape[-2:]
    k2, n = b.shape[-2:][::-1] if trans_b else b.shape[-2:]
    if k != k2:
        raise _shape_error(what, a, b, trans_a, trans_b)
    batch = ()
    if batched:
        nb = {x.shape[0] for x in (a, b) if x.ndim == 3}
        if len(nb) != 1:
            raise _shape_error(what, a, b, trans_a, trans_b)
        batch = (nb.pop(),)
    shape = batch + (m, n)
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"{what}: out must be a numpy.ndarray, got {type(out).__name__}")
        if out.shape != shape:
            raise _shape_error(what, a, b, trans_a, trans_b, out)
        if not out.flags.writeable:
            raise ValueError(f"{what}: out is read-only")
    ct = np.result_type(a, b)
    if out is not None and not np.can_cast(ct, out.dtype, "same_kind"):
        raise TypeError(f"{what}: cannot write a {ct} product into out of dtype {out.dtype}")
    if ct not in _BLAS_TYPES:
        return _numpy_product(a, b, out, trans_a, trans_b, alpha, beta)
    if out is None:
        beta = 0.0
    use_out = (out is not None and out.dtype == ct and out.size
               and _blas.blas_layout(out) is not None and not _blas.blas_layout(out)[0]
               and not np.may_share_memory(out, a) and not np.may_share_memory(out, b)
               and (out.ndim == 2 or out.strides[0] >= out[0].size * out.itemsize))
    if use_out:
        c = out
    elif out is not None and beta != 0.0:
        c = np.array(out, dtype=ct, order="C")
    else:
        c = np.empty(shape, dtype=ct)
    if c.size:
        if k == 0:
            # An empty sum: BLAS would be asked for ld >= 1 of zero-size operands.
            if beta == 0.0:
                c[...] = 0
            else:
                c *= beta
        else:
            _blas.gemm_into(_as_operand(a, ct), _as_operand(b, ct), c, bool(trans_a),
                            bool(trans_b), float(alpha), float(beta))
    if out is None:
        return c
    if c is not out:
        np.copyto(out, c, casting="same_kind")
    return out


def _numpy_product(a, b, out, trans_a, trans_b, alpha, beta):
    a2 = np.swapaxes(a, -1, -2) if trans_a else a
    b2 = np.swapaxes(b, -1, -2) if trans_b else b
    r = np.matmul(a2, b2)
    if alpha != 1:
        r = r * alpha
    if out is None:
        return r
    if beta == 0:
        np.copyto(out, r, casting="same_kind")
    else:
        np.copyto(out, beta * out + r, casting="same_kind")
    return out


def gemm(a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """``out = alpha * op(a) @ op(b) + beta * out`` for 2-D arrays.

    Parameters
    ----------
    a, b : numpy.ndarray
        2-D operands; any strides (transposed and row-strided views go to BLAS without a
        copy). float32/float64 use BLAS, other dtypes NumPy; mixed dtypes follow NumPy's
        promotion.
    out : numpy.ndarray, optional
        Destination of shape ``(m, n)``; may alias ``a`` or ``b``. Allocated when None, in
        which case ``beta`` is ignored.
    trans_a, trans_b : bool
        Use ``a.T`` / ``b.T`` instead of ``a`` / ``b``.
    alpha, beta : float
        Scale of the product and of the previous content of ``out``. With ``beta == 0`` the
        previous content of ``out`` is never read (NaNs in it do not propagate).

    Returns
    -------
    numpy.ndarray
        ``out``, or the new array.

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.backend.cpu import gemm
    >>> gemm(np.eye(2, dtype=np.float32), np.ones((2, 3), np.float32), alpha=2.0)
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    """
    return _product("gemm", a, b, out, trans_a, trans_b, alpha, beta, batched=False)


def gemm_batched(a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """One :func:`gemm` per batch entry: ``out[i] = alpha * op(a[i]) @ op(b[i]) + beta * out[i]``.

    Parameters
    ----------
    a, b : numpy.ndarray
        3-D arrays ``(batch, rows, cols)`` with equal batch sizes; one of them may be 2-D,
        and is then shared by every batch entry (the weights of a convolution, for example).
    out : numpy.ndarray, optional
        Destination of shape ``(batch, m, n)``; may alias ``a`` or ``b``.
    trans_a, trans_b : bool
        Transpose the last two axes of ``a`` / ``b``.
    alpha, beta : float
        As in :func:`gemm`.

    Returns
    -------
    numpy.ndarray
        ``out``, or the new array.

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.backend.cpu import gemm_batched
    >>> gemm_batched(np.ones((4, 2, 3)), np.ones((3, 5))).shape
    (4, 2, 5)
    """
    return _product("gemm_batched", a, b, out, trans_a, trans_b, alpha, beta, batched=True)
