"""fit with validation data and callbacks: early stopping, checkpoints, CSV logs, schedules."""

import csv
import os

import numpy as np
import pytest

import eddl
from eddl.callbacks import Callback, CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint, Monitor
from eddl.optimizers.schedules import StepDecay

RNG = np.random.default_rng(4)
X = RNG.standard_normal((48, 4)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 1)]
XV = RNG.standard_normal((20, 4)).astype(np.float32)
YV = np.eye(3, dtype=np.float32)[(XV[:, 0] > 0).astype(int) + (XV[:, 1] > 1)]


def make(lr=0.05, seed=3):
    eddl.set_seed(seed)
    i = eddl.Input([4])
    net = eddl.Model([i], [eddl.Softmax(eddl.Dense(eddl.ReLu(eddl.Dense(i, 8)), 3))])
    eddl.build(net, eddl.sgd(lr), ["cross_entropy"], ["accuracy"])
    return net


def test_validation_metrics_equal_evaluate_after_each_epoch():
    net = make()
    h = eddl.fit(net, [X], [Y], 8, 2, verbose=0, shuffle=False, validation_data=(XV, YV),
                 validation_batch_size=7)
    ref = make()
    for epoch in range(2):
        eddl.fit(ref, [X], [Y], 8, 1, verbose=0, shuffle=False)
        loss, met = eddl.evaluate(ref, [XV], [YV], bs=5, verbose=0)
        assert h[epoch]["val_loss"][0] == pytest.approx(loss[0], rel=1e-6)
        assert h[epoch]["val_metric"][0] == pytest.approx(met[0], rel=1e-6)
        assert h[epoch]["logs"]["val_accuracy"] == h[epoch]["val_metric"][0]
    # the training numbers are those of the epoch, not of the validation pass
    assert h[1]["loss"] == eddl.fit(make(), [X], [Y], 8, 2, verbose=0, shuffle=False)[1]["loss"]


def test_positional_pyeddl_signature_and_checks(capsys):
    net = make()
    assert len(eddl.fit(net, [X], [Y], 8, 1)) == 1  # PyEDDL's fit(m, in_, out, batch, epochs)
    assert "Epoch 1/1" in capsys.readouterr().out
    assert len(eddl.model.fit(net, [X], [Y], 8, 2, 0, False)) == 2
    with pytest.raises(TypeError):
        eddl.model.fit(net, [X], [Y], 8, 1, 0, False, "stop", False, (XV, YV))
    with pytest.raises(ValueError, match="validation_data"):
        eddl.fit(net, [X], [Y], 8, 1, verbose=0, validation_data=XV)
    with pytest.raises(ValueError, match="samples"):
        eddl.fit(net, [X], [Y], 8, 1, verbose=0, validation_data=(XV, YV[:3]))
    with pytest.raises(TypeError, match="Callback"):
        eddl.fit(net, [X], [Y], 8, 1, verbose=0, callbacks=[lambda: None])
    with pytest.raises(ValueError, match="not logged"):
        eddl.fit(net, [X], [Y], 8, 1, verbose=0, callbacks=[EarlyStopping("val_loss")])


def test_early_stopping_patience():
    net = make(lr=0.0)  # nothing changes: no improvement after epoch 1
    es = EarlyStopping("val_loss", patience=2)
    h = eddl.fit(net, [X], [Y], 8, 10, verbose=0, validation_data=(XV, YV), callbacks=[es])
    assert len(h) == 3 and es.stopped_epoch == 3 and es.best_epoch == 1


def test_early_stopping_min_delta_and_restore_best():
    net = make(lr=0.1)
    # "max" on the validation loss: its best epoch is the first while training lowers it
    es = EarlyStopping("val_loss", mode="max", patience=100, restore_best=True)
    h = eddl.fit(net, [X], [Y], 8, 4, verbose=0, validation_data=(XV, YV), callbacks=[es])
    vals = [r["val_loss"][0] for r in h]
    assert es.best_epoch == int(np.argmax(vals)) + 1 and es.stopped_epoch is None
    loss, _ = eddl.evaluate(net, [XV], [YV], verbose=0)
    assert loss[0] == pytest.approx(max(vals), rel=1e-6)
    es = EarlyStopping("loss", patience=1, min_delta=1e9)  # no gain is ever large enough
    assert len(eddl.fit(make(), [X], [Y], 8, 5, verbose=0, callbacks=[es])) == 2


