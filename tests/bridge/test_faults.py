"""Faults around the training command: damaged resume state, full disks, read-only folders,
stale temporaries, and decoders that never return."""

import errno
import json
import os
import threading
import time

import numpy as np
import pytest

import ecvl
from _deephealth import atomic
from bridge._isolated import IsolatedReader
from bridge.app import checkpoint
from bridge.app.cli import main, os_error_message
from bridge.app.experiment import ExperimentError
from bridge.loader import DLDataset, SampleError


def _train(lesions, out, *extra):
    return main(["--dataset", lesions["classification"], "--batch-size", "4", "--out", str(out),
                 "--quiet", *extra])


@pytest.mark.parametrize("content, words", [
    (b"{not json", "unreadable resume state"),
    (b"\xff\xfe{}", "unreadable resume state"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"epoch": "2", "history": [], "best": null}', "'epoch' must be a non-negative integer"),
    (b'{"epoch": 1, "history": {}, "best": null}', "'history' must be a list"),
    (b'{"epoch": 1, "history": [], "best": 3}', "'best' must be null"),
    (b'{"epoch": 1, "history": [], "best": null, "checkpoint": "../../etc/x"}',
     "'checkpoint' must name a file under checkpoints/"),
])
def test_damaged_state_json_is_one_experiment_error_naming_it(tmp_path, content, words):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(ExperimentError, match=words) as info:
        checkpoint.read_state(str(path))
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_damaged_optimizer_state_is_an_experiment_error(lesions, tmp_path):
    out = tmp_path / "run"
    assert _train(lesions, out, "--epochs", "1") == 0
    opt = out / "checkpoints" / "epoch-0001-optimizer.npz"
    opt.write_bytes(opt.read_bytes()[:100])
    assert _train(lesions, out, "--epochs", "2", "--resume") == 2
    bad = out / "state.json"
    bad.write_text("{")
    assert _train(lesions, out, "--epochs", "2", "--resume") == 2


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"),
                                         (errno.EROFS, "Read-only file system"),
                                         (errno.EACCES, "Permission denied")])
def test_write_failure_ends_training_with_one_line_and_resume_works(lesions, tmp_path, monkeypatch,
                                                                    capsys, code, words):
    out = tmp_path / "run"
    real, calls = checkpoint.write_json_atomic, [0]

    def failing(obj, path):  # the disk fills (or turns read-only) during epoch 2's save
        calls[0] += 1
        if calls[0] == 2:
            with checkpoint.atomic_path(path) as tmp:
                open(tmp, "w").close()  # a temporary exists when the write fails
                raise OSError(code, os.strerror(code), tmp)
        return real(obj, path)

    monkeypatch.setattr("bridge.app.train.write_json_atomic", failing)
    assert _train(lesions, out, "--epochs", "3") == 1
    err = capsys.readouterr().err.strip()
    assert err == f"deephealth-train: error: cannot write {out}: {words}"
    assert json.loads((out / "state.json").read_text())["epoch"] == 1
    assert not [n for n in os.listdir(out) if ".tmp" in n]
    monkeypatch.setattr("bridge.app.train.write_json_atomic", real)
    assert _train(lesions, out, "--epochs", "2", "--resume") == 0
    assert json.loads((out / "state.json").read_text())["epoch"] == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_one_line(lesions, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert _train(lesions, ro / "run", "--epochs", "1") == 1
    finally:
        ro.chmod(0o700)
    assert capsys.readouterr().err.strip().startswith("deephealth-train: error: cannot write")


def test_os_error_message_is_one_line_naming_the_file():
    e = OSError(errno.ENOSPC, "No space left on device", "/runs/a/best.npz")
    assert os_error_message(e) == "cannot write /runs/a/best.npz: No space left on device"
    e = OSError(errno.ENOSPC, "No space left on device", "/runs/a/.best.npz.0123.tmp.npz")
    assert os_error_message(e) == "cannot write /runs/a: No space left on device"
    assert os_error_message(OSError("plain")) == "plain"


def test_stale_temporaries_of_a_killed_run_are_removed_on_the_next_start(lesions, tmp_path):
    out = tmp_path / "run"
    assert _train(lesions, out, "--epochs", "1") == 0
    stale = [out / ".state.json.0123456789abcdef0123456789abcdef.tmp",
             out / "checkpoints" / ".epoch-0001.npz.fedcba9876543210fedcba9876543210.tmp.npz"]
    foreign = [out / ".notes.tmp", out / "mine.0123456789abcdef0123456789abcdef.tmp"]
    for p in stale + foreign:
        p.write_bytes(b"x")
    assert _train(lesions, out, "--epochs", "2", "--resume") == 0
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in foreign)


