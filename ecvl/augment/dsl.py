"""The augmentation text DSL of PyECVL, with positions in every error.

Grammar (PyECVL's, plus ``#`` comments, ``End``/``END``, CRLF and tabs)::

    document  := entry
    entry     := NAME param* NEWLINE [container-body]
    container := entry* ("end" | "End")            # after a container NAME line
    param     := NAME "=" value
    value     := "[" num "," num "]"                 # range, sampled per call
               | "(" num ("," num)* ")"              # vector
               | '"' chars '"'                       # string
               | num                                 # number

Containers (``SequentialAugmentationContainer``, ``OneOfAugmentationContainer p=...``,
``SomeOfAugmentationContainer n=...``) nest; indentation is cosmetic.
"""

import difflib
import re

from ..core.errors import short
from .catalog import REGISTRY, get_augmentation_class
from .params import DSL_KIND_WORDS

__all__ = ["AugmentationFactory", "AugmentationSyntaxError", "parse", "parse_params_text",
           "parse_container_body"]


class AugmentationSyntaxError(ValueError, RuntimeError):
    """Malformed augmentation text; ``line`` and ``column`` are 1-based.

    It is a ``RuntimeError`` too, which is what PyECVL raised.
    """

    def __init__(self, message, line, column, source_line=""):
        self.line = line
        self.column = column
        self.reason = message = short(message, 300)
        text = f"line {line}, column {column}: {message}"
        if source_line.strip():
            # a window of the line around the column: hostile text may hold megabyte lines
            start = max(0, column - 1 - _CONTEXT)
            shown = source_line.rstrip()[start:column - 1 + _CONTEXT]
            text += f"\n    {shown}\n    {' ' * (column - 1 - start)}^"
        super().__init__(text)


_CONTEXT = 80


#: Deepest nesting of containers the parser accepts; real pipelines nest two or three deep,
#: and the bound keeps hostile text from exhausting the interpreter's stack.
MAX_NESTING = 64

_NUM = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PUNCT = "=[](),"


class _Tok:
    __slots__ = ("kind", "value", "line", "col")

    def __init__(self, kind, value, line, col):
        self.kind, self.value, self.line, self.col = kind, value, line, col

    def __repr__(self):
        return f"{self.kind}:{self.value!r}@{self.line}:{self.col}"

    def describe(self):
        if self.kind == "nl":
            return "end of line"
        if self.kind == "eof":
            return "end of text"
        if self.kind == "str":
            return f'"{self.value}"'
        return repr(str(self.value))


def _tokenize(text, lines):
    toks = []
    for ln, line in enumerate(lines, 1):
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if c in " \t\r\f\v":
                i += 1
            elif c == "#":
                break
            elif c in _PUNCT:
                toks.append(_Tok(c, c, ln, i + 1))
                i += 1
            elif c == '"':
                j = line.find('"', i + 1)
                if j < 0:
                    raise AugmentationSyntaxError("unterminated string (missing closing \")",
                                                  ln, i + 1, line)
                toks.append(_Tok("str", line[i + 1:j], ln, i + 1))
                i = j + 1
            else:
                m = _NUM.match(line, i)
                if m and (m.end() == n or not (line[m.end()].isalpha()
                                                or line[m.end()] == "_")):
                    s = m.group()
                    v = int(s) if re.fullmatch(r"[+-]?\d+", s) else float(s)
                    toks.append(_Tok("num", v, ln, i + 1))
                    i = m.end()
                    continue
                m = _NAME.match(line, i)
                if not m:
                    raise AugmentationSyntaxError(f"unexpected character {c!r}", ln, i + 1, line)
                toks.append(_Tok("name", m.group(), ln, i + 1))
                i = m.end()
        toks.append(_Tok("nl", None, ln, n + 1))
    last = len(lines) or 1
    toks.append(_Tok("eof", None, last, (len(lines[-1]) + 1) if lines else 1))
    return toks


def _is_end(tok):
    return tok.kind == "name" and tok.value.lower() == "end"


