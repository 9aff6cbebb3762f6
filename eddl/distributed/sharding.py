"""Which samples each rank trains on in an epoch."""

import math

import numpy as np

__all__ = ["shard_indices", "shard_of"]


def shard_indices(n, epoch, rank, world_size, seed=0, shuffle=True):
    """Return a rank's sample indices for one epoch: disjoint, complete, reproducible.

    The epoch's order is a permutation drawn from ``(seed, epoch)`` alone (or ``0..n-1``
    without shuffling); it is padded by repeating its first samples up to a multiple of
    ``world_size``, and rank ``r`` takes every ``world_size``-th sample from position ``r``. So
    every rank gets ``ceil(n / world_size)`` samples and runs the same number of steps, the
    shards of one epoch are disjoint apart from the at most ``world_size - 1`` padded repeats,
    and together they hold every sample. With ``world_size`` ranks each taking batches of ``B``
    in order, step ``k`` sees exactly positions ``k*B*world_size`` to ``(k+1)*B*world_size`` of
    the epoch's order: the batch of ``B * world_size`` a single process would take.

    Parameters
    ----------
    n : int
        Number of samples.
    epoch : int
        Epoch number (any int; a new order each epoch when shuffling).
    rank, world_size : int
        ``0 <= rank < world_size``.
    seed : int
        Seed shared by every rank.
    shuffle : bool

    Returns
    -------
    numpy.ndarray
        int64 indices in ``[0, n)``.

    Raises
    ------
    ValueError
        For ``n < 1`` or a rank outside the world.

    Examples
    --------
    >>> shard_indices(5, 1, 0, 2, shuffle=False).tolist()
    [0, 2, 4]
    >>> shard_indices(5, 1, 1, 2, shuffle=False).tolist()
    [1, 3, 0]
    """
    for name, v in (("n", n), ("world_size", world_size), ("rank", rank), ("epoch", epoch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"shard_indices: {name} must be an int, got {v!r}")
    if n < 1 or world_size < 1:
        raise ValueError(f"shard_indices: n ({n}) and world_size ({world_size}) must be >= 1")
    if not 0 <= rank < world_size:
        raise ValueError(f"shard_indices: rank {rank} is outside a world of {world_size}")
    if shuffle:
        order = np.random.default_rng([int(seed) % 2**63, int(epoch) % 2**63]).permutation(n)
    else:
        order = np.arange(n)
    return np.asarray(shard_of(order, rank, world_size), dtype=np.int64)


def shard_of(order, rank, world_size):
    """Return rank ``rank``'s share of an epoch's ``order``, padded so every share is as long.

    The order is extended by repeating its first items up to a multiple of ``world_size``; the
    rank takes every ``world_size``-th item from position ``rank``.

    Parameters
    ----------
    order : sequence
        The epoch's items, the same on every rank (non-empty).
    rank, world_size : int
        ``0 <= rank < world_size``.

    Returns
    -------
    list or numpy.ndarray
        ``ceil(len(order) / world_size)`` items, of the type of ``order`` for lists and arrays.

    Examples
    --------
    >>> shard_of(["a", "b", "c"], 1, 2)
    ['b', 'a']
    """
    n = len(order)
    if n < 1:
        raise ValueError("shard_of: the order is empty; there is nothing to share")
    if not 0 <= rank < world_size:
        raise ValueError(f"shard_of: rank {rank} is outside a world of {world_size}")
    total = math.ceil(n / world_size) * world_size
    if isinstance(order, np.ndarray):
        padded = np.concatenate([order, np.resize(order, total - n)])
    else:
        order = list(order)
        padded = order + [order[k % n] for k in range(total - n)]
    return padded[rank::world_size]