def test_remove_stale_only_touches_old_temporaries_of_ours(tmp_path):
    module = atomic
    ours = tmp_path / ".a.png.0123456789abcdef0123456789abcdef.tmp.png"
    recent = tmp_path / ".b.csv.0123456789abcdef0123456789abcdef.tmp"
    other = tmp_path / ".a.png.tmp"
    (tmp_path / "sub").mkdir()
    nested = tmp_path / "sub" / ".c.0123456789abcdef0123456789abcdef.tmp"
    for p in (ours, recent, other, nested):
        p.write_bytes(b"x")
    old = time.time() - 3600
    os.utime(ours, (old, old))
    assert module.remove_stale(tmp_path, older_than=60) == [str(ours)]
    assert recent.exists() and other.exists() and nested.exists()
    assert module.remove_stale(tmp_path) == [str(recent)]
    assert module.remove_stale(tmp_path / "missing") == []


# -- decoders that never return --------------------------------------------------------
def test_isolated_reader_stops_a_read_that_hangs(tmp_path):
    fifo = tmp_path / "hang.png"
    os.mkfifo(fifo)  # opening it for reading blocks forever: a decoder that never returns
    good = tmp_path / "good.png"
    ecvl.imwrite(good, ecvl.Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4), "yx"))
    reader = IsolatedReader(timeout=1.0)
    try:
        np.testing.assert_array_equal(np.asarray(reader(good)), np.asarray(ecvl.imread(good)))
        start = time.monotonic()
        with pytest.raises(ecvl.ImageIOError, match=r"hang.png: decoding took more than 1 s"):
            reader(fifo)
        assert time.monotonic() - start < 5
        with pytest.raises(ecvl.ImageIOError, match="missing.png"):
            reader(tmp_path / "missing.png")
        np.testing.assert_array_equal(np.asarray(reader(good)), np.asarray(ecvl.imread(good)))
    finally:
        reader.close()
    with pytest.raises(ValueError):
        IsolatedReader(0)


def test_loader_with_read_timeout_gives_the_same_batches(lesions):
    plain = DLDataset(lesions["classification"], 4, seed=3)
    isolated = DLDataset(lesions["classification"], 4, seed=3, num_workers=2, read_timeout=30)
    x0, y0 = plain.LoadBatch()
    isolated.Start()
    try:
        x1, y1 = isolated.LoadBatch()
    finally:
        isolated.Stop()
    np.testing.assert_array_equal(x0.numpy(), x1.numpy())
    np.testing.assert_array_equal(y0.numpy(), y1.numpy())
    isolated._reader.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("DLDataset")]


@pytest.mark.parametrize("workers", [0, 2])
def test_stop_iteration_in_a_sample_is_an_error_not_the_end_of_the_epoch(lesions, monkeypatch,
                                                                         workers):
    import bridge._produce as produce

    real, calls = ecvl.imread, [0]

    def flaky(path):
        calls[0] += 1
        if calls[0] == 3:
            raise StopIteration  # what a decoder raised on a damaged file
        return real(path)

    loader = DLDataset(lesions["classification"], 4, num_workers=max(workers, 1))
    monkeypatch.setattr(produce.ecvl, "imread", flaky)
    with pytest.raises(SampleError, match=r"\.png: StopIteration"):
        if workers:
            for _ in loader:
                pass
        else:
            while True:
                loader.LoadBatch()
