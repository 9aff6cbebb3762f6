"""eddl.download.fetch against a local HTTP server: never the internet.

Covers full and resumed transfers, servers without Range support, HTTP errors, offline
messages, checksums (given and recorded), corrupted caches, size and time limits, and that a
failed download never leaves a file under the final name.
"""

import hashlib
import json
import os
import pickle
import sys
import threading
import warnings

import numpy as np
import pytest

from eddl.download import ChecksumError, DownloadError, fetch, get_cache_dir

sys.path.insert(0, os.path.dirname(__file__))
from _http_server import FileServer, refused_url  # noqa: E402

DATA = np.random.default_rng(7).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
SHA = hashlib.sha256(DATA).hexdigest()
Q = {"progress": False}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder and an empty current folder (files there count as downloads)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("DEEPHEALTH_DATA", raising=False)
    return tmp_path / "cache"


def _leftovers(folder):
    return sorted(p for p in os.listdir(folder) if p.endswith((".part", ".tmp")) or ".tmp" in p)


def test_full_download_records_checksum_and_reuses_cache_offline(cache):
    with FileServer({"/d/data.bin": DATA}) as srv:
        path = fetch(srv.url("/d/data.bin"), cache_dir=cache, **Q)
        assert srv.requests == [("/d/data.bin", None)]
    assert path == str(cache / "data.bin")
    assert (cache / "data.bin").read_bytes() == DATA
    rec = json.loads((cache / "data.bin.sha256.json").read_text())
    assert rec == {"url": srv.url("/d/data.bin"), "sha256": SHA, "size": len(DATA)}
    assert not (cache / "data.bin.part").exists()
    # the server is gone: the cached, verified copy is used without the network
    assert fetch(srv.url("/d/data.bin"), cache_dir=cache, **Q) == path
    assert fetch(refused_url("/d/data.bin"), cache_dir=cache, sha256=SHA.upper(), **Q) == path


def test_given_checksum_accepts_and_mismatch_discards(cache):
    with FileServer({"/a.bin": DATA}) as srv:
        assert fetch(srv.url("/a.bin"), cache_dir=cache, sha256=SHA, **Q) == str(cache / "a.bin")
        wrong = "0" * 64
        with pytest.raises(ChecksumError) as e:
            fetch(srv.url("/a.bin"), "b.bin", cache_dir=cache, sha256=wrong, **Q)
    msg = str(e.value)
    assert SHA in msg and wrong in msg and srv.url("/a.bin") in msg and str(cache / "b.bin") in msg
    assert isinstance(e.value, DownloadError) and isinstance(e.value, OSError)
    assert not (cache / "b.bin").exists() and not (cache / "b.bin.part").exists()
    assert not (cache / "b.bin.sha256.json").exists()


def test_interrupted_transfer_keeps_part_and_resumes_with_range(cache):
    cut = 100_000
    with FileServer({"/f.bin": DATA}, cut_after=cut) as srv:
        with pytest.raises(DownloadError, match="interrupted after 100000 of 300000 bytes") as e:
            fetch(srv.url("/f.bin"), cache_dir=cache, retries=0, **Q)
    assert "resumes" in str(e.value) and str(cache / "f.bin") in str(e.value)
    assert not (cache / "f.bin").exists()
    assert (cache / "f.bin.part").read_bytes() == DATA[:cut]
    with FileServer({"/f.bin": DATA}) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        assert srv.requests == [("/f.bin", f"bytes={cut}-")]
    assert open(path, "rb").read() == DATA
    assert json.loads((cache / "f.bin.sha256.json").read_text())["sha256"] == SHA


def test_interrupted_transfer_is_resumed_within_one_call(cache):
    with FileServer({"/f.bin": DATA}, cut_after=1234, cuts=2) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, retries=2, **Q)
        assert [r for _, r in srv.requests] == [None, "bytes=1234-", "bytes=2468-"]
    assert open(path, "rb").read() == DATA


