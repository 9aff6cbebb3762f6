"""The distributed computing service: any other service, replicated over the MPI ranks."""

import numbers

from ..compserv import CS_CPU, CompServ
from .comm import init_distributed
from .policies import AveragingPolicy
from .sync import GRADIENTS, WEIGHTS, Synchroniser

__all__ = ["DistributedCompServ", "CS_MPI"]


class DistributedCompServ(CompServ):
    """A computing service that runs ``local`` on every rank and keeps the replicas equal.

    Built with :func:`CS_MPI`. It computes exactly as ``local`` does (same backend, threads and
    memory level); at ``build`` it broadcasts rank 0's initial weights and attaches a
    :class:`~eddl.distributed.sync.Synchroniser` to the model.

    Attributes
    ----------
    local : CompServ
        The wrapped service.
    mode : str
        ``"gradients"`` or ``"weights"``.
    batch_avg : int
        Batches between weight averages.
    bucket_cap_mb : float
    seed : int or None
    """

    def __init__(self, local, mode, batch_avg, bucket_cap_mb, seed, policy=None):
        # the wrapped service was validated when made; its settings become this one's
        self.__dict__.update(local.__dict__)
        self.local = local
        self.type = "distributed"
        self.mode = mode
        self.batch_avg = batch_avg
        self.bucket_cap_mb = bucket_cap_mb
        self.seed = seed
        #: settings of the averaging policy (``AveragingPolicy`` keyword arguments)
        self.policy = dict(policy or {"method": "fixed"})

    @property
    def backend(self):
        """The wrapped service's backend module."""
        return self.local.backend

    def activate(self):
        """Apply the wrapped service's thread setting."""
        self.local.activate()

    def attach(self, net):
        """Share rank 0's weights and return the model's synchroniser (called by ``build``)."""
        policy = AveragingPolicy(batch_avg=self.batch_avg, **self.policy)
        return Synchroniser(net, self.mode, policy, int(self.bucket_cap_mb * 2**20), self.seed)

    def __repr__(self):
        return (f"DistributedCompServ({self.local!r}, mode={self.mode!r}, "
                f"batch_avg={self.batch_avg})")


def CS_MPI(cs=None, mode="gradients", batch_avg=1, bucket_cap_mb=25.0, seed=None, *,
           avg_method="fixed", epoch_avg=1, max_batch_avg=64, overhead=0.1):
    """Distributed computing service: ``cs`` on every MPI rank, replicas kept in step.

    Joins the MPI world (:func:`~eddl.distributed.init_distributed`) if the script has not.
    Started without a launcher, or without mpi4py, it is ``cs`` in a world of one.

    Parameters
    ----------
    cs : CompServ, optional
        The service each rank computes with; default ``CS_CPU()``.
    mode : {"gradients", "weights"}
        ``"gradients"``: average the gradients over the ranks every batch, in buckets of
        ``bucket_cap_mb`` started while the backward pass goes on (the replicas stay equal).
        ``"weights"``: each rank steps on its own gradients and the weights are averaged every
        ``batch_avg`` batches and at the end of every epoch (EDDL's ``avg_weights_distributed``
        with a fixed period).
    batch_avg : int
        Batches between weight averages in ``"weights"`` mode (must be 1 in ``"gradients"``).
    bucket_cap_mb : float
        Target size of a gradient bucket, in MiB.
    seed : int, optional
        Seed of the data order of ``fit``; by default drawn on rank 0 from the global generator
        (so ``eddl.set_seed`` makes it reproducible) and shared.
    avg_method : str
        How the period of weight averaging changes from epoch to epoch (``"weights"`` mode):
        one of EDDL's policies ``"fixed"``, ``"inc"``, ``"sawtooth"``, ``"neg_sawtooth"``,
        ``"auto_time"``, ``"limit_overhead"`` (see :mod:`eddl.distributed.policies`).
    epoch_avg : int
        Epochs between changes of the period.
    max_batch_avg : int
        Largest period.
    overhead : float
        Target share of communication time for ``"limit_overhead"``.

    Returns
    -------
    DistributedCompServ

    Raises
    ------
    ValueError
        For an unknown mode or a bad setting, naming it.

    Examples
    --------
    >>> import eddl
    >>> cs = eddl.CS_MPI(eddl.CS_CPU(th=1), mode="weights", batch_avg=4)
    >>> cs.type, cs.mode, cs.local_threads
    ('distributed', 'weights', 1)
    """
    if cs is None:
        cs = CS_CPU()
    if not isinstance(cs, CompServ):
        raise TypeError(f"CS_MPI: cs must be a computing service (e.g. eddl.CS_CPU()), "
                        f"got {type(cs).__name__}")
    if isinstance(cs, DistributedCompServ):
        raise ValueError("CS_MPI: cs is distributed already")
    if mode not in (GRADIENTS, WEIGHTS):
        raise ValueError(f"CS_MPI: mode must be {GRADIENTS!r} or {WEIGHTS!r}, got {mode!r}")
    if isinstance(batch_avg, bool) or not isinstance(batch_avg, numbers.Integral) or batch_avg < 1:
        raise ValueError(f"CS_MPI: batch_avg must be a positive int, got {batch_avg!r}")
    if mode == GRADIENTS and batch_avg != 1:
        raise ValueError(f"CS_MPI: batch_avg={batch_avg} needs mode='weights'; gradients are "
                         "averaged every batch")
    if (isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, numbers.Real)
            or not bucket_cap_mb > 0):
        raise ValueError(f"CS_MPI: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"CS_MPI: seed must be an int or None, got {seed!r}")
    policy = {"method": avg_method, "epoch_avg": epoch_avg, "max_batch_avg": max_batch_avg,
              "overhead": overhead}
    if avg_method != "fixed" and mode != WEIGHTS:
        raise ValueError(f"CS_MPI: avg_method={avg_method!r} needs mode='weights'")
    try:
        AveragingPolicy(batch_avg=int(batch_avg), **policy)
    except ValueError as exc:
        raise ValueError(f"CS_MPI: {exc}") from None
    init_distributed()
    return DistributedCompServ(cs, mode, int(batch_avg), float(bucket_cap_mb), seed, policy)
