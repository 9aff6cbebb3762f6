"""Callbacks of :func:`eddl.model.fit`.

Early stopping, checkpoints, CSV logs, learning-rate schedules.

The protocol is Keras's, small and explicit. ``fit`` calls :meth:`Callback.set_model` with the
model, then ``on_train_begin(logs)``; per epoch ``on_epoch_begin(epoch, logs)``, per batch
``on_batch_begin(batch, logs)`` and ``on_batch_end(batch, logs)``, then
``on_epoch_end(epoch, logs)`` after the validation pass; finally ``on_train_end(logs)``.
Epochs and batches are counted from 1, as in the progress lines. A callback stops training
by setting ``self.model.stop_training = True``: ``fit`` finishes the current batch, closes the
epoch (validation, ``on_epoch_end``) and returns.

The epoch ``logs`` hold ``epoch``, ``loss`` (summed over the outputs), ``metric`` (of the first
output), each output's metric under its name (``"accuracy"``, ``"f1"``, ...; a repeated name
gets the output layer's name as prefix), ``lr`` and ``seconds``; with validation data the same
loss and metric keys prefixed ``val_``. Batch logs hold ``batch``, ``size`` and the running
``loss`` and ``metric`` of the epoch.
"""

import csv
import math
import os

from _deephealth.atomic import atomic_path

from ..optimizers.schedules import Schedule
from .io import save

__all__ = ["Callback", "CallbackList", "Monitor", "EarlyStopping", "ModelCheckpoint",
           "CSVLogger", "LearningRateScheduler"]


class Callback:
    """Base class: override any of the ``on_*`` hooks (they do nothing here).

    A callback whose class sets ``writes_files = True`` (checkpoints, logs) runs on rank 0 only
    in a distributed ``fit``; the others run on every rank, with the same, reduced, epoch logs.
    """

    model = None
    writes_files = False

    def set_model(self, net):
        """Remember the model being trained (``self.model``)."""
        self.model = net

    def on_train_begin(self, logs=None):
        """Before the first epoch."""

    def on_train_end(self, logs=None):
        """After the last epoch (``logs``: the last epoch's)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Before the first batch of ``epoch``."""

    def on_epoch_end(self, epoch, logs=None):
        """After ``epoch`` and its validation pass."""

    def on_batch_begin(self, batch, logs=None):
        """Before training on ``batch``."""

    def on_batch_end(self, batch, logs=None):
        """After the optimizer step of ``batch``."""


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks, net):
        callbacks = [] if callbacks is None else list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be eddl Callback objects, got {type(cb).__name__}")
        self.callbacks = callbacks
        for cb in callbacks:
            cb.set_model(net)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
        return call


