"""PyECVL's build flag ``ECVL_EDDL``: whether the EDDL-facing names are available."""

import importlib.util
import subprocess
import sys
import tempfile

import ecvl
from ecvl import _config


def test_true_with_eddl_and_bridge_installed_and_their_names_work():
    assert ecvl.ECVL_EDDL is True
    assert ecvl.config()["eddl_support"] is True
    assert callable(ecvl.ImageToTensor) and ecvl.DLDataset.__name__ == "DLDataset"


def test_false_when_either_package_is_missing(monkeypatch):
    real = importlib.util.find_spec
    for absent in ("eddl", "bridge"):
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a, _absent=absent: None if name == _absent
                            else real(name, *a))
        assert _config._eddl_support() is False
    monkeypatch.setattr(importlib.util, "find_spec", real)
    assert _config._eddl_support() is True


def test_reading_it_imports_neither_eddl_nor_bridge():
    code = ("import sys, ecvl; assert ecvl.ECVL_EDDL; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('eddl', 'bridge')))")
    # run outside the checkout: from its root, "import ecvl" would find the source folders
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir())
    assert out.stdout.strip() == "[]"
