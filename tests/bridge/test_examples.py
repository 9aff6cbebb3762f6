"""Smoke runs of the bridge examples with tiny settings, each in a fresh interpreter."""

import os
import subprocess
import sys

import pytest
from PIL import Image as PILImage

EXAMPLES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples"))

CASES = {
    "bridge_lesion_pipeline": (["--epochs", "1", "--samples", "16", "8", "8", "--size", "16"],
                               "00.png"),
    "skin_lesion_classification": (["--epochs", "1", "--samples", "16", "8", "8",
                                    "--batch-size", "8"], "skin_lesion_results.png"),
    "dicom_series_inference": (["--epochs", "1", "--size", "16", "--depth", "4",
                                "--volumes", "2"], "dicom_series_inference.png"),
    "onnx_finetune": (["--epochs", "1", "--samples", "16", "8", "8"], "onnx_finetune.png"),
    "wsi_heatmap": (["--height", "192", "--width", "256", "--tile", "16", "--epochs", "1",
                     "--patches", "64"], "wsi_heatmap.png"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_and_writes_its_png(name, tmp_path):
    if name == "wsi_heatmap":
        pytest.importorskip("tifffile")
    args, png = CASES[name]
    # run outside the checkout: from its root, "import eddl" would find the source folders
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, f"{name}.py"), *args,
                           "--out", str(tmp_path / "out")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wrote" in proc.stdout
    with PILImage.open(tmp_path / "out" / png) as im:
        im.verify()
