"""The augmentation base class, the registry and target dispatch.

An augmentation works in two steps: :meth:`Augmentation.sample` draws its random
parameters from a :class:`numpy.random.Generator`, then :meth:`Augmentation.transform`
applies them to an array. Geometric augmentations transform the ground-truth mask with
the same parameters (nearest interpolation); the others leave the mask alone. The
sampled parameters form a JSON-friendly *replay record* that re-applies exactly.
"""

import difflib

import numpy as np

from . import _seed, _targets
from .catalog import REGISTRY, from_dict, get_augmentation_class
from .dsl import parse_params_text
from .params import REQUIRED, AugmentationParam, global_rng

__all__ = ["Augmentation", "REGISTRY", "get_augmentation_class", "sample_rng", "as_rng"]

def sample_rng(seed, index, epoch=0, out=None):
    """Return the generator for one sample, derived from ``(seed, epoch, index)``.

    Streams for different samples are statistically independent, and the stream of a
    sample does not depend on which worker thread processes it or in which order, so an
    epoch is identical for any number of workers. The stream is the one of
    ``Generator(PCG64(SeedSequence([seed, epoch, index])))``.

    Parameters
    ----------
    seed : int
        Global seed of the run.
    index : int
        Sample index within the dataset.
    epoch : int, optional
        Epoch number.
    out : numpy.random.Generator, optional
        A PCG64 generator to reseed in place and return, instead of building a new one:
        much cheaper when one generator per thread serves sample after sample.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from ecvl.augment import sample_rng
    >>> a = sample_rng(7, index=3).random()
    >>> b = sample_rng(7, index=3).random()
    >>> a == b
    True
    """
    for v, what in ((seed, "seed"), (index, "index"), (epoch, "epoch")):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"sample_rng: {what} must be a non-negative integer, got {v!r}")
    if out is None:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            [int(seed), int(epoch), int(index)])))
    bits = getattr(out, "bit_generator", None)
    if not isinstance(bits, np.random.PCG64):
        raise TypeError(f"sample_rng: out must be a numpy Generator over PCG64, got {out!r}")
    state, inc = _seed.pcg64_state((seed, epoch, index))
    bits.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                  "has_uint32": 0, "uinteger": 0}
    return out


def as_rng(rng):
    """Turn ``None`` (process-wide stream), an int seed or a Generator into a Generator."""
    if rng is None:
        return global_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {type(rng).__name__}")


