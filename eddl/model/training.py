"""Coarse training loops (``fit``, ``evaluate``, ``predict``) over the fine-grained API."""

import math
import sys
import time

import numpy as np

from ..layers.base import TRMODE, TSMODE
from . import data, progress
from .callbacks import CallbackList
from .model import NonFiniteLossError

__all__ = ["fit", "evaluate", "predict", "random_indices", "progress_line"]


def random_indices(batch_size, num_samples, rng=None):
    """``batch_size`` distinct random sample indices in ``[0, num_samples)``."""
    if batch_size < 1 or num_samples < 1:
        raise ValueError(f"random_indices: batch_size ({batch_size}) and num_samples "
                         f"({num_samples}) must be >= 1")
    rng = rng or np.random.default_rng()
    return rng.choice(num_samples, size=min(batch_size, num_samples), replace=False).tolist()


def progress_line(net, losses=True):
    """``name ( loss[x]=.. metric[y]=.. )`` for each output, from the running means."""
    parts = []
    ls, ms = net.get_losses(), net.get_metrics()
    for k, l in enumerate(net.lout):
        items = []
        if net.losses[k] is not None and losses:
            items.append(f"loss[{net.losses[k].name}]={ls[k]:.4f}")
        if net.metrics[k] is not None:
            items.append(f"metric[{net.metrics[k].name}]={ms[k]:.4f}")
        parts.append(f"{l.name} ( {' '.join(items)} )")
    return " ".join(parts)


def _log(net, text, end="\n", stream=None):
    stream = stream or sys.stdout
    stream.write(text + end)
    stream.flush()
    if net.logfile is not None and end == "\n":
        with open(net.logfile, "a", encoding="utf-8") as f:
            f.write(text + "\n")


def _check_pairs(net, xs, ys):
    xs = data.check_arrays(xs, net.lin, "fit inputs")
    ys = data.as_arrays(ys, len(net.lout), "fit targets")
    n = {a.shape[0] for a in xs} | {a.shape[0] for a in ys}
    if len(n) != 1:
        raise ValueError(f"inputs and targets hold different numbers of samples: inputs "
                         f"{[a.shape[0] for a in xs]}, targets {[a.shape[0] for a in ys]}")
    for k, (l, y) in enumerate(zip(net.lout, ys)):
        loss = net.losses[k]
        sparse = loss is not None and type(loss).__name__ == "SparseCategoricalCrossEntropy"
        # losses that take token ids for one-hot outputs check their targets themselves
        sparse = sparse or getattr(loss, "sparse_targets", False)
        if not sparse and tuple(y.shape[1:]) != tuple(l.shape):
            raise ValueError(f"targets[{k}]: samples of shape {list(y.shape[1:])} do not match output "
                             f"layer {l.name!r} of shape {list(l.shape)}")
    return xs, ys, n.pop()


def _batch_size(batch, n):
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch size must be a positive int, got {batch!r}")
    return int(min(batch, n))


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _validation_pairs(net, validation_data):
    if not (isinstance(validation_data, (list, tuple)) and len(validation_data) == 2):
        raise ValueError("fit: validation_data must be a pair (inputs, targets) of arrays or "
                         "Tensors (or of lists of them, one per input / output)")
    vx, vy = (_as_list(v) for v in validation_data)
    vx, vy, _ = _check_pairs(net, vx, vy)
    return vx, vy


def _epoch_logs(net, prefix=""):
    """Flat per-epoch values for callbacks: summed loss, first metric, metrics by name."""
    losses, metrics = net.get_losses(), net.get_metrics()
    logs = {prefix + "loss": float(sum(losses))}
    named = [(k, m) for k, m in enumerate(net.metrics) if m is not None]
    if named:
        logs[prefix + "metric"] = float(metrics[named[0][0]])
    for k, m in named:
        key = prefix + m.name
        if key in logs and key != prefix + "metric":
            key = f"{prefix}{net.lout[k].name}_{m.name}"
        logs.setdefault(key, float(metrics[k]))
    return logs


