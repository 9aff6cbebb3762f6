"""Computing services: where a model runs (``CS_CPU``, ``CS_GPU``, ...) and with which backend."""

from _deephealth.runtime import get_num_threads, set_num_threads
from .backend import registry

__all__ = ["CompServ", "CS_CPU", "CS_GPU", "CS_FPGA", "CS_COMPSS"]

_MEM_LEVELS = {"full_mem": 0, "mid_mem": 1, "low_mem": 2}
_blas_limit = [None]  # the active threadpoolctl limiter, kept alive


class CompServ:
    """A computing service: the backend a model runs on and its resources.

    Parameters
    ----------
    threads : int
        CPU threads for the kernels; -1 means every usable core.
    gpus, fpgas : list of int
        On/off mask per device (empty for none).
    lsb : int
        Local sync batches (multi-device weight synchronisation period).
    mem : str or int
        ``"full_mem"``, ``"mid_mem"`` or ``"low_mem"`` (or the levels 0, 1, 2).
    """

    def __init__(self, threads=-1, gpus=(), fpgas=(), lsb=1, mem="full_mem"):
        if isinstance(mem, str):
            if mem not in _MEM_LEVELS:
                raise ValueError(f"CompServ: unknown mem {mem!r}; valid: {sorted(_MEM_LEVELS)}")
            mem = _MEM_LEVELS[mem]
        if mem not in (0, 1, 2):
            raise ValueError(f"CompServ: mem level must be 0, 1 or 2, got {mem!r}")
        if isinstance(threads, bool) or not isinstance(threads, int) or (threads < 1 and threads != -1):
            raise ValueError(f"CompServ: threads must be a positive int or -1, got {threads!r}")
        self.type = "local"
        self.local_threads = threads
        self.local_gpus = list(gpus)
        self.local_fpgas = list(fpgas)
        self.lsb = int(lsb)
        self.mem_level = mem
        if any(self.local_gpus):
            self.hw = "GPU"
        elif any(self.local_fpgas):
            self.hw = "FPGA"
        else:
            self.hw = "CPU"
        self._backend = None

    @property
    def backend(self):
        """The backend module (``eddl.backend.cpu`` on CPU), imported on first use."""
        if self._backend is None:
            self._backend = registry.get({"CPU": "cpu", "GPU": "cuda", "FPGA": "fpga"}[self.hw])
        return self._backend

    def activate(self):
        """Apply this service's thread setting to the compiled kernels and to BLAS.

        With ``threads == -1`` both keep their defaults. BLAS is limited through threadpoolctl
        when it is installed (it is a dependency of scikit-learn); without it, set
        ``OPENBLAS_NUM_THREADS`` before starting Python.
        """
        if self.hw != "CPU" or self.local_threads == -1:
            return
        set_num_threads(self.local_threads)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - optional
            return
        # the backend is imported by now, so its BLAS library is loaded and gets the limit
        _blas_limit[0] = threadpool_limits(self.local_threads, user_api="blas")

    @property
    def threads(self):
        """Threads the kernels use under this service."""
        return get_num_threads() if self.local_threads == -1 else self.local_threads

    def __repr__(self):
        return f"CompServ(hw={self.hw!r}, threads={self.local_threads}, mem_level={self.mem_level})"


def CS_CPU(th=-1, mem="full_mem"):
    """CPU computing service.

    Parameters
    ----------
    th : int, default -1
        Number of threads; -1 uses every usable core.
    mem : str, default "full_mem"
        Memory level: ``"full_mem"``, ``"mid_mem"`` or ``"low_mem"``.

    Returns
    -------
    CompServ

    Examples
    --------
    >>> import eddl
    >>> eddl.CS_CPU(th=2).local_threads
    2
    """
    return CompServ(threads=th, mem=mem)


def CS_GPU(g=(1,), lsb=1, mem="full_mem"):
    """GPU computing service (needs the CUDA backend; building the model fails without it).

    Parameters
    ----------
    g : list of int
        On/off mask per GPU, e.g. ``[1, 1]`` for two GPUs.
    lsb : int
        Batches between weight synchronisations across GPUs.
    mem : str
        Memory level.

    Returns
    -------
    CompServ
    """
    if isinstance(g, str):  # PyEDDL's CS_GPU(g, mem) overload
        g, mem = (1,), g
    return CompServ(threads=-1, gpus=g, lsb=lsb, mem=mem)


def CS_FPGA(f=(1,), lsb=1):
    """FPGA computing service (needs an FPGA backend; building the model fails without it).

    Parameters
    ----------
    f : list of int
        On/off mask per FPGA.
    lsb : int
        Batches between weight synchronisations.

    Returns
    -------
    CompServ
    """
    return CompServ(threads=-1, fpgas=f, lsb=lsb)


def CS_COMPSS(filename):
    """Distributed COMPSs computing service: not supported by this toolkit.

    Parameters
    ----------
    filename : str
        COMPSs configuration file.

    Raises
    ------
    NotImplementedError
        Always.
    """
    raise NotImplementedError(f"CS_COMPSS({filename!r}): COMPSs distributed training is not supported")
