"""JSON and YAML serialisation of pipelines, through the same registry as the DSL."""

import json
import os

from _deephealth import atomic as _atomic
from . import base

__all__ = ["from_dict", "to_json", "from_json", "to_yaml", "from_yaml", "save", "load"]


def from_dict(d):
    """Rebuild an augmentation or container from :meth:`Augmentation.to_dict` output.

    Parameters
    ----------
    d : dict
        ``{"name": ..., "params": {...}}`` plus ``"children"`` for containers.

    Returns
    -------
    Augmentation

    Examples
    --------
    >>> from ecvl.augment import AugRotate, from_dict
    >>> aug = AugRotate(angle=[-10, 10])
    >>> from_dict(aug.to_dict()) == aug
    True
    """
    if not isinstance(d, dict) or "name" not in d:
        raise ValueError(f"augmentation description must be a dict with a 'name', got {d!r}")
    unknown = set(d) - {"name", "params", "children"}
    if unknown:
        raise ValueError(f"{d['name']}: unknown keys {sorted(unknown)} in description")
    cls = base.get_augmentation_class(d["name"])
    params = dict(d.get("params") or {})
    if "children" in d:
        from .dsl import _is_container

        if not _is_container(cls):
            raise ValueError(f"{d['name']} is not a container but has children")
        params["augs"] = [from_dict(c) for c in d["children"]]
    return cls(**params)


def to_json(aug, **kwargs):
    """JSON text of a pipeline (``json.dumps`` keyword arguments pass through)."""
    return json.dumps(aug.to_dict(), **kwargs)


def from_json(text):
    """Pipeline from :func:`to_json` text."""
    return from_dict(json.loads(text))


def to_yaml(aug):
    """YAML text of a pipeline."""
    import yaml

    return yaml.safe_dump(aug.to_dict(), sort_keys=False)


def from_yaml(text):
    """Pipeline from YAML text (loaded safely: no object construction from tags)."""
    import yaml

    return from_dict(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


_WRITERS = {".json": lambda a: to_json(a, indent=2), ".yaml": to_yaml, ".yml": to_yaml}
_READERS = {".json": from_json, ".yaml": from_yaml, ".yml": from_yaml}


def save(aug, path):
    """Write a pipeline to ``path``: JSON (``.json``), YAML (``.yaml``/``.yml``) or DSL.

    The file is written to a temporary name first and renamed, so it is never left
    half-written.
    """
    ext = os.path.splitext(str(path))[1].lower()
    text = _WRITERS.get(ext, lambda a: a.to_text() + "\n")(aug)
    with _atomic.atomic_path(path) as tmp, open(tmp, "x", encoding="utf-8") as f:
        f.write(text)


def load(path):
    """Read a pipeline written by :func:`save` (format from the extension; DSL otherwise)."""
    ext = os.path.splitext(str(path))[1].lower()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if ext in _READERS:
        return _READERS[ext](text)
    from .dsl import parse

    return parse(text)
