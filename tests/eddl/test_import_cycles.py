"""No import cycles inside ``eddl``: each module's imports, read from its source, form a DAG.

Imports at module level run when the module loads; imports inside functions run later, but a
cycle through them still ties two layers of the package together, so both count. The few
deliberate late imports are listed in ``DELIBERATE`` with the reason.
"""

import ast
import pathlib

import eddl

ROOT = pathlib.Path(eddl.__file__).parent

# (importer, imported) edges that are allowed to close a cycle, with why
DELIBERATE = {
    # old import path eddl.losses.NetLoss, resolved on first use (PEP 562 __getattr__)
    ("eddl.losses", "eddl.model"),
    ("eddl.losses", "eddl.model.netloss"),
}


def _module_name(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(module, is_pkg, level, target):
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    if level:
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([target] if target else []))
    return target


def _imports(name, path, modules):
    """(imported module, at module level?) pairs of one file, eddl modules only."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    found = []

    def visit(node, top):
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, inner) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                mod = _resolve(name, is_pkg, child.level, child.module)
                found.append((mod, inner))
                found.extend((f"{mod}.{a.name}", inner) for a in child.names)
            visit(child, inner)

    visit(tree, True)
    out = set()
    for mod, top in found:
        if mod not in modules:
            continue
        # importing a.b.c runs a and a.b first (except the packages holding the importer)
        parts = mod.split(".")
        for i in range(2, len(parts) + 1):
            target = ".".join(parts[:i])
            if target in modules and not name.startswith(target + ".") and target != name:
                out.add((target, top))
    return out


def _cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return comps


def _graph(top_only):
    modules = _modules()
    edges = {}
    for name, path in modules.items():
        for target, top in _imports(name, path, modules):
            if (top or not top_only) and (name, target) not in DELIBERATE:
                edges.setdefault(name, set()).add(target)
    return edges


def test_no_import_cycles_at_load_time():
    assert _cycles(_graph(top_only=True)) == []


def test_no_import_cycles_through_late_imports():
    assert _cycles(_graph(top_only=False)) == []


def test_the_checker_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
