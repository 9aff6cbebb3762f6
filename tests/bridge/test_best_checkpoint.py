"""deephealth-train's best checkpoint: exact ties on the monitored metric break on the
validation loss, the monitored quantity is configurable, and early stopping."""

import json

import numpy as np
import pytest

import bridge.app.train as train
from bridge.app.cli import main
from bridge.app.experiment import ExperimentError, resolve

# the run: accuracy saturates at epoch 2, the validation loss keeps falling to epoch 5
VAL = [(0.69, 0.5), (0.68, 1.0), (0.40, 1.0), (0.05, 1.0), (0.004, 1.0), (0.01, 1.0)]


def _scripted(monkeypatch, val=VAL):
    """Replace the passes over the data: validation returns the scripted values, and each
    training pass writes its epoch number into the first weight, so best.npz names its epoch."""
    epochs = iter(range(1, len(val) + 1))
    state = {}

    def run_split(net, loader, split, is_train, epoch, verbose, label):
        if is_train:
            state["epoch"] = next(epochs)
            net.layers[1].params[0][...] = state["epoch"]
            return 1.0, 0.5, 0.0, 0.01
        loss, metric = val[state["epoch"] - 1]
        return loss, metric, 0.0, 0.01

    monkeypatch.setattr(train, "_run_split", run_split)


def _first_weight(path):
    with np.load(path, allow_pickle=False) as z:
        key = sorted(k for k in z.files if k.startswith("0000:") or k.startswith("0001:"))[0]
        return float(z[key].ravel()[0])


def _cfg(lesions, out, **kw):
    return resolve(overrides=dict({"dataset": lesions["classification"], "epochs": len(VAL),
                                   "batch_size": 8, "out": str(out), "workers": 1}, **kw))


@pytest.mark.parametrize("monitor,best", [("val_metric", 5), ("val_loss", 5)])
def test_ties_on_the_metric_break_on_the_validation_loss(lesions, tmp_path, monkeypatch, monitor, best):
    _scripted(monkeypatch)
    res = train.run_experiment(_cfg(lesions, tmp_path / "run", monitor=monitor), verbose=False)
    assert res["best_epoch"] == best and res["best_val_metric"] == 1.0
    with open(tmp_path / "run" / "state.json") as f:
        state = json.load(f)
    assert state["best"]["epoch"] == best and state["best"]["monitor"] == monitor
    assert _first_weight(tmp_path / "run" / "best.npz") == best


def test_monitor_val_loss_ignores_the_metric(lesions, tmp_path, monkeypatch):
    val = [(0.5, 0.9), (0.3, 0.6), (0.4, 0.95)]
    _scripted(monkeypatch, val)
    res = train.run_experiment(_cfg(lesions, tmp_path / "a", epochs=3, monitor="val_loss"), verbose=False)
    assert res["best_epoch"] == 2
    _scripted(monkeypatch, val)
    res = train.run_experiment(_cfg(lesions, tmp_path / "b", epochs=3), verbose=False)
    assert res["best_epoch"] == 3


def test_early_stop(lesions, tmp_path, monkeypatch):
    val = [(0.5, 0.9), (0.4, 0.95), (0.6, 0.8), (0.7, 0.7), (0.1, 0.99), (0.1, 0.99)]
    _scripted(monkeypatch, val)
    res = train.run_experiment(_cfg(lesions, tmp_path / "run", epochs=6, early_stop=2), verbose=False)
    assert len(res["history"]) == 4 and res["best_epoch"] == 2


def test_settings_are_checked(lesions, tmp_path, capsys):
    with pytest.raises(ExperimentError, match="monitor"):
        _cfg(lesions, tmp_path, monitor="accuracy")
    with pytest.raises(ExperimentError, match="early_stop"):
        _cfg(lesions, tmp_path, early_stop=-1)
    with pytest.raises(SystemExit):
        main(["--monitor", "val_auc"])
    assert "invalid choice" in capsys.readouterr().err


def test_best_monitor_replays_history_and_respects_lower_is_better_metrics():
    rows = [{"epoch": e + 1, "train_loss": 1.0, "train_metric": 0.0, "val_loss": l, "val_metric": m}
            for e, (l, m) in enumerate([(0.3, 0.2), (0.2, 0.2), (0.25, 0.1)])]
    cfg = {"monitor": "val_metric", "metric": "categorical_accuracy"}
    assert train.best_monitor(cfg, rows).best_epoch == 2
    cfg = {"monitor": "val_metric", "metric": "mse"}
    assert train.best_monitor(cfg, rows).best_epoch == 3
    rows[2]["val_loss"] = 0.2  # tie on the loss: the higher accuracy wins
    cfg = {"monitor": "val_loss", "metric": "categorical_accuracy"}
    assert train.best_monitor(cfg, rows).best_epoch == 2
