"""JSON and YAML serialisation of pipelines, through the same registry as the DSL."""

import json
import os

from _deephealth import atomic as _atomic

from .catalog import from_dict
from .dsl import parse

__all__ = ["from_dict", "to_json", "from_json", "to_yaml", "from_yaml", "save", "load"]


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
    return parse(text)
