"""Arrays, host transfer, GEMM, element-wise maps and reductions of the reference backend."""

import numpy as np

from .. import contract

__all__ = ["empty", "zeros", "rng", "to_host", "from_host", "scalar", "gemm", "gemm_batched",
           "unary", "binary", "reduce"]

#: the contract's op tables resolved to NumPy functions (other NumPy-storage backends reuse them)
NUMPY_UNARY = {k: getattr(np, v) for k, v in contract.UNARY.items()}
NUMPY_BINARY = {k: getattr(np, v) for k, v in contract.BINARY.items()}
NUMPY_REDUCTIONS = {k: getattr(np, v) for k, v in contract.REDUCTIONS.items()}


def store(out, value, accumulate):
    """Write ``value`` into ``out``, or add it (cast to ``out``'s dtype first) when ``accumulate``.

    The float64 results of the reference kernels reach their destination this one way.
    """
    if accumulate:
        out += value.astype(out.dtype)
    else:
        out[...] = value
    return out


def empty(shape, dtype):
    """Uninitialised buffer of ``shape`` and ``dtype``."""
    return np.empty(shape, dtype=dtype)


def zeros(shape, dtype):
    """Zero-filled buffer of ``shape`` and ``dtype``."""
    return np.zeros(shape, dtype=dtype)


def rng(seed=None):
    """Return a random generator (NumPy's PCG64) drawing arrays of this backend."""
    return np.random.default_rng(seed)


def to_host(a):
    """Return ``a`` as a NumPy array (a no-op: the arrays already live on the host)."""
    return a


def from_host(a, dtype=None, out=None, rows=None):
    """Host array ``a`` (or its rows ``rows``) as an array of this backend.

    Parameters
    ----------
    a : array_like
        Host data.
    dtype : dtype, optional
        Cast to this dtype (ignored when ``out`` is given: ``out``'s dtype wins).
    out : numpy.ndarray, optional
        Destination buffer; ``a`` (or its selected rows) is copied and cast into it.
    rows : sequence of int, optional
        Take these rows (first axis) of ``a``.

    Returns
    -------
    numpy.ndarray
        ``out``, or ``a`` itself when it already has the right dtype (no copy).
    """
    a = np.asarray(a, dtype=dtype if out is None else None)
    if out is None:
        return a if rows is None else np.take(a, np.asarray(rows), axis=0)
    if rows is None:
        out[...] = a
    elif a.dtype == out.dtype and a.flags.c_contiguous:
        np.take(a, np.asarray(rows), axis=0, out=out)  # no intermediate copy of the rows
    else:
        out[...] = a[np.asarray(rows)]
    return out


def scalar(value, dtype):
    """``value`` as a 0-d array of ``dtype``; OverflowError when it does not fit."""
    return np.asarray(value, dtype=dtype)


def _op(a, trans):
    return np.swapaxes(a, -1, -2) if trans else a


def _product(a, b, out, trans_a, trans_b, alpha, beta, batched):
    a, b = np.asarray(a), np.asarray(b)
    if not batched and (a.ndim != 2 or b.ndim != 2):
        raise ValueError(f"gemm: expects 2-D operands, got {a.ndim}-D and {b.ndim}-D")
    if batched and not (a.ndim in (2, 3) and b.ndim in (2, 3) and 3 in (a.ndim, b.ndim)):
        raise ValueError(f"gemm_batched: expects 3-D operands (one may be 2-D), "
                         f"got {a.ndim}-D and {b.ndim}-D")
    r = np.matmul(_op(a, trans_a), _op(b, trans_b))
    if alpha != 1:
        r = r * alpha
    if out is None:
        return r
    if out.shape != r.shape:
        raise ValueError(f"gemm: product of shape {r.shape} does not fit out of shape {out.shape}")
    if beta != 0:
        r = r + beta * out
    np.copyto(out, r, casting="same_kind")
    return out


def gemm(a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """``out = alpha * op(a) @ op(b) + beta * out`` for 2-D arrays.

    ``beta`` is ignored without ``out``; with ``beta == 0`` the previous content of ``out`` is
    not read.
    """
    return _product(a, b, out, trans_a, trans_b, alpha, beta, False)


def gemm_batched(a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """:func:`gemm` per batch entry of 3-D operands; one of them may be 2-D and shared."""
    return _product(a, b, out, trans_a, trans_b, alpha, beta, True)


def _sigmoid(x, out):
    # 1 / (1 + exp(-x)) overflows harmlessly to 0 for very negative x.
    with np.errstate(over="ignore"):
        np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)
    return out


def unary(name, x, out=None, **params):
    """Apply the element-wise op ``name`` to ``x``.

    ``name`` is one of :data:`~eddl.backend.contract.UNARY` or
    :data:`~eddl.backend.contract.UNARY_EXTRA`, with its parameters.

    Returns
    -------
    numpy.ndarray
        ``out`` (which may be ``x``), or a new array with NumPy's result dtype.
    """
    if name not in NUMPY_UNARY and name not in contract.UNARY_EXTRA:
        raise ValueError(f"unknown unary op {name!r}")
    if name == "pow_scalar" and "exponent" not in params:
        raise ValueError("unary op 'pow_scalar' needs the parameter 'exponent'")
    return numpy_unary(name, np.asarray(x), out, params)


def numpy_unary(name, x, out, params):
    """:func:`unary` of an already validated op name and NumPy array ``x``."""
    if out is None:
        dt = np.result_type(x, np.float32) if name in contract.FLOAT_ONLY else x.dtype
        out = np.empty_like(x, dtype=dt)
    if name == "sigmoid":
        return _sigmoid(x, out)
    if name == "relu":
        return np.maximum(x, 0, out=out)
    if name == "clamp":
        return np.clip(x, params.get("lo"), params.get("hi"), out=out)
    if name == "pow_scalar":
        return np.power(x, params["exponent"], out=out)
    return NUMPY_UNARY[name](x, out=out)


def binary(name, a, b, out=None):
    """Apply the broadcasting op ``name`` to ``a`` and ``b`` with NumPy's dtype rules.

    ``name`` is one of :data:`~eddl.backend.contract.BINARY`; ``out`` may alias either operand.
    """
    try:
        fn = NUMPY_BINARY[name]
    except KeyError:
        raise ValueError(f"unknown binary op {name!r}") from None
    return fn(a, b) if out is None else fn(a, b, out=out)


def reduce(name, x, axis=None, keepdims=False):
    """Reduce ``x`` with ``name`` over ``axis``, as NumPy's function of that name does.

    ``name`` is one of :data:`~eddl.backend.contract.REDUCTIONS`; ``axis`` is None, an int or a
    tuple.
    """
    try:
        fn = NUMPY_REDUCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown reduction {name!r}") from None
    return fn(x, axis=axis, keepdims=keepdims)
