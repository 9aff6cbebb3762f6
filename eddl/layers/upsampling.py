"""Resampling layers (UpSampling2D/3D, Resize, Scale) and constant padding (Pad).

Resampling is separable: each spatial axis is mapped by a small ``out x in`` matrix (nearest or
linear interpolation with an ONNX coordinate transformation mode), so the backward pass is the
product with the transposed matrices. Samples near the border use the nearest input values.

With ``reshape=False`` (Resize, UpSampling3D, Scale) the output keeps the input's spatial shape
and shows a window of the resized image centred on it, as EDDL's ``Tensor::scale`` does: along
an axis of input length ``n`` resized to ``m``, output position ``i`` shows resized position
``i + int((m - n) / 2)`` (truncated towards zero, so an odd leftover row or column is cropped or
padded at the end). Positions outside the resized image are filled according to ``da_mode``.
The window only selects and repeats rows of the per-axis matrices, so the same kernels run the
forward and backward passes.
"""

from .base import Layer
from .conv import int_tuple
from .registry import register_layer
from .remap import reflect_index

__all__ = ["Resample", "UpSampling2D", "UpSampling3D", "Resize", "Scale", "Pad"]

_DA_MODES = ("constant", "reflect", "nearest", "mirror", "wrap", "original")


class Resample(Layer):
    """Resize the spatial axes of ``C x *spatial`` inputs to ``new_shape``.

    Attributes
    ----------
    resized_shape : tuple of int
        ``C x new_shape``: the shape of the resized image (the output shape unless a subclass
        places it in a canvas of another shape).
    """

    prefix = "resize"

    def __init__(self, parent, new_shape, interpolation="nearest",
                 coordinate_transformation_mode="asymmetric", name=""):
        modes = {"nearest": "nearest", "linear": "linear", "bilinear": "linear",
                 "trilinear": "linear"}
        if interpolation not in modes:
            raise ValueError(f"{type(self).__name__}: interpolation must be one of {sorted(modes)}, "
                             f"got {interpolation!r}")
        self.interp = modes[interpolation]
        transforms = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")
        if coordinate_transformation_mode not in transforms:
            raise ValueError(f"{type(self).__name__}: coordinate_transformation_mode must be one "
                             f"of {transforms}, got {coordinate_transformation_mode!r}")
        self.transform = coordinate_transformation_mode
        self._new_shape = new_shape
        self._mats = None
        super().__init__([parent], name)

    def compute_shape(self, s):
        if not 2 <= len(s) <= 4:
            raise self.shape_error(f"expects C x 1-3 spatial axes, got {list(s)}")
        new = int_tuple(self._new_shape, len(s) - 1, "new_shape", self.name)
        self.resized_shape = (s[0],) + new
        return self.resized_shape

    def _matrices(self):
        if self._mats is None or self._mats[0].dtype != self.dtype:
            self._mats = self.make_matrices()
        return self._mats

    def make_matrices(self):
        """One ``out x in`` matrix per spatial axis (``out``: this layer's output length)."""
        rs = self.be.resample
        ins = self.parents[0].shape[1:]
        return [rs.resample_matrix(i, o, self.interp, self.transform, self.dtype)
                for i, o in zip(ins, self.resized_shape[1:])]

    def forward(self):
        x = self._input()
        self.be.resample.resample(x, self.output, self._matrices())

    def backward(self):
        self.put_delta(0, lambda out: self.be.resample.resample_backward(self.delta, out,
                                                                          self._matrices()))


@register_layer("UpSampling2D", "UpSampling")
class UpSampling2D(Resample):
    """Enlarge ``C x H x W`` inputs by integer factors ``size`` (nearest or bilinear).

    Parameters
    ----------
    parent : Layer
    size : int or list of int
        Factors ``[fh, fw]``.
    interpolation : {"nearest", "bilinear"}
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.UpSampling2D(eddl.Input([1, 4, 4]), [2, 2]).shape
    (1, 8, 8)
    """

    prefix = "upsampling"

    def __init__(self, parent, size, interpolation="nearest", name=""):
        self._size = int_tuple(size, 2, "size", "UpSampling2D")
        super().__init__(parent, None, interpolation, "asymmetric", name)

    def compute_shape(self, s):
        if len(s) != 3:
            raise self.rank_error(s, "a C x H x W input (3-D samples)", "[C, H, W]")
        self._new_shape = [n * f for n, f in zip(s[1:], self._size)]
        return super().compute_shape(s)


