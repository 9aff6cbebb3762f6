"""PyECVL's ``ProducersConsumerQueue`` and ``ThreadCounters``, for ported scripts.

:class:`~bridge.DLDataset` does not need them (its workers share batch parts through one
counter, see :mod:`bridge.loader`); they are here so that code written against PyECVL's
loader helpers keeps working.
"""

import collections
import numbers
import threading

__all__ = ["ProducersConsumerQueue", "ThreadCounters"]


def _count(value, what, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {value!r}")
    return int(value)


class ProducersConsumerQueue:
    """A bounded, thread-safe FIFO of ``(sample, image, label)`` tuples.

    Producers block in :meth:`Push` while the queue is full; once they had to wait, they are
    woken only when a :meth:`Pop` leaves fewer than `thresh` items, so they refill the queue
    in bursts rather than one item at a time (ECVL's ``support_eddl.h``).

    Parameters
    ----------
    mxsz : int, optional
        Maximum number of items; without it the queue is unbounded (ECVL leaves the size
        undefined until :meth:`SetSize`).
    thresh : int, optional
        Length below which waiting producers are woken (default ``mxsz // 2``).

    Examples
    --------
    >>> from bridge import ProducersConsumerQueue
    >>> q = ProducersConsumerQueue(2)
    >>> q.Push("sample", "image", "label")
    >>> q.Length(), q.IsFull()
    (1, False)
    >>> q.Pop()
    ('sample', 'image', 'label')
    """

    def __init__(self, mxsz=None, thresh=None):
        self._items = collections.deque()
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._max = None
        self._thresh = 0
        if mxsz is not None:
            self.SetSize(mxsz, -1 if thresh is None else thresh)
        elif thresh is not None:
            raise ValueError("ProducersConsumerQueue: thresh needs mxsz")

    def SetSize(self, max_size, thresh=-1):
        """Set the maximum length and the wake-up threshold (-1: half the maximum)."""
        m = _count(max_size, "ProducersConsumerQueue: max_size", 1)
        t = m // 2 if thresh == -1 else _count(thresh, "ProducersConsumerQueue: thresh (or -1)")
        with self._lock:
            self._max, self._thresh = m, t
            self._not_full.notify_all()

    def _full(self):
        return self._max is not None and len(self._items) >= self._max

    def Push(self, sample, image, label, timeout=None):
        """Append an item, waiting while the queue is full.

        Parameters
        ----------
        sample, image, label
            The item (a dataset sample and its image and label tensors, in PyECVL).
        timeout : float, optional
            Seconds to wait at most; then TimeoutError. Default: wait as long as needed.
        """
        with self._lock:
            if not self._not_full.wait_for(lambda: not self._full(), timeout):
                raise TimeoutError(f"ProducersConsumerQueue.Push: still full ({self._max} "
                                   f"items) after {timeout} s")
            self._items.append((sample, image, label))
            self._not_empty.notify()

    def Pop(self, timeout=None):
        """Remove and return the oldest ``(sample, image, label)``, waiting while empty.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most; then TimeoutError. Default: wait as long as needed.
        """
        with self._lock:
            if not self._not_empty.wait_for(lambda: bool(self._items), timeout):
                raise TimeoutError(f"ProducersConsumerQueue.Pop: still empty after {timeout} s")
            item = self._items.popleft()
            if len(self._items) < self._thresh:
                self._not_full.notify_all()
            return item

    def FreeLockedOnPush(self):
        """Wake the producers waiting in :meth:`Push` (they wait again if still full)."""
        with self._lock:
            self._not_full.notify_all()

    def IsFull(self):
        """Tell whether the queue holds its maximum number of items."""
        with self._lock:
            return self._full()

    def IsEmpty(self):
        """Tell whether the queue holds no item."""
        with self._lock:
            return not self._items

    def Length(self):
        """Return the number of items."""
        with self._lock:
            return len(self._items)

    def Clear(self):
        """Drop every item (and wake the waiting producers)."""
        with self._lock:
            self._items.clear()
            self._not_full.notify_all()

    # pythonic names
    push = Push
    pop = Pop
    __len__ = Length


class ThreadCounters:
    """The range ``[min_, max_)`` of sample positions a loader thread owns, and its cursor.

    ``ThreadCounters(min, max)`` starts the cursor ``counter_`` at ``min``;
    ``ThreadCounters(counter, min, max)`` sets it explicitly.

    Examples
    --------
    >>> from bridge import ThreadCounters
    >>> tc = ThreadCounters(10, 30)
    >>> tc.counter_ = 25
    >>> tc.Reset()
    >>> tc.counter_, tc.min_, tc.max_
    (10, 10, 30)
    """

    def __init__(self, *args):
        if len(args) not in (2, 3):
            raise ValueError(f"ThreadCounters takes (min, max) or (counter, min, max), got "
                             f"{len(args)} arguments")
        vals = [_count(v, "ThreadCounters: " + n, -2 ** 63)
                for v, n in zip(args, ("counter", "min", "max")[3 - len(args):])]
        self.counter_, self.min_, self.max_ = ([vals[0]] + vals) if len(vals) == 2 else vals

    def Reset(self):
        """Move the cursor back to ``min_``."""
        self.counter_ = self.min_

    reset = Reset

    def __repr__(self):
        return f"ThreadCounters(counter_={self.counter_}, min_={self.min_}, max_={self.max_})"