def test_server_without_range_support_restarts_from_zero(cache):
    cache.mkdir()
    (cache / "f.bin.part").write_bytes(b"\xff" * 5000)   # a stale part that must not survive
    with FileServer({"/f.bin": DATA}, ranges=False) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        assert srv.requests == [("/f.bin", "bytes=5000-")]
    assert open(path, "rb").read() == DATA


def test_part_as_long_as_the_file_is_restarted_after_416(cache):
    cache.mkdir()
    (cache / "f.bin.part").write_bytes(b"\x00" * (len(DATA) + 10))
    with FileServer({"/f.bin": DATA}) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        assert [r for _, r in srv.requests] == [f"bytes={len(DATA) + 10}-", None]
    assert open(path, "rb").read() == DATA


def test_http_404_names_url_and_path(cache):
    with FileServer({}) as srv:
        with pytest.raises(DownloadError) as e:
            fetch(srv.url("/missing.bin"), cache_dir=cache, **Q)
    err = e.value
    assert "HTTP error 404" in str(err) and srv.url("/missing.bin") in str(err)
    assert err.url == srv.url("/missing.bin") and err.path == str(cache / "missing.bin")
    assert f"put the file at {cache / 'missing.bin'}" in str(err)
    assert not (cache / "missing.bin").exists() and not (cache / "missing.bin.part").exists()


def test_connection_refused_says_where_to_put_the_file(cache):
    url = refused_url("/files/mnist_trX.bin")
    with pytest.raises(DownloadError) as e:
        fetch(url, cache_dir=cache, **Q)
    msg = str(e.value)
    assert msg.startswith(f"could not download {url}: no connection")
    assert "offline" in msg
    assert f"put the file at {cache / 'mnist_trX.bin'} (or as mnist_trX.bin in the current folder)" in msg
    # and it works once the file is put there by hand (recorded on first use)
    (cache / "mnist_trX.bin").write_bytes(DATA)
    assert fetch(url, cache_dir=cache, **Q) == str(cache / "mnist_trX.bin")
    assert json.loads((cache / "mnist_trX.bin.sha256.json").read_text())["sha256"] == SHA


def test_download_error_pickles_with_its_attributes():
    err = DownloadError("http://h/x", "/c/x", "HTTP error 500", cwd_name="x")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is DownloadError and str(back) == str(err)
    assert (back.url, back.path, back.reason) == ("http://h/x", "/c/x", "HTTP error 500")


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupted_cache_is_detected_and_downloaded_again(cache, damage):
    with FileServer({"/f.bin": DATA}) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        raw = bytearray(DATA)
        if damage == "flip":
            raw[1000] ^= 1
        else:
            raw = raw[:-1]
        with open(path, "wb") as f:
            f.write(raw)
        with pytest.warns(RuntimeWarning, match="corrupted"):
            assert fetch(srv.url("/f.bin"), cache_dir=cache, **Q) == path
        assert len(srv.requests) == 2
    assert open(path, "rb").read() == DATA


def test_corrupted_cache_offline_is_removed_and_reported(cache):
    with FileServer({"/f.bin": DATA}) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
    with open(path, "r+b") as f:
        f.write(b"\0\0\0\0")
    with pytest.warns(RuntimeWarning, match="corrupted"), pytest.raises(DownloadError, match="no connection"):
        fetch(refused_url("/f.bin"), cache_dir=cache, **Q)
    assert not os.path.exists(path)


def test_cached_file_not_matching_a_given_checksum_is_replaced(cache):
    other = DATA[::-1]
    cache.mkdir()
    (cache / "f.bin").write_bytes(other)     # an older version, recorded as good
    with FileServer({"/f.bin": DATA}) as srv:
        fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        assert srv.requests == []
        with pytest.warns(RuntimeWarning, match="expected " + SHA):
            fetch(srv.url("/f.bin"), cache_dir=cache, sha256=SHA, **Q)
    assert (cache / "f.bin").read_bytes() == DATA


