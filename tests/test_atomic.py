"""The one atomic-write helper that ecvl, eddl and bridge all write files through."""

import os
import threading

import numpy as np
import pytest

import ecvl
import eddl
from _deephealth import atomic


@pytest.fixture
def atomic_path():
    return atomic.atomic_path


def test_success_moves_file_into_place(tmp_path, atomic_path):
    p = tmp_path / "out.csv"
    with atomic_path(str(p)) as tmp:
        with open(tmp, "w") as f:
            f.write("a,b\n")
    assert p.read_text() == "a,b\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_error_leaves_old_file_and_no_temporary(tmp_path, atomic_path):
    p = tmp_path / "out.csv"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(str(p), ".csv") as tmp:
            assert tmp.endswith(".csv")
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("writer failed")
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_missing_folder_is_named(tmp_path, atomic_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_path(str(tmp_path / "nope" / "x.bin")):
            pass


def test_concurrent_writers_never_share_a_temporary(tmp_path, atomic_path):
    p = tmp_path / "shared.txt"
    errors = []

    def write(i):
        try:
            for _ in range(20):
                with atomic_path(str(p)) as tmp, open(tmp, "x") as f:
                    f.write(str(i) * 100)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    text = p.read_text()
    assert len(set(text)) == 1 and len(text) == 100
    assert os.listdir(tmp_path) == ["shared.txt"]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path):
    return os.stat(path).st_mode & 0o777


def test_written_files_follow_the_umask(tmp_path, umask_022):
    # mkstemp would leave every output readable by its owner only (0600)
    img = ecvl.Image.fromarray(np.zeros((8, 6, 3), np.uint8), "xyc", ecvl.ColorType.RGB)
    ecvl.ImWrite(str(tmp_path / "a.png"), img)
    vol = ecvl.Image.fromarray(np.zeros((4, 5, 3), np.int16), "xyz", ecvl.ColorType.none)
    ecvl.NiftiWrite(str(tmp_path / "v.nii.gz"), vol)
    t = eddl.Tensor.fromarray(np.ones((2, 3), np.float32))
    t.save(str(tmp_path / "t.bin"))
    for name in ("a.png", "v.nii.gz", "t.bin"):
        assert _mode(tmp_path / name) == 0o644, name
