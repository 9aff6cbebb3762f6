"""The MPI world of a distributed run: start, stop, rank, size and collective helpers.

mpi4py is imported here only, and only when :func:`init_distributed` is called, so ``import
eddl`` never needs it. Without mpi4py, or before :func:`init_distributed`, a process is a world
of one: rank 0 of 1, and every collective is the identity.
"""

import atexit
import os
import subprocess
import sys
import time
import traceback
import warnings

import numpy as np

__all__ = ["init_distributed", "end_distributed", "is_mpi_distributed", "get_rank",
           "get_world_size", "get_id_distributed", "get_n_procs_distributed", "barrier_distributed",
           "avg_float_distributed", "allreduce_sum", "broadcast", "world", "launcher_world_size",
           "abort_distributed"]

_MISSING = ("distributed training needs mpi4py and an MPI library: pip install 'deephealth[mpi]' "
            "(it brings the mpich wheel), or see docs/distributed.md to use a system MPI")

# the world: None until init_distributed, then the communicator (also for a world of one)
_state = {"comm": None, "hook": None, "mpi": None, "watch": None}

# variables a launcher sets for each process: Hydra/MPICH (PMI_SIZE), Open MPI, Slurm's srun
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")


def launcher_world_size():
    """Return the number of processes the launcher started, from its environment (1 if none).

    Returns
    -------
    int
    """
    for var in _SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 1


def _mpi():
    if _state["mpi"] is None:
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise ImportError(_MISSING) from exc
        _state["mpi"] = MPI
    return _state["mpi"]


def _abort_hook(comm):
    previous = sys.excepthook

    def hook(kind, value, tb):
        # one rank failing must end the job, not leave the others waiting in a collective
        rank, size = comm.Get_rank(), comm.Get_size()
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"eddl.distributed: rank {rank} of {size} failed with an uncaught "
                         f"exception; aborting the job\n{text}")
        sys.stderr.flush()
        _release_watch()  # the rank is named already
        # the launcher forwards a rank's output asynchronously: give it a moment before the
        # abort kills every process, or the message naming the rank can be lost
        time.sleep(1.0)
        comm.Abort(1)

    hook.previous = previous
    return hook


def _start_watch(comm):
    """Start the child that names this rank if it ends without a Python exception."""
    read, write = os.pipe()
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_rank_watch.py")
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", script, str(read),
                                 str(comm.Get_rank()), str(comm.Get_size())],
                                pass_fds=(read,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE)
    except OSError as exc:  # a process limit: train on, without the name of a dead rank
        os.close(write)
        warnings.warn(f"init_distributed: cannot start the rank watcher ({exc}); a rank "
                      f"killed outright will not be named", stacklevel=3)
        return
    finally:
        os.close(read)
    with proc.stdout:
        proc.stdout.read(1)  # running: from here on this rank cannot end unnamed
    _state["watch"] = (proc, write)
    atexit.register(_release_watch)


def _release_watch():
    """Tell the watcher this rank ends normally (or has named itself), and reap it."""
    watch, _state["watch"] = _state["watch"], None
    if watch is None:
        return
    proc, write = watch
    try:
        os.write(write, b"k")
    finally:
        os.close(write)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


def init_distributed(comm="MPI"):
    """Join the MPI world started by ``mpiexec``/``srun`` (EDDL's ``init_distributed``).

    Safe to call more than once. In a process started without a launcher and without mpi4py
    installed, training runs as a world of one (with a warning); a process started by a launcher
    with several processes needs mpi4py.

    From here on an uncaught exception on any rank prints the rank and its traceback and aborts
    the whole job (``MPI_Abort``), so no rank waits forever for a failed one. A rank that ends
    without a Python exception (killed by a signal, ``os._exit``, a crash in compiled code) is
    named on stderr by a small watcher process that each rank starts.

    Parameters
    ----------
    comm : str or mpi4py.MPI.Comm, default "MPI"
        ``"MPI"`` for ``MPI.COMM_WORLD``, or a communicator of mpi4py to train over.
        (EDDL's ``"NCCL"`` needs the GPU backend and is not available.)

    Returns
    -------
    int
        This process's rank.

    Raises
    ------
    ImportError
        mpi4py is missing but the launcher started several processes.
    ValueError
        For an unknown communicator name.
    TypeError
        For a ``comm`` that is neither a name nor a communicator.

    Examples
    --------
    >>> import eddl
    >>> rank = eddl.init_distributed()     # doctest: +SKIP
    >>> eddl.get_world_size()              # doctest: +SKIP
    2
    """
    if isinstance(comm, str):
        if comm.upper() == "NCCL":
            raise ValueError("init_distributed: 'NCCL' needs the GPU backend, which this build "
                             "lacks; use 'MPI'")
        if comm.upper() != "MPI":
            raise ValueError(f"init_distributed: comm must be 'MPI' or an mpi4py communicator, "
                             f"got {comm!r}")
        comm = None
    elif not all(hasattr(comm, m) for m in ("Get_rank", "Get_size", "Allreduce")):
        raise TypeError(f"init_distributed: comm must be 'MPI' or an mpi4py communicator, "
                        f"got {type(comm).__name__}")
    if _state["comm"] is not None:
        return get_rank()
    try:
        MPI = _mpi()
    except ImportError:
        if launcher_world_size() > 1:
            raise
        warnings.warn("init_distributed: mpi4py is not installed; training as one process. "
                      + _MISSING, stacklevel=2)
        return 0
    comm = MPI.COMM_WORLD if comm is None else comm
    _state["comm"] = comm
    if comm.Get_size() > 1:
        _state["hook"] = sys.excepthook = _abort_hook(comm)
        _start_watch(comm)
    return comm.Get_rank()


