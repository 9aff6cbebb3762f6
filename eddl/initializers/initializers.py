"""Weight initializers.

An initializer is an object with ``__call__(rng, shape, fans, dtype, be) -> array``; the
PyEDDL-style wrappers (``GlorotNormal(layer)``) attach one to every weight (not bias) of a layer
and return the layer. ``fans`` is ``(fan_in, fan_out)`` as the layer defines them.
"""

import math

__all__ = ["Initializer", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LeCunNormal",
           "LeCunUniform", "RandomNormal", "RandomUniform", "Constant", "Orthogonal", "Zeros",
           "get_initializer", "fans_of"]


def fans_of(shape):
    """``(fan_in, fan_out)``: 2-D weights are ``in x out``; N-D ones ``out x in x kernel...``."""
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


class Initializer:
    """Base class. ``seed`` None draws from the model's generator (seeded by ``set_seed``)."""

    def __init__(self, seed=None):
        self.seed = seed

    def generator(self, rng, be):
        """Return the generator to draw from: ``rng``, or ``be.rng(seed)`` with a ``seed``.

        Parameters
        ----------
        rng : generator
            The model's random generator.
        be : module
            The backend, whose ``rng`` makes a generator of its own arrays.
        """
        return rng if self.seed is None else be.rng(self.seed)

    def __call__(self, rng, shape, fans, dtype, be):
        """Return new initial weights; subclasses implement it.

        Parameters
        ----------
        rng : generator
            The model's random generator (see :meth:`generator`).
        shape : tuple of int
            Shape of the weight.
        fans : tuple of int
            ``(fan_in, fan_out)`` as the layer defines them (see :func:`fans_of`).
        dtype : str or numpy.dtype
            Data type of the result.
        be : module
            The backend the result belongs to.

        Returns
        -------
        array
            An array of ``be`` with ``shape`` and ``dtype``.
        """
        raise NotImplementedError


class _Scaled(Initializer):
    mode = "avg"     # which fan sets the scale: "avg" (Glorot), "in" (He, LeCun)
    gain = 1.0
    normal = True

    def __call__(self, rng, shape, fans, dtype, be):
        fan = {"avg": (fans[0] + fans[1]) / 2.0, "in": fans[0]}[self.mode]
        var = self.gain / max(fan, 1)
        g = self.generator(rng, be)
        if self.normal:
            a = g.normal(0.0, math.sqrt(var), size=shape)
        else:
            lim = math.sqrt(3.0 * var)
            a = g.uniform(-lim, lim, size=shape)
        return a.astype(dtype)


class GlorotNormal(_Scaled):
    """Normal with variance ``2 / (fan_in + fan_out)``."""


class GlorotUniform(_Scaled):
    """Uniform in ``+-sqrt(6 / (fan_in + fan_out))``."""

    normal = False


class HeNormal(_Scaled):
    """Normal with variance ``2 / fan_in``."""

    mode, gain = "in", 2.0


class HeUniform(_Scaled):
    """Uniform in ``+-sqrt(6 / fan_in)``."""

    mode, gain, normal = "in", 2.0, False


class LeCunNormal(_Scaled):
    """Normal with variance ``1 / fan_in``."""

    mode = "in"


class LeCunUniform(_Scaled):
    """Uniform in ``+-sqrt(3 / fan_in)``."""

    mode, normal = "in", False


class RandomNormal(Initializer):
    """Normal with mean ``m`` and standard deviation ``s``."""

    def __init__(self, m=0.0, s=0.1, seed=None):
        super().__init__(seed)
        if s < 0:
            raise ValueError(f"RandomNormal: standard deviation must be >= 0, got {s}")
        self.m, self.s = float(m), float(s)

    def __call__(self, rng, shape, fans, dtype, be):
        """Draw the weights (see :meth:`Initializer.__call__`)."""
        return self.generator(rng, be).normal(self.m, self.s, size=shape).astype(dtype)


class RandomUniform(Initializer):
    """Uniform in ``[min, max)``."""

    def __init__(self, min=0.0, max=0.1, seed=None):  # noqa: A002 - PyEDDL's names
        super().__init__(seed)
        if max < min:
            raise ValueError(f"RandomUniform: max ({max}) < min ({min})")
        self.lo, self.hi = float(min), float(max)

    def __call__(self, rng, shape, fans, dtype, be):
        """Draw the weights (see :meth:`Initializer.__call__`)."""
        return self.generator(rng, be).uniform(self.lo, self.hi, size=shape).astype(dtype)


class Constant(Initializer):
    """Every element equal to ``v``."""

    def __init__(self, v=0.1):
        super().__init__(None)
        self.v = float(v)

    def __call__(self, rng, shape, fans, dtype, be):
        """Return an array of ``shape`` filled with ``v`` (see :meth:`Initializer.__call__`)."""
        a = be.empty(shape, dtype)
        a.fill(self.v)
        return a


class Zeros(Constant):
    """All zeros (the default for biases)."""

    def __init__(self):
        super().__init__(0.0)


class Orthogonal(Initializer):
    """(Semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014).

    It is drawn over the flattened ``shape[0] x rest`` view of the weight.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, rng, shape, fans, dtype, be):
        """Draw the weights (see :meth:`Initializer.__call__`)."""
        xp = be.xp
        rows = shape[0]
        cols = math.prod(shape[1:]) if len(shape) > 1 else 1
        a = self.generator(rng, be).normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = xp.linalg.qr(a)
        q = q * xp.sign(xp.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)


_NAMES = {"glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform, "he_normal": HeNormal,
          "he_uniform": HeUniform, "lecun_normal": LeCunNormal, "lecun_uniform": LeCunUniform,
          "random_normal": RandomNormal, "random_uniform": RandomUniform, "zeros": Zeros,
          "ones": lambda: Constant(1.0), "orthogonal": Orthogonal}


def get_initializer(name):
    """Return the initializer object for ``name`` (an Initializer passes through)."""
    if isinstance(name, Initializer):
        return name
    if name not in _NAMES:
        raise ValueError(f"unknown initializer {name!r}; valid: {sorted(_NAMES)}")
    return _NAMES[name]()
