"""Pooling layers: max and average pooling over 1 to 3 spatial axes, and global pools.

Windows are clipped to the input: padding never wins a max and is not counted in an average
(ONNX ``count_include_pad=0``). With ``ceil_mode`` the last, partial window is kept as long
as it starts inside the input or its left padding (PyTorch's rule).
"""

from .base import TSMODE, Layer
from .conv import int_tuple, resolve_padding
from .registry import register_factory, register_layer

__all__ = ["Pool", "MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool"]


class Pool(Layer):
    """Base of the pooling layers; ``kind`` is ``"max"`` or ``"avg"``."""

    kind = "max"
    nsp = 2
    is_global = False

    def __init__(self, parent, pool_size=2, strides=None, padding="none", ceil_mode=False,
                 name="", nsp=None):
        if nsp is not None:
            self.nsp = nsp
        what = f"{type(self).__name__}({name or '?'})"
        if not self.is_global:
            self.pool_size = int_tuple(pool_size, self.nsp, "pool_size", what)
            self.strides = int_tuple(self.pool_size if strides is None else strides, self.nsp,
                                     "strides", what)
        self.padding_spec = padding
        self.ceil_mode = bool(ceil_mode)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if self.nsp is None:
            self.nsp = len(s) - 1
        if len(s) != self.nsp + 1 or self.nsp < 1 or self.nsp > 3:
            nsp = min(max(self.nsp, 1), 3)
            raise self.rank_error(s, f"a {nsp + 1}-D input (channels x {nsp} spatial axes)",
                                  self.SPATIAL_EXAMPLES[nsp])
        spatial = s[1:]
        if self.is_global:
            self.pool_size, self.strides = tuple(spatial), (1,) * self.nsp
            self.pads = ((0, 0),) * self.nsp
            return (s[0],) + (1,) * self.nsp
        self.pads = resolve_padding(self.padding_spec, spatial, self.pool_size, self.strides,
                                    (1,) * self.nsp, self.name)
        out = []
        for n, k, st, (pb, pa) in zip(spatial, self.pool_size, self.strides, self.pads):
            if pb >= k or pa >= k:
                raise self.shape_error(f"padding {[pb, pa]} must be smaller than the pool size {k}")
            span = n + pb + pa - k
            o = (-(-span // st) if self.ceil_mode else span // st) + 1
            if self.ceil_mode and (o - 1) * st >= n + pb:
                o -= 1
            out.append(o)
        if any(o < 1 for o in out):
            raise self.shape_error(f"pool size {list(self.pool_size)}, strides {list(self.strides)} "
                                   f"and padding {[list(p) for p in self.pads]} give output size {out}")
        return (s[0],) + tuple(out)

    def _args(self):
        return self.pool_size, self.strides, tuple(p[0] for p in self.pads)

    def _positions(self):
        """Return the positions of the last forward pass's maxima, found now if it skipped them."""
        if not getattr(self, "_have_indices", True):
            scratch = self.buffer("max_values", self.output.shape)
            self.be.pool.max_pool_forward(self._input(), scratch, self._indices(), *self._args())
            self._have_indices = True
        return self._indices()

    def _indices(self):
        shape = self.output.shape
        idx = getattr(self, "_idx", None)
        if idx is None or idx.shape[0] < shape[0] or idx.shape[1:] != shape[1:]:
            idx = self._idx = self.be.empty(shape, "int32")
        return idx[: shape[0]]

    def forward(self):
        pool = self.be.pool
        if self.kind == "max":
            # inference needs no positions; a backward pass after it finds them (_positions)
            self._have_indices = self.mode != TSMODE
            pool.max_pool_forward(self._input(), self.output,
                                  self._indices() if self._have_indices else None, *self._args())
        else:
            pool.avg_pool_forward(self._input(), self.output, *self._args())

    def backward(self):
        pool = self.be.pool
        out, acc = self.delta_target(0)
        if out is None:
            return
        if self.kind == "max":
            pool.max_pool_backward(self.delta, self._positions(), out, accumulate=acc)
        else:
            pool.avg_pool_backward(self.delta, out, *self._args(), accumulate=acc)


@register_layer()
class MaxPool(Pool):
    """Max pooling (``nsp`` spatial axes); see :func:`eddl.MaxPool2D`."""

    prefix = "maxpool"
    kind = "max"


@register_layer()
class AveragePool(Pool):
    """Average pooling (``nsp`` spatial axes); see :func:`eddl.AveragePool2D`."""

    prefix = "avgpool"
    kind = "avg"


@register_layer()
class GlobalMaxPool(MaxPool):
    """Max over all spatial positions; spatial sizes become 1."""

    prefix = "globalmaxpool"
    is_global = True
    nsp = None


@register_layer()
class GlobalAveragePool(AveragePool):
    """Mean over all spatial positions; spatial sizes become 1."""

    prefix = "globalavgpool"
    is_global = True
    nsp = None


# --- PyEDDL names ------------------------------------------------------------------------------

def _pool_doc(cls, nsp):
    kind = "Max" if cls.kind == "max" else "Average"
    return f"""{kind} pooling over {nsp} spatial axes.

    Parameters
    ----------
    parent : Layer
    pool_size : int or list of int
    strides : int or list of int
    padding : str or list of int
        ``"none"``/``"valid"`` (default), ``"same"``, or ints as in :func:`Conv2D`; padding
        never enters a max or an average.
    name : str
    ceil_mode : bool
        Keep a last, partial window (PyTorch's ``ceil_mode``).

    Returns
    -------
    Layer
    """


def _global_doc(cls):
    return f"""{'Maximum' if cls.kind == 'max' else 'Mean'} over all spatial positions
    (the spatial sizes become 1; follow with :func:`Flatten` for a vector).

    Parameters
    ----------
    parent : Layer
    name : str

    Returns
    -------
    Layer
    """


for _prefix, _cls, _global in [("MaxPool", MaxPool, GlobalMaxPool),
                               ("AveragePool", AveragePool, GlobalAveragePool),
                               ("AvgPool", AveragePool, GlobalAveragePool)]:
    for _suffix, _nsp in [("1D", 1), ("2D", 2), ("3D", 3), ("", 2)]:
        _twos = [2] * _nsp
        register_factory(_prefix + _suffix, _cls, fixed={"nsp": _nsp}, doc=_pool_doc(_cls, _nsp),
                         params=f"parent, pool_size={_twos}, strides={_twos}, padding='none', "
                                "name='', ceil_mode=False")
    for _suffix in ("", "1D", "2D", "3D"):
        register_factory(f"Global{_prefix}{_suffix}", _global, params="parent, name=''",
                         doc=_global_doc(_global))
