"""DLDataset: a DeepHealth dataset that serves batches of eddl Tensors, prefetched by threads.

Order and augmentation are fixed by the seed: the split's (optionally shuffled) index list is
cut into batches, each sample is augmented with its own stream ``sample_rng(seed, index,
epoch)``, and batches are handed out in order however many workers fill them. Each batch is
cut into a few parts that workers take from a shared counter and fill straight into the
batch arrays: all workers help with the batch the training loop needs next, and none sits
idle while another finishes the epoch's last batch alone. At most
``queue_ratio_size * num_workers`` batches are ahead of the consumer. Every wait has a
timeout, so a stopped or failed loader never leaves a thread blocked.
"""

import datetime
import functools
import logging
import numbers
import threading
import time

import numpy as np

from _deephealth.runtime import available_cores
from ecvl import ColorType, Dataset
from ecvl.augment import DatasetAugmentations
from eddl import Tensor
from eddl.distributed import get_rank, get_world_size
from eddl.distributed.sharding import shard_of

from ._isolated import IsolatedReader
from ._produce import Producer, SampleError, one_hot, probe, sample_name

__all__ = ["DLDataset", "SampleError"]

log = logging.getLogger("bridge.loader")
_POLL = 0.05


def _wrap(batch):
    """Tensor over a freshly filled float32 batch array: shared, never copied per batch."""
    return Tensor.fromarray(batch, copy=False)


