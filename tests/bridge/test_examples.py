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
    "segmentation_3d": (["--volumes", "4", "2", "1", "--size", "8", "16", "16", "--patch", "8",
                         "8", "8", "--epochs", "2", "--base", "4"], "segmentation_3d_slices.png"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_and_writes_its_png(name, tmp_path):
    if name == "wsi_heatmap":
        pytest.importorskip("tifffile")
    if name in ("wsi_heatmap", "segmentation_3d"):
        pytest.importorskip("matplotlib")  # their figures (a dependency of the package)
    args, png = CASES[name]
    # run outside the checkout: from its root, "import eddl" would find the source folders
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, f"{name}.py"), *args,
                           "--out", str(tmp_path / "out")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wrote" in proc.stdout
    with PILImage.open(tmp_path / "out" / png) as im:
        im.verify()
    if name == "wsi_heatmap":
        with PILImage.open(tmp_path / "out" / "wsi_labels.tiff") as im:
            assert im.size == (8, 6)  # 128 x 96 level-1 pixels in cells of 16
    if name == "segmentation_3d":
        assert sorted(os.listdir(tmp_path / "out")) == [
            "segmentation_3d_curves.png", "segmentation_3d_dice.png", png]
        assert "test Dice per class: background" in proc.stdout
