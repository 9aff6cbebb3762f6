"""The shape of the ecvl package: no import cycles, no module hidden behind a function."""

import ast
import importlib
import pathlib
import pkgutil

import ecvl

ROOT = pathlib.Path(ecvl.__file__).parent


def _module_names():
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = ("ecvl",) + path.relative_to(ROOT).with_suffix("").parts
        is_pkg = parts[-1] == "__init__"
        names[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return names


def _import_edges(modules):
    """Module -> ecvl modules it imports, at any depth (function-level imports count too)."""
    edges = {}
    for name, (path, is_pkg) in modules.items():
        package = name if is_pkg else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for t in targets:
                # a submodule always imports its own packages first: not a cycle
                if t in modules and t != name and not name.startswith(t + "."):
                    edges.setdefault(name, set()).add(t)
    return edges


def _cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_in_ecvl():
    modules = _module_names()
    edges = _import_edges(modules)
    assert edges["ecvl.augment.serialize"] >= {"ecvl.augment.dsl", "ecvl.augment.catalog"}
    assert _cycles(edges) == []


def test_no_module_is_hidden_behind_an_exported_name():
    # `from .m import *` in a package binds the package attribute `m` to a function when m
    # exports a function of its own name; `import ecvl.x.m as m` would then break.
    for info in pkgutil.walk_packages(ecvl.__path__, "ecvl."):
        module = importlib.import_module(info.name)
        parent, _, leaf = info.name.rpartition(".")
        assert getattr(importlib.import_module(parent), leaf) is module, info.name


def test_imgproc_families_export_what_ecvl_exports():
    from ecvl import imgproc

    for family in ("color", "thresholding", "filters", "morph", "label", "draw", "restoration",
                   "intensity", "geometric", "distortion"):
        package = getattr(imgproc, family)
        assert set(package.__all__) <= set(ecvl.__all__), family
        assert all(getattr(ecvl, n) is getattr(package, n) for n in package.__all__), family
