"""Regression tests for hostile DDF YAML and augmentation DSL text: bounded time and memory."""

import time

import pytest

from ecvl.augment import AugmentationFactory, AugmentationSyntaxError
from ecvl.augment.dsl import MAX_NESTING
from ecvl.augment.params import MAX_MAGNITUDE, MAX_SIDE, MAX_SIGMA
from ecvl.dataset import Dataset, DatasetError

_LAUGHS = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
    f"*a{i - 1}, *a{i - 1}]" for i in range(1, 10)]) + "\nimages: *a9\n"


def test_yaml_alias_bomb_is_refused_quickly_with_a_short_message(tmp_path):
    path = tmp_path / "laughs.yml"
    path.write_text(_LAUGHS)
    assert len(_LAUGHS) < 1000  # expands to 9**10 (3.5e9) values
    start = time.monotonic()
    with pytest.raises(DatasetError, match=r"(?s)laughs.yml: .*aliases expand to more than") as info:
        Dataset(path)
    assert time.monotonic() - start < 5
    assert len(str(info.value)) < 500


def test_ddf_with_ordinary_aliases_still_loads(tmp_path):
    path = tmp_path / "a.yml"
    path.write_text("classes: &c [a, b]\nimages:\n  - &e {location: x.png, label: 0}\n  - *e\n"
                    "split:\n  training: [0, 1]\n")
    d = Dataset(path)
    assert len(d.samples_) == 2 and d.classes_ == ["a", "b"]


def test_non_utf8_ddf_raises_dataset_error_naming_the_file(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes("name: caf\u00e9\nimages: []\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"(?s)latin1.yml: .*not UTF-8 text: byte 0xe9 at offset 9") \
            as info:
        Dataset(path)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_values_echoed_in_ddf_errors_are_cut_short(tmp_path):
    path = tmp_path / "long.yml"
    path.write_text("images:\n  - location: a.png\n    label: " + "z" * 100_000
                    + "\nclasses: [a]\nsplit:\n  training: [0]\n")
    with pytest.raises(DatasetError, match="more characters") as info:
        Dataset(path)
    assert len(str(info.value)) < 1000


@pytest.mark.parametrize("text", ["- a\n- b\n", "42\n", "", "images\n"])
def test_ddf_that_is_not_a_mapping_names_the_file(tmp_path, text):
    path = tmp_path / "list.yml"
    path.write_text(text)
    with pytest.raises(DatasetError, match=r"(?s)list.yml: .*must be"):
        Dataset(path)


def test_deeply_nested_yaml_is_a_dataset_error(tmp_path):
    path = tmp_path / "deep.yml"
    path.write_text("images: " + "[" * 20000 + "]" * 20000 + "\n")
    with pytest.raises(DatasetError, match="deep.yml"):
        Dataset(path)


def test_dsl_nesting_is_bounded_with_the_position():
    depth = 500
    text = "SequentialAugmentationContainer\n" * depth + "AugMirror p=0.5\n" + "end\n" * depth
    with pytest.raises(AugmentationSyntaxError, match=f"nested more than {MAX_NESTING} deep") as info:
        AugmentationFactory.create(text)
    assert info.value.line == MAX_NESTING + 1 and info.value.column == 1
    ok = "SequentialAugmentationContainer\n" * 8 + "AugMirror p=0.5\n" + "end\n" * 8
    assert AugmentationFactory.create(ok) is not None


@pytest.mark.parametrize("text, column, words", [
    ("AugGaussianBlur sigma=[0,65536]", 23, f"outside [0, {MAX_SIGMA}]"),
    ("AugElasticTransform alpha=[1,2] sigma=[1,1000]", 39, f"outside [0.001, {MAX_SIGMA}]"),
    ("AugResizeDim dims=(100000,20)", 19, f"outside [1, {MAX_SIDE}]"),
    ("AugRotate angle=[0,1e300]", 17, f"outside [-{MAX_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]"),
    ("AugBrightness beta=[0,99999999999999999999]", 20, "outside"),
    ("AugGridDistortion num_steps=[1,100000] distort_limit=[-0.2,0.2]", 29, "outside [1, 1024]"),
])
def test_dsl_numbers_are_range_checked_at_parse_time(text, column, words):
    start = time.monotonic()
    with pytest.raises(AugmentationSyntaxError, match=words.replace("[", r"\[").replace("+", r"\+")) \
            as info:
        AugmentationFactory.create("SequentialAugmentationContainer\n  " + text + "\nend\n")
    assert (info.value.line, info.value.column) == (2, column + 2)
    assert time.monotonic() - start < 1


def test_dsl_values_at_the_limits_still_parse():
    aug = AugmentationFactory.create(f"AugGaussianBlur sigma=[0,{MAX_SIGMA}]")
    assert aug.sigma == (0, MAX_SIGMA)


def test_dsl_errors_show_a_window_of_a_long_line():
    text = "AugMirror p=" + "x" * 1_000_000
    with pytest.raises(AugmentationSyntaxError, match="expected a value") as info:
        AugmentationFactory.create(text)
    assert len(str(info.value)) < 1000 and info.value.column == 13
    lines = str(info.value).split("\n")
    assert lines[2].index("^") == lines[1].index("x")  # the caret still points at the column
