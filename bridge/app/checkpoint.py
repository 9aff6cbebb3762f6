"""Checkpoints of the training command: weights, optimizer state and random stream.

A checkpoint is a pair of files named by epoch under ``checkpoints/`` (weights in eddl's
``.npz`` layout, the optimizer's :meth:`~eddl.optimizers.Optimizer.get_state` arrays in
another ``.npz``); ``state.json``, written after them, names the pair to resume from. Nothing
here is pickled: both files are read with ``allow_pickle=False``.
"""

import json
import os
import re
import shutil

import numpy as np

import eddl
from _deephealth.atomic import atomic_path
from _deephealth.messages import one_line
from eddl.tensor import TensorFormatError
from eddl.tensor.safeload import load_npz

from .experiment import ExperimentError

__all__ = ["rng_state", "save_checkpoint", "publish_last", "restore", "read_state",
           "write_json_atomic"]

_STEM = re.compile(r"checkpoints[/\\]epoch-\d{4,}")


def write_json_atomic(obj, path):
    """Write ``obj`` as JSON via a temporary file and an atomic rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)


def rng_state(net):
    """Return the state of the model's random stream (JSON-friendly), or None."""
    bg = getattr(getattr(net, "rng", None), "bit_generator", None)
    return bg.state if bg is not None else None


def save_checkpoint(net, out, epoch):
    """Weights and optimizer state of ``epoch`` under ``checkpoints/``; returns the stem.

    The files are named by epoch and ``state.json`` (written after them) says which to use,
    so a run killed while saving resumes from a consistent pair.
    """
    folder = os.path.join(out, "checkpoints")
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join("checkpoints", f"epoch-{epoch:04d}")
    eddl.save(net, os.path.join(out, f"{stem}.npz"), "npz")
    state = net.optimizer.get_state()
    path = os.path.join(out, f"{stem}-optimizer.npz")
    with atomic_path(path, ".npz") as tmp:
        np.savez(tmp, **state)
    return stem


def publish_last(out, stem):
    """Make ``last.npz`` the checkpoint's weights, and drop older checkpoints."""
    src, last = os.path.join(out, f"{stem}.npz"), os.path.join(out, "last.npz")
    with atomic_path(last) as tmp:
        try:
            os.link(src, tmp)
        except OSError:  # no hard links on this file system
            shutil.copyfile(src, tmp)
    keep = {os.path.basename(stem) + ".npz", os.path.basename(stem) + "-optimizer.npz"}
    folder = os.path.join(out, "checkpoints")
    for name in os.listdir(folder):
        if name not in keep:
            os.remove(os.path.join(folder, name))


def read_state(path):
    """Read and check ``state.json``; any damage becomes one ExperimentError naming the file."""
    try:
        with open(path, "rb") as f:
            state = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:  # JSONDecodeError is a ValueError
        raise ExperimentError(f"{path}: unreadable resume state ({one_line(e)}); start the run "
                              "again without --resume") from e
    problems = []
    if not isinstance(state, dict):
        problems.append(f"expected a JSON object, got {type(state).__name__}")
    else:
        epoch, history, best = state.get("epoch"), state.get("history"), state.get("best")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            problems.append(f"'epoch' must be a non-negative integer, got {one_line(repr(epoch))}")
        if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
            problems.append("'history' must be a list of objects")
        if best is not None and not (isinstance(best, dict) and isinstance(best.get("epoch"), int)
                                     and isinstance(best.get("metric"), (int, float))):
            problems.append(f"'best' must be null or an object with 'epoch' and 'metric', got "
                            f"{one_line(repr(best))}")
        stem = state.get("checkpoint")
        if stem is not None and not (isinstance(stem, str) and _STEM.fullmatch(stem)):
            problems.append(f"'checkpoint' must name a file under checkpoints/, got "
                            f"{one_line(repr(stem))}")
    if problems:
        raise ExperimentError(f"{path}: corrupt resume state: {'; '.join(problems)}")
    return state



def restore(net, out, state, verbose):
    """Load a checkpoint named by ``state.json`` (weights, optimizer state, random stream)."""
    stem = state.get("checkpoint")
    if stem is None:  # a run from before optimizer states were saved
        eddl.load(net, os.path.join(out, "last.npz"), "npz")
        if verbose:
            print("No optimizer state in this run: it restarts from zero", flush=True)
        return
    weights = os.path.join(out, f"{stem}.npz")
    opt = os.path.join(out, f"{stem}-optimizer.npz")
    for f in (weights, opt):
        if not os.path.isfile(f):
            raise ExperimentError(f"{out}: the checkpoint file {f} is missing")
    eddl.load(net, weights, "npz")
    try:
        saved = load_npz(opt)
    except TensorFormatError as e:
        raise ExperimentError(f"{opt}: unreadable optimizer state ({e})") from e
    try:
        net.optimizer.set_state(saved)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise ExperimentError(f"{opt}: optimizer state does not fit the model ({one_line(e)})") from e
    if state.get("rng") is not None and rng_state(net) is not None:
        try:
            net.rng.bit_generator.state = state["rng"]
        except (ValueError, TypeError, KeyError) as e:
            raise ExperimentError(f"{os.path.join(out, 'state.json')}: corrupt random-stream state "
                                  f"({one_line(e)})") from e
