"""--resume continues exactly: N epochs in one go equal N/2, a kill mid-epoch, and a resume."""

import json
import os

import numpy as np
import pytest

import eddl
from bridge.app.experiment import ExperimentError, resolve
from bridge.app.train import run_experiment


def _cfg(lesions, out, epochs, optimizer):
    return resolve(overrides={"dataset": lesions["classification"], "epochs": epochs,
                              "batch_size": 4, "out": str(out), "workers": 2, "seed": 11,
                              "optimizer": optimizer, "lr": 0.01,
                              "augmentations": {"training": "AugMirror p=0.5"}})


def _weights(path):
    # keys start with the parameter's position; the layer names count per process
    with np.load(path, allow_pickle=False) as z:
        return {k.split(":")[0]: z[k] for k in z.files}


def _kill_during_epoch(monkeypatch, after_steps):
    real, calls = eddl.train_batch, [0]

    def step(*args, **kwargs):
        calls[0] += 1
        if calls[0] > after_steps:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(eddl, "train_batch", step)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_after_a_kill_matches_one_run(lesions, tmp_path, monkeypatch, optimizer):
    one = run_experiment(_cfg(lesions, tmp_path / "one", 4, optimizer), verbose=False)
    split = tmp_path / "split"
    run_experiment(_cfg(lesions, split, 2, optimizer), verbose=False)
    with monkeypatch.context() as m:  # killed inside epoch 3, after 2 of its 3 steps
        _kill_during_epoch(m, 2)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(_cfg(lesions, split, 4, optimizer), resume=True, verbose=False)
    assert json.loads((split / "state.json").read_text())["epoch"] == 2
    resumed = run_experiment(_cfg(lesions, split, 4, optimizer), resume=True, verbose=False)
    # float32 training on one machine is deterministic: the weights agree bit for bit
    a, b = _weights(tmp_path / "one" / "last.npz"), _weights(split / "last.npz")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    for h1, h2 in zip(one["history"], resumed["history"]):
        assert h1["train_loss"] == h2["train_loss"] and h1["val_metric"] == h2["val_metric"]
    assert sorted(os.listdir(split / "checkpoints")) == ["epoch-0004-optimizer.npz",
                                                         "epoch-0004.npz"]


def test_resume_without_the_optimizer_state_differs_or_fails(lesions, tmp_path):
    run_experiment(_cfg(lesions, tmp_path / "one", 2, "adam"), verbose=False)
    split = tmp_path / "split"
    run_experiment(_cfg(lesions, split, 1, "adam"), verbose=False)
    opt = split / "checkpoints" / "epoch-0001-optimizer.npz"
    saved = opt.read_bytes()
    opt.unlink()
    with pytest.raises(ExperimentError, match="epoch-0001-optimizer.npz"):
        run_experiment(_cfg(lesions, split, 2, "adam"), resume=True, verbose=False)
    opt.write_bytes(saved[:100])
    with pytest.raises(ExperimentError, match="optimizer"):
        run_experiment(_cfg(lesions, split, 2, "adam"), resume=True, verbose=False)
    # a run folder from before optimizer states were saved restarts Adam from zero,
    # which lands elsewhere than the uninterrupted run (so the exactness test can fail)
    state = json.loads((split / "state.json").read_text())
    del state["checkpoint"], state["rng"]
    (split / "state.json").write_text(json.dumps(state))
    run_experiment(_cfg(lesions, split, 2, "adam"), resume=True, verbose=False)
    a, b = _weights(tmp_path / "one" / "last.npz"), _weights(split / "last.npz")
    assert any(not np.array_equal(a[k], b[k]) for k in a)
