"""Writing datasets in the DeepHealth Dataset Format."""

import json
import os

from _deephealth import atomic as _atomic

__all__ = ["dump_dataset"]


def _q(s):
    # A JSON string literal is a valid YAML double-quoted scalar.
    return json.dumps(str(s), ensure_ascii=False)


def _value(v):
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return repr(v)
    return _q(v)


def _rel(p, base):
    if "://" in p:
        return p
    try:
        r = os.path.relpath(p, base)
    except ValueError:  # another drive on Windows
        return p
    return p if r.startswith("..") else r.replace(os.sep, "/")


def dump_dataset(dataset, path):
    """Write ``dataset`` to ``path`` as DDF YAML that loads back to an equal dataset.

    Locations inside the output folder are written relative to it. The file is written
    under a temporary name and renamed, so it is never left half-written.

    Parameters
    ----------
    dataset : Dataset
        The dataset.
    path : str or os.PathLike
        Output file.

    Examples
    --------
    >>> import os, tempfile
    >>> from ecvl.dataset import Dataset, Sample, Split, dump_dataset
    >>> d = Dataset()
    >>> d.classes_ = ["cat", "dog"]
    >>> d.samples_ = [Sample("/data/a.png", [1])]
    >>> d.split_ = [Split("training", [0])]
    >>> out = os.path.join(tempfile.mkdtemp(), "d.yml")
    >>> dump_dataset(d, out)
    >>> Dataset(out).samples_[0].label_
    [1]
    """
    path = os.fspath(path)
    base = os.path.dirname(os.path.abspath(path))
    lines = [f"name: {_q(dataset.name_)}", f"description: {_q(dataset.description_)}"]
    if dataset.classes_:
        lines.append("classes: [" + ", ".join(_q(c) for c in dataset.classes_) + "]")
    if dataset.features_:
        lines.append("features: [" + ", ".join(_q(f) for f in dataset.features_) + "]")
    lines.append("images:")
    feats = dataset.features_
    for s in dataset.samples_:
        locs = [_rel(p, base) for p in s.location_]
        loc = _q(locs[0]) if len(locs) == 1 else "[" + ", ".join(_q(x) for x in locs) + "]"
        lines.append(f"  - location: {loc}")
        if s.label_path_ is not None:
            lines.append(f"    label: {_q(_rel(s.label_path_, base))}")
        elif s.label_ is not None:
            lab = s.label_
            lines.append(f"    label: {lab[0]}" if len(lab) == 1 and dataset.classes_
                         else "    label: [" + ", ".join(str(x) for x in lab) + "]")
        if s.values_:
            items = ", ".join(f"{_q(feats[k]) if k < len(feats) else k}: {_value(v)}"
                              for k, v in sorted(s.values_.items()))
            lines.append("    values: {" + items + "}")
    if dataset.split_:
        lines.append("split:")
        for sp in dataset.split_:
            lines.append(f"  {sp.split_name_}: [" + ", ".join(map(str, sp.samples_indices_)) + "]")
    with _atomic.atomic_path(path) as tmp, open(tmp, "x", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
