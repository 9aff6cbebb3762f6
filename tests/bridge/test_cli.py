import csv
import json
import os
import shutil
import threading

import yaml

from bridge.app.cli import main, predict_main


def _train(lesions, out, *extra, ddf="classification"):
    return main(["--dataset", lesions[ddf], "--epochs", "1", "--batch-size", "4",
                 "--out", str(out), "--quiet", *extra])


def test_end_to_end_resume_and_predict(lesions, tmp_path):
    out = tmp_path / "run"
    aug = tmp_path / "train_augs.txt"
    aug.write_text("SequentialAugmentationContainer\n  AugMirror p=0.5\nend\n")
    assert _train(lesions, out, "--augs", f"training={aug}", "--seed", "5") == 0
    for name in ("experiment.yml", "last.npz", "best.npz", "state.json", "history.csv",
                 "curves.png"):
        assert (out / name).stat().st_size > 0, name
    cfg = yaml.safe_load((out / "experiment.yml").read_text())
    assert cfg["model"] == "small_cnn" and cfg["seed"] == 5 and cfg["epochs"] == 1
    assert cfg["augmentations"]["training"] == str(aug)
    # resume continues after epoch 1 up to the new epoch count, from the resolved file
    assert main(["--config", str(out / "experiment.yml"), "--epochs", "2", "--resume",
                 "--quiet"]) == 0
    state = json.loads((out / "state.json").read_text())
    assert state["epoch"] == 2 and [h["epoch"] for h in state["history"]] == [1, 2]
    with open(out / "history.csv") as f:
        assert len(list(csv.DictReader(f))) == 2
    assert predict_main([str(out), os.path.join(lesions["root"], "images"),
                         "--out", str(tmp_path / "pred")]) == 0
    with open(tmp_path / "pred" / "predictions.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "class", "p_nevus", "p_melanoma", "p_keratosis"]
    assert len(rows) == 25 and all(r[1] in ("nevus", "melanoma", "keratosis") for r in rows[1:])
    assert not [t for t in threading.enumerate() if t.name.startswith("DLDataset")]


def test_segmentation_run_writes_overlays(lesions, tmp_path):
    out = tmp_path / "seg"
    assert _train(lesions, out, "--overlays", "3", ddf="segmentation") == 0
    assert len(os.listdir(out / "overlays")) == 3
    cfg = yaml.safe_load((out / "experiment.yml").read_text())
    assert cfg["task"] == "segmentation" and cfg["model"] == "small_unet"


def test_bad_inputs_fail_before_training(lesions, tmp_path, capsys):
    root = tmp_path / "copy"
    shutil.copytree(lesions["root"], root)
    from PIL import Image as PILImage
    odd = sorted((root / "images").iterdir())[3]
    PILImage.new("RGB", (20, 16)).save(odd)
    assert _train({"classification": str(root / "lesions.yml")}, tmp_path / "a") == 2
    err = capsys.readouterr().err
    assert odd.name in err and "one size" in err
    # resizing makes the same data valid
    assert _train({"classification": str(root / "lesions.yml")}, tmp_path / "b",
                  "--input-size", "16", "16") == 0
    os.remove(odd)
    assert _train({"classification": str(root / "lesions.yml")}, tmp_path / "c") == 2
    assert "do not exist" in capsys.readouterr().err
    # a model that cannot take the data's shape
    assert _train(lesions, tmp_path / "d", "--model", "unet", "--input-size", "20", "20",
                  ddf="segmentation") == 2
    assert "unet" in capsys.readouterr().err
    assert _train(lesions, tmp_path / "e", "--model", "nosuchnet") == 2
    assert "unknown model" in capsys.readouterr().err
    assert _train(lesions, tmp_path / "f", "--task", "segmentation") == 2
    assert "classification" in capsys.readouterr().err
    bad_yaml = tmp_path / "exp.yml"
    bad_yaml.write_text("epochs: -1\n")
    assert main(["--config", str(bad_yaml), "--quiet"]) == 2
    assert "epochs" in capsys.readouterr().err
    assert main(["--resume", "--out", str(tmp_path / "nothing"), "--dataset",
                 lesions["classification"], "--quiet"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
