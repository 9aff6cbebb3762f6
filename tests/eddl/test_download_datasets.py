"""PyEDDL's dataset and model downloads against a local HTTP server (never the internet).

The URL table is pointed at the server by setting ``eddl.download.sources.BASE_URL``, which
is the documented way to use a mirror; the files are small tensors in EDDL's ``.bin`` layout.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import eddl
from eddl import Tensor
from eddl.download import DownloadError, fetch_dataset, fetch_model, load_dataset, sources

sys.path.insert(0, os.path.dirname(__file__))
from _http_server import FileServer  # noqa: E402

Q = {"progress": False}


def _bin(arr):
    """EDDL's layout written by hand: int32 ndim, int32 shape, float32 data (little-endian)."""
    arr = np.asarray(arr, np.float32)
    return np.asarray([arr.ndim, *arr.shape], "<i4").tobytes() + arr.astype("<f4").tobytes()


def _dataset_files(name, rng):
    """Small arrays shaped like the data set's (fewer rows), keyed by original file name."""
    arrays = {}
    for i, file in enumerate(sources.DATASETS[name].files):
        shape = (5 + i, 3, 4) if i % 2 == 0 else (5 + i, 2)
        arrays[file] = rng.integers(0, 256, shape).astype(np.float32)
    return arrays


def _served(name, arrays):
    ds = sources.DATASETS[name]
    return {f"/{sid}/{file}": _bin(arrays[file]) for sid, file in zip(ds.share_ids, ds.files)}


