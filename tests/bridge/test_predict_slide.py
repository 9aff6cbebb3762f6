"""deephealth-predict on a whole-slide image: the maps it writes are bridge.slide's prediction
with the run's network (itself checked against a brute-force reference in test_slide)."""

import csv
import os

import numpy as np
import pytest
from PIL import Image as PILImage

import ecvl
from bridge.app.cli import predict_main
from bridge.app.experiment import resolve
from bridge.app.train import load_run_model, run_experiment
from bridge.slide import predict_slide

tifffile = pytest.importorskip("tifffile")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def slide_path(tmp_path_factory):
    rng = np.random.default_rng(5)
    base = np.full((96, 128, 3), 230, np.uint8)
    base[20:70, 30:90] = (150, 60, 60)  # a dark "lesion"
    base = np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("slide") / "case.tiff"
    with tifffile.TiffWriter(path) as tw:
        lv = base
        for i in range(2):
            tw.write(lv, tile=(32, 32), photometric="rgb", subfiletype=1 if i else 0)
            lv = lv[::2, ::2]
    return str(path)


def _run(lesions, task, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"{task}_run")
    run_experiment(resolve(overrides={"dataset": lesions[task], "epochs": 1, "batch_size": 4,
                                      "out": str(out), "workers": 1, "overlays": 0}),
                   verbose=False)
    return str(out)


@pytest.mark.parametrize("task", ["segmentation", "classification"])
def test_slide_maps_are_the_tiled_prediction(task, lesions, slide_path, tmp_path,
                                             tmp_path_factory):
    run = _run(lesions, task, tmp_path_factory)
    out = tmp_path / "p"
    assert predict_main([run, slide_path, "--kind", "slide", "--slide-level", "1",
                         "--overlap", "0.5", "--blend", "gaussian", "--slide-cell", "4",
                         "--out", str(out)]) == 0
    _, net, loader = load_run_model(run)
    ref = predict_slide(slide_path, net, (16, 16), 1, 0.5, 4, "gaussian", progress=False)
    assert ref.probabilities.shape[1:] == (12, 16)
    with PILImage.open(out / "case_labels.tiff") as im:
        np.testing.assert_array_equal(np.asarray(im), ref.labels)
    with PILImage.open(out / "case_heatmap.png") as im:
        im.verify()
    with open(out / "predictions.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    if task == "segmentation":
        assert rows[0] == ["file", "level", "tiles", "rows", "cols", "lesion_fraction"]
        fractions = [ref.labels.mean()]
    else:
        assert rows[0][:5] == ["file", "level", "tiles", "rows", "cols"]
        assert rows[0][5:] == [f"fraction_{c}" for c in loader.classes_]
        fractions = [(ref.labels == k).mean() for k in range(len(loader.classes_))]
    assert rows[1][:5] == [os.path.abspath(slide_path), "1", str(ref.tiles), "12", "16"]
    np.testing.assert_allclose([float(v) for v in rows[1][5:]], fractions, atol=1e-6)


def test_slide_options_are_checked(lesions, slide_path, tmp_path, tmp_path_factory, capsys):
    run = _run(lesions, "segmentation", tmp_path_factory)
    out = ["--out", str(tmp_path / "p")]
    for argv, words in [(["--kind", "slide", "--window", "16", "16"], "--window and --tta do "
                                                                      "not apply"),
                        (["--kind", "slide", "--slide-cell", "0"], "--slide-cell must be >= 1"),
                        (["--kind", "slide", "--slide-level", "-1"], "--slide-level must be"),
                        (["--slide-level", "1"], "need a slide input")]:
        with pytest.raises(SystemExit):
            predict_main([run, slide_path, *argv, *out])
        assert words in capsys.readouterr().err
    assert predict_main([run, slide_path, "--kind", "slide", "--slide-level", "5", *out]) == 2
    assert "level must be an int in [0, 1], got 5" in capsys.readouterr().err
    png = tmp_path / "plain.png"
    PILImage.fromarray(np.zeros((8, 8, 3), np.uint8)).save(png)
    assert predict_main([run, str(png), "--kind", "slide", *out]) == 2
    assert "plain.png: not a slide format OpenSlide supports" in capsys.readouterr().err
    with ecvl.OpenSlideImage(slide_path) as s:
        assert s.GetLevelCount() == 2
