"""Every module in the source tree is installed: a file left out of a meson.build would
otherwise only fail for users of the built package."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("ecvl", "eddl", "bridge")


def _source_modules():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*")):
            if path.suffix not in (".py", ".pyx") or "build" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts)


@pytest.mark.parametrize("name", list(_source_modules()))
def test_module_is_installed(name):
    spec = importlib.util.find_spec(name)
    assert spec is not None, f"{name} is in the source tree but not installed: list it in meson.build"
    origin = pathlib.Path(spec.origin or "")
    # With a regular install the module must come from site-packages, not from the checkout.
    assert origin.suffix in (".py", ".so", ".pyd") or spec.origin in (None, "built-in"), origin
