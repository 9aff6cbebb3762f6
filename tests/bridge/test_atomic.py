import os

import pytest

from bridge._atomic import atomic_path


def test_success_moves_file_into_place(tmp_path):
    p = tmp_path / "out.csv"
    with atomic_path(str(p)) as tmp:
        with open(tmp, "w") as f:
            f.write("a,b\n")
    assert p.read_text() == "a,b\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_error_leaves_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(str(p), ".csv") as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("writer failed")
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.csv"]