def test_monitor_ties_break_on_the_second_quantity():
    accs, losses = [0.5, 1.0, 1.0, 1.0], [0.9, 0.7, 0.3, 0.5]
    plain, tied = Monitor("val_accuracy"), Monitor("val_accuracy", tiebreak="val_loss")
    for e, (a, l) in enumerate(zip(accs, losses), 1):
        plain.update(e, {"val_accuracy": a, "val_loss": l})
        tied.update(e, {"val_accuracy": a, "val_loss": l})
    assert plain.best_epoch == 2 and tied.best_epoch == 3 and tied.best_value == 1.0
    m = Monitor("val_loss")
    assert not m.update(1, {"val_loss": float("nan")}) and m.update(2, {"val_loss": 3.0})
    with pytest.raises(ValueError, match="mode"):
        Monitor("x", mode="up")


def test_model_checkpoint_best_and_every_epoch(tmp_path):
    net = make(lr=0.1)
    best = ModelCheckpoint(str(tmp_path / "best.npz"), monitor="val_loss")
    every = ModelCheckpoint(str(tmp_path / "e{epoch:02d}-{val_loss:.3f}.npz"), save_best_only=False)
    h = eddl.fit(net, [X], [Y], 8, 3, verbose=0, validation_data=(XV, YV), callbacks=[best, every])
    vals = [r["val_loss"][0] for r in h]
    assert best.best_epoch == int(np.argmin(vals)) + 1
    names = sorted(os.listdir(tmp_path))
    assert names == sorted(["best.npz"] + [f"e{e + 1:02d}-{v:.3f}.npz" for e, v in enumerate(vals)])
    other = make(seed=99)
    eddl.load(other, str(tmp_path / "best.npz"), "npz")
    assert eddl.evaluate(other, [XV], [YV], verbose=0)[0][0] == pytest.approx(min(vals), rel=1e-6)


def test_csv_logger_writes_and_appends(tmp_path):
    path = str(tmp_path / "log.csv")
    h = eddl.fit(make(), [X], [Y], 8, 2, verbose=0, validation_data=(XV, YV), callbacks=[CSVLogger(path)])
    eddl.fit(make(), [X], [Y], 8, 1, verbose=0, validation_data=(XV, YV), callbacks=[CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2", "1"]
    for r, rec in zip(rows, h):
        assert float(r["val_loss"]) == pytest.approx(rec["val_loss"][0], rel=1e-12)
        assert float(r["accuracy"]) == pytest.approx(rec["metric"][0], rel=1e-12)
    assert [n for n in os.listdir(tmp_path)] == ["log.csv"]


def test_learning_rate_scheduler():
    net = make(lr=0.1)
    h = eddl.fit(net, [X], [Y], 8, 3, verbose=0, callbacks=[LearningRateScheduler(StepDecay(1, 0.5))])
    assert [r["lr"] for r in h] == pytest.approx([0.1, 0.05, 0.025])
    net = make(lr=0.1)
    h = eddl.fit(net, [X], [Y], 8, 3, verbose=0,
                 callbacks=[LearningRateScheduler(lambda epoch, lr: 0.01 * epoch)])
    assert [r["lr"] for r in h] == pytest.approx([0.01, 0.02, 0.03])
    with pytest.raises(TypeError):
        LearningRateScheduler(0.1)


def test_hooks_order_and_stopping_from_a_batch():
    seen = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            seen.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            seen.append(f"batch_end {batch} {logs['size']}")
            if batch == 2:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            seen.append(f"epoch_end {epoch}")

        def on_train_end(self, logs=None):
            seen.append("train_end")

    h = eddl.fit(make(), [X], [Y], 20, 5, verbose=0, callbacks=[Spy()])
    assert len(h) == 1
    assert seen == ["train_begin", "epoch_begin 1", "batch_end 1 20", "batch_end 2 20", "epoch_end 1",
                    "train_end"]


def test_validation_data_as_tensors_and_lists():
    h_arr = eddl.fit(make(), [X], [Y], 8, 1, verbose=0, shuffle=False, validation_data=(XV, YV))
    h_t = eddl.fit(make(), [eddl.Tensor.fromarray(X)], [eddl.Tensor.fromarray(Y)], 8, 1, verbose=0,
                   shuffle=False, validation_data=([eddl.Tensor.fromarray(XV)], [eddl.Tensor.fromarray(YV)]))
    assert h_t[0]["val_loss"] == pytest.approx(h_arr[0]["val_loss"], rel=1e-7)
    assert h_t[0]["val_metric"] == h_arr[0]["val_metric"]
