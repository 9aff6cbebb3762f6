"""The CPU backend's ``gemm``: BLAS with a thread policy.

One BLAS thread below :data:`SERIAL_MACS`, OpenMP column split above.

OpenBLAS splits any sgemm above ~262k multiply-adds across its whole pool. For the small
products of a network head (e.g. ``100x576 @ 576x10``) waking the pool costs more than the
product: ~30 us on one thread, milliseconds on two when the cores are busy, because the
caller waits for a worker that is not scheduled. :func:`gemm` runs such products on one BLAS
thread; larger ones are split over the OpenMP threads (see ``docs/threads.md``).
"""

import ctypes
import os

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _dense
from .blas import gemm as _gemm

__all__ = ["gemm", "SERIAL_MACS", "blas_thread_hooks"]

#: products with fewer multiply-adds (m * n * k) run on one BLAS thread
SERIAL_MACS = 1 << 21

#: larger products of C-contiguous float operands split their columns over the kernels' OpenMP
#: threads with BLAS on one thread (as convolutions do) instead of using BLAS's own pool
OPENMP_SPLIT = True

_HOOKS = []  # [(set_num_threads, get_num_threads)] once looked up; [None] when unavailable


def blas_thread_hooks():
    """Return the ``(set, get)`` ctypes functions of the loaded OpenBLAS, or None.

    None means another BLAS, or threadpoolctl missing: then every product uses BLAS's own
    threading.
    """
    if not _HOOKS:
        _HOOKS.append(_find_hooks())
    return _HOOKS[0]


def _find_hooks():
    try:
        import scipy
        import scipy.linalg.cython_blas  # noqa: F401  (loads the library gemm calls)
        from threadpoolctl import ThreadpoolController
        # SciPy's own OpenBLAS (scipy/ or scipy.libs/) is the one behind cython_blas; NumPy
        # ships another copy with similar symbol names, whose threads do not matter here
        home = os.path.dirname(os.path.realpath(scipy.__file__))
        roots = (home + os.sep, home + ".libs" + os.sep)
        libs = [c for c in ThreadpoolController().lib_controllers
                if c.internal_api == "openblas"
                and os.path.realpath(str(getattr(c, "filepath", ""))).startswith(roots)]
    except Exception:  # noqa: BLE001 - no control means default threading, never an error
        return None
    for c in libs:
        lib = c.dynlib
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("", "64_"):
                s, g = f"{prefix}_set_num_threads{suffix}", f"{prefix}_get_num_threads{suffix}"
                if hasattr(lib, s) and hasattr(lib, g):
                    setter, getter = getattr(lib, s), getattr(lib, g)
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return setter, getter
    return None


def gemm(a, b, out=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """:func:`eddl.backend.cpu.blas.gemm` under the backend's BLAS thread policy.

    Small products run on one BLAS thread; larger ones, when every operand is C-contiguous
    and ``out`` is given, split their columns over the kernels' OpenMP threads with BLAS on
    one thread (see :data:`OPENMP_SPLIT`).

    Parameters
    ----------
    a, b : numpy.ndarray
    out : numpy.ndarray, optional
    trans_a, trans_b : bool
    alpha, beta : float

    Returns
    -------
    numpy.ndarray
    """
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        m, k = a.shape[::-1] if trans_a else a.shape
        n = b.shape[0] if trans_b else b.shape[1]
        k2 = b.shape[1] if trans_b else b.shape[0]
        hooks = blas_thread_hooks()
        if hooks is not None and k == k2:
            if m * n * k < SERIAL_MACS:
                return _with_one_blas_thread(hooks, _gemm, a, b, out, trans_a, trans_b, alpha, beta)
            nt = get_num_threads()
            if OPENMP_SPLIT and nt > 1 and k > 0 and _splittable(a, b, out, alpha, m, n):
                _with_one_blas_thread(hooks, _dense.pgemm, a, b, out, bool(trans_a),
                                      bool(trans_b), float(beta), nt)
                return out
    return _gemm(a, b, out, trans_a, trans_b, alpha, beta)


def _with_one_blas_thread(hooks, fn, *args):
    threads = hooks[1]()
    if threads == 1:
        return fn(*args)
    hooks[0](1)
    try:
        return fn(*args)
    finally:
        hooks[0](threads)


def _splittable(a, b, out, alpha, m, n):
    return (isinstance(out, np.ndarray) and alpha == 1.0 and m > 0 and n > 0 and out.shape == (m, n)
            and a.dtype == b.dtype == out.dtype and out.dtype in (np.float32, np.float64)
            and a.flags.c_contiguous and b.flags.c_contiguous and out.flags.c_contiguous
            and out.flags.writeable and not np.may_share_memory(out, a)
            and not np.may_share_memory(out, b))
