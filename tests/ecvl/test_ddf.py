"""DeepHealth Dataset Format: Listing 2, validation, writing, generation, big files."""

import os
import random
import warnings

import numpy as np
import pytest
import yaml

from ecvl import SplitType, Task
from ecvl.dataset import (
    Dataset,
    DatasetError,
    GenerateClassificationDataset,
    GenerateSegmentationDataset,
    Sample,
    Split,
    _fastyaml,
    generate_classification_dataset,
    generate_segmentation_dataset,
)

# Listing 2 of the toolkit paper, verbatim.
LISTING_2 = """\
name: MNIST
description: This is the MNIST dataset.
classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
images:
  - location: "training/0.png"
    label: 5
  - location: "training/1.png"
    label: 0
split:
  training: [0, 1]
"""


def write(tmp_path, text, name="d.yml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_listing2_loads_as_written(tmp_path):
    d = Dataset(write(tmp_path, LISTING_2))
    assert d.name_ == "MNIST" and d.description_ == "This is the MNIST dataset."
    assert d.classes_ == [str(i) for i in range(10)] and d.task_ == Task.classification
    assert [s.label_ for s in d.samples_] == [[5], [0]]
    assert d.samples_[0].location_ == [str(tmp_path / "training" / "0.png")]
    assert d.GetSplit("training") == [0, 1] == d.GetSplit(SplitType.training) == d.GetSplit(0)
    assert d.split_[0].split_type_ == SplitType.training and d.current_split_ == 0
    assert d.splits == {"training": [0, 1]}


def test_opencv_header_and_full_feature_set(tmp_path):
    text = """%YAML:1.2
---
name: skin
classes: [benign, malignant]
features: [age, sex]
images:
  - location: /abs/a.png
    label: malignant
    values: [40, F]
  - location: [planes/b1.png, planes/b2.png]
    label: [0, 1]
    values: {sex: M}
  - c.png
  - location: d.png
    label: masks/d.png
split:
  training: [0, 1]
  validation: [2]
  test1: [3]
"""
    d = Dataset(write(tmp_path, text))
    a, b, c, e = d.samples_
    assert a.location_ == ["/abs/a.png"] and a.label_ == [1] and a.values_ == {0: 40, 1: "F"}
    assert len(b.location_) == 2 and b.label_ == [0, 1] and b.values_ == {1: "M"}
    assert c.label_ is None and e.label_path_ == str(tmp_path / "masks" / "d.png")
    assert [s.split_name_ for s in d.split_] == ["training", "validation", "test1"]
    assert d.split_[2].split_type_ is None and d.split_[1].no_label_
    assert d.GetLocations()[1] == b.location_
    d.SetSplit("test1")
    assert d.GetSplit() == [3]
    with pytest.raises(RuntimeError, match="no split named"):
        d.GetSplit("nope")


@pytest.mark.parametrize("body, message", [
    ("images:\n  - location: a.png\n    label: 12\n", "images[0]: label 12 is out of range"),
    ("images:\n  - location: a.png\n    label: horse\n", "images[0]: label 'horse' is not one"),
    ("images:\n  - location: https://x.org/a.png\n", "images[0]: location 'https://x.org/a.png'"
     " is a URL; URLs are never fetched"),
    ("images:\n  - a.png\nsplit:\n  training: [0, 3]\n", "split 'training': index 3 out of "
     "range"),
    ("images:\n  - a.png\n  - b.png\nsplit:\n  training: [0, 1]\n  test: [1]\n",
     "split 'test': index 1 already in split 'training'"),
    ("images:\n  - location: a.png\n    values: {height: 3}\n", "unknown feature 'height'"),
    ("images:\n  - label: 3\n", "images[0]: entry must be"),
    ("images: 5\n", "'images' must be a list"),
    ("images:\n  - a.png\nsplitt: {}\n", "unknown top-level key 'splitt'"),
])
def test_validation_names_the_entry(tmp_path, body, message):
    text = "classes: [cat, dog]\nfeatures: [age]\n" + body
    with pytest.raises(DatasetError) as e:
        Dataset(write(tmp_path, text))
    assert message in str(e.value)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        d = Dataset(write(tmp_path, text), strict=False)
    assert any(message in p for p in d.problems) and w


def test_verify_reports_missing_files_and_summary_is_bounded(tmp_path):
    (tmp_path / "ok.png").write_bytes(b"x")
    text = "images:\n" + "".join(f"  - f{i}.png\n" for i in range(30)) + "  - ok.png\n"
    Dataset(write(tmp_path, text))  # files are only checked with verify
    with pytest.raises(DatasetError, match="30 problem") as e:
        Dataset(write(tmp_path, text), verify=True)
    assert "f0.png' does not exist" in str(e.value) and "and 10 more" in str(e.value)
    assert len(e.value.problems) == 30


def test_bad_files(tmp_path):
    with pytest.raises(RuntimeError, match="does not exist"):
        Dataset(tmp_path / "missing.yml")
    with pytest.raises(DatasetError, match="YAML syntax error"):
        Dataset(write(tmp_path, "images: [a, b\n"))
    # tags never construct objects
    with pytest.raises(DatasetError):
        Dataset(write(tmp_path, "images: !!python/object/apply:os.system ['true']\n"))


def test_dump_round_trip(tmp_path):
    src = write(tmp_path, LISTING_2.replace("split:", "features: [age]\nsplit:").replace(
        '    label: 0\n', '    label: 0\n    values: [3]\n  - location: ["x y.png", "z\\u00e9.png"]\n'
        '    label: [1, 2]\n  - location: "m.png"\n    label: "gt/m.png"\n'))
    d = Dataset(src)
    out = tmp_path / "sub" / "out.yml"
    out.parent.mkdir()
    d.Dump(out)
    again = Dataset(out)
    assert again == d
    assert Dataset(out) == Dataset(out)
    d.dump(tmp_path / "same.yml")
    assert '"training/0.png"' in (tmp_path / "same.yml").read_text()  # relative when inside


def _tree(root, files):
    for f in files:
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")


def test_generate_classification_with_split_folders(tmp_path):
    _tree(tmp_path, ["training/cat/1.png", "training/cat/2.png", "training/dog/3.jpg",
                     "test/cat/4.png", "test/dog/5.png", "test/dog/notes.txt"])
    d = generate_classification_dataset(tmp_path)
    assert d.classes_ == ["cat", "dog"]
    assert {s.split_name_: len(s.samples_indices_) for s in d.split_} == {"test": 2,
                                                                          "training": 3}
    labels = {os.path.basename(s.location_[0]): s.label_ for s in d.samples_}
    assert labels == {"1.png": [0], "2.png": [0], "3.jpg": [1], "4.png": [0], "5.png": [1]}
    d.Dump(tmp_path / "d.yml")
    assert Dataset(tmp_path / "d.yml", verify=True) == d
    g = GenerateClassificationDataset(tmp_path)
    assert g.GetDataset() == d and sorted(g.splits_) == ["test", "training"]


def test_generate_classification_with_ratios_is_seeded(tmp_path):
    _tree(tmp_path, [f"c{k}/{i}.png" for k in range(3) for i in range(20)])
    a = generate_classification_dataset(tmp_path, ratios=(0.5, 0.25, 0.25), seed=1)
    b = generate_classification_dataset(tmp_path, ratios=(0.5, 0.25, 0.25), seed=1)
    c = generate_classification_dataset(tmp_path, ratios=(0.5, 0.25, 0.25), seed=2)
    sizes = [len(s.samples_indices_) for s in a.split_]
    assert sizes == [30, 15, 15] and a == b and a != c
    allidx = sorted(i for s in a.split_ for i in s.samples_indices_)
    assert allidx == list(range(60))
    with pytest.raises(ValueError, match="sum"):
        generate_classification_dataset(tmp_path, ratios=(0.9, 0.5))


def test_generate_segmentation(tmp_path):
    _tree(tmp_path, ["training/images/a.png", "training/images/b.png",
                     "training/masks/a.png", "training/masks/b.png",
                     "validation/images/c.png", "validation/ground_truth/c.png"])
    d = generate_segmentation_dataset(tmp_path)
    assert d.task_ == Task.segmentation and not d.classes_
    assert [s.split_name_ for s in d.split_] == ["training", "validation"]
    for s in d.samples_:
        assert os.path.basename(s.label_path_) == os.path.basename(s.location_[0])
    d.Dump(tmp_path / "seg.yml")
    assert Dataset(tmp_path / "seg.yml", verify=True) == d
    flat = tmp_path / "flat"
    _tree(flat, ["x.png", "x_segmentation.png", "y.png"])
    g = GenerateSegmentationDataset(flat, suffix="_segmentation").GetDataset()
    assert [os.path.basename(s.label_path_ or "") for s in g.samples_] == \
        ["x_segmentation.png", ""]


def test_split_batches():
    s = Split("training", list(range(10)))
    s.SetNumBatches(4)
    s.SetLastBatch(4)
    assert (s.num_batches_, s.last_batch_) == (3, 2)
    s = Split("training", list(range(10)), drop_last=True)
    s.SetNumBatches(4)
    s.SetLastBatch(4)
    assert (s.num_batches_, s.last_batch_) == (2, 4)


def _random_doc(rng):
    lines = ["name: t", "classes: [a, b, 'c d', 3]", "images:"]
    scalars = ['"q.png"', "p.png", "'s''q.png'", "dir/x.png", "1.png", "yes.png", "null.png"]
    for _ in range(40):
        loc = rng.choice(scalars + ['["a.png", b.png]'])
        lines.append(f"  - location: {loc}")
        lab = rng.choice(["0", "1", "a", "'c d'", "[0, 1]", "masks/m.png", None])
        if lab is not None:
            lines.append(f"    label: {lab}")
        if rng.random() < 0.3:
            lines.append("  - plain.png")
    lines += ["split:", "  training: [0, 1, 2]", "  test: []"]
    return "\n".join(lines) + "\n"


def test_fast_loader_agrees_with_pyyaml():
    rng = random.Random(0)
    for _ in range(30):
        text = _random_doc(rng)
        assert _fastyaml._fast(text) == yaml.safe_load(text)
    # layouts outside the fast path fall back and still load right
    odd = "images:\n  - location: a.png\n    label:\n      - 1\n      - 0\n"
    assert _fastyaml.load(odd) == yaml.safe_load(odd)
    with pytest.raises(_fastyaml._Fallback):
        _fastyaml._fast(odd)


def test_200k_entries_take_the_fast_path(tmp_path, monkeypatch):
    n = 200_000
    parts = ["name: big\nclasses: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\nimages:\n"]
    parts += [f'  - location: "training/{i}.png"\n    label: {i % 10}\n' for i in range(n)]
    parts.append("split:\n  training: [" + ", ".join(map(str, range(150_000))) + "]\n")
    parts.append("  test: [" + ", ".join(map(str, range(150_000, n))) + "]\n")
    path = write(tmp_path, "".join(parts), "big.yml")
    real = _fastyaml.safe_load

    def small_only(text):  # PyYAML may only see the small sections
        assert len(text) < 1000, "the images or split section left the fast path"
        return real(text)

    monkeypatch.setattr(_fastyaml, "safe_load", small_only)
    d = Dataset(path)
    assert len(d.samples_) == n and d.samples_[123_456].label_ == [6]
    assert d.samples_[-1].location_ == [str(tmp_path / "training" / f"{n - 1}.png")]
    assert d.GetSplit("test")[:2] == [150_000, 150_001]


def test_sample_load_image(tmp_path):
    import ecvl

    arr = np.random.default_rng(0).integers(0, 255, (6, 8, 3)).astype(np.uint8)
    img = ecvl.Image.from_canonical(arr, "xyc", ecvl.ColorType.RGB)
    ecvl.ImWrite(str(tmp_path / "a.png"), img)
    d = Dataset(write(tmp_path, "images:\n  - a.png\n  - missing.png\n"))
    out = d.samples_[0].LoadImage(ecvl.ColorType.RGB)
    np.testing.assert_array_equal(out.canonical(), arr)
    assert d.samples_[0].size_ == [8, 6]
    with pytest.raises(RuntimeError, match="does not exist"):
        d.samples_[1].LoadImage()
    assert Sample("x.png") == Sample(["x.png"])
