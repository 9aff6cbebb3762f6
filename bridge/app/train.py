"""The training loop behind ``deephealth-train``: data, model, epochs, checkpoints, reports."""

import csv
import os
import re
import sys
import time

import numpy as np

import eddl
from _deephealth.atomic import atomic_path, remove_stale
from ecvl import Dataset, Task
from ecvl.augment import (
    AugmentationFactory,
    AugResizeDim,
    DatasetAugmentations,
    SequentialAugmentationContainer,
)
from ecvl.dataset import dump_dataset, set_fold_splits
from eddl.callbacks import Monitor
from eddl.distributed import (
    avg_metrics_distributed,
    end_epoch_distributed,
    get_rank,
    init_distributed,
    is_mpi_distributed,
)
from eddl.distributed.comm import broadcast, launcher_world_size
from eddl.tensor import manual_seed

from ..loader import DLDataset
from .checkpoint import publish_last, read_state, restore, rng_state, save_checkpoint, write_json_atomic
from .experiment import ExperimentError, dump_experiment
from .models import make_model, make_optimizer
from .report import overlay_png, plot_curves
from .synth import default_dataset
from .validate import check_dataset

__all__ = ["run_experiment", "load_run_model"]

_DEFAULT_LOSS = {"classification": "softmax_cross_entropy", "segmentation": "binary_cross_entropy"}
_DEFAULT_METRIC = {"classification": "categorical_accuracy", "segmentation": "dice"}
#: metrics where lower is better (every other one is maximised)
_LOWER_IS_BETTER = {"mse", "mae", "mre", "mean_squared_error", "mean_absolute_error",
                    "mean_relative_error"}


def _monitored(row):
    """Return the quantities a best checkpoint can follow, from a history row.

    Without a validation split the ``val_`` ones are the training ones.
    """
    vl = row["val_loss"] if row["val_loss"] is not None else row["train_loss"]
    vm = row["val_metric"] if row["val_metric"] is not None else row["train_metric"]
    return {"train_loss": row["train_loss"], "train_metric": row["train_metric"],
            "val_loss": vl, "val_metric": vm}


def best_monitor(cfg, history=()):
    """Make the rule that picks ``best.npz``.

    It follows the monitored quantity of ``cfg["monitor"]``, exact ties broken on the same
    split's loss (on its metric when a loss is monitored), so an accuracy that saturates early
    does not pin the best epoch while the loss still falls. ``history`` rows already run are
    replayed into it (a resumed run).
    """
    mon = cfg["monitor"]
    split, what = mon.split("_")
    metric_mode = "min" if cfg["metric"] in _LOWER_IS_BETTER else "max"
    tie = f"{split}_{'metric' if what == 'loss' else 'loss'}"
    m = Monitor(mon, mode="min" if what == "loss" else metric_mode, tiebreak=tie,
                tie_mode=metric_mode if what == "loss" else "min")
    for row in history:
        m.update(row["epoch"], _monitored(row))
    return m


def _augs_for(cfg, ds):
    augs, resized = [], set()
    for s in ds.split_:
        src = cfg["augmentations"].get(s.split_name_)
        aug = None
        if src:
            text = src
            if os.path.isfile(src):
                with open(src, encoding="utf-8") as f:
                    text = f.read()
            try:
                aug = AugmentationFactory.create(text)
            except Exception as e:
                where = src if os.path.isfile(src) else f"augmentations.{s.split_name_}"
                raise ExperimentError(f"{where}: {e}") from None
        if cfg["input_size"] is not None:
            h, w = cfg["input_size"]
            resize = AugResizeDim(dims=[w, h])
            aug = resize if aug is None else SequentialAugmentationContainer([aug, resize])
            resized.add(s.split_name_)
        augs.append(aug)
    return DatasetAugmentations(augs), resized


def _slug(text):
    return re.sub(r"[^\w.\-]+", "-", text).strip("-").lower() or "run"


def _out_dir(cfg, ds_name, task, resume):
    if cfg["out"]:
        return os.path.abspath(cfg["out"])
    name = cfg["name"] or f"{_slug(ds_name)}-{task}"
    base = os.path.abspath(os.path.join("runs", name))
    if resume:
        return base
    out, k = base, 2
    while os.path.exists(os.path.join(out, "state.json")):
        out, k = f"{base}-{k}", k + 1
    return out


