"""Regression tests: damaged tensor and weight files raise TensorFormatError naming the file."""

import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import eddl
from eddl import Tensor, TensorFormatError
from eddl.tensor import safeload


def _net():
    eddl.set_seed(0)
    x = eddl.Input([4])
    net = eddl.Model([x], [eddl.Softmax(eddl.Dense(x, 3))])
    eddl.build(net, eddl.sgd(0.1), ["soft_cross_entropy"], ["categorical_accuracy"], eddl.CS_CPU())
    return net


def _npy(shape, dtype="<f4"):
    buf = io.BytesIO()
    np.save(buf, np.zeros((1,), dtype))
    head = buf.getvalue()
    hlen = struct.unpack("<H", head[8:10])[0]
    header = head[10:10 + hlen].decode("latin-1").replace("(1,)", repr(tuple(shape)))
    header = header.rstrip("\n").rstrip() + " "
    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return head[:8] + struct.pack("<H", len(header)) + header.encode("latin-1")


@pytest.mark.parametrize("content, words", [
    (b"PK\x03\x04 not really a zip", "not a readable .npz file"),
    (b"", "not a readable .npz file"),
])
def test_bad_zip_is_tensor_format_error_naming_the_file(tmp_path, content, words):
    path = tmp_path / "t.npz"
    path.write_bytes(content)
    with pytest.raises(TensorFormatError, match=f"{path}: {words}") as info:
        Tensor.load(str(path))
    assert info.value.__cause__ is not None
    with pytest.raises(TensorFormatError, match=str(path)):
        eddl.load(_net(), str(path), "npz")


def test_npy_header_announcing_gigabytes_fails_before_allocating(tmp_path):
    path = tmp_path / "lie.npy"
    path.write_bytes(_npy((100000, 100000)) + bytes(64))  # 40 GB announced
    tracemalloc.start()
    try:
        with pytest.raises(TensorFormatError, match=r"lie.npy: not a readable .npy file: truncated or corrupt .npy data: its "
                                                    r"header announces 40000000000 bytes, 64 are"):
            Tensor.load(str(path))
        assert tracemalloc.get_traced_memory()[1] < 2 ** 20
    finally:
        tracemalloc.stop()


def test_npz_member_lying_about_its_size_is_refused(tmp_path):
    path = tmp_path / "lie.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.npy", _npy((50000, 50000)) + bytes(16))
    with pytest.raises(TensorFormatError, match=r"lie.npz: not a readable .npz file: truncated or corrupt member 'data.npy'"):
        Tensor.load(str(path))


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, data=np.array([{"a": 1}], dtype=object))
    with pytest.raises(TensorFormatError, match="obj.npz: .*Python objects"):
        Tensor.load(str(path))


def test_load_limit_is_honoured_and_restored(tmp_path):
    path = tmp_path / "t.npy"
    np.save(path, np.zeros((10, 10), np.float32))
    old = safeload.set_max_load_bytes(100)
    try:
        with pytest.raises(TensorFormatError, match="over the load limit of 100"):
            Tensor.load(str(path))
        with pytest.raises(TensorFormatError, match="over the load limit"):
            Tensor.load(str(tmp_path / "t.npy").replace(".npy", ".npy"))
    finally:
        safeload.set_max_load_bytes(old)
    assert Tensor.load(str(path)).shape == [10, 10]
    with pytest.raises(ValueError):
        safeload.set_max_load_bytes(0)


def test_bin_tensor_with_a_size_lie_names_the_file(tmp_path):
    path = tmp_path / "t.bin"
    path.write_bytes(struct.pack("<3i", 2, 2 ** 30, 2 ** 30) + bytes(16))
    with pytest.raises(TensorFormatError, match=r"t.bin: truncated .bin file"):
        Tensor.load(str(path))


@pytest.mark.parametrize("fmt", ["bin", "npz"])
@pytest.mark.parametrize("mutate", ["truncate", "garbage", "extra"])
def test_damaged_weights_raise_tensor_format_error_naming_the_file(tmp_path, mutate, fmt):
    net = _net()
    path = tmp_path / f"w.{fmt}"
    eddl.save(net, str(path), fmt)
    data = path.read_bytes()
    data = {"truncate": data[:len(data) // 2], "garbage": b"\xff" * len(data),
            "extra": data + b"\x00" * 8 if fmt == "bin" else data[:30] + b"\x00" + data[31:]}[mutate]
    path.write_bytes(data)
    with pytest.raises(TensorFormatError, match=str(path)):
        eddl.load(net, str(path), fmt)


def test_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        Tensor.load(str(tmp_path / "none.npy"))


def test_argument_errors_are_not_reported_as_damaged_files(tmp_path):
    path = tmp_path / "a.bin"
    Tensor(np.zeros((5, 3), np.float32)).save(str(path))
    with pytest.raises(ValueError, match=r"rows \[3, 9\) out of range for 5 rows") as info:
        Tensor.load_partial(str(path), 3, 9)
    assert not isinstance(info.value, TensorFormatError)
    with pytest.raises(ValueError, match="unsupported format 'xyz'") as info:
        Tensor.load(str(path), "xyz")
    assert not isinstance(info.value, TensorFormatError)
