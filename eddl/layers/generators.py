"""Layers whose output does not depend on input values.

GaussGenerator and UniformGenerator draw new random samples at every forward pass;
ConstOfTensor repeats a constant for every sample; Shape outputs its parent's shape. The first
three have no parents (``is_source``): a model computes them without an input feeding them.
None of them passes a gradient on (Shape hands its parent a zero gradient).
"""

import math

from .base import Layer
from .broadcasting import int_list
from .registry import register_layer

__all__ = ["GaussGenerator", "UniformGenerator", "ConstOfTensor", "Shape"]


class _Source(Layer):
    """A layer without parents; its per-sample shape is known from its arguments."""

    is_source = True

    def backward(self):
        """Nothing to propagate: a source has no parents and no weights."""


def _check_size(cls, size):
    size = int_list(cls, size, "size")
    if not size or any(d < 1 for d in size):
        raise ValueError(f"{cls}: size={size!r} is invalid; valid: a non-empty list of "
                         f"lengths >= 1 (the sample shape, batch excluded)")
    return size


def _check_number(cls, arg, value):
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{cls}: {arg}={value!r} is invalid; valid: a finite number")
    return v


@register_layer("GaussGenerator", hidden=("name",))
class GaussGenerator(_Source):
    """Samples drawn from ``N(mean, stdev^2)`` at every forward pass (no input).

    Parameters
    ----------
    mean : float
    stdev : float
        Standard deviation, >= 0.
    size : list of int
        Sample shape (batch excluded); the batch size is the model's.

    Returns
    -------
    Layer
        Shape ``size``.

    Examples
    --------
    >>> import eddl
    >>> eddl.GaussGenerator(0.0, 1.0, [3, 4]).shape
    (3, 4)
    """

    prefix = "gauss"

    def __init__(self, mean, stdev, size, name=""):
        self.mean = _check_number("GaussGenerator", "mean", mean)
        self.stdev = _check_number("GaussGenerator", "stdev", stdev)
        if self.stdev < 0:
            raise ValueError(f"GaussGenerator: stdev={stdev!r} is invalid; valid: >= 0")
        self.size = _check_size("GaussGenerator", size)
        super().__init__([], name)

    def compute_shape(self):
        return tuple(self.size)

    def forward(self):
        out = self.output
        self.net.rng.standard_normal(out=out, dtype=out.dtype)
        out *= self.stdev
        out += self.mean


@register_layer("UniformGenerator", hidden=("name",))
class UniformGenerator(_Source):
    """Samples drawn uniformly from ``[low, high)`` at every forward pass (no input).

    Parameters
    ----------
    low : float
    high : float
        ``high >= low``.
    size : list of int
        Sample shape (batch excluded); the batch size is the model's.

    Returns
    -------
    Layer
        Shape ``size``.

    Examples
    --------
    >>> import eddl
    >>> eddl.UniformGenerator(-1.0, 1.0, [5]).shape
    (5,)
    """

    prefix = "uniform"

    def __init__(self, low, high, size, name=""):
        self.low = _check_number("UniformGenerator", "low", low)
        self.high = _check_number("UniformGenerator", "high", high)
        if self.high < self.low:
            raise ValueError(f"UniformGenerator: high={high!r} is invalid; valid: >= low "
                             f"({low!r})")
        self.size = _check_size("UniformGenerator", size)
        super().__init__([], name)

    def compute_shape(self):
        return tuple(self.size)

    def forward(self):
        out = self.output
        self.net.rng.random(out=out, dtype=out.dtype)
        out *= self.high - self.low
        out += self.low


def _nested_values(t):
    """``t`` (an eddl Tensor, an array or nested lists of numbers) as nested lists and shape."""
    if hasattr(t, "tolist"):
        t = t.tolist()
    if isinstance(t, tuple):
        t = list(t)

    def walk(v, depth):
        if isinstance(v, (list, tuple)):
            items = [walk(x, depth + 1) for x in v]
            shapes = {s for _, s in items}
            if len(shapes) > 1 or not items:
                raise ValueError(f"ConstOfTensor: t is ragged or empty at depth {depth}; "
                                 f"valid: a rectangular array with at least one value")
            return [x for x, _ in items], (len(items),) + shapes.pop()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"ConstOfTensor: t holds a {type(v).__name__}; valid: numbers")
        return float(v), ()

    values, shape = walk(t, 0)
    if not shape:
        raise ValueError("ConstOfTensor: t is a scalar; valid: a tensor with at least one axis")
    return values, shape


@register_layer("ConstOfTensor")
class ConstOfTensor(_Source):
    """The constant ``t`` as the output of every sample (no input).

    Parameters
    ----------
    t : Tensor or array_like
        The constant (an :class:`eddl.Tensor`, a NumPy array or nested lists), at least 1-D.
    name : str

    Returns
    -------
    Layer
        Shape ``t.shape``.

    Examples
    --------
    >>> import eddl
    >>> eddl.ConstOfTensor([[1.0, 2.0], [3.0, 4.0]]).shape
    (2, 2)
    """

    prefix = "const_of_tensor"

    def __init__(self, t, name=""):
        self.values, self._const_shape = _nested_values(t)
        self._const = None
        super().__init__([], name)

    def compute_shape(self):
        return self._const_shape

    def get_config(self):
        """Return the configuration, with ``t`` as nested lists (see :meth:`Layer.get_config`)."""
        return {"t": self.values, "name": self.name}

    def forward(self):
        if self._const is None or self._const.dtype != self.output.dtype:
            self._const = self.be.xp.asarray(self.values, dtype=self.output.dtype)
        self.output[...] = self._const


@register_layer("Shape")
class Shape(Layer):
    """The parent's shape as values: ``[batch, *sample_shape]`` (or without the batch).

    Every sample of the output holds the same values; the batch entry is the current batch
    size. No gradient reaches the parent (it gets zeros).

    Parameters
    ----------
    parent : Layer
    include_batch : bool
    name : str

    Returns
    -------
    Layer
        Shape ``[ndim + 1]`` with the batch, ``[ndim]`` without.

    Examples
    --------
    >>> import eddl
    >>> eddl.Shape(eddl.Input([3, 4])).shape
    (3,)
    """

    prefix = "shape"

    def __init__(self, parent, include_batch=True, name=""):
        if include_batch not in (True, False):
            raise TypeError(f"Shape: include_batch must be a bool, got {include_batch!r}")
        self.include_batch = bool(include_batch)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if not s and not self.include_batch:
            raise self.shape_error("the sample shape is empty; valid: include_batch=True")
        return (len(s) + self.include_batch,)

    def forward(self):
        dims = ((self.batch,) if self.include_batch else ()) + self.parents[0].shape
        for i, d in enumerate(dims):
            self.output[:, i] = d

    def backward(self):
        self.put_delta(0, lambda out: out.fill(0))