def _prepare(cfg, resume=False):
    """Resolve the dataset, loader, model and output folder of an experiment.

    Started by an MPI launcher with several processes (``mpiexec -n 2 deephealth-train``), it
    joins the MPI world: each rank loads its share of every split and the model averages its
    gradients over the ranks, so ``batch_size`` is per rank.
    """
    distributed = launcher_world_size() > 1
    if distributed:
        init_distributed()
    task = cfg["task"]
    path = cfg["dataset"]
    if path is None:
        path = default_dataset()["segmentation" if task == "segmentation" else "classification"]
    path = os.path.abspath(path)
    ds = Dataset(path)
    ds_task = "classification" if ds.task_ == Task.classification else "segmentation"
    if task == "auto":
        task = ds_task
    elif task != ds_task:
        raise ExperimentError(f"{path}: task {task!r} asked but the dataset is for {ds_task} "
                              f"({'it lists classes' if ds.classes_ else 'it lists no classes'})")
    if cfg["fold"] is not None:
        try:
            set_fold_splits(ds, cfg["fold"], cfg["folds"], groups=cfg["group_by"],
                            seed=cfg["seed"])
        except (TypeError, ValueError) as e:
            raise ExperimentError(f"{path}: fold {cfg['fold']} of {cfg['folds']}: {e}") from None
    if not ds.split_:
        raise ExperimentError(f"{path}: the dataset has no splits")
    names = [s.split_name_ for s in ds.split_]
    train_split = "training" if "training" in names else names[0]
    augs, resized = _augs_for(cfg, ds)
    check_dataset(ds, resized)
    seg = task == "segmentation"
    loader = DLDataset(ds, cfg["batch_size"], augs, num_workers=cfg["workers"],
                       seed=cfg["seed"], scale=1 / 255, gt_scale=(1 / 255 if seg else None),
                       mask_values=([0.0, 1.0] if seg else None),
                       shard="auto" if distributed else None)
    if seg and loader.n_channels_gt_ != 1:
        raise ExperimentError(f"{path}: masks have {loader.n_channels_gt_} channels; the "
                              "training command trains binary (one-channel) masks")
    outputs = loader.n_channels_gt_ if seg else len(ds.classes_)
    net = make_model(cfg["model"], loader.tensors_shape_[0][1:], outputs, task)
    manual_seed(cfg["seed"])  # weight initialisation
    loss = _DEFAULT_LOSS[task] if cfg["loss"] == "auto" else cfg["loss"]
    metric = _DEFAULT_METRIC[task] if cfg["metric"] == "auto" else cfg["metric"]
    try:
        eddl.build(net, make_optimizer(cfg["optimizer"], cfg["lr"]), [loss], [metric],
                   eddl.CS_MPI(eddl.CS_CPU()) if distributed else eddl.CS_CPU())
    except ValueError as e:
        raise ExperimentError(str(e)) from None
    want = tuple(loader.tensors_shape_[1][1:])
    got = tuple(net.lout[0].shape)
    if got != want:
        raise ExperimentError(f"model {cfg['model']} outputs {list(got)} per sample but the "
                              f"dataset's targets are {list(want)}")
    model = cfg["model"]
    if model == "auto":
        model = "small_cnn" if task == "classification" else "small_unet"
    resolved = dict(cfg, dataset=path, task=task, loss=loss, metric=metric, model=model)
    out = broadcast(_out_dir(cfg, ds.name_, task, resume))  # rank 0's choice
    resolved["out"] = out
    resolved["name"] = cfg["name"] or os.path.basename(out)
    return resolved, loader, net, train_split, names


def _progress(prefix, i, n, t0, stream):
    if not stream.isatty():
        return
    w = 24
    done = int(w * i / max(n, 1))
    stream.write(f"\r{prefix} [{'#' * done}{'.' * (w - done)}] {i}/{n} {time.time() - t0:.1f}s")
    stream.flush()
    if i == n:
        stream.write("\r" + " " * (len(prefix) + w + 24) + "\r")