class _Epoch:
    """Shared state of one Start()...Stop() run: parts to fill, batch buffers, results.

    A job is one part ``(batch, first slot, end slot)`` of a batch. With several workers
    every batch is cut into up to two parts per worker, so the workers share the batch the
    consumer waits for and finish an epoch together (whole-batch jobs leave one worker
    idle for up to a batch at the end of every epoch).
    """

    def __init__(self, batches, capacity, workers):
        self.batches = batches
        self.jobs, self.spans = [], []  # spans[b]: (first job, number of jobs) of batch b
        for b, idx in enumerate(batches):
            k = max(1, min(2 * workers if workers > 1 else 1, len(idx)))
            self.spans.append((len(self.jobs), k))
            self.jobs += [(b, len(idx) * j // k, len(idx) * (j + 1) // k) for j in range(k)]
        self.capacity = capacity        # batches allowed ahead of the consumer
        self.cond = threading.Condition()
        self.next_job = 0
        self.next_batch = 0             # the batch the consumer takes next
        self.buffers = {}               # batch -> (x, y) being filled
        self.done = {}                  # job -> filled slots, or the exception it raised
        self.stop = False


class _ClassOrInstance:
    """A method that gets the class when called on it and the instance when called on one."""

    def __init__(self, func):
        self.func = func
        functools.update_wrapper(self, func)

    def __get__(self, obj, cls):
        return functools.partial(self.func, cls if obj is None else obj)


class DLDataset(Dataset):
    """A dataset whose splits are served as batches of tensors (PyECVL's DLDataset).

    Parameters
    ----------
    filename : str, os.PathLike or ecvl.Dataset
        DDF YAML file, or an already loaded dataset.
    batch_size : int
        Samples per batch.
    augs : DatasetAugmentations, optional
        One augmentation (or None) per split, by split position.
    ctype : ColorType, optional
        Colour type images are converted to (default RGB).
    ctype_gt : ColorType, optional
        Colour type of ground-truth masks (default GRAY).
    num_workers : int, optional
        Producer threads (capped at the number of CPUs).
    queue_ratio_size : int, optional
        Batches each worker may prepare ahead of the consumer.
    drop_last : dict, optional
        Split name -> drop the incomplete last batch.
    verify : bool, optional
        Check that every file exists when loading the dataset.
    seed : int, optional
        Seed of shuffling and augmentation.
    scale : float, optional
        Multiply images by this (e.g. ``1/255``).
    gt_scale : float, optional
        Multiply ground-truth masks by this (e.g. ``1/255`` for 0/255 masks).
    label_mode : {"onehot", "index"}, optional
        Classification targets as one-hot (multi-hot for multi-label) rows or one class index.
    mask_values : sequence of float, optional
        Allowed values of (scaled) masks; others raise naming the file.
    skip_bad : bool, optional
        Log and leave out samples that fail to load instead of raising.
    shard : "auto" or tuple of int, optional
        Serve only one rank's share of every split (see :meth:`SetShard`): ``"auto"`` for this
        process's rank in the MPI world, or ``(rank, world_size)``. By default the whole split.
    read_timeout : float, optional
        Seconds one image file may take to read. When given, files are decoded in child
        processes (one per worker thread) that are killed past the limit, so a damaged file
        that makes a third-party decoder spin raises SampleError naming it instead of
        blocking training. Off by default: the child processes cost memory and start-up time.

    Attributes
    ----------
    n_channels_, n_channels_gt_, resize_dims_, batch_size_, current_batch_, tensors_shape_
        As in PyECVL.

    Examples
    --------
    >>> loader = DLDataset("data.yml", 32, num_workers=2)        # doctest: +SKIP
    >>> loader.SetSplit("training")                              # doctest: +SKIP
    >>> loader.ResetBatch(shuffle=True)                          # doctest: +SKIP
    >>> for x, y in loader:                                      # doctest: +SKIP
    ...     train_batch(net, [x], [y])
    """

    def __init__(self, filename, batch_size, augs=None, ctype=ColorType.RGB,
                 ctype_gt=ColorType.GRAY, num_workers=1, queue_ratio_size=1, drop_last=None,
                 verify=False, *, seed=0, scale=None, gt_scale=None, label_mode="onehot",
                 mask_values=None, skip_bad=False, read_timeout=None, shard=None):
        if isinstance(filename, Dataset):
            self.__dict__.update({k: v for k, v in vars(filename).items()})
        else:
            super().__init__(filename, verify=verify)
        if not self.split_:
            raise RuntimeError(f"{self.source}: missing splits in the dataset file")
        if augs is None:
            augs = DatasetAugmentations([None] * len(self.split_))
        if not isinstance(augs, DatasetAugmentations):
            raise TypeError(f"DLDataset: augs must be DatasetAugmentations, got "
                            f"{type(augs).__name__}")
        if label_mode not in ("onehot", "index"):
            raise ValueError(f"DLDataset: label_mode must be 'onehot' or 'index', got "
                             f"{label_mode!r}")
        self.SetBatchSize(batch_size)
        self.SetWorkers(num_workers)
        if int(queue_ratio_size) < 1:
            raise ValueError(f"DLDataset: queue_ratio_size must be >= 1, got {queue_ratio_size}")
        self.queue_ratio_size_ = int(queue_ratio_size)
        self.ctype_, self.ctype_gt_ = ctype, ctype_gt
        self.augs_ = augs
        self.skip_bad = bool(skip_bad)
        self._reader = None if read_timeout is None else IsolatedReader(read_timeout)
        self._producer = Producer(self, augs, ctype, ctype_gt, seed, scale, gt_scale,
                                  label_mode, mask_values, reader=self._reader)
        self.seed_ = int(seed)
        if drop_last is not None:
            names = {s.split_name_ for s in self.split_}
            if set(drop_last) != names:
                raise ValueError(f"DLDataset: drop_last needs one entry per split {sorted(names)},"
                                 f" got {sorted(drop_last)}")
            for s in self.split_:
                s.drop_last_ = bool(drop_last[s.split_name_])
            self.SetBatchSize(self.batch_size_)
        self.current_batch_ = [0] * len(self.split_)
        self._epochs = [-1] * len(self.split_)  # -1: never reset, epoch 0
        self._full_orders = [list(s.samples_indices_) for s in self.split_]
        self._orders = list(self._full_orders)
        self._shard = (0, 1)
        self._run = None
        self._threads = []
        if shard is not None:
            self.SetShard(*(() if isinstance(shard, str) and shard == "auto" else
                            self._shard_pair(shard)))
        self._learn_shapes()
        self.current_split_ = 0

    _split_seed = None  # DLDataset.SetSplitSeed(seed) sets it for every loader

    # -- configuration ------------------------------------------------------------------
    @_ClassOrInstance
    def SetSplitSeed(target, seed):
        """Fix the seed of the split shuffling (PyECVL's static ``DLDataset.SetSplitSeed``).

        Called on the class, as in PyECVL, it sets the shuffling seed of every loader that
        has none of its own; called on a loader, only that loader's. Until then the shuffling
        follows the loader's `seed`. The order of an epoch depends on the seed, the split and
        the epoch number (see :meth:`ResetBatch`), not on how many shuffles came before;
        augmentations keep following `seed`.

        Parameters
        ----------
        seed : int
            A non-negative int (ECVL takes an unsigned), or None to fall back again.

        Examples
        --------
        >>> DLDataset.SetSplitSeed(12345)                           # doctest: +SKIP
        >>> loader.SetSplitSeed(7)       # this loader only         # doctest: +SKIP
        """
        if seed is not None and (isinstance(seed, bool) or not isinstance(
                seed, (numbers.Integral, np.integer)) or seed < 0):
            raise ValueError(f"DLDataset.SetSplitSeed: seed must be an int >= 0 (or None), "
                             f"got {seed!r}")
        target._split_seed = None if seed is None else int(seed)

    def SetNumChannels(self, n_channels, n_channels_gt=1):
        """Declare the channels of the images and ground truths (PyECVL).

        The batch tensors take the new shapes (``tensors_shape_``); every sample must then
        come out of the augmentations with that many channels, or loading it raises a
        SampleError naming it. :meth:`SetAugmentations` learns the channels from the data
        again.

        Parameters
        ----------
        n_channels : int
            Channels of the images.
        n_channels_gt : int, optional
            Channels of the ground-truth masks (default 1).

        Examples
        --------
        >>> loader = DLDataset("data.yml", 8, ctype=ecvl.ColorType.GRAY)  # doctest: +SKIP
        >>> loader.SetNumChannels(1)                                      # doctest: +SKIP
        >>> loader.tensors_shape_[0]                                      # doctest: +SKIP
        [8, 1, 224, 224]
        """
        for name, v in (("n_channels", n_channels), ("n_channels_gt", n_channels_gt)):
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)) or v < 1:
                raise ValueError(f"DLDataset.SetNumChannels: {name} must be a positive int, "
                                 f"got {v!r}")
        if self._run is not None:
            raise RuntimeError("DLDataset.SetNumChannels: the loader is running; call Stop() "
                               "first")
        self.n_channels_, self.n_channels_gt_ = int(n_channels), int(n_channels_gt)
        self._sample_shape = (self.n_channels_,) + self._sample_shape[1:]

    def ToTensorPlane(self, label):
        """Return the one-hot (multi-hot) ``[num_classes]`` tensor of a sample's labels.

        Parameters
        ----------
        label : sequence of int
            Class indices, e.g. ``sample.label_``.

        Returns
        -------
        eddl.Tensor
            float32, 1 at each label, 0 elsewhere.

        Examples
        --------
        >>> loader.ToTensorPlane([1]).numpy().tolist()             # doctest: +SKIP
        [0.0, 1.0]
        """
        n = len(self.classes_)
        if not n:
            raise ValueError(f"DLDataset.ToTensorPlane: {self.source} has no classes (a "
                             "segmentation dataset)")
        try:
            return Tensor(one_hot(label, n, np.zeros(n, np.float32)))
        except ValueError as e:
            raise ValueError(f"DLDataset.ToTensorPlane: {e} (label {label!r})") from None

    def _learn_shapes(self):
        first = next((i for i, s in enumerate(self.split_) if s.samples_indices_), None)
        if first is None:
            raise RuntimeError(f"{self.source}: every split is empty")
        idx = self.split_[first].samples_indices_[0]
        try:
            shape, gshape = probe(self._producer, first, idx)
        except Exception as e:
            raise SampleError(f"{sample_name(self.samples_[idx])}: {type(e).__name__}: {e}") \
                from e
        self.n_channels_ = shape[0]
        self.resize_dims_ = list(shape[1:])
        self.n_channels_gt_ = gshape[0] if gshape else 0
        self._sample_shape = tuple(shape)

    def SetBatchSize(self, bs):
        """Set the batch size (a positive int)."""
        if isinstance(bs, bool) or not isinstance(bs, (int, np.integer)) or bs < 1:
            raise ValueError(f"DLDataset: batch_size must be a positive int, got {bs!r}")
        self.batch_size_ = int(bs)
        for s in self.split_:
            s.SetNumBatches(self.batch_size_)
            s.SetLastBatch(self.batch_size_)

    def SetWorkers(self, n):
        """Set the number of producer threads (capped at the cores this process may use)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"DLDataset: num_workers must be a positive int, got {n!r}")
        self.num_workers_ = min(int(n), available_cores())

    def SetAugmentations(self, da):
        """Replace the augmentations and learn the sample size again."""
        self.augs_ = self._producer.augs = da
        self._learn_shapes()

    @property
    def tensors_shape_(self):
        """Shapes of a batch of the current split: ``(x, y)``, ``y`` None when it has no targets."""
        x = (self.batch_size_,) + self._sample_shape
        t = self._producer.target_shape(self.current_split_, self.n_channels_gt_,
                                        self.resize_dims_)
        return list(x), (None if t is None else [self.batch_size_] + list(t))

    # -- batches ------------------------------------------------------------------------
    def _split(self, split):
        return self._split_index(split) if split != -1 else self.current_split_

    def GetNumBatches(self, split=-1):
        """Return the number of batches of a split (the current one by default).

        With a shard (:meth:`SetShard`), the batches of this rank's share.
        """
        i = self._split(split)
        if self._shard[1] > 1:
            return len(self._batches(i))
        return self.split_[i].num_batches_

    @staticmethod
    def _shard_pair(shard):
        if isinstance(shard, str) or not hasattr(shard, "__len__") or len(shard) != 2:
            raise ValueError(f"DLDataset: shard must be 'auto' or (rank, world_size), got {shard!r}")
        return tuple(shard)

    def SetShard(self, rank=None, world_size=None):
        """Serve one rank's share of every split, for distributed training.

        Each epoch's order (shuffled or not, see :meth:`ResetBatch`) is the same on every rank;
        it is padded by repeating its first samples to a multiple of ``world_size`` and rank
        ``r`` takes every ``world_size``-th sample from position ``r``. So the shares of an
        epoch are disjoint (apart from at most ``world_size - 1`` padded repeats), together hold
        the whole split, and give every rank the same number of batches. It takes effect at
        once, rewinding every split.

        Parameters
        ----------
        rank, world_size : int, optional
            By default this process's rank and the size of the MPI world
            (:func:`eddl.get_rank`, :func:`eddl.get_world_size`); ``(0, 1)`` serves everything.

        Raises
        ------
        ValueError
            For a rank outside the world, naming both.
        RuntimeError
            While the loader runs (between :meth:`Start` and :meth:`Stop`).
        """
        if self.IsStarted():
            raise RuntimeError("DLDataset.SetShard: the loader is running; call Stop() first")
        rank = get_rank() if rank is None else rank
        world_size = get_world_size() if world_size is None else world_size
        for name, v in (("rank", rank), ("world_size", world_size)):
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
                raise ValueError(f"DLDataset.SetShard: {name} must be an int, got {v!r}")
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"DLDataset.SetShard: rank {rank} is outside a world of {world_size}")
        self._shard = (int(rank), int(world_size))
        for i, order in enumerate(self._full_orders):
            self._orders[i] = self._share(order)
            self.current_batch_[i] = 0

    def _share(self, order):
        rank, world_size = self._shard
        return order if world_size == 1 or not order else shard_of(order, rank, world_size)

    def ResetBatch(self, split=-1, shuffle=False, epoch=None):
        """Rewind a split; ``shuffle`` draws a new order (fixed by the seed and the epoch).

        Parameters
        ----------
        split : int, str or SplitType, optional
            Default: the current split.
        shuffle : bool, optional
            Shuffle the order of the split's samples.
        epoch : int, optional
            Epoch number for shuffling and augmentation streams; by default one more than
            the last reset of this split (0 the first time).
        """
        i = self._split(split)
        self._epochs[i] = int(epoch) if epoch is not None else self._epochs[i] + 1
        order = list(self.split_[i].samples_indices_)
        if shuffle:
            seed = self.seed_ if self._split_seed is None else self._split_seed
            rng = np.random.default_rng([seed, i, self._epochs[i]])
            order = [order[k] for k in rng.permutation(len(order))]
        self._full_orders[i] = order
        self._orders[i] = self._share(order)
        self.current_batch_[i] = 0

    def ResetAllBatches(self, shuffle=False):
        """ResetBatch on every split."""
        for i in range(len(self.split_)):
            self.ResetBatch(i, shuffle)

    def _batches(self, i):
        s, bs, order = self.split_[i], self.batch_size_, self._orders[i]
        out = [order[k:k + bs] for k in range(0, len(order), bs)]
        if s.drop_last_ and out and len(out[-1]) < bs:
            out.pop()
        return out

    def _new_batch(self, i, n):
        x = np.empty((n,) + self._sample_shape, np.float32)
        tshape = self._producer.target_shape(i, self.n_channels_gt_, self.resize_dims_)
        return x, (None if tshape is None else np.empty((n,) + tshape, np.float32))

    def _fill_slots(self, i, indices, epoch, x, y, lo, hi):
        """Fill slots ``lo:hi`` with samples ``indices[lo:hi]``; return the slots filled."""
        ok = []
        for slot in range(lo, hi):
            try:
                self._producer.fill(i, indices[slot], epoch, x, y, slot)
                ok.append(slot)
            except SampleError as e:
                if not self.skip_bad:
                    raise
                log.warning("skipping bad sample: %s", e)
        return ok

    def _assemble(self, indices, x, y, ok):
        if len(ok) < len(indices):  # skipped samples: close the gaps
            x, y = x[ok], (None if y is None else y[ok])
        return x, y, [self.samples_[indices[s]] for s in ok]

    def _make_batch(self, i, indices, epoch):
        x, y = self._new_batch(i, len(indices))
        ok = self._fill_slots(i, indices, epoch, x, y, 0, len(indices))
        return self._assemble(indices, x, y, ok)

    def _worker(self, run, i, epoch, wait=True):
        """Fill parts of ``run``'s batches until none is left or the run stops.

        With ``wait=False`` it also returns instead of waiting for the consumer to make room.
        """
        while True:
            with run.cond:
                while not run.stop and run.next_job < len(run.jobs) \
                        and run.jobs[run.next_job][0] >= run.next_batch + run.capacity:
                    if not wait:
                        return
                    run.cond.wait(_POLL)
                if run.stop or run.next_job >= len(run.jobs):
                    return
                j = run.next_job
                run.next_job += 1
                b, lo, hi = run.jobs[j]
                buf = run.buffers.get(b)
                if buf is None:  # the batch's first part to start allocates it
                    try:
                        buf = run.buffers[b] = self._new_batch(i, len(run.batches[b]))
                    except BaseException as e:
                        buf = e
            try:
                if isinstance(buf, BaseException):
                    raise buf
                result = self._fill_slots(i, run.batches[b], epoch, buf[0], buf[1], lo, hi)
            except BaseException as e:  # delivered to the consumer, which re-raises it
                result = e
            with run.cond:
                run.done[j] = result
                run.cond.notify_all()

    def Start(self, split_index=-1):
        """Start the producer threads on a split (default: the current one)."""
        if self._run is not None:
            raise RuntimeError("DLDataset.Start: already started; call Stop() first")
        i = self._split(split_index)
        self.current_split_ = i
        batches = self._batches(i)[self.current_batch_[i]:]
        run = _Epoch(batches, self.queue_ratio_size_ * self.num_workers_, self.num_workers_)
        self._run = run
        epoch = max(self._epochs[i], 0)
        self._threads = [threading.Thread(target=self._worker, args=(run, i, epoch),
                                          name=f"DLDataset-worker-{w}", daemon=True)
                         for w in range(self.num_workers_)]
        for t in self._threads:
            t.start()

    def Stop(self):
        """Stop and join the producer threads and drop prepared batches."""
        if self._run is None:
            raise RuntimeError("DLDataset.Stop: not started")
        run, self._run = self._run, None
        with run.cond:
            run.stop = True
            run.cond.notify_all()
        for t in self._threads:
            t.join()
        self._threads = []
        run.done.clear()
        run.buffers.clear()

    def IsStarted(self):
        """Tell whether the loader runs: True between Start() and Stop()."""
        return self._run is not None

    # -- PyECVL's producer internals ----------------------------------------------------
    def _sample_index(self, elem):
        if isinstance(elem, numbers.Integral) and not isinstance(elem, bool):
            if not 0 <= elem < len(self.samples_):
                raise IndexError(f"DLDataset: sample index {elem} out of range "
                                 f"[0, {len(self.samples_)})")
            return int(elem)
        for k, sample in enumerate(self.samples_):
            if sample is elem:
                return k
        raise ValueError("DLDataset: the sample is not one of this dataset's samples_")

    def ProduceImageLabel(self, augs, elem):
        """Load, augment and convert one sample of the current split (PyECVL).

        ECVL's producer threads push the pair to the loader's queue; the workers here fill
        batches in place, so the pair is returned instead. The sample gets the augmentation
        stream of its index, as in the batches.

        Parameters
        ----------
        augs : DatasetAugmentations or None
            Augmentations per split (None: the loader's own ``augs_``).
        elem : ecvl.Sample or int
            One of ``samples_``, or its index.

        Returns
        -------
        (eddl.Tensor, eddl.Tensor or None)
            The image ``[C, H, W]`` and the target (one-hot row, mask ``[C, H, W]``, values),
            None for an unlabelled split.

        Raises
        ------
        SampleError
            When the sample cannot be loaded or converted, naming its file.
        """
        if augs is not None and not isinstance(augs, DatasetAugmentations):
            raise TypeError(f"DLDataset.ProduceImageLabel: augs must be DatasetAugmentations "
                            f"or None, got {type(augs).__name__}")
        i, index = self.current_split_, self._sample_index(elem)
        x, y = self._new_batch(i, 1)
        self._producer.fill(i, index, max(self._epochs[i], 0), x, y, 0, augs)
        return _wrap(x[0]), (None if y is None else _wrap(y[0]))

    def ThreadFunc(self, thread_index):
        """Do a producer thread's work in the calling thread, while there is room (PyECVL).

        The started workers share the parts of the batches instead of owning a range of
        samples each, so this fills the parts no worker has taken yet, up to the queue's
        capacity, and returns instead of waiting for the consumer (which is usually the
        caller).

        Parameters
        ----------
        thread_index : int
            A worker index, ``0 <= thread_index < num_workers_``.

        Raises
        ------
        RuntimeError
            When the loader is not started.
        """
        if isinstance(thread_index, bool) or not isinstance(thread_index, numbers.Integral) \
                or not 0 <= thread_index < self.num_workers_:
            raise ValueError(f"DLDataset.ThreadFunc: thread_index must be an int in "
                             f"[0, {self.num_workers_}), got {thread_index!r}")
        run = self._run
        if run is None:
            raise RuntimeError("DLDataset.ThreadFunc: not started; call Start() first")
        i = self.current_split_
        self._worker(run, i, max(self._epochs[i], 0), wait=False)

    @staticmethod
    def sleep_for(delta):
        """Sleep for ``delta`` (PyECVL's helper for polling loops).

        Parameters
        ----------
        delta : datetime.timedelta or float
            Duration, or seconds; not negative.
        """
        seconds = delta.total_seconds() if isinstance(delta, datetime.timedelta) else delta
        if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not seconds >= 0:
            raise ValueError(f"DLDataset.sleep_for: expected a non-negative timedelta or number "
                             f"of seconds, got {delta!r}")
        time.sleep(float(seconds))

    def GetQueueSize(self):
        """Return the number of samples prepared and waiting for the consumer."""
        run = self._run
        if run is None:
            return 0
        with run.cond:
            return sum(len(v) for v in run.done.values() if isinstance(v, list))

    def _next_from_queue(self):
        run, i = self._run, self.current_split_
        with run.cond:
            if run.next_batch >= len(run.spans):
                raise StopIteration
            first, k = run.spans[run.next_batch]
            for j in range(first, first + k):
                while j not in run.done:
                    if not any(t.is_alive() for t in self._threads):
                        raise RuntimeError("DLDataset: producer threads ended without batch "
                                           f"{run.next_batch}")
                    run.cond.wait(_POLL)
            parts = [run.done.pop(j) for j in range(first, first + k)]
            b = run.next_batch
            x, y = run.buffers.pop(b, (None, None))
            run.next_batch += 1
            run.cond.notify_all()
        self.current_batch_[i] += 1
        for part in parts:
            if isinstance(part, BaseException):
                self.Stop()
                raise part
        return self._assemble(run.batches[b], x, y, [slot for part in parts for slot in part])

    def _next_sync(self):
        i = self.current_split_
        batches = self._batches(i)
        b = self.current_batch_[i]
        if b >= len(batches):
            raise StopIteration
        result = self._make_batch(i, batches[b], max(self._epochs[i], 0))
        self.current_batch_[i] += 1
        return result

    def _next(self):
        return self._next_from_queue() if self._run is not None else self._next_sync()

    def GetBatch(self):
        """Next batch of the current split as ``(samples, x, y)`` (``y`` None when unlabelled).

        Uses the prefetch threads when started, else loads synchronously.
        """
        try:
            x, y, samples = self._next()
        except StopIteration:
            raise RuntimeError(f"DLDataset: split {self.split_[self.current_split_].split_name_!r}"
                               " has no batches left; call ResetBatch()") from None
        return samples, _wrap(x), (None if y is None else _wrap(y))

    def LoadBatch(self, images=None, labels=None):
        """Next batch as ``(x, y)`` Tensors, or copied into the given tensors (PyECVL).

        Parameters
        ----------
        images, labels : eddl.Tensor, optional
            Destination tensors of the right shape.

        Returns
        -------
        tuple of eddl.Tensor
        """
        _, x, y = self.GetBatch()
        for dst, src, what in ((images, x, "images"), (labels, y, "labels")):
            if dst is None or src is None:
                continue
            if tuple(dst.shape) != tuple(src.shape):
                raise ValueError(f"LoadBatch: {what} tensor has shape {tuple(dst.shape)}, the "
                                 f"batch has {tuple(src.shape)}")
            dst.numpy()[...] = src.numpy()
        return (x if images is None else images), (y if labels is None else labels)

    def __iter__(self):
        """Iterate ``(x, y)`` over the rest of the current split, prefetching in threads."""
        own = self._run is None
        if own:
            self.Start()
        try:
            while True:
                try:
                    x, y, _ = self._next()
                except StopIteration:
                    return
                yield _wrap(x), (None if y is None else _wrap(y))
        finally:
            if own and self._run is not None:
                self.Stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._run is not None:
            self.Stop()

    def __del__(self):
        run = getattr(self, "_run", None)
        if run is not None:
            run.stop = True

    # pythonic names
    set_split = Dataset.SetSplit
    set_split_seed = SetSplitSeed
    set_num_channels = SetNumChannels
    to_tensor_plane = ToTensorPlane
    reset_batch = ResetBatch
    load_batch = LoadBatch
    get_batch = GetBatch
    num_batches = GetNumBatches
    set_shard = SetShard
    start = Start
    stop = Stop
    queue_size = GetQueueSize