@pytest.fixture
def env(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("DEEPHEALTH_DATA", str(tmp_path / "cache"))
    return tmp_path


def test_original_urls_and_names():
    # EDDL's download_dataset(): wget https://www.dropbox.com/s/<id>/<prefix>_<split>.bin
    ds = sources.DATASETS["mnist"]
    assert [sources.url(s, f) for s, f in zip(ds.share_ids, ds.files)][::3] == [
        "https://www.dropbox.com/s/khrb3th2z6owd9t/mnist_trX.bin",
        "https://www.dropbox.com/s/q0tnbjvaenb4tjs/mnist_tsY.bin"]
    assert sources.DATASETS["cifar10"].files == ("cifar_trX.bin", "cifar_trY.bin",
                                                 "cifar_tsX.bin", "cifar_tsY.bin")
    assert sources.DATASETS["drive"].files == ("drive_trX.bin", "drive_trY.bin")
    assert sources.DATASETS["flickr"].files == ("flickr_trX.bin", "flickr_trY.bin")
    assert all(len(d.share_ids) in (2, 4) for d in sources.DATASETS.values())
    m = sources.MODELS["vgg16_bn"]
    assert sources.url(m.share_id, m.file) == "https://www.dropbox.com/s/df7nd1ydsba9yp5/vgg16bn-7.onnx"
    # EDDL's download_hlsinf() URL has no share id
    assert sources.url("", "hlsinf_v1.0.xclbin") == "https://www.dropbox.com/s/hlsinf_v1.0.xclbin"
    assert [m.file for m in sources.MODELS.values()] == [
        "vgg16.onnx", "vgg16bn-7.onnx", "vgg19-7.onnx", "vgg19bn-7.onnx", "resnet18.onnx",
        "resnet34.onnx", "resnet50.onnx", "resnet101.onnx", "resnet152.onnx", "densenet121.onnx"]


def test_pyeddl_names_are_exported():
    for name in ("download_mnist", "download_cifar10", "download_imdb_2000", "download_eutrans",
                 "download_flickr", "download_drive", "download_hlsinf", "download_model", "exist"):
        assert name in eddl.__all__ and callable(getattr(eddl, name))
    assert issubclass(eddl.DownloadError, OSError)


@pytest.mark.parametrize("name", list(sources.DATASETS))
def test_pyeddl_download_leaves_original_files_in_cwd(env, monkeypatch, rng, name):
    arrays = _dataset_files(name, rng)
    with FileServer(_served(name, arrays)) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        assert getattr(eddl, f"download_{name}")(**Q) is None
        assert len(srv.requests) == len(arrays)
    for file, arr in arrays.items():
        np.testing.assert_array_equal(Tensor.load(file).numpy(), arr)
        assert (env / "cache" / file).is_file()
    assert sorted(p for p in os.listdir(".")) == sorted(arrays)


def test_pyeddl_download_skips_files_in_cwd_and_reuses_cache_offline(env, monkeypatch, rng):
    arrays = _dataset_files("mnist", rng)
    with open("mnist_trY.bin", "wb") as f:       # as PyEDDL: a file already here is kept
        f.write(_bin(np.zeros((1, 1))))
    with FileServer(_served("mnist", arrays)) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        eddl.download_mnist(**Q)
        assert sorted(p for p, _ in srv.requests) == sorted(
            f"/{s}/{f}" for s, f in zip(sources.DATASETS["mnist"].share_ids,
                                        sources.DATASETS["mnist"].files) if f != "mnist_trY.bin")
    assert Tensor.load("mnist_trY.bin").shape == (1, 1)
    # another folder, no server: everything comes from the cache
    other = env / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    with pytest.raises(DownloadError, match="mnist_trY.bin"):
        eddl.download_mnist(**Q)                  # never downloaded: not in the cache
    monkeypatch.chdir(env / "work")
    os.remove("mnist_trY.bin")
    monkeypatch.chdir(other)
    with FileServer(_served("mnist", arrays)) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        eddl.download_mnist(**Q)
        assert [p for p, _ in srv.requests] == [f"/{sources.DATASETS['mnist'].share_ids[1]}/mnist_trY.bin"]
    for file, arr in arrays.items():
        np.testing.assert_array_equal(Tensor.load(file).numpy(), arr)


def test_damaged_dataset_cache_is_downloaded_again(env, rng):
    arrays = _dataset_files("drive", rng)
    with FileServer(_served("drive", arrays)) as srv:
        eddl.download_drive(base_url=srv.url(), **Q)
        cached = env / "cache" / "drive_trX.bin"
        cached.write_bytes(cached.read_bytes()[:-4] + b"\0\0\0\1")   # still a valid .bin
        with pytest.warns(RuntimeWarning, match="corrupted"):
            fetch_dataset("drive", base_url=srv.url(), accept_cwd=False, **Q)
        assert len(srv.requests) == 3
    np.testing.assert_array_equal(Tensor.load(cached).numpy(), arrays["drive_trX.bin"])


def test_fetch_and_load_dataset_return_paths_and_tensors(env, rng):
    arrays = _dataset_files("cifar10", rng)
    with FileServer(_served("cifar10", arrays)) as srv:
        paths = fetch_dataset("cifar10", base_url=srv.url() + "/", **Q)
        tensors = load_dataset("cifar10", base_url=srv.url(), **Q)
    assert paths == [str(env / "cache" / f) for f in arrays]
    assert len(tensors) == 4 and all(isinstance(t, Tensor) for t in tensors)
    for t, arr in zip(tensors, arrays.values()):
        assert t.dtype == np.float32
        np.testing.assert_array_equal(t.numpy(), arr)
    assert os.listdir(".") == []      # the pythonic twins leave the current folder alone


def test_a_web_page_instead_of_a_tensor_is_refused(env, monkeypatch, rng):
    arrays = _dataset_files("drive", rng)
    files = _served("drive", arrays)
    first = next(iter(files))
    files[first] = b"<!DOCTYPE html><html><body>Sign in to Dropbox</body></html>\n"
    with FileServer(files) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        with pytest.raises(DownloadError, match="something other than the file.*invalid .bin header"):
            eddl.download_drive(**Q)
    assert not os.path.exists("drive_trX.bin") and not (env / "cache" / "drive_trX.bin").exists()


def test_unknown_dataset_and_model_names():
    with pytest.raises(ValueError, match="unknown data set 'mnist2'; valid: mnist, cifar10"):
        fetch_dataset("mnist2")
    with pytest.raises(ValueError, match="unknown model 'resnet19'"):
        fetch_model("resnet19")


def _onnx_bytes():
    # the first bytes of a serialised ModelProto: ir_version (field 1) then producer_name
    return b"\x08\x07\x12\x07pytorch" + bytes(range(256)) * 4


@pytest.mark.parametrize("name", ["resnet18", "resnet18.onnx"])
def test_fetch_model_by_name_or_file(env, monkeypatch, name):
    m = sources.MODELS["resnet18"]
    with FileServer({f"/{m.share_id}/{m.file}": _onnx_bytes()}) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        path = fetch_model(name, **Q)
    assert path == str(env / "cache" / "resnet18.onnx")
    assert open(path, "rb").read() == _onnx_bytes()
    assert os.listdir(".") == []


def test_fetch_model_refuses_a_web_page(env, monkeypatch):
    m = sources.MODELS["densenet121"]
    with FileServer({f"/{m.share_id}/{m.file}": b"\n  <html>gone</html>"}) as srv:
        with pytest.raises(DownloadError, match="not an ONNX model"):
            fetch_model("densenet121", base_url=srv.url(), **Q)


def test_download_model_and_exist(env, monkeypatch):
    with FileServer({"/abc123/my.onnx": _onnx_bytes(), "/m/x.onnx": b"x"}) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        assert not eddl.exist("my.onnx")
        assert eddl.download_model("my.onnx", "abc123", **Q) is None
        assert eddl.exist("my.onnx") and open("my.onnx", "rb").read() == _onnx_bytes()
        eddl.download_model("x.onnx", srv.url("/m/x.onnx"), **Q)     # a whole URL works too
        assert open("x.onnx", "rb").read() == b"x"
        with pytest.raises(TypeError, match="link must be a str"):
            eddl.download_model("my.onnx", None)
    os.mkdir("folder")
    assert not eddl.exist("folder") and not eddl.exist("missing") and eddl.exist(os.path.abspath("x.onnx"))


def test_download_hlsinf(env, monkeypatch):
    good = b"xclbin2\0" + bytes(100)
    with FileServer({"/hlsinf_v1.0.xclbin": good, "/hlsinf_v1.1.xclbin": b"<html/>"}) as srv:
        monkeypatch.setattr(sources, "BASE_URL", srv.url())
        eddl.download_hlsinf(1, 0, **Q)
        assert open("hlsinf_v1.0.xclbin", "rb").read() == good
        with pytest.raises(DownloadError, match="xclbin2 magic"):
            eddl.download_hlsinf(1, 1, **Q)
    with pytest.raises(ValueError, match="version must be a non-negative integer"):
        eddl.download_hlsinf(-1, 0)


def test_import_touches_no_network(tmp_path):
    code = textwrap.dedent("""
        import socket
        def refuse(*a, **k):
            raise AssertionError("network used at import time")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import eddl, eddl.download
        print("ok")
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_copied_into_cwd_when_links_are_impossible(env, monkeypatch, rng):
    arrays = _dataset_files("flickr", rng)

    def no_link(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    with FileServer(_served("flickr", arrays)) as srv:
        eddl.download_flickr(base_url=srv.url(), **Q)
    for file, arr in arrays.items():
        assert os.stat(file).st_ino != os.stat(env / "cache" / file).st_ino
        np.testing.assert_array_equal(Tensor.load(file).numpy(), arr)
    assert sorted(os.listdir(".")) == sorted(arrays)      # no temporary left behind


def test_cache_in_the_current_folder(env, rng):
    arrays = _dataset_files("drive", rng)
    with FileServer(_served("drive", arrays)) as srv:
        eddl.download_drive(cache_dir=".", base_url=srv.url(), **Q)
    assert sorted(os.listdir(".")) == sorted(
        [*arrays, *(f + ".sha256.json" for f in arrays), *(f + ".lock" for f in arrays)])
    for file, arr in arrays.items():
        np.testing.assert_array_equal(Tensor.load(file).numpy(), arr)
