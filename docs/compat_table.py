"""Write the PyEDDL/PyECVL compatibility table from the live packages.

For every name in ``docs/compat/pyeddl_names.txt`` and ``docs/compat/pyecvl_names.txt`` (the
upstream public names, committed once) the table says whether the installed ``eddl``/``ecvl``
provide it, provide it with a difference documented in a ``docs/porting_*.md`` page (those
pages list the names concerned on ``Names:`` lines), whether it is not applicable (C++
only upstream, declared there and never implemented, or meaningless in Python), or whether it
is planned as part of a capability still to come (:data:`PLANNED`). Apart from the two small
mappings :data:`PLANNED` and :data:`NOT_IN_PYTHON`, nothing in the table is written by hand,
so names added by any branch show up as soon as the packages have them: a planned name the
packages provide is simply "supported".

Run as ``python docs/compat_table.py [OUT.md]``; the Sphinx build (``docs/conf.py``) and
``tests/test_compat_table.py`` run it; the build writes ``docs/_generated/compat_table.md``,
which ``docs/compat.md`` includes.
"""

import argparse
import ast
import importlib
import inspect
import os
import re
import sys
import textwrap
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
NAME_FILES = {"PyEDDL": os.path.join(HERE, "compat", "pyeddl_names.txt"),
              "PyECVL": os.path.join(HERE, "compat", "pyecvl_names.txt")}
DEFAULT_OUT = os.path.join(HERE, "_generated", "compat_table.md")

_CORE_MODULES = ("eddl", "eddl.optimizers", "eddl.losses", "eddl.metrics", "eddl.layers",
                 "eddl.compserv")

SUPPORTED = "supported"
DIFFERENT = "supported, documented difference"
MISSING = "missing"
NA_CPP = "not applicable (C++ only upstream)"
NA_UNIMPLEMENTED = "not applicable (never implemented upstream)"
NA_PYTHON = "not applicable (no meaning in Python)"

#: Upstream names that belong to a capability of the toolkit still to come, by capability.
#: A name leaves this list by itself: once the packages provide it, its row says "supported".
PLANNED = {
    "recurrent layers": ("eddl.RNN", "eddl.LSTM", "eddl.GRU", "eddl.States", "eddl.GetStates",
                         "eddl.setDecoder"),
    "GPU": ("eddl.toGPU",),
    # EDDL's Transform layer only repacks channels for the HLSinf FPGA kernels
    # (src/layers/core/layer_transform.cpp needs the FPGA's CPI); this toolkit's toFPGA keeps
    # activations in CHW and repacks them inside the device adapter instead
    "FPGA": ("eddl.Transform",),
}

#: Upstream names reachable from Python there but meaningless in Python, with the reason.
NOT_IN_PYTHON = {
    "Tensor.load_from_ptr": "takes a raw C pointer (`void*`) to a serialized tensor; "
                            "`Tensor.load` and `Tensor.from_onnx` read serialized tensors",
}


def planned(capability):
    """The status of a name planned as part of ``capability`` (a key of :data:`PLANNED`)."""
    return f"planned: {capability}"


_PLANNED_BY_NAME = {n: cap for cap, names in PLANNED.items() for n in names}
STATUSES = (SUPPORTED, DIFFERENT, MISSING, NA_CPP, NA_UNIMPLEMENTED, NA_PYTHON,
            *(planned(c) for c in PLANNED))


