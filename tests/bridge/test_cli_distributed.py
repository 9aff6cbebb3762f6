"""``mpiexec -n 2 deephealth-train``: the same run as one process with twice the batch."""

import csv
import json
import os
import signal
import sys
import time

import numpy as np
import pytest

from bridge.app.cli import main

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _mpirun import needs_mpi, ok, run_mpi, start_mpi  # noqa: E402

sys.path.pop(0)


def _history(run):
    with open(os.path.join(run, "history.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _weights(run):
    # keys are "NNNN:<layer>/<param>"; layer names depend on how many nets a process made
    saved = np.load(os.path.join(run, "last.npz"))
    return [saved[k] for k in sorted(saved.files, key=lambda k: int(k.split(":")[0]))]


@needs_mpi
def test_two_ranks_train_as_one_process_with_twice_the_batch(lesions, tmp_path):
    args = ["--dataset", lesions["classification"], "--epochs", "2", "--seed", "4"]
    proc, _ = run_mpi(["-m", "bridge", *args, "--batch-size", "3", "--out", tmp_path / "two"])
    ok(proc)
    assert proc.stdout.count("epoch 2/2:") == 1  # rank 0 alone reports
    assert main([*args, "--batch-size", "6", "--out", str(tmp_path / "one"), "--quiet"]) == 0
    two, one = _history(tmp_path / "two"), _history(tmp_path / "one")
    assert len(two) == len(one) == 2
    for a, b in zip(two, one):
        for key in ("train_loss", "train_metric", "val_loss", "val_metric"):
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-5), key
    w2, w1 = _weights(tmp_path / "two"), _weights(tmp_path / "one")
    assert len(w2) == len(w1)
    for a, b in zip(w2, w1):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@needs_mpi
def test_a_rank_failing_in_the_command_ends_the_job(lesions, tmp_path):
    proc, secs = run_mpi(["-m", "bridge", "--dataset", lesions["classification"], "--epochs", "1",
                          "--model", "no_such_model", "--out", tmp_path / "bad"])
    assert proc.returncode != 0
    assert "no_such_model" in proc.stderr
    assert secs < 60


def _kill_mid_run(args, run):
    """Start ``args`` on 2 ranks, SIGKILL the job once an epoch is checkpointed; epochs done."""
    job = start_mpi([*args, "--epochs", "500", "--out", run])
    state = run / "state.json"
    try:
        deadline = time.monotonic() + 60
        while not state.exists() and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.01)
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # launcher and ranks, mid-epoch
        job.wait(30)
    assert state.exists(), "no epoch was checkpointed"
    return json.loads(state.read_text())["epoch"]


_RESUMABLE = ["-m", "bridge", "--batch-size", "3", "--seed", "2", "--quiet"]


@needs_mpi
def test_a_killed_job_resumes_to_the_uninterrupted_result(lesions, tmp_path):
    args = [*_RESUMABLE, "--dataset", lesions["classification"]]
    epochs = str(_kill_mid_run(args, tmp_path / "killed") + 2)
    proc, _ = run_mpi(["-m", "bridge", "--config", tmp_path / "killed" / "experiment.yml",
                       "--epochs", epochs, "--resume", "--quiet"])
    ok(proc)
    proc, _ = run_mpi([*args, "--epochs", epochs, "--out", tmp_path / "whole"])
    ok(proc)
    resumed, whole = _history(tmp_path / "killed"), _history(tmp_path / "whole")
    assert [r["train_loss"] for r in resumed] == [r["train_loss"] for r in whole]
    for a, b in zip(_weights(tmp_path / "killed"), _weights(tmp_path / "whole"), strict=True):
        np.testing.assert_array_equal(a, b)


@needs_mpi
def test_a_killed_job_resumes_on_another_number_of_ranks(lesions, tmp_path):
    # the epoch's order does not depend on the ranks, and a step of p ranks with batch B sees
    # the same p*B samples as one process with batch p*B: resuming 2 x 3 as 1 x 6 continues
    # the same run, up to the order of float32 sums
    args = [*_RESUMABLE, "--dataset", lesions["classification"]]
    epochs = str(_kill_mid_run(args, tmp_path / "killed") + 2)
    assert main(["--config", str(tmp_path / "killed" / "experiment.yml"), "--epochs", epochs,
                 "--batch-size", "6", "--resume", "--quiet"]) == 0
    proc, _ = run_mpi([*args, "--epochs", epochs, "--out", tmp_path / "whole"])
    ok(proc)
    resumed, whole = _history(tmp_path / "killed"), _history(tmp_path / "whole")
    assert len(resumed) == len(whole) == int(epochs)
    for a, b in zip(resumed, whole, strict=True):
        for key in ("train_loss", "train_metric", "val_loss", "val_metric"):
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-4), key
    for a, b in zip(_weights(tmp_path / "killed"), _weights(tmp_path / "whole"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
