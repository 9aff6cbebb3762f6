"""Shape layers: Reshape, Flatten, Squeeze, Unsqueeze, Permute, Transpose, Select, Split, Bypass.

Reshape-like layers make their output a view of the parent's output (no copy); layers that
reorder memory (Permute, Select) copy into their own contiguous buffer so the layers after them
get contiguous data.
"""

import math

from .base import Layer
from .broadcasting import int_list, normalize_axis
from .registry import register_layer

__all__ = ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Permute", "Transpose", "Select",
           "Split", "Bypass", "parse_select"]


class _View(Layer):
    """Same data, new shape: forward and backward are reshapes."""

    def output_is_view(self):
        return True

    def forward(self):
        x = self.parents[0].output
        self.output = x.reshape((x.shape[0],) + self.shape)

    def backward(self):
        self.put_delta(0, lambda out: out.__setitem__(Ellipsis, self.delta.reshape(out.shape)))


@register_layer("Reshape")
class Reshape(_View):
    """New per-sample shape with the same number of values (one entry may be -1).

    Parameters
    ----------
    parent : Layer
    shape : list of int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "reshape"

    def __init__(self, parent, shape, name=""):
        self.target_shape = [int(s) for s in shape]
        super().__init__([parent], name)

    def compute_shape(self, s):
        total = math.prod(s)
        t = list(self.target_shape)
        if t.count(-1) > 1 or any(d == 0 or d < -1 for d in t):
            raise self.shape_error(f"invalid target shape {t}")
        if -1 in t:
            known = math.prod(d for d in t if d != -1)
            if total % known:
                raise self.shape_error(f"cannot reshape {total} values into {t}")
            t[t.index(-1)] = total // known
        if math.prod(t) != total:
            raise self.shape_error(f"cannot reshape {list(s)} ({total} values) into {t}")
        return tuple(t)


@register_layer("Flatten")
class Flatten(_View):
    """Flatten each sample to one dimension.

    Parameters
    ----------
    parent : Layer
    name : str

    Returns
    -------
    Layer
    """

    prefix = "flatten"

    def __init__(self, parent, name=""):
        super().__init__([parent], name)

    def compute_shape(self, s):
        return (math.prod(s),)


@register_layer("Squeeze")
class Squeeze(_View):
    """Remove the size-1 dimension ``axis`` (all size-1 dimensions when -1).

    Parameters
    ----------
    parent : Layer
    axis : int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "squeeze"

    def __init__(self, parent, axis=-1, name=""):
        self.axis = int(axis)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if self.axis == -1:
            return tuple(d for d in s if d != 1)
        if not 0 <= self.axis < len(s) or s[self.axis] != 1:
            raise self.shape_error(f"axis {self.axis} is not a size-1 dimension")
        return s[:self.axis] + s[self.axis + 1:]


@register_layer("Unsqueeze")
class Unsqueeze(_View):
    """Insert a size-1 dimension at ``axis``.

    Parameters
    ----------
    parent : Layer
    axis : int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "unsqueeze"

    def __init__(self, parent, axis=0, name=""):
        self.axis = int(axis)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if not 0 <= self.axis <= len(s):
            raise self.shape_error(f"axis {self.axis} out of range for a {len(s)}-D sample")
        return s[:self.axis] + (1,) + s[self.axis:]


@register_layer("Permute", params="l, dims, name=''", rename={"l": "parent"})
class Permute(Layer):
    """Reorder the sample dimensions: output dim ``i`` is input dim ``dims[i]``.

    Parameters
    ----------
    l : Layer
    dims : list of int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "permute"

    def __init__(self, parent, dims, name=""):
        self.dims = [int(d) for d in dims]
        super().__init__([parent], name)

    def compute_shape(self, s):
        if sorted(self.dims) != list(range(len(s))):
            raise self.shape_error(f"dims {self.dims} is not a permutation of {len(s)} axes")
        self._axes = (0,) + tuple(d + 1 for d in self.dims)
        self._inv = tuple(sorted(range(len(self._axes)), key=lambda i: self._axes[i]))
        return tuple(s[d] for d in self.dims)

    def forward(self):
        self.output[...] = self.parents[0].output.transpose(self._axes)

    def backward(self):
        self.put_delta(0, lambda out: out.__setitem__(Ellipsis, self.delta.transpose(self._inv)))


@register_layer("Transpose")
class Transpose(Permute):
    """Reverse the order of the sample dimensions.

    Parameters
    ----------
    parent : Layer
    name : str

    Returns
    -------
    Layer
    """

    prefix = "transpose"

    def __init__(self, parent, name=""):
        Layer.__init__(self, [parent], name)

    def compute_shape(self, s):
        self.dims = list(range(len(s)))[::-1]
        return super().compute_shape(s)