def end_distributed():
    """Leave the MPI world (EDDL's ``end_distributed``): wait for every rank, then finalise MPI.

    Does nothing where :func:`init_distributed` was not called. MPI cannot be started again in
    the same process afterwards.
    """
    comm = _state["comm"]
    if comm is None:
        return
    comm.Barrier()
    _release_watch()
    if sys.excepthook is _state["hook"] and _state["hook"] is not None:
        sys.excepthook = _state["hook"].previous
    _state["comm"] = _state["hook"] = None
    MPI = _state["mpi"]
    if MPI.Is_initialized() and not MPI.Is_finalized():
        MPI.Finalize()


def world():
    """Return the communicator of :func:`init_distributed`, or None in a world of one."""
    comm = _state["comm"]
    return comm if comm is not None and comm.Get_size() > 1 else None


def is_mpi_distributed():
    """Whether this process trains with others over MPI (EDDL's ``is_mpi_distributed``).

    Returns
    -------
    bool
        True after :func:`init_distributed` in a world of two processes or more.
    """
    return world() is not None


def get_rank():
    """Return the rank of this process, 0 to ``get_world_size() - 1`` (0 when not distributed).

    Returns
    -------
    int
    """
    comm = _state["comm"]
    return 0 if comm is None else comm.Get_rank()


def get_world_size():
    """Return the number of processes training together (1 when not distributed).

    Returns
    -------
    int
    """
    comm = _state["comm"]
    return 1 if comm is None else comm.Get_size()


def get_id_distributed():
    """Return this process's rank: EDDL's name of :func:`get_rank`."""
    return get_rank()


def get_n_procs_distributed():
    """Return the number of processes: EDDL's name of :func:`get_world_size`."""
    return get_world_size()


def barrier_distributed():
    """Wait until every rank reaches this call (EDDL's ``barrier_distributed``)."""
    comm = world()
    if comm is not None:
        comm.Barrier()


def allreduce_sum(values):
    """Sum a float64 vector over the ranks.

    Parameters
    ----------
    values : array_like
        The same length on every rank.

    Returns
    -------
    numpy.ndarray
        float64, the element-wise sum over the ranks (a copy of ``values`` in a world of one).
    """
    out = np.array(values, dtype=np.float64, copy=True).ravel()
    comm = world()
    if comm is not None:
        comm.Allreduce(_mpi().IN_PLACE, out, op=_mpi().SUM)
    return out


def avg_float_distributed(value):
    """Mean of a number over the ranks (EDDL's ``avg_float_distributed``).

    Parameters
    ----------
    value : float

    Returns
    -------
    float
    """
    return float(allreduce_sum([value])[0] / get_world_size())


def broadcast(obj, root=0):
    """Rank ``root``'s Python object, on every rank (``obj`` itself in a world of one)."""
    comm = world()
    return obj if comm is None else comm.bcast(obj, root=root)


def abort_distributed(status=1):
    """End every rank of the job now with exit status ``status`` (``MPI_Abort``).

    For a rank that must stop while the others may be waiting for it in a collective (an
    ordinary exit would leave them waiting). Does nothing in a world of one.

    Parameters
    ----------
    status : int
    """
    comm = world()
    if comm is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        _release_watch()  # a deliberate end, whose reason the caller has given
        comm.Abort(int(status))
