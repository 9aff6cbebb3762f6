"""The task-engine example: Dask workers train from ONNX weights and a master averages them."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("distributed")

EXAMPLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                                       "dask_onnx_workers.py"))


@pytest.mark.parametrize("mode", ["weights", "gradients"])
def test_dask_workers_improve_the_master(mode, tmp_path):
    # run outside the checkout: from its root, "import eddl" would find the source folders
    proc = subprocess.run([sys.executable, EXAMPLE, "--workers", "2", "--rounds", "2", "--mode",
                           mode, "--out", str(tmp_path / "out")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    acc = [float(line.rsplit(" ", 1)[1]) for line in proc.stdout.splitlines()
           if line.startswith("round ")]
    assert len(acc) == 2 and acc[-1] > 0.85, proc.stdout
    assert (tmp_path / "out" / "dask_onnx_rounds.png").stat().st_size > 0