def read_names(path):
    """Rows ``(section, name, scope)`` of a names file (``#`` lines are comments)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                sec, name, scope = line.rstrip("\n").split("\t")
                rows.append((sec, name, scope))
    return rows


def documented_differences(doc_dir=HERE):
    """Names listed on ``Names:`` lines of the ``porting_*.md`` pages, with their page."""
    found = {}
    for fn in sorted(os.listdir(doc_dir)):
        if fn.startswith("porting_") and fn.endswith(".md"):
            with open(os.path.join(doc_dir, fn), encoding="utf-8") as f:
                heading = ""
                for line in f:
                    if line.startswith("#"):
                        heading = line.lstrip("#").strip()
                    m = re.match(r"\s*(?:\*\*)?Names(?:\*\*)?:(?:\*\*)?\s*(.*)", line)
                    if m:
                        for name in re.findall(r"`([^`]+)`", m.group(1)):
                            found[name] = (fn[:-3], heading)
    return found


# --- sample objects whose attributes the names "Owner.x" refer to --------------------------

def _eddl_samples():
    import eddl
    x = eddl.Input([4])
    dense = eddl.Dense(x, 3)
    out = eddl.Softmax(dense)
    net = eddl.Model([x], [out])
    opt = eddl.adam(0.01)
    eddl.build(net, opt, ["soft_cross_entropy"], ["accuracy"], eddl.CS_CPU())
    nl_in = eddl.Input([4])
    nl_net = eddl.Model([nl_in], [])
    eddl.build(nl_net, eddl.adam(0.01), [], [], eddl.CS_CPU())
    netloss = eddl.newloss(lambda ins: eddl.Mult(ins[0], ins[0]), [nl_in], "sq")
    return {"Tensor": eddl.Tensor([2, 2]), "Layer": dense, "Net": net, "Optimizer": opt,
            "NetLoss": netloss, "CompServ": eddl.CS_CPU(), "Loss": eddl.getLoss("mse"),
            "Metric": eddl.getMetric("mse")}


def _ecvl_samples():
    import ecvl
    return {"Image": ecvl.Image.empty(), "MetaData": ecvl.MetaData(1)}


def _assigned_attributes(source):
    """Names ``x`` of every ``self.x = ...`` in ``source``, tuple targets included."""
    found = set()

    def targets(node):
        if isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                yield from targets(elt)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)
        else:
            yield node

    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.Assign):
            tgts = [t for tgt in node.targets for t in targets(tgt)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            tgts = list(targets(node.target))
        else:
            continue
        found.update(t.attr for t in tgts if isinstance(t, ast.Attribute)
                     and isinstance(t.value, ast.Name) and t.value.id == "self")
    return found


def _assigns(cls, name):
    """True when a method of ``cls`` (or a base in the toolkit) assigns ``self.<name>``."""
    for klass in inspect.getmro(cls):
        if klass.__module__.split(".")[0] not in ("eddl", "ecvl", "bridge"):
            continue
        try:
            src = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if name in _assigned_attributes(src):
            return True
    return False


class Resolver:
    """Answers "does the live package provide this name?"."""

    def __init__(self):
        self._samples = None

    def samples(self):
        if self._samples is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._samples = {**_eddl_samples(), **_ecvl_samples()}
        return self._samples

    @staticmethod
    def _dotted(path):
        parts = path.split(".")
        obj = importlib.import_module(parts[0])
        for i, part in enumerate(parts[1:], 1):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                try:
                    obj = importlib.import_module(".".join(parts[: i + 1]))
                except ImportError:
                    return False
        return True

    def has(self, name):
        kind, _, rest = name.partition(":")
        if rest and kind in ("loss", "metric"):
            reg = importlib.import_module(f"eddl.{kind}es" if kind == "loss" else "eddl.metrics")
            names = reg.loss_names() if kind == "loss" else reg.metric_names()
            return rest in names
        owner, _, member = name.partition(".")
        if owner == "_core":
            # pyeddl._core's classes: wherever eddl keeps them
            return any(hasattr(importlib.import_module(m), member) for m in _CORE_MODULES)
        if owner in ("eddl", "ecvl", "bridge"):
            return self._dotted(name)
        sample = self.samples().get(owner)
        if sample is not None:
            return hasattr(sample, member)
        for mod in ("ecvl", "eddl"):
            cls = getattr(importlib.import_module(mod), owner, None)
            if inspect.isclass(cls):
                return hasattr(cls, member) or _assigns(cls, member)
        return False


def status(name, scope, has, differences):
    """The status of ``name`` (of the names files' ``scope``) given whether the packages have it."""
    if has:
        return DIFFERENT if name in differences else SUPPORTED
    if scope == "cpp":
        return NA_CPP
    if scope == "unimplemented":
        return NA_UNIMPLEMENTED
    if name in NOT_IN_PYTHON:
        return NA_PYTHON
    if name in _PLANNED_BY_NAME:
        return planned(_PLANNED_BY_NAME[name])
    return MISSING


def build_rows(resolver=None, differences=None, docs_link=""):
    """``{package: [(section, name, scope, status, note)]}`` for both names files.

    ``docs_link`` is the path from the table's folder to ``docs/`` (for the notes' links).
    """
    resolver = resolver or Resolver()
    differences = documented_differences() if differences is None else differences
    table = {}
    for pkg, path in NAME_FILES.items():
        rows = []
        for sec, name, scope in read_names(path):
            st = status(name, scope, resolver.has(name), differences)
            note = ""
            if st == DIFFERENT:
                page, heading = differences[name]
                note = f"[{heading}]({docs_link}{page}.md)"
            elif st == SUPPORTED and scope != "python":
                note = "extension: not in the Python API upstream"
            elif st == NA_PYTHON:
                note = NOT_IN_PYTHON[name]
            rows.append((sec, name, scope, st, note))
        table[pkg] = rows
    return table


def render(table):
    lines = ["<!-- generated by docs/compat_table.py from the live packages: do not edit -->", ""]
    for pkg, rows in table.items():
        counts = {s: sum(r[3] == s for r in rows) for s in STATUSES}
        lines += [f"## {pkg}", "",
                  ", ".join(f"{n} {s}" for s, n in counts.items() if n) + f" ({len(rows)} names).",
                  "", "| Section | Name | Status | Note |", "|---|---|---|---|"]
        lines += [f"| {sec} | `{name}` | {st} | {note} |" for sec, name, _, st, note in rows]
        lines.append("")
    return "\n".join(lines)


def write_table(out=DEFAULT_OUT):
    """Generate the table into ``out``; return the rows."""
    folder = os.path.dirname(os.path.abspath(out))
    # docs/compat.md includes the default output, and MyST resolves the links of an included
    # file from the including page; a table written elsewhere links back to docs/
    link = "" if os.path.abspath(out) == DEFAULT_OUT else os.path.relpath(HERE, folder) + os.sep
    table = build_rows(docs_link=link.replace(os.sep, "/"))
    os.makedirs(folder, exist_ok=True)
    text = render(table)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=DEFAULT_OUT, help="markdown file to write")
    args = ap.parse_args(argv)
    table = write_table(args.out)
    for pkg, rows in table.items():
        missing = sum(r[3] == MISSING for r in rows)
        later = sum(r[3].startswith(planned("")) for r in rows)
        print(f"{pkg}: {len(rows)} names, {missing} missing, {later} planned -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
