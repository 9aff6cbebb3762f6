"""Experiment settings of the training command: defaults, YAML file, flags, validation."""

import os
import re

import yaml

from _deephealth.atomic import atomic_path

__all__ = ["DEFAULTS", "ExperimentError", "resolve", "dump_experiment"]


class ExperimentError(ValueError):
    """An experiment setting is invalid; the message says which and why."""


DEFAULTS = {
    "name": None,              # run name; default: dataset name + task
    "dataset": None,           # DDF path; None: the built-in synthetic lesions
    "task": "auto",            # classification | segmentation | auto (from the dataset)
    "augmentations": {},       # split name -> DSL file path or DSL text
    "model": "auto",           # small_cnn | small_unet | a zoo name | auto
    "optimizer": "adam",
    "lr": 0.005,
    "loss": "auto",
    "metric": "auto",
    "batch_size": 32,
    "epochs": 10,
    "input_size": None,        # [H, W]; None: the images' size
    "seed": 0,
    "workers": 2,
    "out": None,               # default ./runs/<name>
    "overlays": 8,             # segmentation: validation overlays written per run
    "monitor": "val_metric",   # best.npz: val_metric | val_loss | train_metric | train_loss
    "early_stop": 0,           # stop after this many epochs without a better best (0: never)
    "fold": None,              # train on this k-fold split (0-based); None: the dataset's splits
    "folds": 5,                # number of folds of `fold`
    "group_by": None,          # with fold: a dataset feature holding a group id (patient)
}

#: quantities the best checkpoint can follow; each breaks exact ties on its partner
MONITORS = ("val_metric", "val_loss", "train_metric", "train_loss")

_KNOWN_TASKS = ("auto", "classification", "segmentation")


def _check(cfg):
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise ExperimentError(f"unknown experiment setting(s) {unknown}; valid: {sorted(DEFAULTS)}")
    if cfg["task"] not in _KNOWN_TASKS:
        raise ExperimentError(f"task must be one of {_KNOWN_TASKS}, got {cfg['task']!r}")
    for key in ("batch_size", "epochs", "workers"):
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ExperimentError(f"{key} must be a positive integer, got {v!r}")
    if isinstance(cfg["overlays"], bool) or not isinstance(cfg["overlays"], int) \
            or cfg["overlays"] < 0:
        raise ExperimentError(f"overlays must be an integer >= 0, got {cfg['overlays']!r}")
    try:
        lr = float(cfg["lr"])
    except (TypeError, ValueError):
        lr = -1.0
    if not lr > 0:
        raise ExperimentError(f"lr must be a positive number, got {cfg['lr']!r}")
    cfg["lr"] = lr
    if not isinstance(cfg["seed"], int) or isinstance(cfg["seed"], bool):
        raise ExperimentError(f"seed must be an integer, got {cfg['seed']!r}")
    size = cfg["input_size"]
    if size is not None:
        if isinstance(size, int):
            size = [size, size]
        if (not isinstance(size, (list, tuple)) or len(size) != 2
                or not all(isinstance(s, int) and s > 0 for s in size)):
            raise ExperimentError(f"input_size must be [H, W] positive integers, got {size!r}")
        cfg["input_size"] = list(size)
    if cfg["monitor"] not in MONITORS:
        raise ExperimentError(f"monitor must be one of {MONITORS}, got {cfg['monitor']!r}")
    if isinstance(cfg["early_stop"], bool) or not isinstance(cfg["early_stop"], int) \
            or cfg["early_stop"] < 0:
        raise ExperimentError(f"early_stop must be an integer >= 0, got {cfg['early_stop']!r}")
    folds = cfg["folds"]
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ExperimentError(f"folds must be an integer >= 2, got {folds!r}")
    fold = cfg["fold"]
    if fold is not None and (isinstance(fold, bool) or not isinstance(fold, int)
                             or not 0 <= fold < folds):
        raise ExperimentError(f"fold must be an integer in [0, {folds}) (folds={folds}), got "
                              f"{fold!r}")
    if cfg["group_by"] is not None and (not isinstance(cfg["group_by"], str)
                                        or not cfg["group_by"]):
        raise ExperimentError(f"group_by must be the name of a dataset feature, got "
                              f"{cfg['group_by']!r}")
    if not isinstance(cfg["augmentations"], dict):
        raise ExperimentError("augmentations must map split names to DSL files or text")
    if cfg["name"] is not None and not re.fullmatch(r"[\w.\-]+", str(cfg["name"])):
        raise ExperimentError(f"run name {cfg['name']!r} may only hold letters, digits, '.', "
                              "'_' and '-'")
    return cfg


def load_yaml(path):
    """Read an experiment YAML file into a dict (relative paths resolved against it)."""
    if not os.path.isfile(path):
        raise ExperimentError(f"{path}: experiment file does not exist")
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise ExperimentError(f"{path}: YAML syntax error: {e}") from None
    if not isinstance(data, dict):
        raise ExperimentError(f"{path}: an experiment file is a mapping of settings")
    base = os.path.dirname(os.path.abspath(path))

    def rel(p):
        return p if p is None or os.path.isabs(p) else os.path.join(base, p)

    if isinstance(data.get("dataset"), str):
        data["dataset"] = rel(data["dataset"])
    augs = data.get("augmentations")
    if isinstance(augs, dict):
        data["augmentations"] = {k: (rel(v) if isinstance(v, str) and "\n" not in v
                                     and os.path.exists(rel(v)) else v)
                                 for k, v in augs.items()}
    return data


def resolve(file_cfg=None, overrides=None):
    """Merge defaults, an experiment file's settings and command-line overrides.

    Parameters
    ----------
    file_cfg : dict, optional
        Settings read from an experiment YAML.
    overrides : dict, optional
        Settings given as flags (None values are ignored).

    Returns
    -------
    dict
        The validated experiment.
    """
    cfg = dict(DEFAULTS)
    cfg["augmentations"] = {}
    for src in (file_cfg or {}, {k: v for k, v in (overrides or {}).items() if v is not None}):
        for k, v in src.items():
            if k == "augmentations" and isinstance(v, dict):
                cfg[k] = {**cfg[k], **v}
            else:
                cfg[k] = v
    return _check(cfg)


def dump_experiment(cfg, path):
    """Write the resolved experiment as YAML, atomically (it can be passed back with --config).

    Parameters
    ----------
    cfg : dict
        Resolved experiment.
    path : str
        Destination file.
    """
    text = yaml.safe_dump(dict(cfg), sort_keys=False)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
