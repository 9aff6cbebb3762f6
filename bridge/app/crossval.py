"""k-fold cross-validation of an experiment: one training run per fold and a summary table."""

import csv
import math
import os

from _deephealth.atomic import atomic_path

from .experiment import ExperimentError, resolve
from .train import run_experiment

__all__ = ["run_cross_validation", "summarize_folds", "SUMMARY_COLUMNS"]

#: the per-fold quantities of ``cv_summary.csv``, after ``fold``
SUMMARY_COLUMNS = ("n_train", "n_validation", "best_epoch", "val_loss", "val_metric",
                   "test_metric")


def _fold_row(fold, result):
    best = result["best_epoch"]
    row = result["history"][best - 1] if best else {}
    sizes = result.get("split_sizes", {})
    return {"fold": fold, "n_train": sizes.get("training"),
            "n_validation": sizes.get("validation"), "best_epoch": best,
            "val_loss": row.get("val_loss"), "val_metric": result["best_val_metric"],
            "test_metric": result["test_metric"]}


def summarize_folds(rows):
    """Mean and sample standard deviation of each quantity over the folds.

    Parameters
    ----------
    rows : sequence of dict
        One row per fold with the keys of :data:`SUMMARY_COLUMNS`; ``None`` values (no test
        split, say) are left out of that column's statistics.

    Returns
    -------
    tuple of dict
        ``(mean, std)`` rows keyed like the input, ``fold`` set to ``"mean"`` and ``"std"``;
        the standard deviation uses ``n - 1`` degrees of freedom (``numpy.std(ddof=1)``),
        None for fewer than two values.

    Examples
    --------
    >>> mean, std = summarize_folds([{"val_metric": 0.5}, {"val_metric": 0.7}])
    >>> round(mean["val_metric"], 6), round(std["val_metric"], 6)
    (0.6, 0.141421)
    """
    mean, std = {"fold": "mean"}, {"fold": "std"}
    for key in SUMMARY_COLUMNS:
        vals = [float(r[key]) for r in rows if r.get(key) is not None]
        m = sum(vals) / len(vals) if vals else None
        mean[key] = m
        std[key] = (math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))
                    if len(vals) > 1 else None)
    return mean, std


def _write_summary(rows, path):
    keys = ("fold",) + SUMMARY_COLUMNS
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in keys})


def _base_out(cfg):
    if cfg["out"]:
        return os.path.abspath(cfg["out"])
    if cfg["name"]:
        name = cfg["name"]
    elif cfg["dataset"]:
        name = os.path.splitext(os.path.basename(cfg["dataset"]))[0]
    else:
        name = "lesions"
    return os.path.abspath(os.path.join("runs", f"{name}-cv"))


def run_cross_validation(cfg, k, resume=False, verbose=True):
    """Train one run per fold of a k-fold split and write ``cv_summary.csv``.

    Fold ``i`` trains on the other folds and validates on fold ``i`` (see
    :func:`ecvl.dataset.kfold_splits`: stratified by class for classification, by group with
    ``cfg["group_by"]``); the dataset's ``test`` split is kept out of every fold and
    evaluated by each run. Runs go to ``<out>/fold-<i>``, each a complete run folder
    (checkpoints, ``history.csv``, ``dataset.yml`` with its splits) that
    ``deephealth-predict`` takes.

    Parameters
    ----------
    cfg : dict
        Resolved experiment (see :func:`bridge.app.experiment.resolve`); its ``fold`` must
        be None, its ``out`` is the folder of the folds (default ``./runs/<name>-cv``).
    k : int
        Number of folds, ``>= 2``.
    resume : bool
        Continue the folds that have a checkpoint; start the others.
    verbose : bool
        Print each run's progress and the summary.

    Returns
    -------
    dict
        ``out`` (the folder), ``summary`` (path of ``cv_summary.csv``), ``folds`` (one row
        per fold), ``mean`` and ``std`` (see :func:`summarize_folds`).

    Examples
    --------
    >>> from bridge.app.experiment import resolve
    >>> cfg = resolve(overrides={"epochs": 1, "out": "runs/cv"})     # doctest: +SKIP
    >>> run_cross_validation(cfg, 3)["mean"]["val_metric"]           # doctest: +SKIP
    0.61
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ExperimentError(f"cross-validation needs an integer number of folds >= 2, got {k!r}")
    if cfg["fold"] is not None:
        raise ExperimentError("fold and cross-validation exclude each other: cross-validation "
                              "runs every fold")
    base = _base_out(cfg)
    os.makedirs(base, exist_ok=True)
    rows = []
    for fold in range(k):
        out = os.path.join(base, f"fold-{fold}")
        name = f"{cfg['name'] or os.path.basename(base)}-fold{fold}"
        fold_cfg = resolve(dict(cfg, fold=fold, folds=k, out=out, name=name))
        if verbose:
            print(f"Cross-validation: fold {fold + 1}/{k}", flush=True)
        again = resume and os.path.isfile(os.path.join(out, "state.json"))
        rows.append(_fold_row(fold, run_experiment(fold_cfg, resume=again, verbose=verbose)))
    mean, std = summarize_folds(rows)
    path = os.path.join(base, "cv_summary.csv")
    _write_summary(rows + [mean, std], path)
    if verbose:
        metric = "metric" if cfg["metric"] == "auto" else cfg["metric"]
        spread = f" ± {std['val_metric']:.4f}" if std["val_metric"] is not None else ""
        print(f"Cross-validation over {k} folds: validation {metric} "
              f"{mean['val_metric']:.4f}{spread}; summary in {path}", flush=True)
    return {"out": base, "summary": path, "folds": rows, "mean": mean, "std": std}
