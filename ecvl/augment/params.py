"""Parameter declarations shared by every augmentation.

Each augmentation lists its parameters once as :class:`Param` objects. That single list
drives the constructor (positional order follows PyECVL), validation, sampling at apply
time, the text DSL (parsing and printing) and JSON/YAML serialisation.
"""

import math
import numbers
import threading

import numpy as np

__all__ = ["Param", "REQUIRED", "AugmentationParam", "set_seed", "global_rng", "MAX_MAGNITUDE",
           "MAX_SIGMA", "MAX_SIDE"]


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: Sentinel default of a parameter that must be given.
REQUIRED = _Required()

#: Largest magnitude of any number a parameter takes: bigger ones are typing slips or hostile
#: text, and would only fail (or overflow) when the augmentation runs.
MAX_MAGNITUDE = 1e9
#: Largest Gaussian sigma (pixels) of the smoothing augmentations: run time grows with it, and
#: larger values are indistinguishable from a constant on any image the library reads.
MAX_SIGMA = 256
#: Largest output side (pixels) of the resizing and cropping augmentations.
MAX_SIDE = 65536

# Kinds a parameter can take, with the DSL value syntax each accepts.
NUMBER = "number"  # 0.5
RANGE = "range"  # [min, max], or a single number meaning a fixed value
VECTOR = "vector"  # (a, b, ...)
CHOICE = "choice"  # "linear"
NUMBER_OR_VECTOR = "number_or_vector"  # 0.5 or (a, b, c)

_KINDS = (NUMBER, RANGE, VECTOR, CHOICE, NUMBER_OR_VECTOR)


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def format_number(x):
    """Shortest text that reads back to the same number (``30``, ``0.5``, ``1e-05``)."""
    if isinstance(x, numbers.Integral):
        return str(int(x))
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


class Param:
    """Declaration of one augmentation parameter.

    Parameters
    ----------
    name : str
        Python keyword name.
    kind : {"number", "range", "vector", "choice", "number_or_vector"}
        How the value is written and used. A ``range`` is sampled uniformly at every call.
    default : object, optional
        Default value; :data:`REQUIRED` (the default) makes the parameter mandatory.
    bounds : tuple of (float or None), optional
        Inclusive lower and upper bounds every number of the value must respect.
    integer : bool, optional
        Numbers must be integers (ranges then sample integers, both ends included).
    length : int or tuple of int, optional
        Allowed lengths of a vector.
    choices : dict, optional
        For ``choice``: accepted spelling -> canonical value.
    dsl_name : str, optional
        Name in the text DSL when it differs from ``name`` (``lambda`` for ``lambda_``).
    doc : str, optional
        One line shown in the generated documentation.
    sampled : bool, optional
        False for a range that is a set of limits passed whole to the operation
        (e.g. the per-cell limits of a grid distortion) rather than drawn once per call.
    """

    __slots__ = ("name", "kind", "default", "bounds", "integer", "length", "choices",
                 "dsl_name", "doc", "sampled")

    def __init__(self, name, kind, default=REQUIRED, bounds=(None, None), integer=False,
                 length=None, choices=None, dsl_name=None, doc="", sampled=True):
        if kind not in _KINDS:
            raise ValueError(f"unknown parameter kind {kind!r}")
        self.name = name
        self.kind = kind
        self.default = default
        self.bounds = bounds
        self.integer = integer
        self.length = (length,) if isinstance(length, int) else length
        self.choices = choices
        self.dsl_name = dsl_name or name
        self.doc = doc
        self.sampled = sampled

    @property
    def required(self):
        return self.default is REQUIRED

    def __repr__(self):
        return f"Param({self.name!r}, {self.kind!r}, default={self.default!r})"

    # -- validation -------------------------------------------------------------------
    def _number(self, x, owner):
        if not _is_number(x):
            raise TypeError(f"{owner}: {self.name} must be a number, got {x!r}")
        if isinstance(x, np.generic):
            x = x.item()
        if not math.isfinite(x):
            raise ValueError(f"{owner}: {self.name} must be finite, got {x!r}")
        if abs(x) > MAX_MAGNITUDE:
            raise ValueError(f"{owner}: {self.name}={format_number(x)} is outside "
                             f"[-{MAX_MAGNITUDE:g}, {MAX_MAGNITUDE:g}], the most any parameter takes")
        if self.integer:
            if float(x) != int(x):
                raise ValueError(f"{owner}: {self.name} must be an integer, got {x!r}")
            x = int(x)
        lo, hi = self.bounds
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            raise ValueError(f"{owner}: {self.name}={format_number(x)} is outside "
                             f"[{_fmt_bound(lo)}, {_fmt_bound(hi)}]")
        return x

    def _numbers(self, seq, owner):
        return tuple(self._number(v, owner) for v in seq)

    def coerce(self, value, owner="augmentation"):
        """Validate ``value`` and return its canonical, immutable form.

        Raises
        ------
        TypeError, ValueError
            Naming ``owner`` and the parameter when the value is of the wrong kind or out of
            bounds.
        """
        if value is None and self.default is None:
            return None
        kind = self.kind
        if kind == NUMBER:
            return self._number(value, owner)
        if kind == RANGE:
            if _is_number(value):
                v = self._number(value, owner)
                return (v, v)
            if isinstance(value, AugmentationParam):
                value = (value.min_, value.max_)
            seq = _as_sequence(value, owner, self.name, "a [min, max] range")
            if len(seq) != 2:
                raise ValueError(f"{owner}: {self.name} must be a [min, max] range of two "
                                 f"numbers, got {len(seq)} value(s)")
            lo, hi = self._numbers(seq, owner)
            if lo > hi:
                raise ValueError(f"{owner}: {self.name} range [{format_number(lo)}, "
                                 f"{format_number(hi)}] has min > max; give [min, max] with "
                                 "min <= max")
            return (lo, hi)
        if kind == VECTOR:
            seq = _as_sequence(value, owner, self.name, "a vector")
            if self.length is not None and len(seq) not in self.length:
                want = " or ".join(str(n) for n in self.length)
                raise ValueError(f"{owner}: {self.name} must have {want} values, "
                                 f"got {len(seq)}")
            return self._numbers(seq, owner)
        if kind == NUMBER_OR_VECTOR:
            if _is_number(value):
                return self._number(value, owner)
            seq = _as_sequence(value, owner, self.name, "a number or a vector")
            if not seq:
                raise ValueError(f"{owner}: {self.name} must not be empty")
            return self._numbers(seq, owner)
        # CHOICE: strings, or enum members (their name is the spelling)
        key = getattr(value, "name", value)
        if isinstance(key, str):
            canon = self.choices.get(key.lower())
            if canon is not None:
                return canon
        valid = ", ".join(sorted(set(self.choices.values())))
        raise ValueError(f"{owner}: invalid {self.name} {value!r} (valid: {valid})")

    # -- sampling and text ------------------------------------------------------------
    def sample(self, value, rng):
        """Draw one value: ranges uniformly, everything else as given."""
        if self.kind != RANGE or value is None or not self.sampled:
            return value
        lo, hi = value
        if lo == hi:
            return lo
        if self.integer:
            return int(rng.integers(lo, hi + 1))
        return float(rng.uniform(lo, hi))

    def to_text(self, value):
        """DSL spelling of ``value``."""
        if self.kind == RANGE:
            return "[" + ",".join(format_number(v) for v in value) + "]"
        if self.kind == CHOICE:
            return f'"{value}"'
        if isinstance(value, tuple):
            return "(" + ",".join(format_number(v) for v in value) + ")"
        return format_number(value)

    def to_plain(self, value):
        """JSON/YAML-friendly form of ``value`` (lists for ranges and vectors)."""
        return list(value) if isinstance(value, tuple) else value

    def accepts_dsl(self, token_kind):
        """Whether a DSL value of ``token_kind`` (number/range/vector/string) fits."""
        return token_kind in _DSL_ACCEPTS[self.kind]


