"""Checkpoints of the training command: weights, optimizer state and random stream.

A checkpoint is a pair of files named by epoch under ``checkpoints/`` (weights in eddl's
``.npz`` layout, the optimizer's :meth:`~eddl.optimizers.Optimizer.get_state` arrays in
another ``.npz``); ``state.json``, written after them, names the pair to resume from. Nothing
here is pickled: both files are read with ``allow_pickle=False``.
"""

import json
import os
import shutil

import numpy as np

import eddl
from _deephealth.atomic import atomic_path

from .experiment import ExperimentError

__all__ = ["rng_state", "save_checkpoint", "publish_last", "restore", "write_json_atomic"]


def write_json_atomic(obj, path):
    """Write ``obj`` as JSON via a temporary file and an atomic rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)


def rng_state(net):
    """The state of the model's random stream (JSON-friendly), or None."""
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
        with np.load(opt, allow_pickle=False) as z:
            saved = {k: z[k] for k in z.files}
    except Exception as e:  # zip, npy-header and I/O errors of a damaged file
        raise ExperimentError(f"{opt}: unreadable optimizer state ({e})") from None
    try:
        net.optimizer.set_state(saved)
    except ValueError as e:
        raise ExperimentError(f"{opt}: {e}") from None
    if state.get("rng") is not None and rng_state(net) is not None:
        net.rng.bit_generator.state = state["rng"]