@pytest.mark.parametrize("send_length", [True, False])
def test_size_limit_refuses_large_files(cache, send_length):
    with FileServer({"/big.bin": DATA}, send_length=send_length) as srv:
        with pytest.raises(DownloadError, match=r"more than the limit of 1000 bytes \(max_bytes=\)"):
            fetch(srv.url("/big.bin"), cache_dir=cache, max_bytes=1000, **Q)
        assert fetch(srv.url("/big.bin"), cache_dir=cache, max_bytes=len(DATA), **Q)
    assert (cache / "big.bin").read_bytes() == DATA


def test_size_limit_refused_before_reading_when_announced(cache):
    with FileServer({"/big.bin": DATA}) as srv:
        with pytest.raises(DownloadError, match=f"the file is {len(DATA)} bytes"):
            fetch(srv.url("/big.bin"), cache_dir=cache, max_bytes=len(DATA) - 1, **Q)
    assert not (cache / "big.bin").exists() and not (cache / "big.bin.part").exists()


def test_body_without_length_is_complete_when_the_server_closes(cache):
    with FileServer({"/f.bin": DATA}, send_length=False) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
    assert open(path, "rb").read() == DATA


def test_timeout(cache):
    with FileServer({"/slow.bin": DATA}, delay=1.0) as srv:
        with pytest.raises(DownloadError, match=r"no answer within 0.2 s"):
            fetch(srv.url("/slow.bin"), cache_dir=cache, timeout=0.2, retries=0, **Q)
    assert not (cache / "slow.bin").exists()


def test_final_name_appears_only_after_checks(cache):
    seen = []

    def validate(part):
        seen.append((os.path.exists(cache / "f.bin"), open(part, "rb").read() == DATA))
        raise ValueError("not what was asked for")

    with FileServer({"/f.bin": DATA}) as srv:
        with pytest.raises(DownloadError, match="something other than the file .not what was asked for"):
            fetch(srv.url("/f.bin"), cache_dir=cache, validate=validate, **Q)
        assert seen == [(False, True)]
        assert sorted(os.listdir(cache)) == ["f.bin.lock"]
        fetch(srv.url("/f.bin"), cache_dir=cache, validate=lambda p: None, **Q)
    assert (cache / "f.bin").read_bytes() == DATA


def test_file_in_current_folder_is_used_without_network(cache):
    with open("local.bin", "wb") as f:
        f.write(b"mine")
    assert fetch(refused_url("/x/local.bin"), cache_dir=cache, **Q) == os.path.abspath("local.bin")
    assert not cache.exists()
    # unless the caller's checksum says it is another file: then the cache is used
    with FileServer({"/x/local.bin": DATA}) as srv:
        with pytest.warns(RuntimeWarning, match="expected SHA-256"):
            path = fetch(srv.url("/x/local.bin"), cache_dir=cache, sha256=SHA, **Q)
        assert path == str(cache / "local.bin")
        assert fetch(srv.url("/x/local.bin"), cache_dir=cache, accept_cwd=False, **Q) == path
    assert open("local.bin", "rb").read() == b"mine"