_DSL_ACCEPTS = {
    NUMBER: ("number",),
    RANGE: ("range", "number"),
    VECTOR: ("vector",),
    CHOICE: ("string",),
    NUMBER_OR_VECTOR: ("number", "vector"),
}

DSL_KIND_WORDS = {
    NUMBER: "a number", RANGE: "a range [min,max]", VECTOR: "a vector (a,b,...)",
    CHOICE: 'a quoted string', NUMBER_OR_VECTOR: "a number or a vector (a,b,...)",
}


def _fmt_bound(b):
    return "inf" if b is None else format_number(b)


def _as_sequence(value, owner, name, what):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{owner}: {name} must be {what}, got {value!r}")
    return list(np.asarray(value, dtype=object).ravel()) if isinstance(value, np.ndarray) \
        else list(value)


# ---------------------------------------------------------------------------------------
# Process-wide random state: used only when a call brings no generator of its own.
_global_lock = threading.Lock()
_global_rng = np.random.default_rng()


def set_seed(seed):
    """Reseed the process-wide generator used by calls that pass no ``rng``.

    Parameters
    ----------
    seed : int or None
        ``None`` reseeds from the operating system.

    Examples
    --------
    >>> from ecvl.augment import set_seed
    >>> set_seed(42)
    """
    global _global_rng
    with _global_lock:
        _global_rng = np.random.default_rng(seed)


def global_rng():
    """Return a fresh generator seeded from the process-wide one (thread safe)."""
    with _global_lock:
        seed = int(_global_rng.integers(0, 2**63))
    return np.random.default_rng(seed)


class AugmentationParam:
    """PyECVL's random parameter: ``value_`` drawn uniformly from ``[min_, max_]``.

    Parameters
    ----------
    min : float
        Lower end.
    max : float
        Upper end.

    Examples
    --------
    >>> from ecvl.augment import AugmentationParam
    >>> p = AugmentationParam(2.0, 3.0)
    >>> 2.0 <= p.GenerateValue() <= 3.0
    True
    """

    def __init__(self, min=0.0, max=0.0):  # noqa: A002 - PyECVL names
        if min > max:
            raise ValueError(f"AugmentationParam: min {min} > max {max}")
        self.min_ = float(min)
        self.max_ = float(max)
        self.value_ = float(min)

    def GenerateValue(self, rng=None):
        """Draw and store a new ``value_``; returns it."""
        rng = rng if rng is not None else global_rng()
        self.value_ = float(rng.uniform(self.min_, self.max_))
        return self.value_

    @staticmethod
    def SetSeed(seed):
        """Reseed the process-wide generator (see :func:`set_seed`)."""
        set_seed(seed)
