"""TensorBoard logging of :func:`eddl.model.fit` through ``tensorboardX`` (an optional extra)."""

import numbers
import os

from .callbacks import Callback

__all__ = ["TensorBoard"]

_MISSING = ("eddl.callbacks.TensorBoard needs the tensorboardX package, which is an optional "
            "extra of the toolkit: pip install 'deephealth[tensorboard]' (or pip install "
            "tensorboardX)")


def _summary_writer():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    return SummaryWriter


class TensorBoard(Callback):
    """Write the training logs as TensorBoard scalars (event files in ``log_dir``).

    Every numeric value of the epoch logs is written under ``epoch/<key>`` at step ``epoch``
    (``epoch/loss``, ``epoch/val_loss``, ``epoch/accuracy``, ``epoch/lr``, ...). With
    ``update_freq`` ``"batch"`` or an int ``n``, the running ``loss`` and metrics of the batch
    logs are also written every ``n`` batches under ``batch/<key>``, at a step that counts the
    batches of the whole training (so consecutive epochs continue one curve).

    Parameters
    ----------
    log_dir : str or os.PathLike
        Folder of the event files (created if missing). Point ``tensorboard --logdir`` at it
        or at its parent.
    update_freq : {"epoch", "batch"} or int
        ``"epoch"``: epoch values only; ``"batch"``: every batch too; ``n``: every ``n``-th
        batch too.
    flush_secs : float
        The writer flushes at least this often, and always at the end of training.

    Raises
    ------
    ImportError
        When ``tensorboardX`` is not installed (the message names the extra to install).

    Examples
    --------
    >>> import tempfile, numpy as np, eddl
    >>> from eddl.callbacks import TensorBoard
    >>> x = eddl.Input([2]); net = eddl.Model([x], [eddl.Dense(x, 1)])
    >>> net = eddl.build(net, eddl.sgd(0.1), ["mse"], ["mse"])
    >>> tb = TensorBoard(tempfile.mkdtemp(), update_freq="batch")
    >>> h = eddl.fit(net, [np.ones((8, 2))], [np.ones((8, 1))], 4, 2, verbose=0, callbacks=[tb])
    >>> tb.batches
    4
    """

    def __init__(self, log_dir, update_freq="epoch", flush_secs=10):
        self._writer_class = _summary_writer()  # fail at construction, not after an epoch
        if update_freq == "epoch":
            every = None
        elif update_freq == "batch":
            every = 1
        elif isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0:
            every = update_freq
        else:
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive int, got {update_freq!r}")
        if not flush_secs > 0:
            raise ValueError(f"flush_secs must be > 0, got {flush_secs!r}")
        self.log_dir, self.every, self.flush_secs = os.fspath(log_dir), every, flush_secs
        self.writer, self.batches = None, 0

    def _write(self, prefix, logs, step, skip=()):
        for k, v in logs.items():
            if k in skip or isinstance(v, bool) or not isinstance(v, numbers.Real):
                continue
            self.writer.add_scalar(f"{prefix}/{k}", float(v), step)

    def on_train_begin(self, logs=None):
        """Open a new event file in ``log_dir``."""
        os.makedirs(self.log_dir, exist_ok=True)
        self.writer = self._writer_class(logdir=self.log_dir, flush_secs=self.flush_secs)
        self.batches = 0

    def on_batch_end(self, batch, logs=None):
        """Write the running batch values every ``update_freq`` batches."""
        self.batches += 1
        if self.every is not None and self.batches % self.every == 0 and logs:
            self._write("batch", logs, self.batches, skip=("batch", "size"))

    def on_epoch_end(self, epoch, logs=None):
        """Write the epoch's values."""
        self._write("epoch", logs or {}, epoch, skip=("epoch",))

    def on_train_end(self, logs=None):
        """Flush and close the event file."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
