"""Keeping the replicas of a model equal across ranks: broadcast, gradient and weight averaging.

:class:`Synchroniser` is what a distributed computing service attaches to a model at ``build``;
the model calls it at four points of a step (a layer's gradients ready, before and after the
optimizer step, end of an epoch). The functions with EDDL's names work on any built model.
"""

import time

import numpy as np

from .buckets import GradientReducer
from .comm import allreduce_sum, get_rank, get_world_size, world
from .policies import AveragingPolicy
from .sharding import shard_indices

__all__ = ["Synchroniser", "bcast_weights_distributed", "avg_weights_distributed",
           "avg_metrics_distributed", "end_epoch_distributed", "GRADIENTS", "WEIGHTS"]

GRADIENTS, WEIGHTS = "gradients", "weights"


def _built(net, what):
    if not getattr(net, "isbuild", False):
        raise RuntimeError(f"{what}: the model is not built; call eddl.build(net, ...) first")


def _arrays(net, states=True):
    out = []
    for l in net.layers:
        out.extend(l.params)
        if states:
            out.extend(l.states)
    return out


def _pack(net, arrays):
    # net: a Model or a Layer (both hold the backend `be` and the `dtype`)
    if not arrays:
        return np.empty(0, dtype=net.dtype)
    return np.concatenate([np.asarray(net.be.to_host(a), dtype=net.dtype).ravel() for a in arrays])


def _unpack(net, arrays, flat):
    o = 0
    for a in arrays:
        a[...] = net.be.from_host(flat[o:o + a.size].reshape(a.shape).astype(net.dtype, copy=False))
        o += a.size


def bcast_weights_distributed(net, root=0):
    """Copy rank ``root``'s parameters and states into every rank's model.

    EDDL's ``bcast_weights_distributed``; a distributed computing service does it at ``build``.

    Parameters
    ----------
    net : Model
        Built, with the same architecture on every rank.
    root : int
    """
    _built(net, "bcast_weights_distributed")
    comm = world()
    if comm is None:
        return
    arrays = _arrays(net)
    flat = _pack(net, arrays)
    comm.Bcast(flat, root=root)
    _unpack(net, arrays, flat)


def distributeParams(layer, root=0):
    """Copy rank ``root``'s parameters and states of one layer into every rank's copy of it.

    EDDL's ``distributeParams`` pushes a layer's parameters, changed by hand, to the net's
    replicas on other devices; here the replicas are the ranks of a distributed run (say, after
    rank 0 loaded pretrained weights into one layer). In a world of one there is nothing to do.

    Parameters
    ----------
    layer : Layer
        A layer of a built model, the same layer on every rank.
    root : int

    Raises
    ------
    RuntimeError
        If the layer's model is not built.
    """
    if getattr(layer, "be", None) is None:
        raise RuntimeError(f"distributeParams: layer {getattr(layer, 'name', layer)!r} belongs "
                           f"to no built model; call eddl.build(net, ...) first")
    comm = world()
    if comm is None:
        return
    arrays = list(layer.params) + list(layer.states)
    flat = _pack(layer, arrays)
    comm.Bcast(flat, root=root)
    _unpack(layer, arrays, flat)


def _average(net, arrays):
    comm = world()
    if comm is None or not arrays:
        return
    from mpi4py import MPI

    flat = _pack(net, arrays)
    comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
    flat /= comm.Get_size()
    _unpack(net, arrays, flat)


def avg_weights_distributed(net, curr_batch_id=None, batches_per_proc=None):
    """Average parameters and states (e.g. BatchNorm's running means) over the ranks.

    EDDL's ``avg_weights_distributed``; the two batch counters of its signature are accepted
    for compatibility and not needed (the computing service counts the batches itself).

    Parameters
    ----------
    net : Model
    curr_batch_id, batches_per_proc : int, optional
        Ignored.
    """
    _built(net, "avg_weights_distributed")
    _average(net, _arrays(net))


def avg_metrics_distributed(net):
    """Sum the accumulated losses, metrics and sample counts of ``net`` over the ranks.

    Afterwards ``net.get_losses()``/``net.get_metrics()`` are the means over every rank's
    samples, the same on every rank (EDDL's ``avg_metrics_distributed``).
    """
    _built(net, "avg_metrics_distributed")
    if world() is None:
        return
    k = len(net.lout)
    total = allreduce_sum(list(net.total_loss) + list(net.total_metric) + [net.inferenced_samples])
    net.total_loss = [float(v) for v in total[:k]]
    net.total_metric = [float(v) for v in total[k:2 * k]]
    net.inferenced_samples = int(round(total[-1]))


