"""deephealth-train's per-split report: CSV values equal to scikit-learn on the same predictions,
and the confusion-matrix and ROC pictures beside it."""

import csv
import math

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("matplotlib")
skm = pytest.importorskip("sklearn.metrics")

from bridge.app.cli import main  # noqa: E402
from bridge.app.evaluation import split_metrics, split_predictions  # noqa: E402
from bridge.app.train import load_run_model  # noqa: E402


def _read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {(r["metric"], r["class"]): float(r["value"]) for r in rows}


def _expected(y, s, classes):
    c = len(classes)
    pred = s.argmax(axis=1) if s.ndim == 2 else (s > 0.5).astype(int)
    lab = list(range(c))
    want = {("accuracy", ""): skm.accuracy_score(y, pred),
            ("balanced_accuracy", ""): skm.balanced_accuracy_score(y, pred)}
    kw = dict(labels=lab, average=None, zero_division=0)
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score),
                     ("f1", skm.f1_score)):
        for k, v in enumerate(fn(y, pred, **kw)):
            want[(name, classes[k])] = v
    onehot = np.eye(c)[y]
    for k in range(c):
        col = s[:, k] if s.ndim == 2 else (s if k == 1 else 1 - s)
        defined = 0 < onehot[:, k].sum() < len(y)
        want[("roc_auc", classes[k])] = skm.roc_auc_score(onehot[:, k], col) if defined else math.nan
        want[("support", classes[k])] = onehot[:, k].sum()
    per = [want[("roc_auc", n)] for n in classes]
    want[("roc_auc", "")] = per[1] if c == 2 else np.nanmean(per)
    return want


def _check(got, want):
    assert set(got) == set(want)
    for key, v in want.items():
        if math.isnan(v):
            assert math.isnan(got[key]), key
        else:
            assert got[key] == pytest.approx(v, rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("ddf", ["classification", "segmentation"])
def test_report_per_split_matches_sklearn(lesions, tmp_path, ddf):
    out = tmp_path / "run"
    assert main(["--dataset", lesions[ddf], "--epochs", "2", "--batch-size", "4",
                 "--out", str(out), "--quiet", "--seed", "1"]) == 0
    cfg, net, loader = load_run_model(str(out))
    classes = list(loader.classes_) if ddf == "classification" else ["background", "foreground"]
    for split in ("validation", "test"):
        y, s = split_predictions(net, loader, split, cfg["task"])
        assert len(y) == (6 if ddf == "classification" else 6 * 16 * 16)
        got = _read(out / f"report-{split}.csv")
        _check(got, _expected(y, s, classes))
        for pic in ("confusion", "roc"):
            with Image.open(out / f"{pic}-{split}.png") as im:
                assert im.format == "PNG" and min(im.size) > 300
    assert not (out / "report-training.csv").exists()
    with Image.open(out / "curves.png") as im:
        assert im.format == "PNG"


def test_split_metrics_sklearn_on_random_scores():
    rng = np.random.default_rng(4)
    classes = ["a", "b", "c", "d"]
    y = rng.integers(0, 4, 50)
    y[y == 3] = 0  # class d absent: its AUC is NaN and is left out of the macro average
    s = rng.random((50, 4))
    s /= s.sum(axis=1, keepdims=True)
    got = {(m, c): v for m, c, v in split_metrics(y, s, classes)}
    _check(got, _expected(y, s, classes))
    with pytest.raises(ValueError, match="score columns"):
        split_metrics(y, s[:, :3], classes)
    # two classes: unnormalised two-column scores, and [N] probabilities of the positive class
    y2 = rng.integers(0, 2, 40)
    for s2 in (rng.random((40, 2)), rng.random(40)):
        got = {(m, c): v for m, c, v in split_metrics(y2, s2, ["neg", "pos"])}
        _check(got, _expected(y2, s2, ["neg", "pos"]))
        assert got[("roc_auc", "")] == pytest.approx(skm.roc_auc_score(y2, s2 if s2.ndim == 1 else s2[:, 1]))
