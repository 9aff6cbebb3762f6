"""The ONNX operator tables: which layer exports how, which ONNX op imports how.

Two tables, filled by the operator-family modules of :mod:`eddl.onnx.ops` with decorators
beside the code they register:

- :data:`EXPORTERS` maps a layer class name (``"Conv2D"``) to a function
  ``export(layer, graph)`` that writes the layer's ONNX nodes (see
  :class:`eddl.onnx.graph_export.ExportGraph`).
- :data:`IMPORTERS` maps an ONNX op type to the functions that import it, each declared for
  the schema versions (``since_version`` in the ONNX operator changelog) whose semantics it
  implements. A node of a model with opset ``n`` resolves, with
  ``onnx.defs.get_schema(op, max_inclusive_version=n)``, to one schema version; a model
  whose schema version no function declares is refused before anything runs, so a future
  change of an operator's meaning can never be imported silently.

The supported-operator table of the documentation is generated from :data:`IMPORTERS`
(:func:`support_table`).
"""

import onnx.defs

from _deephealth.registry import Registry

__all__ = ["EXPORTERS", "IMPORTERS", "exporter", "importer", "resolve", "support_table",
           "MIN_OPSET", "MAX_OPSET", "EXPORT_OPSET"]

#: opsets of the default domain the importer reads
MIN_OPSET = 13
MAX_OPSET = 23
#: opset written by the exporter
EXPORT_OPSET = 18

#: layer class name -> export function
EXPORTERS = Registry("ONNX exporter of layer class")
#: ONNX op type -> {schema since_version: import function}
IMPORTERS = {}


def exporter(*class_names):
    """Register the decorated function as the ONNX exporter of the layer classes named."""
    def add(fn):
        EXPORTERS.register(*class_names, obj=fn)
        return fn
    return add


def importer(op_type, *since_versions):
    """Register the decorated function as the importer of ``op_type`` for those schema versions.

    Parameters
    ----------
    op_type : str
        ONNX operator type of the default domain.
    *since_versions : int
        The ``since_version`` of every schema of ``op_type`` the function implements; none
        given: every schema of the supported opsets (for operators whose later versions only
        added element types, or whose function reads every form).
    """
    if not since_versions:
        since_versions = sorted({v for n in range(MIN_OPSET, MAX_OPSET + 1)
                                 if (v := schema_version(op_type, n)) is not None})

    def add(fn):
        table = IMPORTERS.setdefault(op_type, {})
        for v in since_versions:
            if v in table and table[v] is not fn:
                raise ValueError(f"ONNX importer for {op_type} version {v} is already registered")
            table[v] = fn
        return fn
    return add


def schema_version(op_type, opset):
    """Return the ``since_version`` of the schema of ``op_type`` in ``opset`` (None: no such op)."""
    try:
        return onnx.defs.get_schema(op_type, max_inclusive_version=opset, domain="").since_version
    except onnx.defs.SchemaError:
        return None


def resolve(op_type, opset):
    """Return the import function of ``op_type`` in a model of ``opset``, or None."""
    table = IMPORTERS.get(op_type)
    if not table:
        return None
    v = schema_version(op_type, opset)
    return table.get(v) if v is not None else None


def supported_opsets(op_type):
    """Return the sorted opsets in ``[MIN_OPSET, MAX_OPSET]`` at which ``op_type`` imports."""
    return [n for n in range(MIN_OPSET, MAX_OPSET + 1) if resolve(op_type, n) is not None]


def _ranges(values):
    out, start, prev = [], None, None
    for v in values:
        if start is None:
            start = prev = v
        elif v == prev + 1:
            prev = v
        else:
            out.append((start, prev))
            start = prev = v
    if start is not None:
        out.append((start, prev))
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in out)


def support_table():
    """Return the supported ONNX operators as a Markdown table (op type, opsets, layers).

    Generated from :data:`IMPORTERS` and :data:`EXPORTERS`, so the documentation cannot go
    stale.
    """
    from ..layers.registry import LAYERS

    rows = ["| ONNX operator | imported at opsets | imported as |", "|---|---|---|"]
    for op in sorted(IMPORTERS):
        fns = {fn for fn in IMPORTERS[op].values()}
        what = "; ".join(sorted({(fn.__doc__ or "").strip().splitlines()[0] for fn in fns}))
        rows.append(f"| `{op}` | {_ranges(supported_opsets(op))} | {what} |")
    rows += ["", "| layer class | exported as |", "|---|---|"]
    for name in sorted(n for n in LAYERS.names() if n == LAYERS.canonical(n)):
        fn = EXPORTERS.get(name) if name in EXPORTERS else None
        text = (fn.__doc__ or "").strip().splitlines()[0] if fn else "not exportable"
        rows.append(f"| `{name}` | {text} |")
    return "\n".join(rows)