def _plain(x):
    """Convert NumPy scalars and tuples in a record into JSON-friendly Python values."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


class Augmentation:
    """Base class of every augmentation and container.

    Subclasses declare ``params`` (a tuple of :class:`~ecvl.augment.params.Param`, in
    PyECVL's positional order) and implement :meth:`transform`; those with hidden random
    choices (a seed, a flip decision, a crop position) override :meth:`draw`.

    Calling conventions:

    * ``aug(image, gt=None, rng=None)`` / :meth:`apply` returns new data: the image, or
      ``(image, gt)`` when a ground truth is given. ``image`` is an :class:`ecvl.Image` or
      a canonical NumPy array ``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)``.
    * :meth:`Apply` is PyECVL's in-place form on Images.
    * :meth:`apply_replay` also returns the record of sampled parameters, and
      :meth:`replay` re-applies such a record.
    """

    params = ()
    #: Whether the class holds child augmentations (the containers).
    is_container = False
    #: Whether the ground truth is transformed with the same sampled parameters.
    geometric = False
    #: Whether the operation makes sense on volumes (D, H, W, C).
    volumes = True

    def __init_subclass__(cls, register=True, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._param_map = {p.name: p for p in cls.params}
        cls._dsl_map = {p.dsl_name: p for p in cls.params}
        if register:
            # a class defined again under its name (a re-run cell) takes it over, as before
            REGISTRY.register(cls.__name__, obj=cls, replace=True)

    def __init__(self, *args, **kwargs):
        name = type(self).__name__
        if len(args) > len(self.params):
            raise TypeError(f"{name} takes at most {len(self.params)} positional "
                            f"arguments ({len(args)} given)")
        given = dict(zip((p.name for p in self.params), args))
        for key, value in kwargs.items():
            p = self._param_map.get(key) or self._dsl_map.get(key)
            if p is None:
                close = difflib.get_close_matches(key, list(self._param_map), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TypeError(f"{name}: unknown parameter {key!r}{hint}")
            if p.name in given:
                raise TypeError(f"{name}: parameter {p.name!r} given twice")
            given[p.name] = value
        values = {}
        for p in self.params:
            if p.name in given:
                values[p.name] = p.coerce(given[p.name], name)
            elif p.required:
                raise TypeError(f"{name}: {p.name} is a required parameter")
            else:
                values[p.name] = p.default
        self._values = values
        self._check()

    def _check(self):
        """Check the parameters against each other; raise ValueError naming the class.

        A hook: the base class accepts every combination.
        """

    def __getattr__(self, key):
        values = self.__dict__.get("_values")
        if values is not None and key in values:
            return values[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    @property
    def values(self):
        """The constructor's parameter values, validated (ranges as ``(min, max)``)."""
        return dict(self._values)

    # -- sampling and applying --------------------------------------------------------
    def _sampling_plan(self):
        # Fixed values are copied, ranges drawn in declaration order (the order of the
        # random stream): built once, since sampling runs for every image.
        fixed, drawn = {}, []
        for p in self.params:
            v = self._values[p.name]
            if p.kind == "range" and p.sampled and v is not None and v[0] != v[1]:
                drawn.append((p.name, v[0], v[1], p.integer))
                v = None
            fixed[p.name] = p.sample(v, None) if v is not None else None
        return fixed, tuple(drawn)

    def sample(self, rng, shape):
        """Draw this call's parameters for an input of canonical ``shape``."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._plan = self._sampling_plan()
        out = dict(plan[0])
        for name, lo, hi, integer in plan[1]:
            if integer:
                out[name] = int(rng.integers(lo, hi + 1))
            else:  # what Generator.uniform(lo, hi) computes, without its argument handling
                out[name] = lo + (hi - lo) * rng.random()
        if plan[1]:
            # one assignment: a concurrent reader of params_ sees one draw or the other
            self._last_drawn = {name: out[name] for name, *_ in plan[1]}
        self.draw(rng, shape, out)
        return out

    @property
    def params_(self):
        """PyECVL's ``params_``: each random range as an :class:`AugmentationParam`.

        ``min_``/``max_`` are the range and ``value_`` the value the last application drew
        (``min_`` before any). It is a snapshot built on each access: changing it does not
        change the augmentation (construct a new one instead). Hidden random choices (a
        flip's coin, a noise seed) are not listed.

        Returns
        -------
        dict of str to AugmentationParam

        Examples
        --------
        >>> import ecvl
        >>> p = ecvl.AugRotate([-5, 5]).params_["angle"]
        >>> (p.min_, p.max_)
        (-5.0, 5.0)
        """
        last = self.__dict__.get("_last_drawn", {})
        out = {}
        for p in self.params:
            v = self._values[p.name]
            if p.kind == "range" and p.sampled and v is not None:
                param = AugmentationParam(v[0], v[1])
                if p.name in last:
                    param.value_ = float(last[p.name])
                out[p.name] = param
        return out

    def draw(self, rng, shape, params):
        """Add hidden random choices to ``params`` (in place)."""

    def transform(self, arr, params, is_mask):
        """Apply sampled ``params`` to one canonical array; return the result."""
        raise NotImplementedError

    def update_geometry(self, geo, params, in_shape, out_shape):
        """Record how this call changed the pixel grid (``geo``: spacings being followed).

        The default fits operations that keep the grid (crops, same-size warps, intensity
        changes); resampling and transposing augmentations override it.
        """

    def _forward(self, img, gt, rng, geo=None):
        params = self.sample(rng, img.shape)
        img, gt = self._replay(img, gt, params, geo)
        return img, gt, params

    def _replay(self, img, gt, params, geo=None):
        if img.ndim == 4 and not self.volumes:
            raise ValueError(f"{type(self).__name__} does not support volumes (D, H, W, C); "
                             f"got an array of shape {img.shape}")
        out = self.transform(img, params, False)
        if gt is not None and self.geometric:
            gt = self.transform(gt, params, True)
        if geo is not None:
            self.update_geometry(geo, params, img.shape, out.shape)
        return out, gt

    def apply(self, image, gt=None, *, rng=None):
        """Return the augmented image, or ``(image, gt)`` when ``gt`` is given.

        Parameters
        ----------
        image : ecvl.Image or numpy.ndarray
            Canonical array ``(H, W)``, ``(H, W, C)`` or ``(D, H, W, C)``, or an Image.
        gt : ecvl.Image or numpy.ndarray, optional
            Ground-truth mask; follows geometric changes with nearest interpolation.
        rng : numpy.random.Generator or int, optional
            Random stream (see :func:`sample_rng`); default: the process-wide one.

        Returns
        -------
        image or tuple
            Same type as the inputs.
        """
        a, ga, geo, restore = _targets.unpack(image, gt)
        a, ga, _ = self._forward(a, ga, as_rng(rng), geo)
        img, g = restore(a, ga, geo)
        return img if gt is None else (img, g)

    __call__ = apply

    def apply_replay(self, image, gt=None, *, rng=None):
        """Like :meth:`apply` but always return ``(image, gt, record)``.

        ``record`` is a JSON-friendly dict of the parameters actually sampled; pass it
        to :meth:`replay` to transform other data identically.
        """
        a, ga, geo, restore = _targets.unpack(image, gt)
        a, ga, params = self._forward(a, ga, as_rng(rng), geo)
        img, g = restore(a, ga, geo)
        return img, g, {"name": type(self).__name__, "params": _plain(params)}

    def replay(self, record, image, gt=None):
        """Re-apply a record from :meth:`apply_replay`; returns like :meth:`apply`."""
        if not isinstance(record, dict) or record.get("name") != type(self).__name__:
            raise ValueError(f"{type(self).__name__}.replay: record is for "
                             f"{record.get('name') if isinstance(record, dict) else record!r}")
        a, ga, geo, restore = _targets.unpack(image, gt)
        a, ga = self._replay(a, ga, self._record_params(record), geo)
        img, g = restore(a, ga, geo)
        return img if gt is None else (img, g)

    def _record_params(self, record):
        return record["params"]

    def Apply(self, img, gt=None):
        """PyECVL form: augment ``img`` (and ``gt``) in place; returns None."""
        out = self.apply(img, gt)
        if gt is None:
            _targets.assign(img, out)
        else:
            _targets.assign(img, out[0])
            _targets.assign(gt, out[1])

    # -- text, equality, serialisation ------------------------------------------------
    @classmethod
    def fromtext(cls, text):
        """Build from PyECVL parameter text, e.g. ``AugRotate.fromtext("angle=[-5,5]")``."""
        return parse_params_text(cls, text)

    def _param_text(self):
        parts = []
        for p in self.params:
            v = self._values[p.name]
            if p.required or (v != p.default and v is not None):
                parts.append(f"{p.dsl_name}={p.to_text(v)}")
        return " ".join(parts)

    def to_text(self, indent=0):
        """DSL text of this augmentation (one line for a leaf)."""
        text = self._param_text()
        return " " * indent + type(self).__name__ + (" " + text if text else "")

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        args = ", ".join(f"{p.name}={self._values[p.name]!r}" for p in self.params
                         if p.required or self._values[p.name] != p.default)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self._values == other._values

    def __hash__(self):
        return hash((type(self).__name__, tuple(self._values.items())))

    def to_dict(self):
        """JSON/YAML-friendly description: ``{"name": ..., "params": {...}}``."""
        return {"name": type(self).__name__,
                "params": {p.name: p.to_plain(self._values[p.name]) for p in self.params}}

    def Clone(self):
        """Independent copy (PyECVL)."""
        return from_dict(self.to_dict())

    @classmethod
    def describe_params(cls):
        """Return the declared parameters, in positional order."""
        return cls.params


def required_params(cls):
    """Names of the required parameters of an augmentation class."""
    return [p.name for p in cls.params if p.default is REQUIRED]