def parse_select(indices, shape, what):
    """EDDL's index strings (one per dimension) to a tuple of slices, keeping every dim."""
    if isinstance(indices, str):
        indices = [indices]
    indices = list(indices)
    if len(indices) > len(shape):
        raise ValueError(f"{what}: {len(indices)} indices for a {len(shape)}-D sample")
    indices += [":"] * (len(shape) - len(indices))
    out = []
    for s, dim in zip(indices, shape):
        s = str(s).replace(" ", "")
        try:
            if ":" in s:
                a, b = s.split(":")
                a = int(a) if a else 0
                b = int(b) if b else dim
            else:
                a = int(s)
                b = a + 1 if a != -1 else dim
        except ValueError:
            raise ValueError(f"{what}: invalid index {s!r}") from None
        a = a + dim if a < 0 else a
        b = b + dim if b < 0 else b
        if a < 0 or b <= a or b > dim:
            raise ValueError(f"{what}: index {s!r} out of range for a dimension of size {dim}")
        out.append(slice(a, b))
    return tuple(out)


@register_layer("Select", "Slice", params="l, indices, name=''", rename={"l": "parent"})
class Select(Layer):
    """Region of each sample given by EDDL index strings such as ``["0:2", ":"]``.

    Single indices keep their dimension with size 1 (``Slice`` is the same).

    Parameters
    ----------
    l : Layer
    indices : list of str
    name : str

    Returns
    -------
    Layer
    """

    prefix = "select"

    def __init__(self, parent, indices, name=""):
        self.indices = indices
        super().__init__([parent], name)

    def compute_shape(self, s):
        self._sl = parse_select(self.indices, s, "Select")
        self._key = (slice(None),) + self._sl
        return tuple(x.stop - x.start for x in self._sl)

    def forward(self):
        self.output[...] = self.parents[0].output[self._key]

    def backward(self):
        def write(out):
            out[...] = 0
            out[self._key] = self.delta
        self.put_delta(0, write)


@register_layer()
class Split(Select):
    """Part ``part`` of the samples split along ``axis`` at ``indexes`` (see :func:`eddl.Split`).

    ``eddl.Split`` returns every part; each part is one of these layers, and the parts of one
    split share ``indexes``, ``axis`` and ``merge_sublayers`` (an exporter may write them as
    one ONNX ``Split`` node).

    Parameters
    ----------
    parent : Layer
    indexes : list of int
        Increasing split points, each in ``1 .. n - 1`` for an axis of length ``n``.
    axis : int
        Sample axis (batch excluded; -1 is the last).
    part : int
        Which part, from 0 to ``len(indexes)``.
    merge_sublayers : bool
        Kept for export (EDDL's flag); it does not change the computation.
    name : str

    Returns
    -------
    Layer
        The parent's shape with ``axis`` of length ``bounds[part + 1] - bounds[part]``, where
        ``bounds = [0] + indexes + [n]``.
    """

    prefix = "split"

    def __init__(self, parent, indexes, axis=-1, part=0, merge_sublayers=False, name=""):
        self.indexes = int_list("Split", indexes, "indexes")
        self.axis = axis
        self.part = part
        self.merge_sublayers = bool(merge_sublayers)
        Layer.__init__(self, [parent], name)

    def compute_shape(self, s):
        ax = normalize_axis(self, self.axis, len(s))
        bounds = [0] + self.indexes + [s[ax]]
        if not self.indexes or any(b <= a for a, b in zip(bounds, bounds[1:])):
            raise self.shape_error(f"indexes={self.indexes!r} is invalid; valid: a non-empty "
                                   f"strictly increasing list of split points in 1..{s[ax] - 1} "
                                   f"(axis {self.axis} has length {s[ax]})")
        p = self.part
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < len(bounds) - 1:
            raise self.shape_error(f"part={p!r} is out of range; valid: 0..{len(bounds) - 2}")
        self.indices = [":"] * len(s)
        self.indices[ax] = f"{bounds[p]}:{bounds[p + 1]}"
        return super().compute_shape(s)


@register_layer("Bypass")
class Bypass(_View):
    """Identity layer (EDDL keeps it to mark a node it passes through, e.g. on ONNX import).

    Parameters
    ----------
    parent : Layer
    bypass_name : str
        Name of what is bypassed (informative only).
    name : str

    Returns
    -------
    Layer
        The parent's shape and values.
    """

    prefix = "bypass"

    def __init__(self, parent, bypass_name="", name=""):
        if not isinstance(bypass_name, str):
            raise TypeError(f"Bypass: bypass_name must be a str, got {bypass_name!r}")
        self.bypass_name = bypass_name
        super().__init__([parent], name)

    def compute_shape(self, s):
        return s
