"""Saving and loading eddl.Tensor: EDDL .bin, .npy/.npz, text and ONNX TensorProto."""

import os
import sys

import numpy as np
import pytest

from eddl import Tensor, TensorFormatError
from eddl.tensor.io import read_bin_header


def _write_bin(path, shape, data, extra=b""):
    with open(path, "wb") as f:
        f.write(np.asarray([len(shape), *shape], "<i4").tobytes())
        f.write(np.asarray(data, "<f4").tobytes())
        f.write(extra)


def test_bin_layout_written_by_hand_loads(tmp_path):
    # Same layout as EDDL's iris.bin: ndim 2, shape (150, 4), then float32 data.
    vals = np.random.default_rng(0).uniform(0, 8, (150, 4)).astype(np.float32)
    p = tmp_path / "iris.bin"
    _write_bin(p, (150, 4), vals)
    assert os.path.getsize(p) == 2412
    t = Tensor.load(str(p))
    assert t.shape == (150, 4) and t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), vals)
    part = Tensor.load_partial(str(p), 10, 20)
    np.testing.assert_array_equal(part.numpy(), vals[10:20])
    np.testing.assert_array_equal(Tensor.load_partial(str(p), 140).numpy(), vals[140:])
    with pytest.raises(ValueError, match="out of range"):
        Tensor.load_partial(str(p), 100, 200)


def test_bin_round_trip_and_bytes(tmp_path):
    t = Tensor.arange(0, 6, 1).reshape([2, 3])
    p = tmp_path / "mnist_trX.bin"
    t.save(str(p))
    raw = p.read_bytes()
    assert raw[:12] == np.asarray([2, 2, 3], "<i4").tobytes()
    assert raw[12:] == np.arange(6, dtype="<f4").tobytes()
    np.testing.assert_array_equal(Tensor.load(p).numpy(), t.numpy())
    # other dtypes are stored as float32, the only type of the format
    Tensor(np.arange(4), dtype="int64").save(str(p))
    back = Tensor.load(str(p))
    assert back.dtype == np.float32 and back.tolist() == [0, 1, 2, 3]
    # a non-contiguous tensor is written in C order
    Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)).T.save(str(p), "bin")
    np.testing.assert_array_equal(Tensor.load(str(p)).numpy(),
                                  np.arange(6, dtype=np.float32).reshape(2, 3).T)


@pytest.mark.parametrize("content,msg", [
    (b"", "no header"),
    (b"\x02\x00\x00\x00\x03\x00", "truncated .bin header"),
    (np.asarray([2, 3, 4], "<i4").tobytes() + b"\0" * 40, "truncated .bin file"),
    (np.asarray([1, 2], "<i4").tobytes() + b"\0" * 12, "trailing bytes"),
    (np.asarray([-1], "<i4").tobytes(), "ndim -1"),
    (np.asarray([1000], "<i4").tobytes(), "ndim 1000"),
    (np.asarray([2, 3, -4], "<i4").tobytes(), "negative shape"),
    (np.asarray([8] + [2**31 - 1] * 8, "<i4").tobytes() + b"\0" * 8, "truncated .bin file"),
])
def test_corrupt_bin_files(tmp_path, content, msg):
    p = tmp_path / "bad.bin"
    p.write_bytes(content)
    with pytest.raises(TensorFormatError, match=msg):
        Tensor.load(str(p))
    with pytest.raises(TensorFormatError, match=msg):   # the header check alone sees it too
        read_bin_header(p)


def test_read_bin_header_returns_the_shape_without_loading(tmp_path):
    p = tmp_path / "x.bin"
    _write_bin(p, (3, 2, 5), np.zeros(30))
    assert read_bin_header(p) == (3, 2, 5)
    _write_bin(p, (), [7.0])
    assert read_bin_header(str(p)) == ()
    with pytest.raises(FileNotFoundError):
        read_bin_header(tmp_path / "missing.bin")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8", "bool"])
def test_npy_npz_keep_dtype(tmp_path, dtype):
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    t = Tensor.from_numpy(a)
    for ext in ("npy", "npz"):
        p = tmp_path / f"x.{ext}"
        t.save(str(p))
        back = Tensor.load(str(p))
        assert back.dtype == a.dtype
        np.testing.assert_array_equal(back.numpy(), a)


def test_corrupt_npy_and_npz(tmp_path):
    p = tmp_path / "x.npy"
    np.save(p, np.arange(100, dtype=np.float32))
    p.write_bytes(p.read_bytes()[:-50])
    with pytest.raises(TensorFormatError, match="not a readable .npy"):
        Tensor.load(str(p))
    p.write_bytes(b"garbage that is not numpy")
    with pytest.raises(TensorFormatError):
        Tensor.load(str(p))
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(TensorFormatError):        # never unpickles
        Tensor.load(str(obj))
    z = tmp_path / "two.npz"
    np.savez(z, a=np.zeros(2), b=np.ones(2))
    with pytest.raises(TensorFormatError, match="holds 2 arrays"):
        Tensor.load(str(z))
    c = tmp_path / "c.npy"
    np.save(c, np.zeros(3, np.complex64))
    with pytest.raises(TensorFormatError, match="unsupported dtype complex64"):
        Tensor.load(str(c))


def test_save_errors_leave_no_file(tmp_path):
    t = Tensor.ones([2, 2])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        t.save(str(tmp_path / "missing" / "x.bin"))
    with pytest.raises(ValueError, match="unsupported format 'png'"):
        t.save(str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="cannot infer the format"):
        t.save(str(tmp_path / "noext"))
    with pytest.raises(ValueError, match="csv needs a 2-D tensor"):
        Tensor.ones([2]).save(str(tmp_path / "x.csv"))
    with pytest.raises(FileNotFoundError):
        Tensor.load(str(tmp_path / "absent.bin"))
    assert os.listdir(tmp_path) == []


def test_text_save(tmp_path):
    a = np.array([[1.5, 2.0], [3.0, 4.25]], np.float32)
    for ext, delim in (("csv", ","), ("tsv", "\t"), ("txt", " ")):
        p = tmp_path / f"x.{ext}"
        Tensor(a).save(str(p))
        np.testing.assert_array_equal(np.loadtxt(p, delimiter=delim), a)


def test_onnx_round_trip():
    onnx = pytest.importorskip("onnx")
    for dtype in ("float32", "float64", "int64", "uint8"):
        a = np.arange(6).reshape(2, 3).astype(dtype)
        proto = Tensor.from_numpy(a).to_onnx("w")
        assert isinstance(proto, onnx.TensorProto) and proto.name == "w"
        back = Tensor.from_onnx(proto)
        assert back.dtype == a.dtype
        np.testing.assert_array_equal(back.numpy(), a)
        np.testing.assert_array_equal(Tensor.from_onnx(proto.SerializeToString()).numpy(), a)
    with pytest.raises(TypeError, match="expected an onnx.TensorProto"):
        Tensor.from_onnx("nope")


def test_onnx_missing_gives_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match="needs the 'onnx' package"):
        Tensor.ones([2]).to_onnx()
