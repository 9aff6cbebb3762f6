"""bridge's library part (conversion, DLDataset, volumes) never imports its application part
(bridge.app: the commands, training, prediction, reports), so a script that builds its own
pipeline gets the library without the commands' dependencies and side effects."""

import ast
import pathlib
import subprocess
import sys
import tempfile

import pytest

BRIDGE = pathlib.Path(__file__).resolve().parents[2] / "bridge"
APP = "bridge.app"
# ``python -m bridge`` runs the training command: the one library module meant to reach it.
ENTRY_POINTS = {"__main__.py"}


def imported_modules(source, package="bridge"):
    """Absolute names of the modules that ``source`` (a module of ``package``) imports.

    ``from X import y`` yields both ``X`` and ``X.y``, since ``y`` may be a submodule.
    Imports inside functions count too: a deferred import is still a dependency.
    """
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[:-(node.level - 1)]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


def _is_app(name):
    return name == APP or name.startswith(APP + ".")


def test_imported_modules_resolves_every_form():
    src = ("import bridge.app.cli\nfrom . import app\nfrom .app.train import run_experiment\n"
           "def f():\n    from bridge import app\n    from .convert import image_to_array\n")
    names = imported_modules(src)
    assert {n for n in names if _is_app(n)} == {"bridge.app.cli", "bridge.app", "bridge.app.train",
                                                "bridge.app.train.run_experiment"}
    assert "bridge.convert.image_to_array" in names
    # from inside bridge.app, ``..`` is the library
    assert imported_modules("from ..loader import DLDataset", "bridge.app") == [
        "bridge.loader", "bridge.loader.DLDataset"]


LIBRARY = sorted(p.name for p in BRIDGE.glob("*.py") if p.name not in ENTRY_POINTS)


def test_library_modules_found():
    assert {"__init__.py", "convert.py", "loader.py", "_produce.py", "volume.py"} <= set(LIBRARY)


@pytest.mark.parametrize("name", LIBRARY)
def test_library_does_not_import_application(name):
    source = (BRIDGE / name).read_text(encoding="utf-8")
    wrong = [m for m in imported_modules(source) if _is_app(m)]
    assert not wrong, f"bridge/{name} imports the application: {wrong}"


def test_application_modules_live_in_app():
    app = {p.name for p in (BRIDGE / "app").glob("*.py")}
    assert {"cli.py", "train.py", "predict.py", "checkpoint.py", "experiment.py", "synth.py",
            "report.py", "models.py", "validate.py"} <= app
    assert not app & (set(LIBRARY) - {"__init__.py"})  # no module in both parts


def test_import_bridge_loads_no_application_module():
    code = ("import sys, bridge\n"
            "from bridge import volume, DLDataset, ImageToTensor\n"
            "print(sorted(m for m in sys.modules if m == 'bridge.app' "
            "or m.startswith('bridge.app.')))")
    # run outside the checkout: `python -c` puts the working folder first on sys.path, where
    # the sources (without their compiled modules) would shadow the installed package
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tempfile.gettempdir()).stdout
    assert out.strip() == "[]"


def test_public_names_stay_in_bridge():
    import bridge

    for name in bridge.__all__:
        assert getattr(bridge, name).__module__.split(".")[:2] != ["bridge", "app"], name
