"""Gradient averaging in buckets, each started as soon as its layers' gradients are ready.

As PyTorch's DistributedDataParallel: gradients are grouped, in the order the backward pass
produces them (output side first), into buckets of about ``cap_bytes``. When the last layer of a
bucket has its gradients, the bucket is packed into one contiguous buffer and a non-blocking
sum (``MPI_Iallreduce``) starts, so communication overlaps the backward pass of the layers still
to come. :meth:`GradientReducer.finish` waits for every bucket and writes the means back.

Every rank builds the same buckets from the same graph and starts them in the same order, as
MPI requires of collectives.
"""

import numpy as np

__all__ = ["GradientReducer", "plan_buckets"]


def plan_buckets(sizes, cap_bytes):
    """Split consecutive items into buckets of at most ``cap_bytes`` (one item may exceed it).

    Parameters
    ----------
    sizes : list of int
        Bytes of each item, in the order they become ready.
    cap_bytes : int
        Target size of a bucket.

    Returns
    -------
    list of list of int
        Indices of the items of each bucket, in order; every index appears once.

    Examples
    --------
    >>> plan_buckets([4, 4, 4, 10, 1], 8)
    [[0, 1], [2], [3], [4]]
    """
    buckets, current, used = [], [], 0
    for i, size in enumerate(sizes):
        if current and used + size > cap_bytes:
            buckets.append(current)
            current, used = [], 0
        current.append(i)
        used += size
    if current:
        buckets.append(current)
    return buckets


class _Bucket:
    def __init__(self, layers, grads, dtype):
        self.layers = layers
        self.grads = grads
        self.pending = len(layers)
        self.offsets = np.cumsum([0] + [g.size for g in grads])
        self.flat = np.empty(int(self.offsets[-1]), dtype=dtype)
        self.request = None


class GradientReducer:
    """Average the gradients of a model's layers over the ranks of ``comm``.

    Parameters
    ----------
    layers : list of Layer
        Layers with gradients, in the order the backward pass finishes them.
    comm : mpi4py.MPI.Comm
    backend : module
        The model's backend (for ``to_host``/``from_host``).
    dtype : str
        The gradients' floating type.
    cap_bytes : int
        Target bytes per bucket.
    """

    def __init__(self, layers, comm, backend, dtype, cap_bytes):
        from mpi4py import MPI

        self._mpi = MPI
        self.comm = comm
        self.be = backend
        sizes = [sum(int(g.size) for g in l.gradients) * np.dtype(dtype).itemsize for l in layers]
        self.buckets = []
        self._where = {}
        for idx in plan_buckets(sizes, cap_bytes):
            ls = [layers[i] for i in idx]
            b = _Bucket(ls, [g for l in ls for g in l.gradients], dtype)
            self.buckets.append(b)
            for l in ls:
                self._where[id(l)] = b
        self._next = 0  # buckets start in order, the same on every rank

    def layer_ready(self, layer):
        """Record that ``layer``'s gradients are final; start every bucket now complete."""
        b = self._where.get(id(layer))
        if b is None:
            return
        b.pending -= 1
        while self._next < len(self.buckets) and self.buckets[self._next].pending == 0:
            self._start(self.buckets[self._next])
            self._next += 1

    def _start(self, b):
        for g, lo, hi in zip(b.grads, b.offsets[:-1], b.offsets[1:]):
            b.flat[lo:hi] = self.be.to_host(g).ravel()
        b.request = self.comm.Iallreduce(self._mpi.IN_PLACE, b.flat, op=self._mpi.SUM)

    def finish(self):
        """Start what is left, wait for every bucket and write the mean gradients back."""
        for b in self.buckets[self._next:]:
            self._start(b)
        self._mpi.Request.Waitall([b.request for b in self.buckets])
        scale = 1.0 / self.comm.Get_size()
        for b in self.buckets:
            b.flat *= scale
            for g, lo, hi in zip(b.grads, b.offsets[:-1], b.offsets[1:]):
                g[...] = self.be.from_host(b.flat[lo:hi].reshape(g.shape))
            b.pending = len(b.layers)
            b.request = None
        self._next = 0

    @property
    def nbytes(self):
        """Bytes summed per step (all buckets)."""
        return sum(b.flat.nbytes for b in self.buckets)
