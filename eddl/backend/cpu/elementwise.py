"""Element-wise kernels of the CPU backend.

Contract shared by every backend: ``unary(name, x, out=None, **params)`` and
``binary(name, a, b, out=None)`` follow NumPy's broadcasting and dtype rules, write into
``out`` when given (which may alias an input) and return the result array. Names are the
ones of the contract's tables (:data:`eddl.backend.contract.UNARY`, ``UNARY_EXTRA`` and
``BINARY``).

float32/float64 arrays go to the compiled kernels of ``_kernels`` (OpenMP threads, vector math
from glibc's libmvec for the transcendental functions); other dtypes, tiny arrays and layouts
the kernels do not cover (exotic broadcasting, non-contiguous memory-bound operands) use
NumPy, which is as fast there. Accuracy of the compiled transcendental functions: within
4 ulp of the correctly rounded result, 6 for ``sigmoid`` (tested against float64 NumPy).
"""

import numpy as np

from _deephealth.runtime import get_num_threads

from ..contract import BINARY, UNARY, UNARY_EXTRA
from ..reference.core import NUMPY_BINARY, numpy_unary
from . import _alloc, _kernels

__all__ = ["UNARY", "BINARY", "unary", "binary"]


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# Below these sizes NumPy's per-call cost is lower than ours; the first bound is for the
# transcendental functions, the second for memory-bound maps. Above MIN_THREADED elements a
# memory-bound map is worth the OpenMP fork/join (compute-bound ones split from 2 chunks on).
MIN_COMPUTE = 512
MIN_MEMORY = 8192
MIN_THREADED = 1 << 18


def _threads(name, n):
    # One chunk is one thread's work whatever the setting; skip asking for the setting then.
    if n > _kernels.CHUNK_SIZE and (name in _kernels.COMPUTE_BOUND or n >= MIN_THREADED):
        return get_num_threads()
    return 1


def _new(shape, dtype, nbytes):
    return _alloc.empty(shape, dtype) if nbytes >= _alloc.MIN_CACHED else np.empty(shape, dtype)


def _fits_out(out, shape, dtype):
    return (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype
            and out.flags.c_contiguous and out.flags.writeable)


def _unary_params(name, x, params):
    """Kernel parameters ``(p, q)``, or None when NumPy must decide the semantics."""
    if name == "clamp":
        lo, hi = params.get("lo"), params.get("hi")
        bounds = [v for v in (lo, hi) if v is not None]
        if np.result_type(x, *bounds) != x.dtype or any(np.isnan(v) for v in bounds):
            return None
        return (-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi))
    if name == "pow_scalar":
        e = params["exponent"]
        if np.ndim(e) != 0 or np.result_type(x, e) != x.dtype:
            return None
        return (float(e), 0.0)
    return (0.0, 0.0)


def _unary_fast(name, x, out, params):
    if name not in _kernels.UNARY_OPS or x.dtype not in _FLOATS:
        return None
    compute = name in _kernels.COMPUTE_BOUND
    if x.size < max(1, MIN_COMPUTE if compute else MIN_MEMORY):
        return None
    if out is not None and not _fits_out(out, x.shape, x.dtype):
        return None
    if not x.flags.c_contiguous:
        if not compute:
            return None
        x = np.ascontiguousarray(x)
    pq = _unary_params(name, x, params)
    if pq is None:
        return None
    if out is None:
        out = _new(x.shape, x.dtype, x.nbytes)
    elif out.ctypes.data != x.ctypes.data and np.may_share_memory(out, x):
        x = x.copy()  # partial overlap: an in-place pass would read what it already wrote
    _kernels.unary(name, x, out, pq[0], pq[1], _threads(name, x.size))
    return out


def unary(name, x, out=None, **params):
    """Apply the element-wise function ``name`` to ``x``.

    Parameters
    ----------
    name : str
        One of :data:`UNARY`, or ``'sigmoid'``, ``'relu'``, ``'clamp'`` (params ``lo``, ``hi``,
        either may be None), ``'pow_scalar'`` (param ``exponent``).
    x : numpy.ndarray
        Input array.
    out : numpy.ndarray, optional
        Destination; may be ``x`` itself for the in-place form.
    **params
        The parameters of ``clamp`` and ``pow_scalar``.

    Returns
    -------
    numpy.ndarray
        ``out``, or a new array.
    """
    if name not in UNARY and name not in UNARY_EXTRA:
        raise ValueError(f"unknown unary op {name!r}")
    if name == "pow_scalar" and "exponent" not in params:
        raise ValueError("unary op 'pow_scalar' needs the parameter 'exponent'")
    x = np.asarray(x)
    r = _unary_fast(name, x, out, params)
    if r is not None:
        return r
    return numpy_unary(name, x, out, params)


