"""Loading of DeepHealth Dataset Format YAML: a fast path for the usual layout.

PyYAML builds Python objects event by event, which takes tens of seconds for a dataset
of 200,000 images even with libyaml. DDF files are nearly always the flat block layout
that :func:`ecvl.dataset.Dataset.dump` writes, so that layout is read here line by line;
scalars are typed with PyYAML's own implicit resolvers. Anything else (anchors, nested
blocks, multi-line scalars, comments inside entries...) falls back to PyYAML's safe
loader, the libyaml one when present.
"""

import re

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_TOP = re.compile(r"([A-Za-z_][\w-]*)\s*:(?:\s+(.*?))?\s*$")
_INT = re.compile(r"-?\d+$")


class _Fallback(Exception):
    pass


def strip_header(text):
    """Drop an OpenCV-style ``%YAML:1.2`` first line, which YAML parsers reject."""
    if text.startswith("%YAML:"):
        nl = text.find("\n")
        return "\n" if nl < 0 else "\n" + text[nl + 1:]  # keep line numbers
    return text


def safe_load(text):
    """PyYAML safe load (libyaml when available): no object construction from tags."""
    return yaml.load(text, Loader=SafeLoader)


def load(text):
    """Parse DDF YAML text into plain Python data (dicts, lists, scalars)."""
    text = strip_header(text)
    try:
        return _fast(text)
    except _Fallback:
        return safe_load(text)


def check_expansion(data, text_length, source):
    """Refuse YAML whose aliases expand it far beyond its text ("billion laughs").

    Aliases let a few hundred bytes name a structure of billions of nodes, which PyYAML
    shares but every walk over the data expands. A document without aliases has fewer
    nodes than characters, so the budget below only stops alias bombs; it is counted
    without expanding anything into memory.
    """
    from ._build import DatasetError

    budget = 10 * text_length + 100_000
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            raise DatasetError(source, [f"the YAML aliases expand to more than {budget} values "
                                        f"from {text_length} characters (an alias bomb?)"])
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


_cache = {}


def _plain(s):
    """Type a plain (unquoted) scalar the way PyYAML does."""
    if _INT.match(s):
        return int(s)
    if not s or s[0] in "&*!|>'\"%@`{[#":
        raise _Fallback
    if ": " in s or " #" in s:
        raise _Fallback
    for _tag, regexp in _RESOLVERS.get(s[0], ()):
        if regexp.match(s):
            v = _cache.get(s)
            if v is None:
                v = safe_load(s)
                if len(_cache) < 4096:
                    _cache[s] = v
            return v
    return s


def _scalar(s):
    if not s:
        raise _Fallback
    c = s[0]
    if c == '"':
        if len(s) < 2 or s[-1] != '"' or "\\" in s or '"' in s[1:-1]:
            raise _Fallback
        return s[1:-1]
    if c == "'":
        if len(s) < 2 or s[-1] != "'":
            raise _Fallback
        inner = s[1:-1]
        if "'" in inner.replace("''", ""):
            raise _Fallback
        return inner.replace("''", "'")
    if c == "[":
        if s[-1] != "]":
            raise _Fallback
        inner = s[1:-1].strip()
        if not inner:
            return []
        if any(ch in inner for ch in "[]{}#") or ('"' in inner and "\\" in inner):
            raise _Fallback
        if '"' in inner or "'" in inner:
            return safe_load(s)
        return [_scalar(p.strip()) for p in inner.split(",")]
    if c == "{":
        return safe_load(s)
    return _plain(s)


def _sections(lines):
    """Split into top-level ``key: value`` sections: {key: (inline_text, body_lines)}."""
    out = {}
    key = None
    body = None
    for line in lines:
        c = line[:1]
        if c == " " or c == "-":
            if body is None:
                raise _Fallback
            body.append(line)
            continue
        if not c or c == "#" or not line.strip():
            continue
        if line.startswith("---") or line.startswith("..."):
            if line.strip() in ("---", "..."):
                continue
            raise _Fallback
        m = _TOP.match(line)
        if not m or m.group(1) in out:
            raise _Fallback
        key = m.group(1)
        body = []
        out[key] = (m.group(2) or "", body)
    return out


def _key_value(text):
    """``key: value`` -> (key, value or None); None when ``text`` is not a plain key."""
    k, sep, v = text.partition(":")
    if not sep or not k or not k.replace("_", "").replace("-", "").isalnum() \
            or k[0].isdigit() or (v and v[0] != " "):
        return None
    v = v.strip()
    return k, (v if v else None)


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _images(body):
    if not body:
        return []
    ind = _indent(body[0])
    prefix = " " * ind + "- "
    inner = " " * (ind + 2)
    plen, ilen = len(prefix), len(inner)
    items = []
    cur = None
    for line in body:
        if line.startswith(prefix):
            text = line[plen:].strip()
            kv = _key_value(text) if text[:1] not in "\"'[{" else None
            if kv:
                cur = {}
                items.append(cur)
                _item_kv(cur, kv)
            else:
                items.append(_scalar(text))
                cur = None
            continue
        if cur is not None and line.startswith(inner) and line[ilen:ilen + 1] not in ("", " "):
            kv = _key_value(line[ilen:].rstrip())
            if kv:
                _item_kv(cur, kv)
                continue
        if not line.strip() or line.lstrip()[:1] == "#":
            continue
        raise _Fallback
    return items


def _item_kv(item, kv):
    key, value = kv
    if value is None or key in item:
        raise _Fallback
    item[key] = _scalar(value)


def _split(body):
    out = {}
    for line in body:
        kv = _key_value(line.strip())
        if not kv or kv[1] is None:
            raise _Fallback
        name, v = kv
        if not (v.startswith("[") and v.endswith("]")) or name in out:
            raise _Fallback
        inner = v[1:-1].strip()
        try:
            out[name] = [int(x) for x in inner.split(",")] if inner else []
        except ValueError:
            raise _Fallback from None
    return out


def _fast(text):
    if "\t" in text or "&" in text and "*" in text:
        raise _Fallback
    sections = _sections(text.split("\n"))
    data = {}
    for key, (inline, body) in sections.items():
        if key == "images" and not inline:
            data[key] = _images(body)
        elif key == "split" and not inline and body:
            data[key] = _split(body)
        else:
            chunk = key + ":" + (" " + inline if inline else "") + "\n" + "\n".join(body)
            data.update(safe_load(chunk) or {key: None})
    return data
