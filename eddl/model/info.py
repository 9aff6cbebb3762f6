"""Describing a model: ``summary`` (a table), ``plot`` (a Graphviz drawing), top-k predictions."""

import math
import os
import shutil
import subprocess

import numpy as np

__all__ = ["summary", "to_dot", "plot", "get_topk_predictions"]


def _count(layer):
    return sum(math.prod(s[1]) for s in layer.param_specs())


def summary(net):
    """Return (and print) a table of layers: output shapes, parameters and output memory.

    The activation column is the size of one sample's output in the net's dtype (float32 until
    :func:`eddl.build` says otherwise). A built model's layers share gradient buffers in
    training, and a model made by :func:`eddl.optimize_for_inference` shares its output
    buffers; the summary then says how much the shared buffers take. A model made by
    :func:`eddl.toFPGA` adds its partition: the layers each fused HLSinf layer replaces, why
    every other layer stays on the CPU, and the host<->device copies in bytes.
    """
    itemsize = 8 if getattr(net, "dtype", None) == "float64" else 4
    rows = [("Layer (type)", "Output shape", "Param #", "Act. KiB", "Parents")]
    total = trainable = act = 0
    for l in net.layers:
        c = _count(l)
        total += c
        trainable += c if l.trainable else 0
        size = math.prod(l.shape) * itemsize
        act += size
        rows.append((f"{l.name} ({type(l).__name__})", str([None] + list(l.shape)), str(c),
                     f"{size / 1024:,.1f}", ", ".join(p.name for p in l.parents)))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    sep = "-" * (sum(w) + 12)
    lines = [f"Model: {net.name}", sep]
    for i, r in enumerate(rows):
        lines.append("  ".join(x.ljust(w[j]) for j, x in enumerate(r)).rstrip())
        if i == 0:
            lines.append("=" * len(sep))
    lines += [sep, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}",
              f"Activations per sample: {act / 2**20:,.2f} MiB (layer outputs)"]
    for plan, what in ((getattr(net, "memory_plan", None), "outputs"),
                       (getattr(net, "delta_plan", None), "gradients in training")):
        if plan is not None:
            lines.append(f"Shared {what}: {plan.bytes_per_sample(itemsize) / 2**20:,.2f} MiB per "
                         f"sample in {len(plan.slot_elements)} buffers for {len(plan.slot_of)} "
                         f"layers")
    part = getattr(net, "fpga_partition", None)
    if part is not None:
        lines += [sep, part.summary(getattr(net, "fpga_layers", None))]
    text = "\n".join(lines)
    print(text)
    return text


def to_dot(net, rankdir="LR"):
    """Return the model graph in Graphviz's dot language."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"plot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    ids = {id(l): f"n{i}" for i, l in enumerate(net.layers)}
    out = [f'digraph "{net.name}" {{', f"  rankdir={rankdir};", "  node [shape=box, style=rounded];"]
    for l in net.layers:
        label = f"{l.name}\\n{type(l).__name__}\\n{list(l.shape)}"
        out.append(f'  {ids[id(l)]} [label="{label}"];')
    for l in net.layers:
        for p in l.parents:
            if id(p) in ids:
                out.append(f"  {ids[id(p)]} -> {ids[id(l)]};")
    out.append("}")
    return "\n".join(out) + "\n"


def plot(net, fname="model.pdf", string="LR"):
    """Draw the model graph into ``fname`` with Graphviz's ``dot``.

    The format follows the extension (pdf, png, svg...). Without Graphviz installed, the dot
    text is written to ``<fname>.dot`` and a RuntimeError says how to render it.

    Returns
    -------
    str
        The file written.
    """
    dot = to_dot(net, string)
    ext = os.path.splitext(fname)[1].lstrip(".").lower() or "pdf"
    exe = shutil.which("dot")
    if exe is None:
        dot_file = fname + ".dot" if ext != "dot" else fname
        with open(dot_file, "w", encoding="utf-8") as f:
            f.write(dot)
        if ext == "dot":
            return dot_file
        raise RuntimeError(f"plot: Graphviz 'dot' is not installed, so {fname!r} was not drawn; the "
                           f"graph was written to {dot_file!r} (render it with: dot -T{ext} "
                           f"{dot_file} -o {fname})")
    if ext == "dot":
        with open(fname, "w", encoding="utf-8") as f:
            f.write(dot)
        return fname
    res = subprocess.run([exe, f"-T{ext}", "-o", fname], input=dot.encode(), capture_output=True)
    if res.returncode != 0:
        raise RuntimeError(f"plot: dot failed: {res.stderr.decode(errors='replace').strip()}")
    return fname


def get_topk_predictions(class_probs, class_names, k=5, decimals=2):
    """Return the ``k`` most probable classes as text, one numbered line each (PyEDDL).

    The format is EDDL's (``src/apis/eddl.cpp``): ``"<rank>. <name> (<prob*100>%)"`` with
    ``decimals`` fixed decimals, each line ending in a newline; ties keep the class order.

    Parameters
    ----------
    class_probs : Tensor or array_like
        One probability per class (any shape; its values are read in C order).
    class_names : sequence of str
        One name per class.
    k : int, default 5
        At least 1 and, as in EDDL, fewer than the number of classes.
    decimals : int, default 2

    Returns
    -------
    str

    Examples
    --------
    >>> print(get_topk_predictions([0.1, 0.6, 0.3], ["cat", "dog", "fox"], k=2), end="")
    1. dog (60.00%)
    2. fox (30.00%)
    """
    probs = np.asarray(class_probs, dtype=np.float32).reshape(-1)
    if probs.size == 0:
        raise ValueError("get_topk_predictions: class_probs is empty")
    names = list(class_names)
    if probs.size != len(names):
        raise ValueError(f"get_topk_predictions: class_probs has {probs.size} values but "
                         f"class_names has {len(names)} names; give one name per class")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 < k < probs.size:
        raise ValueError(f"get_topk_predictions: k={k!r}; it must be an int greater than zero "
                         f"and smaller than the number of classes ({probs.size})")
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or decimals < 0:
        raise ValueError(f"get_topk_predictions: decimals={decimals!r}; it must be an int >= 0")
    # EDDL sorts with argsort(descending=true), a stable sort, and scales in float32
    order = np.argsort(-probs, kind="stable")[:k]
    pct = probs * np.float32(100.0)
    return "".join(f"{i + 1}. {names[j]} ({float(pct[j]):.{int(decimals)}f}%)\n"
                   for i, j in enumerate(order))
