"""Per-thread scratch buffers of the CPU kernels: grown to the largest request, then reused."""

import threading

import numpy as np

__all__ = ["workspace"]

_local = threading.local()


def workspace(name, size, dtype):
    """Return this thread's buffer ``name`` of ``dtype`` with at least ``size`` elements.

    It grows to the largest size asked for and is then reused, so steady-state calls allocate
    nothing; the caller slices what it needs.
    """
    ws = getattr(_local, "ws", None)
    if ws is None:
        ws = _local.ws = {}
    key = (name, np.dtype(dtype).str)
    buf = ws.get(key)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        ws[key] = buf
    return buf