class Synchroniser:
    """The distributed side of one built model.

    Parameters
    ----------
    net : Model
    mode : {"gradients", "weights"}
        Average gradients every batch, or weights every ``policy.batch_avg`` batches.
    policy : AveragingPolicy or int
        The period of weight averaging and how it changes per epoch (an int: a fixed period).
    bucket_bytes : int
        Target bucket size of gradient averaging.
    seed : int or None
        Seed of the data order; None draws one on rank 0 and shares it.

    Attributes
    ----------
    comm_seconds : float
        Seconds the training steps spent waiting for averages to complete (the part of the
        communication that the backward pass did not hide), summed since the build.
    """

    def __init__(self, net, mode, policy, bucket_bytes, seed):
        self.net = net
        self.mode = mode
        self.policy = policy if isinstance(policy, AveragingPolicy) else AveragingPolicy(
            batch_avg=int(policy))
        self._epoch = 0
        self._epoch_start = time.perf_counter()
        self._epoch_comm = 0.0
        self._averages = 0
        self._steps_in_epoch = 0
        self.bucket_bytes = bucket_bytes
        self.comm = world()
        self.rank, self.size = get_rank(), get_world_size()
        self.steps = 0  # optimizer steps since the last weight average
        self.comm_seconds = 0.0  # time blocked in averaging (what overlap did not hide)
        self._reducer = None
        self._reducer_key = None
        if seed is None:
            from ..tensor.random import get_generator

            seed = int(get_generator().integers(2**63))
        self.seed = seed if self.comm is None else self.comm.bcast(seed, root=0)
        bcast_weights_distributed(net)

    @property
    def batch_avg(self):
        """Optimizer steps between weight averages (the policy's current period)."""
        return self.policy.batch_avg

    @property
    def active(self):
        """Whether there are other ranks to synchronise with."""
        return self.comm is not None

    @property
    def overlaps_backward(self):
        """Whether the model should report each layer whose gradients are ready."""
        return self.active and self.mode == GRADIENTS

    def _reducer_for(self, back):
        layers = [l for l in back if l.params]
        key = tuple(map(id, layers))
        if key != self._reducer_key:
            self._reducer = GradientReducer(layers, self.comm, self.net.be, self.net.dtype,
                                            self.bucket_bytes)
            self._reducer_key = key
        return self._reducer

    def begin_backward(self):
        """Prepare the buckets for a backward pass over the model's current plan."""
        self._reducer_for(self.net._back)

    def layer_ready(self, layer):
        """``layer``'s gradients are final for this batch."""
        self._reducer.layer_ready(layer)

    def before_update(self):
        """Gradient mode: wait for the sums and leave the mean gradients in place."""
        if self.overlaps_backward:
            if self._reducer is None:  # update without backward: nothing was started
                self.begin_backward()
            t0 = time.perf_counter()
            self._reducer.finish()
            self.comm_seconds += time.perf_counter() - t0

    def after_update(self):
        """Weight mode: average the weights every ``batch_avg`` optimizer steps."""
        if not self.active or self.mode != WEIGHTS:
            return
        self.steps += 1
        self._steps_in_epoch += 1
        if self.steps >= self.batch_avg:
            t0 = time.perf_counter()
            avg_weights_distributed(self.net)
            dt = time.perf_counter() - t0
            self.comm_seconds += dt
            self._epoch_comm += dt
            self._averages += 1
            self.steps = 0

    def end_epoch(self):
        """Leave every rank with the same weights, states and metrics, and agree on stopping.

        The model stops (``stop_training``) if any rank asked to during the epoch.
        """
        if not self.active:
            return
        stop = bool(getattr(self.net, "stop_training", False))
        self.net.stop_training = bool(allreduce_sum([stop])[0])
        if self.mode == WEIGHTS:
            if self.steps:
                avg_weights_distributed(self.net)
                self.steps = 0
            self._next_period()
        else:  # the parameters agree already; running statistics are per rank
            _average(self.net, [s for l in self.net.layers for s in l.states])
        avg_metrics_distributed(self.net)

    def _next_period(self):
        # rank 0 decides from its own timings; every rank then uses the same period
        secs = time.perf_counter() - self._epoch_start
        train = (secs - self._epoch_comm) / max(self._steps_in_epoch, 1)
        comm = self._epoch_comm / self._averages if self._averages else None
        period = self.policy.end_epoch(self._epoch, secs, train, comm)
        period = self.comm.bcast(period, root=0)
        self.policy.batch_avg = period
        self._epoch += 1
        self._epoch_start = time.perf_counter()
        self._epoch_comm, self._averages, self._steps_in_epoch = 0.0, 0, 0

    def shard(self, n, epoch, shuffle):
        """Return this rank's sample indices for ``epoch`` (see :func:`shard_indices`)."""
        return shard_indices(n, epoch, self.rank, self.size, seed=self.seed, shuffle=shuffle)


def end_epoch_distributed(net):
    """Close an epoch of a hand-written training loop (``train_batch`` per batch) across ranks.

    What ``fit`` does at the end of each epoch of a distributed model: the replicas get the same
    weights and states (BatchNorm's running statistics are averaged; in weight-averaging mode,
    so are the weights stepped since the last average), the accumulated losses and metrics
    become those of every rank's samples, and ``net.stop_training`` is True on every rank if any
    rank set it. Does nothing for a model not built on :func:`~eddl.distributed.CS_MPI` or in a
    world of one.

    Parameters
    ----------
    net : Model
    """
    sync = getattr(net, "_sync", None)
    if sync is not None:
        sync.end_epoch()
