"""Merge layers: Add, Subtract, Mult, Div, Average, Maximum, Minimum, Concat, MatMul, Where.

Element-wise merges take two or more parents of the same shape, or of the same rank with
sizes that broadcast as in NumPy (size-1 axes stretch; their gradient is summed back). A layer
can also be combined with a constant through the operator layers in :mod:`eddl.layers.operators`.
"""

from .base import Layer
from .registry import register_layer

__all__ = ["Add", "Subtract", "Mult", "Div", "Average", "Maximum", "Minimum", "Concat", "MatMul",
           "Where"]


class _Merge(Layer):
    min_parents = 2
    max_parents = None

    def __init__(self, layers, name=""):
        layers = list(layers)
        if len(layers) < self.min_parents or (self.max_parents and len(layers) > self.max_parents):
            n = self.min_parents if self.max_parents == self.min_parents else f"at least {self.min_parents}"
            raise ValueError(f"{type(self).__name__}: needs {n} layers, got {len(layers)}")
        super().__init__(layers, name)

    def compute_shape(self, *shapes):
        if len(set(shapes)) == 1:
            return shapes[0]
        # NumPy/ONNX broadcasting of samples of the same rank (size-1 axes stretch)
        if len({len(s) for s in shapes}) != 1:
            raise self.shape_error("inputs must have the same shape, or the same rank and "
                                   "broadcastable sizes")
        out = []
        for sizes in zip(*shapes):
            big = {d for d in sizes if d != 1}
            if len(big) > 1:
                raise self.shape_error("inputs must have the same shape, or the same rank and "
                                       "broadcastable sizes")
            out.append(big.pop() if big else 1)
        return tuple(out)

    def put_delta(self, i, fn):
        p = self.parents[i]
        if p.shape == self.shape or not p.needs_delta:
            return super().put_delta(i, fn)
        # a broadcast input: its gradient is the full-size one summed over the stretched axes
        full = self.buffer(("broadcast", i), self.delta.shape)
        fn(full)
        axes = tuple(k + 1 for k, (a, b) in enumerate(zip(p.shape, self.shape)) if a != b)
        red = full.sum(axis=axes, keepdims=True)
        super().put_delta(i, lambda out: out.__setitem__(Ellipsis, red))

    def _fold(self, f):
        # output = f(...f(f(x0, x1), x2)..., xn), in place after the first pair
        xs = [p.output for p in self.parents]
        f(xs[0], xs[1], out=self.output)
        for x in xs[2:]:
            f(self.output, x, out=self.output)


@register_layer()
class Add(_Merge):
    """Sum of the inputs (see :func:`eddl.Add`)."""

    prefix = "add"

    def forward(self):
        self._fold(self.be.xp.add)

    def backward(self):
        for i in range(len(self.parents)):
            self.put_delta(i, lambda out: out.__setitem__(Ellipsis, self.delta))


@register_layer("Average")
class Average(Add):
    """Element-wise mean of the layers.

    Parameters
    ----------
    layers : list of Layer
    name : str

    Returns
    -------
    Layer
    """

    prefix = "average"

    def forward(self):
        super().forward()
        self.output *= 1.0 / len(self.parents)

    def backward(self):
        k = 1.0 / len(self.parents)
        for i in range(len(self.parents)):
            self.put_delta(i, lambda out: self.be.xp.multiply(self.delta, k, out=out))


@register_layer()
class Subtract(_Merge):
    """First input minus the second (see :func:`eddl.Subtract`)."""

    prefix = "subtract"
    max_parents = 2

    def forward(self):
        self.be.xp.subtract(self.parents[0].output, self.parents[1].output, out=self.output)

    def backward(self):
        xp = self.be.xp
        self.put_delta(0, lambda out: out.__setitem__(Ellipsis, self.delta))
        self.put_delta(1, lambda out: xp.negative(self.delta, out=out))


@register_layer()
class Mult(_Merge):
    """Element-wise product of the inputs (see :func:`eddl.Mult`)."""

    prefix = "mult"

    def forward(self):
        self._fold(self.be.xp.multiply)

    def backward(self):
        xp = self.be.xp
        xs = [p.output for p in self.parents]
        for i in range(len(xs)):
            def write(out, i=i):
                xp.copyto(out, self.delta)
                for j, x in enumerate(xs):
                    if j != i:
                        out *= x
            self.put_delta(i, write)