def _run_split(net, loader, split, train, epoch, verbose, label):
    """One pass over a split.

    Returns (loss, metric, seconds blocked waiting for the next batch, seconds of the pass):
    the wait is the time the loop spent inside the loader (``LoadBatch``), so a loader that
    keeps ahead of training shows a wait near zero.
    """
    t_pass = time.perf_counter()
    loader.SetSplit(split)
    loader.ResetBatch(shuffle=train, epoch=epoch)
    eddl.reset_loss(net)
    n, t0 = loader.GetNumBatches(), time.time()
    step = eddl.train_batch if train else eddl.eval_batch
    batches, wait, i = iter(loader), 0.0, 0
    try:
        while True:
            tw = time.perf_counter()
            try:
                x, y = next(batches)
            except StopIteration:
                break
            wait += time.perf_counter() - tw
            step(net, [x], [y])
            i += 1
            if verbose:
                _progress(label, i, n, t0, sys.stdout)
    finally:
        batches.close()
    # every rank's samples: the means of the whole split (and equal replicas after training)
    if train:
        end_epoch_distributed(net)
    else:
        avg_metrics_distributed(net)
    return eddl.get_losses(net)[0], eddl.get_metrics(net)[0], wait, time.perf_counter() - t_pass


def _write_history(history, path):
    keys = ["epoch", "train_loss", "train_metric", "val_loss", "val_metric", "seconds",
            "train_seconds", "loader_wait", "loader_wait_fraction"]
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(history)