def canvas_rows(n, m, da_mode):
    """Rows of a length-``m`` resized axis shown by the ``n`` positions of an input-sized canvas.

    Parameters
    ----------
    n : int
        Canvas (input) length.
    m : int
        Resized length.
    da_mode : str
        How positions beyond the resized image are filled (see :class:`Resize`).

    Returns
    -------
    rows : list of int
        For each canvas position, the resized row it copies, or -1 where the fill is not a
        resized row (``"constant"`` and ``"original"``).
    inside : list of bool
        Whether each canvas position falls inside the resized image.

    Examples
    --------
    >>> canvas_rows(5, 3, "constant")
    ([-1, 0, 1, 2, -1], [False, True, True, True, False])
    >>> canvas_rows(3, 6, "constant")[0]
    [1, 2, 3]
    """
    off = int((m - n) / 2)
    rows, inside = [], []
    for i in range(n):
        r = i + off
        ok = 0 <= r < m
        if not ok:
            if da_mode == "nearest":
                r = min(max(r, 0), m - 1)
            elif da_mode == "wrap":
                r %= m
            elif da_mode in ("reflect", "mirror"):
                r = int(reflect_index(r, m, da_mode))
            else:
                r = -1
        rows.append(r)
        inside.append(ok)
    return rows, inside


def window_matrices(mats, ins, da_mode, xp):
    """Per-axis matrices of the input-sized window on resized axes (``reshape=False``).

    Parameters
    ----------
    mats : list of arrays
        One ``m x n`` resampling matrix per spatial axis (resized length ``m``).
    ins : sequence of int
        Input (canvas) length ``n`` of each axis.
    da_mode : str
        Fill beyond the resized image (see :class:`Resize`).
    xp : module
        The array namespace of ``mats``.

    Returns
    -------
    canvas : list of arrays
        One ``n x n`` matrix per axis (rows of ``mats``, zero rows where nothing is copied).
    fill : bool array or None
        Spatial positions outside the resized image that ``"constant"`` or ``"original"``
        fill (None when there are none or the mode fills by rows).
    """
    canvas, masks = [], []
    for m, n in zip(mats, ins):
        rows, inside = canvas_rows(n, m.shape[0], da_mode)
        c = xp.zeros((n, m.shape[1]), dtype=m.dtype)
        sel = [i for i, r in enumerate(rows) if r >= 0]
        c[sel] = m[[rows[i] for i in sel]]
        canvas.append(c)
        masks.append(inside)
    fill = None
    if da_mode in ("constant", "original") and not all(all(k) for k in masks):
        # outside the window along any axis: the outer product of the per-axis masks
        keep = xp.ones((), dtype=bool)
        for k in masks:
            keep = keep[..., None] & xp.asarray(k, dtype=bool)
        fill = ~keep
    return canvas, fill


@register_layer("Resize", hidden=("interpolation",))
class Resize(Resample):
    """Resize the spatial axes to ``new_shape`` (linear interpolation by default).

    With ``reshape=True`` the output is ``C x new_shape``. With ``reshape=False`` it keeps the
    input's shape and shows the centred window of the resized image described in the module
    documentation: a smaller ``new_shape`` is padded, a larger one is cropped. Canvas positions
    beyond the resized image follow ``da_mode``: ``"constant"`` fills ``constant``,
    ``"original"`` keeps the input value at that position, ``"nearest"`` repeats the resized
    image's edge, ``"wrap"`` tiles it, ``"reflect"`` and ``"mirror"`` fold it back (as in
    :class:`~eddl.layers.da.RandomShift`). Every mode is differentiable with respect to the
    input; the fill constant has no gradient.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    reshape : bool
        True: the output is ``new_shape``. False: the output keeps the input's shape and shows
        the centred window of the resized image (cropped when larger, padded when smaller; an
        odd leftover row or column goes at the end), the padding following ``da_mode``.
    da_mode : str
        Fill of a ``reshape=False`` output beyond the resized image: ``"constant"``,
        ``"original"`` (the input's value there), ``"nearest"``, ``"reflect"``, ``"mirror"``
        or ``"wrap"``.
    constant : float
        Fill value of ``da_mode="constant"``.
    coordinate_transformation_mode : str
        As in :func:`UpSampling3D`.
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([1, 10, 10])
    >>> eddl.Resize(x, [5, 5]).shape
    (1, 5, 5)
    >>> eddl.Resize(x, [5, 5], reshape=False).shape   # zoom out, padded with 0
    (1, 10, 10)
    """

    prefix = "resize"

    def __init__(self, parent, new_shape, reshape=True, da_mode="constant", constant=0.0,
                 coordinate_transformation_mode="asymmetric", name="", interpolation="linear"):
        what = type(self).__name__
        if da_mode not in _DA_MODES:
            raise ValueError(f"{what}: da_mode must be one of {_DA_MODES}, got {da_mode!r}")
        if reshape not in (True, False):
            raise TypeError(f"{what}: reshape must be a bool, got {reshape!r}")
        self.reshape = bool(reshape)
        self.da_mode = da_mode
        self.constant = float(constant)
        self._fill = None
        super().__init__(parent, new_shape, interpolation, coordinate_transformation_mode, name)

    def compute_shape(self, s):
        resized = super().compute_shape(s)
        return resized if self.reshape else tuple(s)

    def make_matrices(self):
        mats = super().make_matrices()
        self._fill = None
        if self.reshape:
            return mats
        canvas, self._fill = window_matrices(mats, self.parents[0].shape[1:], self.da_mode,
                                             self.be.xp)
        return canvas

    def forward(self):
        super().forward()
        if self._fill is None:
            return
        out = self.output
        if self.da_mode == "constant":
            out[:, :, self._fill] = self.constant
        else:
            out[:, :, self._fill] = self.parents[0].output[:, :, self._fill]

    def backward(self):
        rs = self.be.resample

        def write(out):
            rs.resample_backward(self.delta, out, self._matrices())
            if self._fill is not None and self.da_mode == "original":
                out[:, :, self._fill] += self.delta[:, :, self._fill]
        self.put_delta(0, write)


