"""BLAS thread policy for small products: one thread below :data:`SERIAL_MACS`.

OpenBLAS splits any sgemm above ~262k multiply-adds across its whole pool. For the small
products of a network head (e.g. ``100x576 @ 576x10``) waking the pool costs more than the
product: ~30 us on one thread, milliseconds on two when the cores are busy, because the
caller waits for a worker that is not scheduled. :func:`gemm` runs such products on one BLAS
thread and leaves larger ones to the pool; see ``docs/threads.md``.
"""

import ctypes

from .blas import gemm as _gemm

__all__ = ["gemm", "SERIAL_MACS", "blas_thread_hooks"]

#: products with fewer multiply-adds (m * n * k) run on one BLAS thread
SERIAL_MACS = 1 << 21

_HOOKS = []  # [(set_num_threads, get_num_threads)] once looked up; [None] when unavailable


def blas_thread_hooks():
    """``(set, get)`` ctypes functions of the loaded OpenBLAS, or None (other BLAS, or
    threadpoolctl missing): then every product uses BLAS's own threading."""
    if not _HOOKS:
        _HOOKS.append(_find_hooks())
    return _HOOKS[0]


def _find_hooks():
    try:
        from threadpoolctl import ThreadpoolController
        libs = [c for c in ThreadpoolController().lib_controllers if c.internal_api == "openblas"]
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
    """:func:`eddl.backend.cpu.gemm`, on one BLAS thread when the product is small.

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
    if a.ndim == 2 and b.ndim == 2:
        m, k = a.shape[::-1] if trans_a else a.shape
        n = b.shape[0] if trans_b else b.shape[1]
        if m * n * k < SERIAL_MACS:
            hooks = blas_thread_hooks()
            if hooks is not None:
                threads = hooks[1]()
                if threads > 1:
                    hooks[0](1)
                    try:
                        return _gemm(a, b, out, trans_a, trans_b, alpha, beta)
                    finally:
                        hooks[0](threads)
    return _gemm(a, b, out, trans_a, trans_b, alpha, beta)