def test_cache_folder_from_argument_environment_and_default(tmp_path, monkeypatch):
    monkeypatch.delenv("DEEPHEALTH_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_cache_dir() == str(tmp_path / "home" / ".cache" / "deephealth")
    monkeypatch.setenv("DEEPHEALTH_DATA", str(tmp_path / "env"))
    assert get_cache_dir() == str(tmp_path / "env")
    assert get_cache_dir(tmp_path / "arg") == str(tmp_path / "arg")
    monkeypatch.chdir(tmp_path)
    with FileServer({"/e.bin": DATA}) as srv:
        assert fetch(srv.url("/e.bin"), **Q) == str(tmp_path / "env" / "e.bin")


def test_name_from_url_and_explicit(cache):
    with FileServer({"/q/a%20b.bin": DATA}) as srv:
        assert fetch(srv.url("/q/a%20b.bin"), cache_dir=cache, **Q) == str(cache / "a b.bin")
        assert fetch(srv.url("/q/a%20b.bin"), "c.bin", cache_dir=cache, **Q) == str(cache / "c.bin")


@pytest.mark.parametrize("kwargs,match", [
    ({"url": "ftp://h/x.bin"}, "http:// or https://"),
    ({"url": "file:///etc/passwd"}, "http:// or https://"),
    ({"url": "http://h/"}, "cannot tell a file name"),
    ({"url": "http://h/x", "name": "../x"}, "plain file name"),
    ({"url": "http://h/x", "name": ".."}, "plain file name"),
    ({"url": "http://h/x", "sha256": "abc"}, "64 hexadecimal digits"),
    ({"url": "http://h/x", "timeout": 0}, "timeout"),
    ({"url": "http://h/x", "max_bytes": 0}, "max_bytes"),
    ({"url": "http://h/x", "retries": -1}, "retries"),
    ({"url": "http://h/x", "cache_dir": ""}, "cache_dir"),
])
def test_bad_arguments(cache, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fetch(**kwargs, **Q)
    with pytest.raises(TypeError, match="url must be a str"):
        fetch(b"http://h/x", **Q)


def test_concurrent_callers_download_once(cache):
    results, errors = [], []

    def worker():
        try:
            results.append(fetch(srv.url("/f.bin"), cache_dir=cache, **Q))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    with FileServer({"/f.bin": DATA}, delay=0.3) as srv:
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(srv.requests) == 1
    assert results == [str(cache / "f.bin")] * 3 and (cache / "f.bin").read_bytes() == DATA


def test_progress_bar_goes_to_stderr(cache, capsys):
    pytest.importorskip("tqdm")
    with FileServer({"/f.bin": DATA}) as srv:
        fetch(srv.url("/f.bin"), cache_dir=cache, progress=True)
        out = capsys.readouterr()
        assert out.out == "" and "f.bin" in out.err
        fetch(srv.url("/f.bin"), "g.bin", cache_dir=cache, progress=False)
        assert capsys.readouterr().err == ""


def test_no_warning_on_a_good_cache(cache):
    with FileServer({"/f.bin": DATA}) as srv:
        fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fetch(srv.url("/f.bin"), cache_dir=cache, **Q)


def test_docstring_examples_run(cache):
    import doctest
    import importlib

    runner = doctest.DocTestRunner()
    for name in ("cache", "datasets", "fetcher", "local", "models", "sources"):
        module = importlib.import_module(f"eddl.download.{name}")
        for test in doctest.DocTestFinder().find(module, module.__name__):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 8 and result.failed == 0


def test_resume_sends_if_range_and_a_changed_file_comes_back_whole(cache):
    new = DATA[::-1]
    with FileServer({"/f.bin": DATA}, etag=True, cut_after=50_000) as srv:
        with pytest.raises(DownloadError, match="interrupted"):
            fetch(srv.url("/f.bin"), cache_dir=cache, retries=0, **Q)
    validator = (cache / "f.bin.part.validator").read_text()
    assert validator.startswith('"')
    # the same version: resumed with If-Range
    with FileServer({"/f.bin": DATA}, etag=True) as srv:
        fetch(srv.url("/f.bin"), "same.bin", cache_dir=cache, **Q)   # fills another name
    (cache / "g.bin.part").write_bytes(DATA[:50_000])
    (cache / "g.bin.part.validator").write_text(validator)
    with FileServer({"/g.bin": DATA}, etag=True) as srv:
        path = fetch(srv.url("/g.bin"), cache_dir=cache, **Q)
        assert srv.requests == [("/g.bin", "bytes=50000-")] and srv.if_ranges == [validator]
    assert open(path, "rb").read() == DATA
    # the file changed on the server: it answers 200 and the old bytes are not kept
    with FileServer({"/f.bin": new}, etag=True) as srv:
        path = fetch(srv.url("/f.bin"), cache_dir=cache, **Q)
        assert srv.if_ranges == [validator]
    assert open(path, "rb").read() == new
    assert sorted(p for p in os.listdir(cache) if "part" in p) == []
