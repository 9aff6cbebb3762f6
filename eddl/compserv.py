"""Computing services: where a model runs (``CS_CPU``, ``CS_GPU``, ...) and with which backend."""

import numbers
import os
import sys
import warnings

from _deephealth.runtime import get_num_threads, set_num_threads

from .backend import registry

__all__ = ["CompServ", "CS_CPU", "CS_GPU", "CS_FPGA", "CS_COMPSS", "MAX_THREADS"]

#: Most CPU threads a computing service may ask for (EDDL's ``MAX_THREADS``, include/eddl/net/net.h,
#: the size of a net's per-thread batch buffers there).
MAX_THREADS = 1024

_MEM_LEVELS = {"full_mem": 0, "mid_mem": 1, "low_mem": 2}
_DEFAULT_BACKEND = {"CPU": "cpu", "GPU": "cuda", "FPGA": "fpga"}
_MAX_DEVICES = 8  # as tensor devices: DEV_GPU + 0..8, DEV_FPGA + 0..8
_blas_limit = [None]  # the active threadpoolctl limiter, kept alive


def _mask(values, what):
    """Return an on/off device mask as a list of 0/1 ints, or raise ValueError naming what is wrong."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"CompServ: {what} must be a list of 0/1 flags, got {values!r}")
    out = list(values)
    if any(not isinstance(v, numbers.Integral) or v not in (0, 1) for v in out):
        raise ValueError(f"CompServ: {what} must hold only 0/1 flags, got {out!r}")
    if len(out) > _MAX_DEVICES + 1:
        raise ValueError(f"CompServ: {what} lists {len(out)} devices; at most {_MAX_DEVICES + 1}")
    return [int(v) for v in out]


class CompServ:
    """A computing service: the backend a model runs on and its resources.

    Parameters
    ----------
    threads : int
        CPU threads for the kernels; -1 means every usable core.
    gpus, fpgas : list of int
        On/off mask per device (empty for none). At most one of them may switch a device on.
    lsb : int
        Local sync batches: batches between weight synchronisations across several devices.
        Reserved for the multi-GPU and distributed computing services; it must be a positive
        int, and a value other than 1 warns where it cannot take effect (one device or none).
    mem : str or int
        ``"full_mem"``, ``"mid_mem"`` or ``"low_mem"`` (or the levels 0, 1, 2): how much memory
        the service may trade for speed. Every backend of this build keeps the per-batch buffers
        of a model (the ``"full_mem"`` behaviour), so the lower levels warn that they have no
        effect yet; the level is kept in :attr:`mem_level` for the backends that will use it.
    backend : str, optional
        Name of the backend (see :func:`eddl.backend.registry.names`) computing on this
        service's hardware; by default ``"cpu"``, ``"cuda"`` or ``"fpga"``. ``"reference"`` is
        the plain NumPy backend of the CPU, for testing and debugging.
    emulate : bool
        FPGA services only: run the HLSinf kernels in their emulator on the CPU
        (:mod:`eddl.backend.fpga.emulator`) instead of on a card through XRT.
    xclbin : str, optional
        FPGA services on a card only: path of the HLSinf bitstream to load.

    Attributes
    ----------
    hw : str
        ``"CPU"``, ``"GPU"`` or ``"FPGA"``.
    local_threads, local_gpus, local_fpgas, lsb, mem_level
        The settings above, validated; ``local_gpus``/``local_fpgas`` as lists of 0/1.
    backend_name : str
        The backend the service runs on.

    Raises
    ------
    ValueError
        For an invalid setting, naming it.
    """

    def __init__(self, threads=-1, gpus=(), fpgas=(), lsb=1, mem="full_mem", backend=None,
                 emulate=False, xclbin=None):
        if isinstance(mem, str):
            if mem not in _MEM_LEVELS:
                raise ValueError(f"CompServ: unknown mem {mem!r}; valid: {sorted(_MEM_LEVELS)}")
            mem = _MEM_LEVELS[mem]
        if isinstance(mem, bool) or mem not in (0, 1, 2):
            raise ValueError(f"CompServ: mem level must be 0, 1 or 2, got {mem!r}")
        if (isinstance(threads, bool) or not isinstance(threads, int)
                or not (threads == -1 or 1 <= threads <= MAX_THREADS)):
            raise ValueError(f"CompServ: threads must be an int in [1, MAX_THREADS={MAX_THREADS}] "
                             f"or -1, got {threads!r}")
        if isinstance(lsb, bool) or not isinstance(lsb, int) or lsb < 1:
            raise ValueError(f"CompServ: lsb (local sync batches) must be a positive int, got {lsb!r}")
        self.type = "local"
        self.local_threads = threads
        self.local_gpus = _mask(gpus, "gpus")
        self.local_fpgas = _mask(fpgas, "fpgas")
        self.lsb = lsb
        self.mem_level = mem
        if any(self.local_gpus) and any(self.local_fpgas):
            raise ValueError("CompServ: switch on GPUs or FPGAs, not both")
        if any(self.local_gpus):
            self.hw = "GPU"
        elif any(self.local_fpgas):
            self.hw = "FPGA"
        else:
            self.hw = "CPU"
        if backend is None:
            backend = _DEFAULT_BACKEND[self.hw]
        if backend not in registry.names():
            raise ValueError(f"CompServ: unknown backend {backend!r}; valid: {registry.names()}")
        if registry.hardware(backend) != self.hw:
            raise ValueError(f"CompServ: backend {backend!r} computes on {registry.hardware(backend)}, "
                             f"not on this service's {self.hw}")
        if not isinstance(emulate, bool):
            raise ValueError(f"CompServ: emulate must be a bool, got {emulate!r}")
        if emulate and self.hw != "FPGA":
            raise ValueError(f"CompServ: emulate=True applies to FPGA services, not to this {self.hw}")
        if xclbin is not None and (self.hw != "FPGA" or emulate):
            raise ValueError("CompServ: xclbin is the bitstream of an FPGA card; it applies to "
                             "FPGA services without emulate=True")
        if xclbin is not None and not isinstance(xclbin, (str, os.PathLike)):
            raise ValueError(f"CompServ: xclbin must be a path, got {xclbin!r}")
        self.emulate = emulate
        self.xclbin = None if xclbin is None else os.fspath(xclbin)
        self.backend_name = backend
        self._backend = None
        self._warn_unused()

    def _warn_unused(self):
        # EDDL accepts these settings everywhere; say so where this build cannot honour them,
        # pointing at the caller's line (past the CS_* factory, if any).
        frame, stacklevel = sys._getframe(1), 2
        while frame is not None and frame.f_globals.get("__name__") == __name__:
            frame, stacklevel = frame.f_back, stacklevel + 1
        devices = sum(self.local_gpus) + sum(self.local_fpgas)
        if self.lsb != 1 and devices < 2:
            warnings.warn(f"CompServ: lsb={self.lsb} has no effect with {devices or 'no'} "
                          "accelerator(s): weights are synchronised only across several devices",
                          stacklevel=stacklevel)
        if self.hw != "CPU" and self.local_threads != -1:
            warnings.warn(f"CompServ: threads={self.local_threads} has no effect on this {self.hw} "
                          "service: threads apply to CPU services", stacklevel=stacklevel)
        if self.mem_level != 0:
            name = {v: k for k, v in _MEM_LEVELS.items()}[self.mem_level]
            warnings.warn(f"CompServ: mem={name!r} has no effect on the {self.backend_name!r} "
                          "backend, which keeps every per-batch buffer ('full_mem')",
                          stacklevel=stacklevel)

    @property
    def backend(self):
        """The backend module (:attr:`backend_name` of :mod:`eddl.backend`).

        It is imported on first use and provides :mod:`eddl.backend.contract`. An FPGA service
        without ``emulate`` opens its card and loads :attr:`xclbin` here, so building a model
        fails with the reason (XRT or the bitstream missing, with what to do) when it cannot.
        """
        if self._backend is None:
            be = registry.get(self.backend_name)
            if self.hw == "FPGA" and not self.emulate:
                be = be.open_device(self.local_fpgas.index(1), self.xclbin)
            self._backend = be
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

    def attach(self, net):
        """Return the model's synchroniser, or None (called at the end of ``build``).

        A local service keeps nothing in step; the distributed one
        (:func:`eddl.distributed.CS_MPI`) shares the initial weights here and returns the object
        the model calls during a step.
        """
        return None

    @property
    def threads(self):
        """Threads the kernels use under this service."""
        return get_num_threads() if self.local_threads == -1 else self.local_threads

    def __repr__(self):
        emulate = ", emulate=True" if self.emulate else ""
        return (f"CompServ(hw={self.hw!r}, backend={self.backend_name!r}, "
                f"threads={self.local_threads}, mem_level={self.mem_level}{emulate})")


def CS_CPU(th=-1, mem="full_mem", backend="cpu"):
    """CPU computing service.

    Parameters
    ----------
    th : int, default -1
        Number of threads; -1 uses every usable core.
    mem : str, default "full_mem"
        Memory level: ``"full_mem"``, ``"mid_mem"`` or ``"low_mem"`` (the lower levels warn
        that they have no effect on the CPU backends; see :class:`CompServ`).
    backend : str, default "cpu"
        ``"cpu"`` (compiled kernels) or ``"reference"`` (plain NumPy, for testing and debugging).

    Returns
    -------
    CompServ

    Examples
    --------
    >>> import eddl
    >>> eddl.CS_CPU(th=2).local_threads
    2
    >>> eddl.CS_CPU(backend="reference").backend_name
    'reference'
    """
    return CompServ(threads=th, mem=mem, backend=backend)


def CS_GPU(g=(1,), lsb=1, mem="full_mem"):
    """GPU computing service (needs the CUDA backend; building the model fails without it).

    Parameters
    ----------
    g : list of int
        On/off mask per GPU, e.g. ``[1, 1]`` for two GPUs.
    lsb : int
        Batches between weight synchronisations across GPUs (reserved for several GPUs; it
        warns with one).
    mem : str
        Memory level (see :class:`CompServ`).

    Returns
    -------
    CompServ
    """
    if isinstance(g, str):  # PyEDDL's CS_GPU(g, mem) overload
        g, mem = (1,), g
    return CompServ(threads=-1, gpus=g, lsb=lsb, mem=mem)


def CS_FPGA(f=(1,), lsb=1, emulate=False, xclbin=None):
    """FPGA computing service: EDDL's HLSinf kernels on an Alveo card, or their emulator.

    Parameters
    ----------
    f : list of int
        On/off mask per FPGA.
    lsb : int
        Batches between weight synchronisations (reserved for several FPGAs).
    emulate : bool, default False
        Run the convolutions HLSinf runs through the kernel's emulator on the CPU (the rest of
        the model runs on the host, as on a card). Without it, building a model opens the card
        through XRT and, where XRT is missing, fails saying how to install it.
    xclbin : str, optional
        Path of the HLSinf bitstream the card loads (without ``emulate``; required there).

    Returns
    -------
    CompServ

    Examples
    --------
    >>> import eddl
    >>> cs = eddl.CS_FPGA([1], emulate=True)
    >>> cs.hw, cs.backend_name, cs.emulate
    ('FPGA', 'fpga', True)
    """
    return CompServ(threads=-1, fpgas=f, lsb=lsb, emulate=emulate, xclbin=xclbin)


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
