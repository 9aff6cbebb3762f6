"""Build and run-time configuration of eddl: OpenMP, BLAS, threads, accelerators."""

import sys

from _deephealth import _openmp
from _deephealth.runtime import get_num_threads

__all__ = ["openmp_enabled", "config", "show_config", "cuda_status"]


def openmp_enabled():
    """Return True when the compiled kernels were built with OpenMP.

    Without OpenMP every ``prange`` loop of the library runs serially; a build that lost it
    by accident is caught by the test suite when ``CI`` is set.
    """
    return _openmp.openmp_enabled()


def cuda_status():
    """Return ``(available, reason)`` for the CUDA backend.

    The reason is the import error kept from the attempt, so a broken GPU build is visible
    instead of silently falling back to the CPU.
    """
    from .backend import registry

    return registry.status("cuda")


def _blas_info():
    try:
        import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS that our kernels call)
        from threadpoolctl import threadpool_info
    except ImportError as exc:  # pragma: no cover - both are dependencies
        return {"blas": f"unavailable ({exc})"}
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return {
                "blas": f"{pool.get('internal_api')} {pool.get('version')} "
                        f"({pool.get('architecture')}, via scipy.linalg.cython_blas)",
                "blas_threads": pool.get("num_threads"),
            }
    return {"blas": "not found by threadpoolctl"}


def config():
    """Return the configuration shown by :func:`show_config` as a dict."""
    import numpy

    info = {
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "openmp": openmp_enabled(),
        "openmp_version": _openmp.openmp_version(),
        "threads": get_num_threads(),
    }
    info.update(_openmp.build_info())
    info.update(_blas_info())
    cuda_ok, cuda_reason = cuda_status()
    info["cuda"] = cuda_ok
    info["cuda_reason"] = cuda_reason
    return info


def show_config(file=None):
    """Print how eddl was built and what it will use at run time.

    Examples
    --------
    >>> import eddl
    >>> eddl.show_config()  # doctest: +SKIP
    openmp         : True
    ...
    """
    for key, value in config().items():
        print(f"{key:<15}: {value}", file=file or sys.stdout)
