"""The convolutional examples: CIFAR10 binary-batch reader, VGG16 script, digits ResNet."""

import importlib.util
import os

import numpy as np
import pytest

import eddl

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _write_batches(folder, n, rng):
    labels = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        lab = rng.integers(0, 10, n).astype(np.uint8)
        pix = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
        np.concatenate([lab[:, None], pix], axis=1).tofile(os.path.join(folder, name))
        labels[name] = (lab, pix)
    return labels


def test_cifar10_reader(tmp_path):
    mod = _load("cifar10_vgg16")
    written = _write_batches(str(tmp_path), 3, np.random.default_rng(0))
    x_tr, y_tr, x_ts, y_ts = mod.load_cifar10(str(tmp_path))
    assert x_tr.shape == (15, 3, 32, 32) and y_tr.shape == (15, 10) and x_ts.shape == (3, 3, 32, 32)
    lab, pix = written["data_batch_2.bin"]
    np.testing.assert_array_equal(y_tr[3:6].argmax(1), lab)
    np.testing.assert_allclose(x_tr[3:6], pix.reshape(3, 3, 32, 32) / 255.0, rtol=1e-6)
    lab, _ = written["test_batch.bin"]
    np.testing.assert_array_equal(y_ts.argmax(1), lab)


def test_cifar10_reader_rejects_bad_files(tmp_path):
    mod = _load("cifar10_vgg16")
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin"):
        mod.load_cifar10(str(tmp_path))
    bad = tmp_path / "b.bin"
    bad.write_bytes(b"\x01" * 100)
    with pytest.raises(ValueError, match="whole number"):
        mod.read_cifar10_batches([str(bad)])
    bad.write_bytes(bytes([12]) + b"\x00" * 3072)
    with pytest.raises(ValueError, match="label 12"):
        mod.read_cifar10_batches([str(bad)])


def test_vgg16_example_shapes():
    net = _load("cifar10_vgg16").vgg16()
    assert net.lout[0].shape == (10,)
    convs = [l for l in net.layers if type(l).__name__ == "Conv2D"]
    assert len(convs) == 13


@pytest.mark.slow
def test_cifar10_example_runs_on_binary_batches(tmp_path, capsys):
    mod = _load("cifar10_vgg16")
    _write_batches(str(tmp_path), 10, np.random.default_rng(1))
    net = mod.main(["--data", str(tmp_path), "--samples", "20", "--batch-size", "10",
                    "--threads", "1"])
    assert np.isfinite(eddl.get_losses(net)[0])
    assert "Evaluate" in capsys.readouterr().out


@pytest.mark.slow
def test_digits_resnet_reaches_97_percent():
    pytest.importorskip("sklearn")
    assert _load("digits_resnet").main(epochs=8, verbose=0) >= 0.97