class Monitor:
    """Tracks the best value of a logged quantity.

    Parameters
    ----------
    monitor : str
        Key of the epoch logs (``"val_loss"``, ``"val_accuracy"``, ...).
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``"auto"`` means ``"min"`` for names ending in
        ``loss`` and ``"max"`` otherwise.
    min_delta : float
        An improvement must exceed this.
    tiebreak : str, optional
        Another logged quantity that decides when the monitored value equals the best
        exactly: an accuracy stuck at 1.0 is then still improved by a lower ``val_loss``.
    tie_mode : {"auto", "min", "max"}
        Whether lower or higher ``tiebreak`` values are better (``"auto"`` as for ``mode``).
    """

    def __init__(self, monitor, mode="auto", min_delta=0.0, tiebreak=None, tie_mode="auto"):
        for m in (mode, tie_mode):
            if m not in ("auto", "min", "max"):
                raise ValueError(f"mode must be 'auto', 'min' or 'max', got {m!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        self.monitor, self.tiebreak = monitor, tiebreak
        self.sign = self._sign(monitor, mode)
        self.tie_sign = self._sign(tiebreak, tie_mode) if tiebreak else None
        self.min_delta = float(min_delta)
        self.reset()

    @staticmethod
    def _sign(name, mode):
        if mode == "auto":
            mode = "min" if name.endswith("loss") else "max"
        return 1.0 if mode == "min" else -1.0

    def reset(self):
        """Forget the best value (a new training run)."""
        self.best = math.inf
        self.best_tie = math.inf
        self.best_epoch = None

    @staticmethod
    def _get(logs, key):
        if key not in logs:
            raise ValueError(f"monitored quantity {key!r} is not logged; logged: {sorted(logs)}")
        v = logs[key]
        return math.nan if v is None else float(v)

    def better(self, logs):
        """Whether ``logs`` improve on the best so far (NaN never does)."""
        v = self.sign * self._get(logs, self.monitor)
        if math.isnan(v):
            return False
        if v < self.best - self.min_delta:
            return True
        if self.tiebreak is None or v != self.best:
            return False
        tie = self.tie_sign * self._get(logs, self.tiebreak)
        return not math.isnan(tie) and tie < self.best_tie

    def update(self, epoch, logs):
        """Record ``logs`` as the best when they improve on it; returns whether they did."""
        if not self.better(logs):
            return False
        self.best = self.sign * self._get(logs, self.monitor)
        if self.tiebreak is not None:
            self.best_tie = self.tie_sign * self._get(logs, self.tiebreak)
        self.best_epoch = epoch
        return True

    @property
    def best_value(self):
        """The best monitored value in its own sign (None before any)."""
        return None if self.best_epoch is None else self.sign * self.best


class EarlyStopping(Callback):
    """Stop when the monitored quantity has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor, mode, min_delta
        As :class:`Monitor`.
    patience : int
        Training stops after ``max(patience, 1)`` consecutive epochs without improvement
        (Keras's rule: 0 and 1 both stop at the first).
    restore_best : bool
        At the end of training, put back the weights (and BatchNorm statistics) of the best
        epoch, kept in memory.

    Attributes
    ----------
    best_epoch : int or None
    stopped_epoch : int or None
        The epoch after which training stopped, None when it ran to the end.
    """

    def __init__(self, monitor="val_loss", mode="auto", patience=0, min_delta=0.0,
                 restore_best=False):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        self.monitor = Monitor(monitor, mode, min_delta)
        self.patience, self.restore_best = patience, bool(restore_best)

    @property
    def best_epoch(self):
        """The epoch with the best monitored value so far (None before any)."""
        return self.monitor.best_epoch

    def on_train_begin(self, logs=None):
        """Forget the best value, the patience count and any kept weights of a previous run."""
        self.monitor.reset()
        self.wait, self.stopped_epoch, self._best_params = 0, None, None

    def on_epoch_end(self, epoch, logs=None):
        """Count an epoch without improvement, or keep the weights of an improved one.

        Sets ``model.stop_training`` once the patience is used up.
        """
        if self.monitor.update(epoch, logs):
            self.wait = 0
            if self.restore_best:
                self._best_params = self.model.get_parameters(deepcopy=True)
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):
            self.model.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, logs=None):
        """Put back the weights of the best epoch when ``restore_best`` is set."""
        if self.restore_best and self._best_params is not None:
            self.model.set_parameters(self._best_params)