@register_layer()
class Div(_Merge):
    """First input divided by the second (see :func:`eddl.Div`)."""

    prefix = "div"
    max_parents = 2

    def forward(self):
        self.be.xp.divide(self.parents[0].output, self.parents[1].output, out=self.output)

    def backward(self):
        xp = self.be.xp
        a, b = self.parents[0].output, self.parents[1].output
        self.put_delta(0, lambda out: xp.divide(self.delta, b, out=out))
        self.put_delta(1, lambda out: xp.multiply(self.delta, -a / (b * b), out=out))


class _Extreme(_Merge):
    pick = None

    def forward(self):
        self._fold(getattr(self.be.xp, self.pick))

    def backward(self):
        # the gradient goes to the first input holding the extreme value (ties: lowest index)
        xp = self.be.xp
        taken = xp.zeros(self.output.shape, dtype=bool)
        for i, p in enumerate(self.parents):
            win = (p.output == self.output) & ~taken
            taken |= win
            self.put_delta(i, lambda out, w=win: xp.multiply(self.delta, w, out=out))


@register_layer("Maximum")
class Maximum(_Extreme):
    """Element-wise maximum of the layers.

    Parameters
    ----------
    layers : list of Layer
    name : str

    Returns
    -------
    Layer
    """

    prefix = "maximum"
    pick = "maximum"


@register_layer("Minimum")
class Minimum(_Extreme):
    """Element-wise minimum of the layers.

    Parameters
    ----------
    layers : list of Layer
    name : str

    Returns
    -------
    Layer
    """

    prefix = "minimum"
    pick = "minimum"


@register_layer("Concat")
class Concat(Layer):
    """Concatenate along ``axis`` (0 = first non-batch axis).

    Parameters
    ----------
    layers : list of Layer
    axis : int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "concat"

    def __init__(self, layers, axis=0, name=""):
        layers = list(layers)
        if len(layers) < 1:
            raise ValueError("Concat: needs at least one layer")
        self.axis = int(axis)
        super().__init__(layers, name)

    def compute_shape(self, *shapes):
        nd = len(shapes[0])
        ax = self.axis + nd if self.axis < 0 else self.axis
        if not 0 <= ax < nd:
            raise self.shape_error(f"axis {self.axis} out of range for {nd}-D samples")
        for s in shapes:
            if len(s) != nd or s[:ax] + s[ax + 1:] != shapes[0][:ax] + shapes[0][ax + 1:]:
                raise self.shape_error(f"shapes differ outside axis {self.axis}")
        self._ax = ax + 1
        self._bounds = []
        start = 0
        for s in shapes:
            self._bounds.append((start, start + s[ax]))
            start += s[ax]
        return shapes[0][:ax] + (start,) + shapes[0][ax + 1:]

    def _key(self, i):
        a, b = self._bounds[i]
        return (slice(None),) * self._ax + (slice(a, b),)

    def forward(self):
        for i, p in enumerate(self.parents):
            self.output[self._key(i)] = p.output

    def backward(self):
        for i in range(len(self.parents)):
            self.put_delta(i, lambda out, i=i: out.__setitem__(Ellipsis, self.delta[self._key(i)]))


def _batch_broadcast(a, b):
    """NumPy broadcast of two batch shapes, or None when they are incompatible."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        return None
    return tuple(max(x, y) for x, y in zip(a, b))


