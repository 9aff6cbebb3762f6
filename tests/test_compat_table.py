"""docs/compat_table.py: the PyEDDL/PyECVL compatibility table follows the live packages."""

import importlib.util
import os
import re

import pytest

import eddl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


@pytest.fixture(scope="module")
def compat():
    spec = importlib.util.spec_from_file_location("compat_table", os.path.join(DOCS, "compat_table.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def generated(compat, tmp_path_factory):
    out = tmp_path_factory.mktemp("compat") / "table.md"
    assert compat.main([str(out)]) == 0
    return compat, out.read_text()


def _rows(text):
    return {m.group(2): (m.group(1), m.group(3)) for m in
            re.finditer(r"^\| (\S+) \| `([^`]+)` \| ([^|]+?) \|", text, re.M)}


def test_every_committed_name_gets_one_row(generated):
    compat, text = generated
    rows = _rows(text)
    for path in compat.NAME_FILES.values():
        names = [n for _, n, _ in compat.read_names(path)]
        assert len(names) == len(set(names)), f"duplicate names in {path}"
        assert set(names) <= set(rows)
    assert len(rows) == sum(len(compat.read_names(p)) for p in compat.NAME_FILES.values())
    assert {st for _, st in rows.values()} <= set(compat.STATUSES)


def test_statuses_match_the_live_packages(generated):
    compat, text = generated
    rows = _rows(text)
    differences = compat.documented_differences()
    checked = 0
    for _, name, scope in compat.read_names(compat.NAME_FILES["PyEDDL"]):
        if not re.fullmatch(r"eddl\.[A-Za-z_0-9]+", name):
            continue
        live = hasattr(eddl, name.split(".")[1])     # independent of the script's resolver
        later = [c for c, names in compat.PLANNED.items() if name in names]
        python = compat.planned(later[0]) if later else compat.MISSING
        expected = ((compat.DIFFERENT if name in differences else compat.SUPPORTED) if live else
                    {"python": python, "cpp": compat.NA_CPP,
                     "unimplemented": compat.NA_UNIMPLEMENTED}[scope])
        assert rows[name][1] == expected, name
        checked += 1
    assert checked > 200
    # instance attributes, registries and the documented differences
    assert rows["Tensor.shape"][1] == compat.DIFFERENT and rows["eddl.Tensor"][1] == compat.DIFFERENT
    assert rows["eddl.removeLayer"][1] == compat.DIFFERENT
    assert rows["eddl.get_topk_predictions"][1] == compat.SUPPORTED
    assert rows["Net.mem_level"][1] == compat.SUPPORTED and rows["Net.snets"][1] == compat.DIFFERENT
    assert rows["Layer.dev"][1] == compat.SUPPORTED and rows["Optimizer.layers"][1] == compat.DIFFERENT
    assert rows["loss:mse"][1] == compat.SUPPORTED and rows["metric:mean_relative_error"][1] == compat.SUPPORTED
    assert rows["_core.SGD"][1] == compat.SUPPORTED
    assert rows["eddl.ConvSTM"][1] == compat.NA_UNIMPLEMENTED
    assert rows["Tensor.updateDevice"][1] == compat.NA_CPP
    assert rows["ecvl.Image"][1] == compat.SUPPORTED and rows["Image.dims_"][1] == compat.SUPPORTED


def test_a_name_appearing_later_changes_the_table(compat, monkeypatch):
    # what happens when another branch adds a name: no file to edit, the row follows
    rows = {r[1]: r for r in compat.build_rows()["PyEDDL"]}
    name = next(n for n, r in rows.items()
                if r[3].startswith(compat.planned("")) and re.fullmatch(r"eddl\.\w+", n))
    monkeypatch.setattr(eddl, name.split(".")[1], lambda *a: None, raising=False)
    rows = {r[1]: r for r in compat.build_rows()["PyEDDL"]}
    assert rows[name][3] == compat.SUPPORTED


class _Nothing:
    """A resolver for packages that provide no name at all."""

    def has(self, name):
        return False


def test_statuses_of_names_the_packages_lack(compat):
    rows = {r[1]: r for pkg in compat.build_rows(resolver=_Nothing()).values() for r in pkg}
    for capability, names in compat.PLANNED.items():
        for name in names:
            assert rows[name][3] == compat.planned(capability), name
    assert rows["eddl.RNN"][3] == "planned: recurrent layers"
    assert rows["eddl.Transform"][3] == "planned: FPGA"
    assert rows["Tensor.load_from_ptr"][3] == compat.NA_PYTHON
    assert "pointer" in rows["Tensor.load_from_ptr"][4]
    # any other Python-reachable name is missing, so a regression shows in the table
    assert rows["eddl.Dense"][3] == compat.MISSING and rows["Tensor.resize"][3] == compat.MISSING
    assert rows["ecvl.ImRead"][3] == compat.MISSING
    assert rows["Tensor.updateDevice"][3] == compat.NA_CPP


def test_the_mappings_name_upstream_python_names(compat):
    scopes = {n: sc for p in compat.NAME_FILES.values() for _, n, sc in compat.read_names(p)}
    mapped = [n for names in compat.PLANNED.values() for n in names] + list(compat.NOT_IN_PYTHON)
    assert len(mapped) == len(set(mapped))
    assert all(scopes.get(n) == "python" for n in mapped), mapped


def test_documented_differences_exist_in_the_names_files(compat):
    names = {n for p in compat.NAME_FILES.values() for _, n, _ in compat.read_names(p)}
    diffs = compat.documented_differences()
    assert diffs and set(diffs) <= names, sorted(set(diffs) - names)


def test_the_docs_include_the_generated_table():
    with open(os.path.join(DOCS, "compat.md"), encoding="utf-8") as f:
        assert "_generated/compat_table.md" in f.read()
    with open(os.path.join(DOCS, "conf.py"), encoding="utf-8") as f:
        assert "compat_table.write_table()" in f.read()
    with open(os.path.join(DOCS, "index.rst"), encoding="utf-8") as f:
        toc = f.read()
    assert "porting_pyeddl" in toc and "compat" in toc


def test_instance_attributes_are_found_in_every_assignment_form(compat):
    src = '''
    class K:
        def __init__(self, a):
            self.a_, (self.b_, self.c_) = a, (1, 2)
            self.d_: int = 3
            self.e_ += 1
            first, *self.f_ = [1, 2]
            other.g_ = 4
            self.h_ == 5
    '''
    assert compat._assigned_attributes(src) == {"a_", "b_", "c_", "d_", "e_", "f_"}


def test_no_user_facing_name_is_missing(generated):
    # everything PyEDDL/PyECVL users can reach is provided, not applicable, or planned
    compat, text = generated
    missing = sorted(n for n, (_, st) in _rows(text).items() if st == compat.MISSING)
    assert not missing, missing