def _train_epoch(net, xs, ys, order, bs, nb, epoch, on_nan, cbs, bar, distributed=False):
    """Train on the batches of one epoch; returns (batches done, whether a NaN stopped it)."""
    done = 0
    for b in range(nb):
        idx = order[b * bs:(b + 1) * bs]
        cbs.on_batch_begin(b + 1, {"batch": b + 1, "size": len(idx)})
        try:
            net.set_mode(TRMODE)
            net.set_inputs(xs, idx)
            net.set_targets(ys, idx)
            net.forward()
            net.compute_losses(check_finite=on_nan != "ignore")
        except NonFiniteLossError as exc:
            msg = f"fit: non-finite loss at epoch {epoch}, batch {b + 1}/{nb}: {exc}"
            # in a distributed run the other ranks cannot be told to stop mid-step: the
            # exception ends the job, naming this rank
            if on_nan == "stop" or distributed:
                raise NonFiniteLossError(msg) from None
            _log(net, "WARNING: " + msg + "; training stopped", stream=sys.stderr)
            return done, True
        net.backward()
        net.update()
        net.tr_batches += 1
        done += 1
        if bar is not None:
            bar.set_postfix_str(progress_line(net), refresh=False)
            bar.update()
        if cbs.callbacks:
            cbs.on_batch_end(b + 1, dict(_epoch_logs(net), batch=b + 1, size=len(idx)))
        if net.stop_training and not distributed:  # ranks agree at the epoch's end
            break
    return done, False