@register_layer("MatMul")
class MatMul(_Merge):
    """Matrix product of two layers, sample by sample (``numpy.matmul`` on the sample dims).

    The last two axes of each sample are matrices and the leading ones broadcast; a 1-D sample
    is a row vector on the left and a column vector on the right, and that axis is dropped
    from the output, as in NumPy.

    Parameters
    ----------
    layers : list of Layer
        Two layers ``[a, b]`` with samples ``[..., m, k]`` and ``[..., k, n]``.
    name : str

    Returns
    -------
    Layer
        Samples ``[broadcast(...), m, n]``.

    Examples
    --------
    >>> import eddl
    >>> eddl.MatMul([eddl.Input([2, 3, 4]), eddl.Input([4, 5])]).shape
    (2, 3, 5)
    """

    prefix = "matmul"
    max_parents = 2

    def compute_shape(self, sa, sb):
        if not sa or not sb:
            raise self.shape_error("inputs must have at least one sample axis")
        a = sa if len(sa) > 1 else (1,) + sa
        b = sb if len(sb) > 1 else sb + (1,)
        if a[-1] != b[-2]:
            raise self.shape_error(f"inner dimensions differ: {a[-1]} (last axis of the first) "
                                   f"!= {b[-2]} (second-to-last of the second); valid: equal")
        batch = _batch_broadcast(a[:-2], b[:-2])
        if batch is None:
            raise self.shape_error(f"leading axes {list(a[:-2])} and {list(b[:-2])} do not "
                                   "broadcast; valid: equal or 1 axis by axis")
        k = len(batch)
        self._av = (1,) * (k - len(a) + 2) + a
        self._bv = (1,) * (k - len(b) + 2) + b
        self._yv = batch + (a[-2], b[-1])
        # batch axes (with the batch dim first) over which each gradient is summed
        self._sum = [tuple(i + 1 for i in range(k) if v[i] == 1 and batch[i] != 1)
                     for v in (self._av, self._bv)]
        out = batch + ((a[-2],) if len(sa) > 1 else ()) + ((b[-1],) if len(sb) > 1 else ())
        return out

    # backward() writes each parent's gradient at that parent's own shape (summing the
    # broadcast batch axes itself), so _Merge's element-wise broadcasting hand-off must not run
    put_delta = Layer.put_delta

    def _views(self):
        n = self.batch
        pa, pb = self.parents
        return pa.output.reshape((n,) + self._av), pb.output.reshape((n,) + self._bv)

    def forward(self):
        a, b = self._views()
        self.be.xp.matmul(a, b, out=self.output.reshape((self.batch,) + self._yv))

    def backward(self):
        xp = self.be.xp
        n = self.batch
        a, b = self._views()
        dy = self.delta.reshape((n,) + self._yv)
        batch = self._yv[:-2]
        terms = [(dy, b.swapaxes(-1, -2), self._av, batch + self._av[-2:]),
                 (a.swapaxes(-1, -2), dy, self._bv, batch + self._bv[-2:])]
        for i, (left, right, view, full) in enumerate(terms):
            def write(out, left=left, right=right, view=view, full=full, i=i):
                o = out.reshape((n,) + view)
                if not self._sum[i]:
                    xp.matmul(left, right, out=o)
                    return
                tmp = self.buffer(f"grad{i}", (n,) + full)
                xp.matmul(left, right, out=tmp)
                xp.sum(tmp, axis=self._sum[i], keepdims=True, out=o)
            self.put_delta(i, write)


@register_layer("Where", params="parent1, parent2, condition, name=''",
                pack={"layers": ["parent1", "parent2", "condition"]})
class Where(Layer):
    """Element-wise choice: ``parent1`` where ``condition`` is non-zero, else ``parent2``.

    The three layers have the same shape. The gradient goes to the chosen input; the
    condition gets none (a zero gradient).

    Parameters
    ----------
    parent1 : Layer
    parent2 : Layer
    condition : Layer
    name : str

    Returns
    -------
    Layer
        The common shape.
    """

    prefix = "where"

    def __init__(self, layers, name=""):
        layers = list(layers)
        if len(layers) != 3:
            raise ValueError(f"Where: needs 3 layers (parent1, parent2, condition), got "
                             f"{len(layers)}")
        super().__init__(layers, name)

    def compute_shape(self, s1, s2, sc):
        if not s1 == s2 == sc:
            raise self.shape_error("parent1, parent2 and condition must have the same shape")
        return s1

    def forward(self):
        xp = self.be.xp
        a, b, c = (p.output for p in self.parents)
        mask = self.buffer("mask", c.shape, bool)
        xp.not_equal(c, 0, out=mask)
        xp.copyto(self.output, b)
        xp.copyto(self.output, a, where=mask)

    def backward(self):
        xp = self.be.xp
        mask = self.buffer("mask", self.delta.shape, bool)
        other = self.buffer("other", self.delta.shape, bool)
        xp.logical_not(mask, out=other)
        self.put_delta(0, lambda out: xp.multiply(self.delta, mask, out=out))
        self.put_delta(1, lambda out: xp.multiply(self.delta, other, out=out))
        self.put_delta(2, lambda out: out.fill(0))