def _operand_layout(x, shape):
    """``(kind, array)`` of an operand broadcast to ``shape``, or None if no kernel fits."""
    if x.size == 1:
        return "scalar", x.reshape(1) if x.flags.c_contiguous else x.ravel()
    if not x.flags.c_contiguous:
        return None
    if x.shape == shape:
        return "full", x
    padded = (1,) * (len(shape) - x.ndim) + x.shape
    if padded[-1] == shape[-1] and all(d == 1 for d in padded[:-1]):
        return "row", x
    if padded[:-1] == shape[:-1] and padded[-1] == 1:
        return "col", x
    return None


def _binary_fast(name, a, b, out):
    if name not in _kernels.BINARY_OPS:
        return None
    a_arr, b_arr = isinstance(a, np.ndarray), isinstance(b, np.ndarray)
    if not (a_arr or b_arr):
        return None
    # Cheap exit for small operands (the common case in small layers): NumPy is faster there.
    # Two small operands can broadcast to a large result; NumPy handles that rarer case too.
    small = MIN_COMPUTE if name == "pow" else MIN_MEMORY
    if (a.size if a_arr else 1) < small and (b.size if b_arr else 1) < small:
        return None
    dt = np.result_type(a, b)
    if dt not in _FLOATS:
        return None
    ops = []
    for v, is_arr in ((a, a_arr), (b, b_arr)):
        if is_arr:
            if v.dtype != dt:
                return None
        elif type(v) in (int, float, bool):
            v = np.array(v, dtype=dt)
        else:
            return None
        ops.append(v)
    a, b = ops
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: operands of shapes {a.shape} and {b.shape} cannot be "
                         "broadcast together") from None
    size = int(np.prod(shape))
    if size < max(1, MIN_COMPUTE if name == "pow" else MIN_MEMORY):
        return None
    if out is not None and not _fits_out(out, shape, dt):
        return None
    la, lb = _operand_layout(a, shape), _operand_layout(b, shape)
    if la is None or lb is None:
        return None
    if out is None:
        out = _new(shape, dt, size * dt.itemsize)
    else:
        la, lb = (_unalias(lay, out) for lay in (la, lb))
    if la[0] in ("scalar", "full") and lb[0] in ("scalar", "full"):
        rows, n = 1, size
        strides = {"scalar": (0, 0), "full": (0, 1)}
    else:
        n = shape[-1]
        rows = size // n
        strides = {"scalar": (0, 0), "full": (n, 1), "row": (0, 1), "col": (1, 0)}
    (ars, acs), (brs, bcs) = strides[la[0]], strides[lb[0]]
    _kernels.binary(name, la[1], ars, acs, lb[1], brs, bcs, out, rows, n,
                    _threads(name, size))
    return out


def _unalias(layout, out):
    # Writing out[i] is safe when the operand's element i lives exactly there; any other
    # overlap (a broadcast row inside out, a shifted view) needs a private copy.
    kind, x = layout
    if kind == "full" and x.ctypes.data == out.ctypes.data:
        return layout
    if np.may_share_memory(x, out):
        return kind, x.copy()
    return layout


def binary(name, a, b, out=None):
    """Apply the broadcasting binary function ``name`` (one of :data:`BINARY`).

    Parameters
    ----------
    name : str
        One of :data:`BINARY`.
    a, b : numpy.ndarray or scalar
        Operands, broadcast against each other with NumPy's rules.
    out : numpy.ndarray, optional
        Destination of the broadcast shape; may alias ``a`` or ``b``.

    Returns
    -------
    numpy.ndarray
        ``out``, or a new array.
    """
    try:
        fn = NUMPY_BINARY[name]
    except KeyError:
        raise ValueError(f"unknown binary op {name!r}") from None
    r = _binary_fast(name, a, b, out)
    if r is not None:
        return r
    if out is None:
        return fn(a, b)
    return fn(a, b, out=out)