def _overlays(net, loader, split, out_dir, count):
    """Overlay PNGs of predicted masks on the first ``count`` images of a split."""
    os.makedirs(out_dir, exist_ok=True)
    loader.SetSplit(split)
    loader.ResetBatch(epoch=0)
    written = 0
    while written < count and loader.current_batch_[loader.current_split_] < \
            loader.GetNumBatches():
        samples, x, y = loader.GetBatch()
        pred = eddl.predict(net, [x])[0].numpy()
        xs, ys = x.numpy(), y.numpy()
        for k, smp in enumerate(samples[:count - written]):
            rgb = np.clip(xs[k].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
            name = os.path.splitext(os.path.basename(smp.location_[0]))[0]
            overlay_png(rgb, pred[k, 0] > 0.5, os.path.join(out_dir, f"{name}.png"),
                        gt_mask=ys[k, 0] > 0.5)
            written += 1
    return written


def _write_epoch(net, out, epoch, history, new_best, best, state_path, best_path, metric):
    """Write an epoch's checkpoint, best weights (if ``new_best``), state, history and curves."""
    stem = save_checkpoint(net, out, epoch)
    if new_best:
        eddl.save(net, best_path, "npz")
    write_json_atomic({"epoch": epoch, "history": history, "best": best,
                       "checkpoint": stem, "rng": rng_state(net)}, state_path)
    publish_last(out, stem)
    _write_history(history, os.path.join(out, "history.csv"))
    plot_curves(history, os.path.join(out, "curves.png"), metric)


def run_experiment(cfg, resume=False, verbose=True):
    """Train as the experiment says; write checkpoints, metrics and pictures.

    Parameters
    ----------
    cfg : dict
        Resolved settings (see :func:`bridge.app.experiment.resolve`).
    resume : bool, optional
        Continue from the last checkpoint in the output folder.
    verbose : bool, optional
        Print progress and per-epoch metrics.

    Returns
    -------
    dict
        ``out`` folder, ``history``, ``best_epoch``, ``best_val_metric``, ``test_metric``,
        ``split_sizes`` (samples per split name), ``seconds``. With ``cfg["fold"]`` the
        fold's training and validation splits (the ``test`` split kept) are also written to
        ``<out>/dataset.yml`` as DDF.
    """
    t_start = time.time()
    cfg, loader, net, train_split, names = _prepare(cfg, resume)
    out = cfg["out"]
    # in a distributed run rank 0 alone prints and writes; every rank reads a checkpoint
    writer = get_rank() == 0
    verbose = verbose and writer
    if writer:
        os.makedirs(out, exist_ok=True)
        for folder in (out, os.path.join(out, "checkpoints")):
            remove_stale(folder)  # left by a run killed while writing; this run owns the folder
    state_path = os.path.join(out, "state.json")
    best_path = os.path.join(out, "best.npz")
    history, best, start = [], None, 0
    if resume:
        if not os.path.isfile(state_path):
            raise ExperimentError(f"{out}: no checkpoint to resume from (no state.json)")
        state = read_state(state_path)
        restore(net, out, state, verbose)
        history, best, start = state["history"], state["best"], state["epoch"]
        if verbose:
            print(f"Resuming {out} after epoch {start}", flush=True)
    if writer:
        dump_experiment(cfg, os.path.join(out, "experiment.yml"))
        if cfg["fold"] is not None:
            dump_dataset(loader, os.path.join(out, "dataset.yml"))  # this fold's DDF splits
    monitor = best_monitor(cfg, history)
    val_split = "validation" if "validation" in names else None
    if verbose:
        print(f"Training {cfg['model']} on {cfg['dataset']} ({cfg['task']}): "
              f"{loader.tensors_shape_[0][1:]} inputs, {loader.GetNumBatches(train_split)} "
              f"batches/epoch, output {out}", flush=True)
    try:
        for epoch in range(start, cfg["epochs"]):
            if cfg["early_stop"] and monitor.best_epoch is not None \
                    and epoch - monitor.best_epoch >= cfg["early_stop"]:
                if verbose:
                    print(f"Early stop: {cfg['monitor']} has not improved for "
                          f"{epoch - monitor.best_epoch} epochs", flush=True)
                break
            t0 = time.time()
            tl, tm, wait, train_s = _run_split(net, loader, train_split, True, epoch, verbose,
                                               f"epoch {epoch + 1}/{cfg['epochs']} train")
            vl = vm = None
            if val_split:
                vl, vm, _, _ = _run_split(net, loader, val_split, False, 0, verbose,
                                          f"epoch {epoch + 1}/{cfg['epochs']} val")
            row = {"epoch": epoch + 1, "train_loss": tl, "train_metric": tm, "val_loss": vl,
                   "val_metric": vm, "seconds": round(time.time() - t0, 3),
                   "train_seconds": round(train_s, 4), "loader_wait": round(wait, 4),
                   "loader_wait_fraction": round(wait / max(train_s, 1e-9), 4)}
            history.append(row)
            improved = monitor.update(epoch + 1, _monitored(row))
            if improved:
                best = {"epoch": epoch + 1, "metric": vm if vm is not None else tm,
                        "monitor": cfg["monitor"], "value": monitor.best_value}
            if writer:
                _write_epoch(net, out, epoch + 1, history, best if improved else None, best,
                             state_path, best_path, cfg["metric"])
            if verbose:
                val = f"  val {cfg['loss']} {vl:.4f} {cfg['metric']} {vm:.4f}" if val_split else ""
                print(f"epoch {epoch + 1}/{cfg['epochs']}: train {cfg['loss']} {tl:.4f} "
                      f"{cfg['metric']} {tm:.4f}{val}  ({row['seconds']:.1f}s; loader wait "
                      f"{wait:.2f}s = {100 * row['loader_wait_fraction']:.1f}% of training)",
                      flush=True)
    except KeyboardInterrupt:
        print(f"\nInterrupted; continue with: deephealth-train --config "
              f"{os.path.join(out, 'experiment.yml')} --resume", flush=True)
        raise
    result = {"out": out, "history": history, "best_epoch": best and best["epoch"],
              "best_val_metric": best and best["metric"], "test_metric": None,
              "split_sizes": {s.split_name_: len(s.samples_indices_) for s in loader.split_}}
    if is_mpi_distributed():  # the best weights are on disk once rank 0 has written them
        eddl.barrier_distributed()
    if os.path.isfile(best_path):
        eddl.load(net, best_path, "npz")
    if "test" in names:
        _, result["test_metric"], _, _ = _run_split(net, loader, "test", False, 0, False,
                                                    "test")
    if cfg["task"] == "segmentation" and cfg["overlays"] and val_split and writer:
        _overlays(net, loader, val_split, os.path.join(out, "overlays"), cfg["overlays"])
    result["seconds"] = time.time() - t_start
    if verbose:
        test = (f", test {cfg['metric']} {result['test_metric']:.4f}"
                if result["test_metric"] is not None else "")
        print(f"Best epoch {result['best_epoch']}: {cfg['metric']} "
              f"{result['best_val_metric']:.4f}{test}. Outputs in {out} "
              f"({result['seconds']:.1f}s)", flush=True)
    return result


def load_run_model(run_dir):
    """Load the experiment and best model of a finished run folder.

    Parameters
    ----------
    run_dir : str
        A folder written by :func:`run_experiment`.

    Returns
    -------
    tuple
        ``(cfg, net, loader)``: settings, built model with the best weights, and the data
        loader (for its sample shape and class names).
    """
    from .experiment import load_yaml, resolve

    cfg = resolve(load_yaml(os.path.join(run_dir, "experiment.yml")))
    cfg["out"] = run_dir
    cfg, loader, net, _, _ = _prepare(cfg, resume=True)
    weights = os.path.join(run_dir, "best.npz")
    if not os.path.isfile(weights):
        raise ExperimentError(f"{run_dir}: no best.npz; train the run first")
    eddl.load(net, weights, "npz")
    return cfg, net, loader