class ModelCheckpoint(Callback):
    """Save the weights at the end of epochs (atomically: a file is complete or absent).

    Parameters
    ----------
    filepath : str
        Destination; ``str.format`` fields ``{epoch}`` and any log key are filled in
        (``"ckpt-{epoch:03d}.npz"``).
    monitor, mode, min_delta, tiebreak
        As :class:`Monitor`.
    save_best_only : bool
        True: save only when the monitored quantity improves (the best); False: every epoch
        (the last).
    format : {"npz", "bin"}
        Weights format of :func:`eddl.save`.

    Attributes
    ----------
    best_epoch : int or None
    """

    writes_files = True

    def __init__(self, filepath, monitor="val_loss", mode="auto", save_best_only=True,
                 min_delta=0.0, tiebreak=None, format="npz"):  # noqa: A002 - eddl.save's name
        if format not in ("npz", "bin"):
            raise ValueError(f"format must be 'npz' or 'bin', got {format!r}")
        self.filepath, self.format = os.fspath(filepath), format
        self.save_best_only = bool(save_best_only)
        self.monitor = Monitor(monitor, mode, min_delta, tiebreak)

    @property
    def best_epoch(self):
        """The epoch with the best monitored value so far (None before any)."""
        return self.monitor.best_epoch

    def on_train_begin(self, logs=None):
        """Forget the best value of a previous run."""
        self.monitor.reset()

    def on_epoch_end(self, epoch, logs=None):
        """Save the weights, unless ``save_best_only`` is set and the epoch is not the best."""
        improved = self.monitor.update(epoch, logs)
        if self.save_best_only and not improved:
            return
        save(self.model, self.filepath.format(**dict(logs, epoch=epoch)), self.format)


class CSVLogger(Callback):
    """Write the epoch logs as CSV, one row per epoch.

    The file is rewritten atomically each epoch, so a reader never sees a partial row.

    Parameters
    ----------
    filename : str
    append : bool
        Keep the rows of an existing file (a resumed run).
    separator : str
    """

    writes_files = True

    def __init__(self, filename, append=False, separator=","):
        self.filename, self.append, self.separator = os.fspath(filename), append, separator

    def on_train_begin(self, logs=None):
        """Start the table, with the rows of the existing file when ``append`` is set."""
        self.rows, self.keys = [], []
        if self.append and os.path.isfile(self.filename):
            with open(self.filename, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f, delimiter=self.separator)
                self.keys = list(reader.fieldnames or [])
                self.rows = list(reader)

    def on_epoch_end(self, epoch, logs=None):
        """Add the epoch's row (new log keys become new columns) and rewrite the file."""
        row = dict(logs, epoch=epoch)
        self.keys += [k for k in (["epoch"] + list(row)) if k not in self.keys]
        self.rows.append(row)
        with atomic_path(self.filename) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, self.keys, delimiter=self.separator)
            w.writeheader()
            w.writerows(self.rows)


class LearningRateScheduler(Callback):
    """Drive the learning rate from a schedule of :mod:`eddl.optimizers.schedules` or a function.

    Parameters
    ----------
    schedule : Schedule or callable
        A :class:`~eddl.optimizers.schedules.Schedule` (attached to the model's optimizer at
        the start of training, so its base rate is the rate then, and stepped after every
        epoch with the monitored value), or ``f(epoch, lr) -> lr`` called before each epoch
        with the epoch about to run (from 1) and the current rate.
    monitor : str
        Log key passed to the schedule's ``on_epoch_end`` (what ``ReduceLROnPlateau`` watches).
    """

    def __init__(self, schedule, monitor="loss"):
        if not (isinstance(schedule, Schedule) or callable(schedule)):
            raise TypeError(f"schedule must be a Schedule or a function, got {type(schedule).__name__}")
        self.schedule, self.monitor = schedule, monitor
        self._is_schedule = isinstance(schedule, Schedule)

    def on_train_begin(self, logs=None):
        """Attach a schedule to the model's optimizer (its base rate is the rate now)."""
        if self._is_schedule:
            self.schedule.attach(self.model.optimizer)

    def on_epoch_begin(self, epoch, logs=None):
        """Set the rate that a schedule function gives for ``epoch``.

        Raises
        ------
        ValueError
            When the function returns a negative or non-finite rate.
        """
        if not self._is_schedule:
            opt = self.model.optimizer
            lr = float(self.schedule(epoch, opt.lr))
            if not (lr >= 0 and math.isfinite(lr)):
                raise ValueError(f"learning-rate function returned {lr!r} for epoch {epoch}")
            opt.lr = lr

    def on_epoch_end(self, epoch, logs=None):
        """Step a schedule with the monitored value of the epoch."""
        if self._is_schedule:
            self.schedule.on_epoch_end(epoch, Monitor._get(logs, self.monitor))
