"""Thread settings shared by every compiled kernel of ecvl and eddl, and the core count.

One module for the whole process: ``ecvl.set_num_threads`` and ``eddl.set_num_threads`` are
the same function, so a computing service's thread count also bounds the image kernels that
data-loader threads run. Kernels take their thread count from :func:`get_num_threads` and pass it explicitly to
``prange(..., num_threads=n)``: ``omp_set_num_threads`` only affects the calling thread, which
would leave data-loader worker threads at the OpenMP default.
"""

import os
import threading

_lock = threading.Lock()
_num_threads = None
# Kernels ask for the thread count on every call; reading the environment and the CPU
# affinity each time costs more than a small kernel. The default is computed once.
_default = None


def available_cores():
    """Return the number of cores this process may run on (its CPU affinity mask).

    ``os.cpu_count()`` counts the machine's cores even where a container or ``taskset``
    allows fewer; every thread decision of the library uses this count instead.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _threads_from_env():
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if not value:
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n > 0 else None


def default_num_threads():
    """Threads used when none was set: ``OMP_NUM_THREADS`` if set, else all usable cores.

    Read once, at the first call; ``set_num_threads(-1)`` reads it again.
    """
    global _default
    if _default is None:
        _default = _threads_from_env() or available_cores()
    return _default


def get_num_threads():
    """Return the number of threads the compiled kernels use."""
    n = _num_threads
    return n if n is not None else (_default or default_num_threads())


def set_num_threads(n):
    """Set the number of threads the compiled kernels use.

    Parameters
    ----------
    n : int
        A positive count, or ``-1``/``None`` for the default (``OMP_NUM_THREADS`` if set,
        otherwise every usable core).

    Returns
    -------
    int
        The previous setting.
    """
    global _num_threads, _default
    if n is None or n == -1:
        new = None
        _default = None
    else:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"number of threads must be a positive int or -1, got {n!r}")
        new = n
    with _lock:
        previous = get_num_threads()
        _num_threads = new
    return previous
