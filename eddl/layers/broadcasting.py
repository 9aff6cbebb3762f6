"""Layers that repeat their input: Repeat, Tile, Broadcast, Expand.

Each of them is a broadcast in disguise: the input, seen with size-1 axes inserted (``iv``),
broadcasts onto the output seen with the repeated axes split out (``ov``). ``Tile`` of a
``[2, 3]`` sample by ``[4, 5]`` views the input as ``[1, 2, 1, 3]`` and the output as
``[4, 2, 5, 3]``; ``Repeat`` by 2 along axis 0 views them as ``[2, 1, 3]`` and ``[2, 2, 3]``.
The forward pass is one broadcasting copy and the backward pass one sum over the broadcast
axes, both written into the layers' own buffers.
"""

import numbers

from .._broadcast import aligned_shape
from .base import Layer
from .registry import register_layer

__all__ = ["Repeat", "Tile", "Broadcast", "Expand", "normalize_axis"]


def normalize_axis(layer, axis, nd, arg="axis"):
    """Return ``axis`` (negative counts from the end) as an index below ``nd``.

    Raises
    ------
    ValueError
        Naming ``layer``, the argument and the valid range.
    """
    if (isinstance(axis, bool) or not isinstance(axis, numbers.Integral)
            or not -nd <= axis < nd):
        raise layer.shape_error(f"{arg}={axis!r} is out of range; valid: an int in "
                                f"[{-nd}, {nd - 1}] for a {nd}-D sample (batch excluded)")
    return int(axis) % nd


def int_list(layer_cls, value, arg):
    """``value`` (an int or a sequence of ints) as a list of ints; TypeError otherwise."""
    seq = [value] if isinstance(value, numbers.Integral) else value
    try:
        out = list(seq)
    except TypeError:
        out = None
    if out is None or any(isinstance(v, bool) or not isinstance(v, numbers.Integral)
                          for v in out):
        raise TypeError(f"{layer_cls}: {arg} must be an int or a list of ints, got {value!r}")
    return [int(v) for v in out]


class _Broadcasting(Layer):
    """Output = input viewed as ``iv`` broadcast onto the output viewed as ``ov``."""

    def set_views(self, iv, ov):
        """Record the per-sample views (call from ``compute_shape``)."""
        self._iv, self._ov = tuple(iv), tuple(ov)
        self._axes = tuple(i + 1 for i, (a, b) in enumerate(zip(self._iv, self._ov))
                           if a == 1 and b != 1)

    def forward(self):
        x = self._input()
        n = x.shape[0]
        self.output.reshape((n,) + self._ov)[...] = x.reshape((n,) + self._iv)

    def backward(self):
        n = self.delta.shape[0]
        d = self.delta.reshape((n,) + self._ov)

        def write(out):
            o = out.reshape((n,) + self._iv)
            if self._axes:
                self.be.xp.sum(d, axis=self._axes, keepdims=True, out=o)
            else:
                o[...] = d
        self.put_delta(0, write)


@register_layer("Repeat")
class Repeat(_Broadcasting):
    """Repeat each element of the samples along ``axis`` (``numpy.repeat`` per sample).

    Parameters
    ----------
    parent : Layer
    repeats : int or list of int
        One count for every element, or one count per element along ``axis`` (counts may be
        0, not all of them).
    axis : int
        Axis of the sample (batch excluded; negative counts from the end).
    name : str

    Returns
    -------
    Layer
        Shape of the parent with ``axis`` of length ``repeats * n`` (or ``sum(repeats)``).

    Examples
    --------
    >>> import eddl
    >>> eddl.Repeat(eddl.Input([2, 3]), 2, 1).shape
    (2, 6)
    >>> eddl.Repeat(eddl.Input([2, 3]), [1, 0, 2], -1).shape
    (2, 3)
    """

    prefix = "repeat"

    def __init__(self, parent, repeats, axis, name=""):
        self.repeats = int_list("Repeat", repeats, "repeats")
        self.axis = axis
        super().__init__([parent], name)

    def compute_shape(self, s):
        ax = normalize_axis(self, self.axis, len(s))
        reps, n = self.repeats, s[ax]
        if len(reps) not in (1, n):
            raise self.shape_error(f"repeats={reps!r} has {len(reps)} counts; valid: 1 count or "
                                   f"{n} (the length of axis {self.axis})")
        if any(r < 0 for r in reps) or sum(reps) == 0 or (len(reps) == 1 and reps[0] < 1):
            raise self.shape_error(f"repeats={reps!r} is invalid; valid: counts >= 0 with a "
                                   f"positive sum (a single count >= 1)")
        self._ax = ax
        if len(set(reps)) == 1:
            r = reps[0]
            self._runs = None
            self.set_views(s[:ax + 1] + (1,) + s[ax + 1:], s[:ax + 1] + (r,) + s[ax + 1:])
            return s[:ax] + (n * r,) + s[ax + 1:]
        # unequal counts: one broadcast per input element, into its run of output positions
        starts = [0]
        for r in reps:
            starts.append(starts[-1] + r)
        self._runs = list(zip(range(n), starts[:-1], starts[1:]))
        return s[:ax] + (starts[-1],) + s[ax + 1:]

    def _key(self, a, b):
        return (slice(None),) * (self._ax + 1) + (slice(a, b),)

    def forward(self):
        if self._runs is None:
            return super().forward()
        x = self.parents[0].output
        for j, a, b in self._runs:
            if b > a:
                self.output[self._key(a, b)] = x[self._key(j, j + 1)]

    def backward(self):
        if self._runs is None:
            return super().backward()
        xp = self.be.xp

        def write(out):
            for j, a, b in self._runs:
                xp.sum(self.delta[self._key(a, b)], axis=self._ax + 1, keepdims=True,
                       out=out[self._key(j, j + 1)])
        self.put_delta(0, write)


