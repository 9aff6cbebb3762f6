"""deephealth-train --fold and --cross-validate on the synthetic lesions: the folds are
ecvl's k-fold splits, written as DDF, and the summary's statistics are the folds' own."""

import csv
import json

import numpy as np
import pytest
import yaml

from bridge.app.cli import main
from bridge.app.crossval import summarize_folds
from ecvl.dataset import Dataset, kfold_splits


def _train(lesions, out, *extra, ddf="classification"):
    return main(["--dataset", lesions[ddf], "--epochs", "1", "--batch-size", "4",
                 "--workers", "1", "--overlays", "0", "--out", str(out), "--quiet", *extra])


def _splits(path):
    ds = Dataset(str(path))
    return ds, {s.split_name_: list(s.samples_indices_) for s in ds.split_}


def _locations(ds, indices):
    return {ds.samples_[i].location_[0] for i in indices}


def test_fold_trains_on_the_kth_split(lesions, tmp_path):
    out = tmp_path / "f1"
    assert _train(lesions, out, "--fold", "1", "--folds", "3", "--seed", "4") == 0
    orig, orig_splits = _splits(lesions["classification"])
    train, val = kfold_splits(orig, 3, seed=4)[1]
    ds, splits = _splits(out / "dataset.yml")
    assert list(splits) == ["training", "validation", "test"]
    assert _locations(ds, splits["validation"]) == _locations(orig, val)
    assert _locations(ds, splits["training"]) == _locations(orig, train)
    assert _locations(ds, splits["test"]) == _locations(orig, orig_splits["test"])
    # stratified: every class has 6 samples outside the test split, 2 per fold
    labels = [ds.samples_[i].label_[0] for i in splits["validation"]]
    assert sorted(np.bincount(labels, minlength=3).tolist()) == [2, 2, 2]
    cfg = yaml.safe_load((out / "experiment.yml").read_text())
    assert (cfg["fold"], cfg["folds"], cfg["group_by"]) == (1, 3, None)
    # the written DDF trains as it is, on the same splits
    assert main(["--dataset", str(out / "dataset.yml"), "--epochs", "1", "--batch-size", "4",
                 "--workers", "1", "--out", str(tmp_path / "again"), "--quiet"]) == 0


def test_cross_validation_summary(lesions, tmp_path):
    out = tmp_path / "cv"
    assert _train(lesions, out, "--cross-validate", "3", ddf="segmentation") == 0
    with open(out / "cv_summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["fold"] for r in rows] == ["0", "1", "2", "mean", "std"]
    assert list(rows[0]) == ["fold", "n_train", "n_validation", "best_epoch", "val_loss",
                             "val_metric", "test_metric"]
    orig, orig_splits = _splits(lesions["segmentation"])
    seen = set()
    for k, row in enumerate(rows[:3]):
        ds, splits = _splits(out / f"fold-{k}" / "dataset.yml")
        val = _locations(ds, splits["validation"])
        assert not val & seen and not val & _locations(ds, splits["training"])
        seen |= val
        assert (int(row["n_train"]), int(row["n_validation"])) == (
            len(splits["training"]), len(splits["validation"]))
        state = json.loads((out / f"fold-{k}" / "state.json").read_text())
        best = state["history"][state["best"]["epoch"] - 1]
        assert float(row["val_metric"]) == pytest.approx(best["val_metric"], rel=1e-12)
        assert float(row["val_loss"]) == pytest.approx(best["val_loss"], rel=1e-12)
        assert row["test_metric"] != ""
    pool = set(range(len(orig.samples_))) - set(orig_splits["test"])
    assert seen == _locations(orig, pool)
    for key in ("val_loss", "val_metric", "test_metric", "n_validation"):
        vals = np.array([float(r[key]) for r in rows[:3]])
        assert float(rows[3][key]) == pytest.approx(vals.mean(), rel=1e-12)
        assert float(rows[4][key]) == pytest.approx(vals.std(ddof=1), rel=1e-9, abs=1e-15)


def test_group_aware_folds(lesions, tmp_path):
    ds = Dataset(lesions["classification"])
    ds.features_ = ["patient"]
    for i, s in enumerate(ds.samples_):
        s.values_ = {0: f"p{i % 7}"}
    grouped = tmp_path / "grouped.yml"
    ds.Dump(str(grouped))
    out = tmp_path / "cv"
    assert main(["--dataset", str(grouped), "--epochs", "1", "--batch-size", "4",
                 "--workers", "1", "--out", str(out), "--quiet", "--cross-validate", "2",
                 "--group-by", "patient"]) == 0
    for k in range(2):
        fold, splits = _splits(out / f"fold-{k}" / "dataset.yml")
        patients = {name: {fold.samples_[i].values_[0] for i in splits[name]}
                    for name in ("training", "validation")}
        assert patients["training"] and patients["validation"]
        assert not patients["training"] & patients["validation"]


def test_summary_statistics():
    rows = [{"val_metric": 0.5, "test_metric": None}, {"val_metric": 0.9, "test_metric": 0.2},
            {"val_metric": 0.7, "test_metric": None}]
    mean, std = summarize_folds(rows)
    assert mean["val_metric"] == pytest.approx(0.7) and mean["test_metric"] == 0.2
    assert std["val_metric"] == pytest.approx(np.std([0.5, 0.9, 0.7], ddof=1))
    assert std["test_metric"] is None and mean["n_train"] is None


def test_bad_fold_settings(lesions, tmp_path, capsys):
    cases = [
        (["--fold", "3", "--folds", "3"], "fold must be an integer in [0, 3)"),
        (["--fold", "0", "--folds", "1"], "folds must be an integer >= 2"),
        (["--folds", "3"], "--folds needs --fold"),
        (["--group-by", "patient"], "--group-by needs --fold or --cross-validate"),
        (["--fold", "0", "--group-by", "patient"], "groups 'patient' is not a feature"),
        (["--cross-validate", "1"], "--cross-validate needs at least 2 folds"),
        (["--cross-validate", "3", "--fold", "1"], "it takes neither --fold nor --folds"),
        (["--fold", "0", "--folds", "19"], "k=19 folds need at least 19 samples, there are 18"),
    ]
    for k, (extra, words) in enumerate(cases):
        assert _train(lesions, tmp_path / f"r{k}", *extra) == 2, extra
        assert words in capsys.readouterr().err, extra


def test_cross_validation_resumes_every_fold(lesions, tmp_path):
    out = tmp_path / "cv"
    assert _train(lesions, out, "--cross-validate", "2") == 0
    assert _train(lesions, out, "--cross-validate", "2", "--epochs", "2", "--resume") == 0
    for k in range(2):
        state = json.loads((out / f"fold-{k}" / "state.json").read_text())
        assert [h["epoch"] for h in state["history"]] == [1, 2]
    with open(out / "cv_summary.csv") as f:
        assert [r["fold"] for r in csv.DictReader(f)] == ["0", "1", "mean", "std"]