class _Parser:
    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"augmentation text must be a str, got {type(text).__name__}")
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.toks = _tokenize(text, self.lines)
        self.i = 0
        self.depth = 0

    # -- token helpers ----------------------------------------------------------------
    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def error(self, tok, msg):
        src = self.lines[tok.line - 1] if 0 < tok.line <= len(self.lines) else ""
        raise AugmentationSyntaxError(msg, tok.line, tok.col, src)

    def skip_nl(self):
        while self.peek().kind == "nl":
            self.i += 1

    def expect_line_end(self, what):
        t = self.peek()
        if t.kind not in ("nl", "eof"):
            self.error(t, f"unexpected {t.describe()} after {what}")

    # -- grammar ----------------------------------------------------------------------
    def lookup(self, tok):
        if tok.kind != "name":
            self.error(tok, f"expected an augmentation name, got {tok.describe()}")
        if tok.value not in REGISTRY:
            close = difflib.get_close_matches(tok.value, list(REGISTRY), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.error(tok, f"unknown augmentation {tok.value!r}{hint}")
        return REGISTRY[tok.value]

    def document(self):
        self.skip_nl()
        t = self.next()
        if t.kind == "eof":
            self.error(t, "empty text: expected an augmentation name")
        node = self.entry(t)
        self.skip_nl()
        t = self.peek()
        if t.kind != "eof":
            self.error(t, f"unexpected {t.describe()} after the end of the pipeline")
        return node

    def entry(self, name_tok):
        cls = self.lookup(name_tok)
        if cls.is_container:
            return self.container(cls, name_tok)
        kwargs = self.params(cls, name_tok)
        return self.build(cls, kwargs, name_tok)

    def container(self, cls, name_tok):
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.error(name_tok, f"containers nested more than {MAX_NESTING} deep")
        kwargs = self.params(cls, name_tok)
        children = []
        while True:
            self.skip_nl()
            t = self.next()
            if t.kind == "eof":
                where = f" opened at line {name_tok.line}" if name_tok.kind == "name" else ""
                self.error(t, f"missing 'end' closing {cls.__name__}{where}")
            if _is_end(t):
                self.expect_line_end("'end'")
                break
            children.append(self.entry(t))
        kwargs["augs"] = children
        self.depth -= 1
        return self.build(cls, kwargs, name_tok)

    def params(self, cls, name_tok):
        owner = cls.__name__
        found = {}
        while True:
            t = self.peek()
            if t.kind in ("nl", "eof"):
                break
            if t.kind != "name":
                self.error(t, f"{owner}: expected a parameter name, got {t.describe()}")
            if self.peek(1).kind != "=":
                if not cls.params or (cls.is_container and not found):
                    break  # PyECVL reads the next word as the next entry
                self.error(self.peek(1), f"{owner}: expected '=' after parameter {t.value!r}")
            self.i += 2
            p = cls._dsl_map.get(t.value)
            if p is None:
                names = [q.dsl_name for q in cls.params]
                close = difflib.get_close_matches(t.value, names, n=1, cutoff=0.4)
                hint = f"; did you mean {close[0]!r}?" if close else \
                    f" (valid: {', '.join(names) or 'none'})"
                self.error(t, f"{owner}: unknown parameter {t.value!r}{hint}")
            if p.name in found:
                self.error(t, f"{owner}: parameter {t.value!r} given twice")
            vtok = self.peek()
            kind, value = self.value(owner, t.value)
            if not p.accepts_dsl(kind):
                self.error(vtok, f"{owner}: {p.dsl_name} parameter must be "
                                 f"{DSL_KIND_WORDS[p.kind]}, got a {kind}")
            try:
                found[p.name] = p.coerce(value, owner)
            except (TypeError, ValueError) as e:
                self.error(vtok, str(e))
        return found

    def value(self, owner, pname):
        t = self.next()
        if t.kind == "num":
            return "number", t.value
        if t.kind == "str":
            return "string", t.value
        if t.kind in "[(":
            close = "]" if t.kind == "[" else ")"
            kind = "range" if t.kind == "[" else "vector"
            nums = []
            while True:
                v = self.next()
                if v.kind != "num":
                    self.error(v, f"{owner}: malformed {kind} for {pname!r}: expected a "
                                  f"number, got {v.describe()}")
                nums.append(v.value)
                s = self.next()
                if s.kind == close:
                    break
                if s.kind != ",":
                    self.error(s, f"{owner}: malformed {kind} for {pname!r}: expected ',' "
                                  f"or '{close}', got {s.describe()}")
            if kind == "range" and len(nums) != 2:
                self.error(t, f"{owner}: malformed range for {pname!r}: expected [min,max], "
                              f"got {len(nums)} value(s)")
            return kind, nums
        self.error(t, f"{owner}: expected a value for {pname!r} (number, [min,max], "
                      f"(a,b,...) or \"text\"), got {t.describe()}")

    def build(self, cls, kwargs, name_tok):
        missing = [p.dsl_name for p in cls.params if p.required and p.name not in kwargs]
        if missing:
            self.error(name_tok, f"{cls.__name__}: missing required parameter "
                                 f"{', '.join(repr(m) for m in missing)}")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as e:
            self.error(name_tok, str(e))


def parse(text):
    """Parse DSL text (one augmentation or a container) into an augmentation.

    Parameters
    ----------
    text : str
        DSL text.

    Returns
    -------
    Augmentation

    Raises
    ------
    AugmentationSyntaxError
        With line, column and what was expected.
    """
    return _Parser(text).document()


def parse_params_text(cls, text):
    """Build ``cls`` from a parameter line such as ``"angle=[-5,5] scale=0.5"``."""
    p = _Parser(text)
    p.skip_nl()
    anchor = _Tok("line", None, 1, 1)
    kwargs = p.params(cls, anchor)
    p.skip_nl()
    if p.peek().kind != "eof":
        p.error(p.peek(), f"{cls.__name__}: unexpected {p.peek().describe()} after parameters")
    return p.build(cls, kwargs, anchor)


def parse_container_body(cls, text):
    """Build a container from its body text (PyECVL ``fromtext``): params, entries, end."""
    p = _Parser(text)
    p.skip_nl()
    node = p.container(cls, _Tok("line", None, 1, 1))
    p.skip_nl()
    if p.peek().kind != "eof":
        p.error(p.peek(), f"unexpected {p.peek().describe()} after 'end'")
    return node


class AugmentationFactory:
    """Build augmentations from DSL text (PyECVL's factory).

    Examples
    --------
    >>> from ecvl.augment import AugmentationFactory
    >>> aug = AugmentationFactory.create("AugRotate angle=[-5,5] scale=0.5")
    >>> aug.angle
    (-5, 5)
    >>> AugmentationFactory.create("AugMirror", "p=0.3").p
    0.3
    """

    @staticmethod
    def create(text_or_name, params_text=None):
        """Parse ``text`` (str or readable stream), or build ``name`` from ``params_text``."""
        if hasattr(text_or_name, "read"):
            text_or_name = text_or_name.read()
        if isinstance(text_or_name, bytes):
            text_or_name = text_or_name.decode("utf-8")
        if params_text is None:
            return parse(text_or_name)
        cls = get_augmentation_class(text_or_name)
        if cls.is_container:
            return parse_container_body(cls, params_text)
        return parse_params_text(cls, params_text)