@register_layer("Tile")
class Tile(_Broadcasting):
    """Repeat the whole sample ``repeats[i]`` times along axis ``i`` (``numpy.tile``).

    Parameters
    ----------
    parent : Layer
    repeats : list of int
        Counts >= 1. Fewer counts than sample axes repeat the last axes; more counts add
        leading axes, as ``numpy.tile`` does.
    name : str

    Returns
    -------
    Layer
        Shape ``s[i] * repeats[i]`` per axis (after aligning both to the right).

    Examples
    --------
    >>> import eddl
    >>> eddl.Tile(eddl.Input([2, 3]), [2, 2]).shape
    (4, 6)
    """

    prefix = "tile"

    def __init__(self, parent, repeats, name=""):
        self.repeats = int_list("Tile", repeats, "repeats")
        super().__init__([parent], name)

    def compute_shape(self, s):
        reps = self.repeats
        if not reps or any(r < 1 for r in reps):
            raise self.shape_error(f"repeats={reps!r} is invalid; valid: a non-empty list of "
                                   f"counts >= 1")
        nd = max(len(s), len(reps))
        s1 = (1,) * (nd - len(s)) + tuple(s)
        r1 = (1,) * (nd - len(reps)) + tuple(reps)
        iv = tuple(d for n in s1 for d in (1, n))
        ov = tuple(d for r, n in zip(r1, s1) for d in (r, n))
        self.set_views(iv, ov)
        return tuple(r * n for r, n in zip(r1, s1))


@register_layer("Broadcast", params="parent1, parent2, name=''",
                pack={"layers": ["parent1", "parent2"]})
class Broadcast(_Broadcasting):
    """Broadcast ``parent1`` to the shape of ``parent2``.

    NumPy's rule aligns the last axes; as in EDDL, a 1-D ``parent1`` whose length is not
    that of the last axis is placed along the one axis of ``parent2`` with its length
    (``[3]`` onto ``[3, 4]`` runs down the rows). Only ``parent1`` gets a gradient: ``parent2``
    gives the shape.

    Parameters
    ----------
    parent1 : Layer
    parent2 : Layer
    name : str

    Returns
    -------
    Layer
        The shape of ``parent2``.

    Examples
    --------
    >>> import eddl
    >>> eddl.Broadcast(eddl.Input([3]), eddl.Input([3, 4])).shape
    (3, 4)
    """

    prefix = "broadcast"

    def __init__(self, layers, name=""):
        layers = list(layers)
        if len(layers) != 2:
            raise ValueError(f"Broadcast: needs 2 layers (parent1, parent2), got {len(layers)}")
        super().__init__(layers, name)

    def compute_shape(self, s1, s2):
        try:
            iv = aligned_shape(s1, s2, "parent1")
        except ValueError as exc:
            raise self.shape_error(str(exc)) from None
        self.set_views(iv, s2)
        return tuple(s2)

    def backward(self):
        super().backward()
        # parent2 only gives the shape: its values do not change the output
        self.put_delta(1, lambda out: out.fill(0))


@register_layer("Expand", params="l, size, name=''", rename={"l": "parent"})
class Expand(_Broadcasting):
    """Broadcast the samples to a larger shape.

    With an int ``size`` (EDDL's form) every axis of length 1 becomes ``size`` long (there
    must be one). With a
    list (ONNX ``Expand``, per-sample dims) the output is the NumPy broadcast of the sample
    shape and ``size`` (each axis: equal, or 1 on either side); ``-1`` keeps the input's
    length as in ``torch.Tensor.expand``.

    Parameters
    ----------
    l : Layer
    size : int or list of int
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Expand(eddl.Input([3, 1]), 4).shape
    (3, 4)
    >>> eddl.Expand(eddl.Input([3, 1]), [2, -1, 5]).shape
    (2, 3, 5)
    """

    prefix = "expand"

    def __init__(self, parent, size, name=""):
        if isinstance(size, bool):
            raise TypeError(f"Expand: size must be an int or a list of ints, got {size!r}")
        self.size = int(size) if isinstance(size, numbers.Integral) else int_list(
            "Expand", size, "size")
        super().__init__([parent], name)

    def compute_shape(self, s):
        size = self.size
        if isinstance(size, int):
            if size < 1:
                raise self.shape_error(f"size={size!r} is invalid; valid: an int >= 1")
            if 1 not in s:
                raise self.shape_error(f"size={size!r}: the sample has no axis of length 1 to "
                                       f"expand; valid: an input with a length-1 axis")
            out = tuple(size if d == 1 else d for d in s)
            self.set_views(s, out)
            return out
        nd = max(len(s), len(size))
        s1 = (1,) * (nd - len(s)) + tuple(s)
        z = (None,) * (nd - len(size)) + tuple(size)
        out = []
        for i, (a, b) in enumerate(zip(s1, z)):
            if b == -1 and i >= nd - len(s):
                b = a
            if b is None or b == 1 or b == a:
                out.append(a)
            elif a == 1 and b > 1:
                out.append(b)
            else:
                raise self.shape_error(f"size={list(size)} cannot expand axis {i} of length {a} "
                                       f"to {b}; valid: {a}, 1 or -1 there (any length >= 1 "
                                       f"where the input has 1)")
        self.set_views(s1, out)
        return tuple(out)
