"""eddl.callbacks.TensorBoard: the event file read back record by record (CRC-checked)."""

import builtins
import glob
import struct

import numpy as np
import pytest

import eddl
from eddl.callbacks import TensorBoard

pytest.importorskip("tensorboardX")
from tensorboardX.proto import event_pb2  # noqa: E402

RNG = np.random.default_rng(2)
X = RNG.standard_normal((24, 4)).astype(np.float32)
Y = np.eye(2, dtype=np.float32)[(X[:, 0] > 0).astype(int)]


def _crc32c(data):
    # bitwise CRC-32C (Castagnoli), independent of the writer's implementation
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(data):
    c = _crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_scalars(log_dir):
    """{tag: [(step, value), ...]} from the TFRecord event files of ``log_dir``."""
    out = {}
    files = glob.glob(str(log_dir / "events.out.tfevents.*"))
    assert len(files) == 1, files
    raw = open(files[0], "rb").read()
    pos = 0
    while pos < len(raw):
        header = raw[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        (crc_len,) = struct.unpack("<I", raw[pos + 8:pos + 12])
        data = raw[pos + 12:pos + 12 + n]
        (crc_data,) = struct.unpack("<I", raw[pos + 12 + n:pos + 16 + n])
        assert crc_len == _masked(header) and crc_data == _masked(data)
        pos += 16 + n
        ev = event_pb2.Event.FromString(data)
        for v in ev.summary.value:
            out.setdefault(v.tag, []).append((ev.step, v.simple_value))
    return out


def make():
    eddl.set_seed(1)
    i = eddl.Input([4])
    net = eddl.Model([i], [eddl.Softmax(eddl.Dense(i, 2))])
    eddl.build(net, eddl.sgd(0.1), ["cross_entropy"], ["accuracy"])
    return net


def test_epoch_scalars_equal_the_logs(tmp_path):
    net = make()
    h = eddl.fit(net, [X], [Y], 8, 3, verbose=0, validation_data=(X[:8], Y[:8]),
                 callbacks=[TensorBoard(tmp_path / "tb")])
    got = read_scalars(tmp_path / "tb")
    assert not [t for t in got if t.startswith("batch/")]
    for key in ("loss", "metric", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"):
        want = [(r["epoch"], np.float32(r["logs"][key])) for r in h]
        assert got[f"epoch/{key}"] == want, key


def test_batch_scalars_every_n_batches(tmp_path):
    seen = []

    class Spy(eddl.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    eddl.fit(make(), [X], [Y], 8, 2, verbose=0,
             callbacks=[Spy(), TensorBoard(tmp_path / "tb", update_freq=2)])
    got = read_scalars(tmp_path / "tb")
    # 3 batches an epoch, steps count across epochs: 2, 4, 6
    assert got["batch/loss"] == [(s, np.float32(seen[s - 1])) for s in (2, 4, 6)]
    assert "batch/batch" not in got and "batch/size" not in got
    assert [s for s, _ in got["epoch/loss"]] == [1, 2]


def test_bad_arguments_and_missing_package(tmp_path, monkeypatch):
    for bad in ("step", 0, True, 1.5):
        with pytest.raises(ValueError, match="update_freq"):
            TensorBoard(tmp_path, update_freq=bad)
    real_import = builtins.__import__

    def no_tensorboardx(name, *args, **kwargs):
        if name.split(".")[0] == "tensorboardX":
            raise ImportError("No module named 'tensorboardX'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboardx)
    with pytest.raises(ImportError, match=r"deephealth\[tensorboard\]"):
        TensorBoard(tmp_path)
