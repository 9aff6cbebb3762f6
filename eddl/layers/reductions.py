"""Reduction layers over per-sample axes: mean, sum, max, min, variance, arg-max."""

from .base import Layer
from .registry import register_factory, register_layer

__all__ = ["Reduce", "REDUCE_OPS"]

REDUCE_OPS = ("mean", "sum", "max", "min", "var", "argmax")


@register_layer()
class Reduce(Layer):
    """Reduce over ``axis`` (a list of per-sample axes; the batch axis is never reduced).

    ``argmax`` outputs indices (as floats) and passes no gradient.
    """

    prefix = "reduce"

    def __init__(self, parent, op, axis, keepdims=False, name=""):
        if op not in REDUCE_OPS:
            raise ValueError(f"unknown reduction {op!r}; valid: {list(REDUCE_OPS)}")
        self.op = op
        self.prefix = f"reduce_{op}"
        self.axis = [axis] if isinstance(axis, int) else [int(a) for a in axis]
        self.keepdims = bool(keepdims)
        super().__init__([parent], name)

    def compute_shape(self, s):
        axes = sorted({a + len(s) if a < 0 else a for a in self.axis})
        if not axes or any(not 0 <= a < len(s) for a in axes):
            raise self.shape_error(f"axis {self.axis} out of range for {len(s)}-D samples")
        if self.op == "argmax" and len(axes) != 1:
            raise self.shape_error("ReduceArgMax takes a single axis")
        self._axes = tuple(a + 1 for a in axes)
        self._kept = tuple(1 if i in axes else d for i, d in enumerate(s))
        if self.keepdims:
            return self._kept
        return tuple(d for i, d in enumerate(s) if i not in axes) or (1,)

    def forward(self):
        xp = self.be.xp
        x = self.parents[0].output
        n = x.shape[0]
        if self.op == "argmax":
            r = xp.argmax(x, axis=self._axes[0], keepdims=True)
        else:
            r = getattr(xp, self.op)(x, axis=self._axes, keepdims=True)
        self.output[...] = r.reshape((n,) + self.shape)

    def backward(self):
        if self.op == "argmax":
            return
        xp = self.be.xp
        x = self.parents[0].output
        n = x.shape[0]
        d = self.delta.reshape((n,) + self._kept)
        cnt = 1
        for a in self._axes:
            cnt *= x.shape[a]
        if self.op == "sum":
            g = lambda out: xp.copyto(out, xp.broadcast_to(d, out.shape))  # noqa: E731
        elif self.op == "mean":
            g = lambda out: xp.multiply(xp.broadcast_to(d, out.shape), 1.0 / cnt, out=out)  # noqa: E731
        elif self.op == "var":
            mu = x.mean(axis=self._axes, keepdims=True)
            g = lambda out: xp.multiply(d, (2.0 / cnt) * (x - mu), out=out)  # noqa: E731
        else:
            y = self.output.reshape((n,) + self._kept)
            hit = x == y
            # ties share the gradient equally
            g = lambda out: xp.multiply(d, hit / hit.sum(axis=self._axes, keepdims=True), out=out)  # noqa: E731
        self.put_delta(0, g)


# --- PyEDDL names ------------------------------------------------------------------------------

for _op, _text in [("mean", "Mean over sample axes."), ("sum", "Sum over sample axes."),
                   ("max", "Maximum over sample axes."), ("min", "Minimum over sample axes."),
                   ("var", "Variance over sample axes."),
                   ("argmax", "Index of the maximum along one sample axis.")]:
    register_factory("Reduce" + {"argmax": "ArgMax"}.get(_op, _op.capitalize()), Reduce,
                     params="l, axis, keepdims=False", rename={"l": "parent"}, fixed={"op": _op},
                     doc=_text + """

    Parameters
    ----------
    l : Layer
    axis : int or list of int
        Sample axes (the batch axis is excluded).
    keepdims : bool

    Returns
    -------
    Layer
    """)