def fit(net, xs, ys, batch, epochs, verbose=1, shuffle=True, on_nan="stop", drop_last=False, *,
        validation_data=None, validation_batch_size=None, callbacks=None):
    """Train ``net`` for ``epochs`` epochs of mini-batches.

    Parameters
    ----------
    net : Model
        A built model.
    xs, ys : list of arrays or Tensors
        One array per input / per output, samples on the first axis.
    batch : int
        Batch size; in a distributed run (:func:`eddl.distributed.CS_MPI`) the batch of each
        rank, which trains on its own shard of the samples (see
        :func:`eddl.distributed.shard_indices`): a step then averages ``batch`` times the
        number of ranks samples, and only rank 0 prints and runs the callbacks that write files.
    epochs : int
        Number of passes over the data.
    verbose : int
        0: silent. 1: a progress bar over the batches of each epoch (tqdm, with the running
        loss and metric) when standard output is a terminal, then the epoch's line; when the
        output goes to a file or a pipe, only the epoch lines (a bar there would be garbage).
        2: only the epoch lines. Epoch lines give the mean loss and metric of each output,
        the seconds of the epoch and per batch, and the validation results; they are also
        appended to the model's log file (:func:`eddl.setlogfile`).
    shuffle : bool
        Visit samples in a new random order every epoch (from the model's generator).
    on_nan : {"stop", "warn", "ignore"}
        What a NaN/Inf loss does: raise :class:`NonFiniteLossError` naming the epoch and batch,
        print a warning and stop, or carry on. In a distributed run ``"warn"`` raises too.
    drop_last : bool
        Skip the last partial batch of an epoch.
    validation_data : tuple, optional
        ``(inputs, targets)``, each an array or Tensor or a list of them (one per input /
        output): evaluated in inference mode after every epoch.
    validation_batch_size : int, optional
        Batch size of the validation pass (default ``batch``).
    callbacks : list of Callback, optional
        Objects of :mod:`eddl.model.callbacks` (early stopping, checkpoints, CSV logs,
        learning-rate schedules) or your own :class:`~eddl.model.callbacks.Callback`. In a
        distributed run a stop asked for during an epoch takes effect at its end, on every rank.

    Returns
    -------
    list of dict
        Per epoch: ``{"epoch", "loss", "metric", "seconds", "lr"}`` (lists per output), plus
        ``"val_loss"`` and ``"val_metric"`` with validation data, and ``"logs"``: the flat
        values the callbacks saw (see :mod:`eddl.model.callbacks`).
    """
    net._require_built("fit")
    if on_nan not in ("stop", "warn", "ignore"):
        raise ValueError(f"fit: on_nan must be 'stop', 'warn' or 'ignore', got {on_nan!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    xs, ys, n = _check_pairs(net, xs, ys)
    sync = net._sync
    if sync is not None and sync.rank != 0:
        verbose = 0
        callbacks = [cb for cb in (callbacks or []) if not getattr(cb, "writes_files", False)]
    distributed = sync is not None and sync.active
    n_local = n if sync is None else math.ceil(n / sync.size)
    bs = _batch_size(batch, n_local)
    nb = n_local // bs if drop_last else math.ceil(n_local / bs)
    val = None if validation_data is None else _validation_pairs(net, validation_data)
    vbs = bs if validation_batch_size is None else validation_batch_size
    if val is not None:
        _batch_size(vbs, 1)  # validated now, not after the first epoch
    cbs = CallbackList(callbacks, net)
    net.stop_training = False
    history = []
    cbs.on_train_begin({})
    for epoch in range(1, int(epochs) + 1):
        cbs.on_epoch_begin(epoch, {})
        net.reset_loss()
        if sync is not None:  # this rank's shard: the same steps on every rank
            order = sync.shard(n, epoch, shuffle)
        else:
            order = net.rng.permutation(n) if shuffle else np.arange(n)
        t0 = time.perf_counter()
        bar = progress.batch_bar(nb, f"Epoch {epoch}/{epochs}") if verbose == 1 else None
        try:
            done, stopped = _train_epoch(net, xs, ys, order, bs, nb, epoch, on_nan, cbs, bar,
                                         distributed)
        finally:
            if bar is not None:
                bar.close()
        if stopped:
            cbs.on_train_end({})
            return history
        if sync is not None:  # same weights everywhere, metrics over every rank's samples
            sync.end_epoch()
        secs = time.perf_counter() - t0
        rec = {"epoch": epoch, "loss": net.get_losses(), "metric": net.get_metrics(), "seconds": secs}
        logs = _epoch_logs(net)
        history.append(rec)
        if verbose:
            _log(net, f"Epoch {epoch}/{epochs} {progress_line(net)} -- {secs:.3f} secs "
                      f"({secs / max(done, 1):.4f} secs/batch)")
        if val is not None:
            rec["val_loss"], rec["val_metric"] = evaluate(net, val[0], val[1], vbs, verbose=0)
            logs.update(_epoch_logs(net, "val_"))
            if verbose:
                _log(net, f"Validation {progress_line(net)}")
        rec["lr"] = logs["lr"] = float(net.optimizer.lr)
        logs["seconds"] = secs
        rec["logs"] = logs
        sched = net.optimizer.schedule
        if sched is not None:
            sched.on_epoch_end(epoch, sum(rec["loss"]))
        cbs.on_epoch_end(epoch, logs)
        if net.stop_training:
            break
    cbs.on_train_end(history[-1]["logs"] if history else {})
    return history


def evaluate(net, xs, ys, bs=-1, verbose=1):
    """Mean losses and metrics of ``net`` on ``(xs, ys)`` in inference mode.

    Parameters
    ----------
    net : Model
    xs, ys : list of arrays or Tensors
    bs : int
        Batch size; -1 uses the model's current batch size (100 when it has none).
    verbose : int
        Print the result line when non-zero.

    Returns
    -------
    tuple of (list of float, list of float)
        Losses and metrics per output.
    """
    net._require_built("evaluate")
    xs, ys, n = _check_pairs(net, xs, ys)
    if bs == -1:
        bs = net.batch_size or 100
    bs = _batch_size(bs, n)
    net.reset_loss()
    for start in range(0, n, bs):
        idx = np.arange(start, min(start + bs, n))
        net.eval_batch(xs, ys, idx)
    if verbose:
        _log(net, f"Evaluate {progress_line(net)}")
    return net.get_losses(), net.get_metrics()


def predict(net, xs, bs=-1):
    """Compute the outputs of ``net`` for inputs ``xs`` (inference mode), one host array each.

    Parameters
    ----------
    net : Model
    xs : list of arrays or Tensors
    bs : int
        Batch size; -1 uses the model's current batch size (100 when it has none).

    Returns
    -------
    list of numpy.ndarray
    """
    net._require_built("predict")
    return infer_batches(net, xs, bs, net.forward)


def infer_batches(net, xs, bs, step, what="predict"):
    """Run ``step()`` (a forward pass) on each batch of ``xs`` in inference mode.

    The loop of :func:`predict`, for inference variants that replace the forward pass; returns
    the outputs as host arrays, one per model output.
    """
    xs = data.check_arrays(xs, net.lin, f"{what} inputs")
    n = data.batch_count(xs, None, f"{what} inputs")
    if bs == -1:
        bs = net.batch_size or 100
    bs = _batch_size(bs, n)
    outs = [np.empty((n,) + l.shape, dtype=net.dtype) for l in net.lout]
    mode = net.trmode
    net.set_mode(TSMODE)
    try:
        for start in range(0, n, bs):
            idx = np.arange(start, min(start + bs, n))
            net.set_inputs(xs, idx)
            step()
            for o, l in zip(outs, net.lout):
                o[start:start + idx.size] = net.be.to_host(l.output)
    finally:
        net.set_mode(mode)
    return outs
