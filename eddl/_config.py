"""Build and run-time configuration of eddl: OpenMP, BLAS, threads, accelerators."""

from _deephealth.config import base_config, openmp_enabled, print_config

__all__ = ["openmp_enabled", "config", "show_config", "cuda_status"]


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
    info = base_config()
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
    print_config(config(), file)