@register_layer("UpSampling3D", hidden=("interpolation",))
class UpSampling3D(Resize):
    """Resize ``C x D x H x W`` inputs to ``new_shape = [D', H', W']`` (trilinear).

    ``reshape=False`` as in :class:`Resize`.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    reshape : bool
        True: the output is ``new_shape``. False: the output keeps the input's shape and shows
        the centred window of the resized image (cropped when larger, padded when smaller; an
        odd leftover row or column goes at the end), the padding following ``da_mode``.
    da_mode : str
        Fill of a ``reshape=False`` output beyond the resized image: ``"constant"``,
        ``"original"`` (the input's value there), ``"nearest"``, ``"reflect"``, ``"mirror"``
        or ``"wrap"``.
    constant : float
        Fill value of ``da_mode="constant"``.
    coordinate_transformation_mode : str
        ONNX ``Resize`` mode: ``"asymmetric"``, ``"half_pixel"``, ``"pytorch_half_pixel"``
        or ``"align_corners"``.
    name : str

    Returns
    -------
    Layer
    """

    prefix = "upsampling3d"

    def compute_shape(self, s):
        if len(s) != 4:
            raise self.shape_error(f"expects a C x D x H x W input, got {list(s)}")
        return super().compute_shape(s)


@register_layer("Scale")
class Scale(Resize):
    """Nearest-neighbour resize of ``C x H x W`` inputs to ``new_shape = [h, w]``.

    This is EDDL's Scale layer; ``reshape=False`` as in :class:`Resize`.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    reshape : bool
        True: the output is ``new_shape``. False: the output keeps the input's shape and shows
        the centred window of the resized image (cropped when larger, padded when smaller; an
        odd leftover row or column goes at the end), the padding following ``da_mode``.
    da_mode : str
        Fill of a ``reshape=False`` output beyond the resized image: ``"constant"``,
        ``"original"`` (the input's value there), ``"nearest"``, ``"reflect"``, ``"mirror"``
        or ``"wrap"``.
    constant : float
        Fill value of ``da_mode="constant"``.
    coordinate_transformation_mode : str
        As in :func:`UpSampling3D`.
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Scale(eddl.Input([3, 8, 8]), [16, 16], reshape=False).shape   # zoom in, cropped
    (3, 8, 8)
    """

    prefix = "scale"

    def __init__(self, parent, new_shape, reshape=True, da_mode="constant", constant=0.0,
                 coordinate_transformation_mode="asymmetric", name=""):
        super().__init__(parent, new_shape, reshape, da_mode, constant,
                         coordinate_transformation_mode, name, interpolation="nearest")

    def compute_shape(self, s):
        if len(s) != 3:
            raise self.rank_error(s, "a C x H x W input (3-D samples)", "[C, H, W]")
        return super().compute_shape(s)


@register_layer("Pad")
class Pad(Layer):
    """Constant padding of the last two axes.

    ``padding`` is ``[top, right, bottom, left]`` (or ``[vertical, horizontal]``, applied on
    both sides).

    Parameters
    ----------
    parent : Layer
    padding : list of int
        4 values, or 2 (``[vertical, horizontal]``, both sides).
    constant : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "pad"

    def __init__(self, parent, padding, constant=0.0, name=""):
        p = list(padding)
        if len(p) == 2:
            p = [p[0], p[1], p[0], p[1]]
        if len(p) != 4 or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in p):
            raise ValueError(f"Pad: padding must be 2 or 4 non-negative ints, got {padding!r}")
        self.padding = tuple(p)
        self.constant = float(constant)
        super().__init__([parent], name)

    def compute_shape(self, s):
        if len(s) < 2:
            raise self.rank_error(s, "at least 2 axes to pad (H x W)", "[1, H, W]")
        t, r, b, l = self.padding
        return s[:-2] + (s[-2] + t + b, s[-1] + l + r)

    def _inner(self, a):
        t, _, _, l = self.padding
        h, w = self.parents[0].shape[-2:]
        return a[..., t:t + h, l:l + w]

    def forward(self):
        self.output.fill(self.constant)
        self._inner(self.output)[...] = self.parents[0].output

    def backward(self):
        def write(out):
            out[...] = self._inner(self.delta)
        self.put_delta(0, write)
