"""How often weights are averaged: EDDL's averaging policies for ``mode="weights"``.

EDDL's MPI branch (``set_avg_method_distributed``) changes the number of batches between
weight averages as training goes: fewer averages once the replicas move together, or as many
as keep the communication below a share of the step time. The same policies, decided on rank
0 at the end of each epoch and shared with every rank:

``"fixed"``
    Always ``batch_avg`` (the default).
``"inc"``
    Doubled every ``epoch_avg`` epochs, up to ``max_batch_avg`` (EDDL's ``AVG_INC``).
``"sawtooth"``
    Doubled every ``epoch_avg`` epochs; past ``max_batch_avg`` it starts again at
    ``batch_avg``.
``"neg_sawtooth"``
    Starts at ``max_batch_avg`` and is halved every ``epoch_avg`` epochs; below ``batch_avg``
    it starts again at ``max_batch_avg``.
``"auto_time"``
    EDDL's ``AUTO_TIME``: every ``epoch_avg`` epochs, compared with the best epoch time so
    far, a clearly faster epoch (more than 10 %) or a slower one (more than 3 %) doubles the
    period, and otherwise it shrinks by a quarter (not below ``batch_avg``).
``"limit_overhead"``
    EDDL's ``LIMIT_OVERHEAD``: the period that keeps the measured communication time at
    ``overhead`` (a fraction) of the training time, ``(1 - overhead) * comm / (overhead *
    train per batch)``, between 1 and ``max_batch_avg``.
"""

import math

__all__ = ["AveragingPolicy", "POLICIES"]

POLICIES = ("fixed", "inc", "sawtooth", "neg_sawtooth", "auto_time", "limit_overhead")


class AveragingPolicy:
    """The period of weight averaging, updated once per epoch.

    Parameters
    ----------
    method : str
        One of :data:`POLICIES`.
    batch_avg : int
        Initial (and smallest) number of batches between averages.
    epoch_avg : int
        Epochs between changes.
    max_batch_avg : int
        Largest period.
    overhead : float
        Target share of communication in ``"limit_overhead"`` (0 < overhead < 1).

    Examples
    --------
    >>> p = AveragingPolicy("inc", batch_avg=2, max_batch_avg=8)
    >>> [p.end_epoch(e, 1.0) for e in range(4)]
    [4, 8, 8, 8]
    """

    def __init__(self, method="fixed", batch_avg=1, epoch_avg=1, max_batch_avg=64, overhead=0.1):
        if method not in POLICIES:
            raise ValueError(f"averaging method must be one of {POLICIES}, got {method!r}")
        for name, v in (("batch_avg", batch_avg), ("epoch_avg", epoch_avg),
                        ("max_batch_avg", max_batch_avg)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if max_batch_avg < batch_avg:
            raise ValueError(f"max_batch_avg ({max_batch_avg}) must be >= batch_avg ({batch_avg})")
        if not 0.0 < float(overhead) < 1.0:
            raise ValueError(f"overhead must be a fraction in (0, 1), got {overhead!r}")
        self.method = method
        self.initial = batch_avg
        self.epoch_avg = epoch_avg
        self.max_batch_avg = max_batch_avg
        self.overhead = float(overhead)
        self.batch_avg = max_batch_avg if method == "neg_sawtooth" else batch_avg
        self._best_secs = None

    def end_epoch(self, epoch, secs_epoch, secs_train_per_batch=None, secs_comm_per_average=None):
        """Return the period for the next epoch after epoch ``epoch`` (counted from 0).

        Parameters
        ----------
        epoch : int
        secs_epoch : float
            Wall time of the epoch (``"auto_time"``).
        secs_train_per_batch, secs_comm_per_average : float, optional
            Measured compute time of one batch and communication time of one average
            (``"limit_overhead"``; without them the period is unchanged).
        """
        if (epoch + 1) % self.epoch_avg:
            return self.batch_avg
        ba, top, low = self.batch_avg, self.max_batch_avg, self.initial
        m = self.method
        if m == "inc":
            ba = min(ba * 2, top)
        elif m == "sawtooth":
            ba = ba * 2 if ba * 2 <= top else low
        elif m == "neg_sawtooth":
            ba = ba // 2 if ba // 2 >= low else top
        elif m == "auto_time":
            if self._best_secs is None:
                self._best_secs = secs_epoch
            else:
                speed_up = self._best_secs / max(secs_epoch, 1e-12)
                if speed_up > 1.10 or speed_up < 0.97:
                    ba = min(ba * 2, top)
                else:
                    ba = max(ba - ba // 4, low)
                if speed_up < 0.97:
                    self._best_secs = secs_epoch  # a new reference after a slower epoch
                else:
                    self._best_secs = min(self._best_secs, secs_epoch)
        elif m == "limit_overhead" and secs_train_per_batch and secs_comm_per_average:
            want = (1 - self.overhead) * secs_comm_per_average / (self.overhead * secs_train_per_batch)
            ba = min(max(1, int(math.floor(want + 0.5))), top)
        self.batch_avg = ba
        return ba
