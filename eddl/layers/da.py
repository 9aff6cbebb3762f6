"""Data-augmentation layers on ``C x H x W`` inputs.

The ``Random*`` layers transform each sample with freshly drawn parameters in training mode
and are the identity in inference mode (RandomCrop then takes the central crop, so the output
shape never changes). The other layers (Crop, CenteredCrop, CropScale, Cutout, Flip, Rotate,
Shift) apply one fixed transform in both modes; each ``Random*`` layer subclasses its fixed
counterpart and only replaces the per-sample parameters it draws.

Every transform is a nearest-neighbour resampling: for each output pixel of a sample, the
index of the input pixel it copies (or -1 for the constant fill). The forward pass gathers
through that map and the backward pass scatters the gradient back through it, so the layers
are differentiable and share one implementation.
"""


from .base import TRMODE
from .conv import int_tuple
from .registry import register_factory, register_layer
from .remap import Affine, Remap, check_mode, finite, range2

__all__ = ["CenteredCrop", "Crop", "CropScale", "Cutout", "Flip", "RandomCrop", "RandomCropScale",
           "RandomCutout", "RandomFlip", "RandomRotation", "RandomScale", "RandomShift", "Rotate",
           "Shift"]

#: coordinates and shifts may be negative (regions reaching past the input); int32 bounds them
_INT_MIN = -(2 ** 31)


def _region(from_coords, to_coords, what):
    """Return the ``[y, x]`` corners of an inclusive region as two int pairs."""
    return (int_tuple(from_coords, 2, "from_coords", what, minimum=_INT_MIN),
            int_tuple(to_coords, 2, "to_coords", what, minimum=_INT_MIN))


@register_layer("Flip")
class Flip(Remap):
    """Mirror every sample along ``axis``, in training and inference alike.

    ``axis`` 0 is vertical (rows reversed), 1 horizontal (columns reversed).

    Parameters
    ----------
    parent : Layer
    axis : {0, 1}
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Flip(eddl.Input([3, 4, 6]), 1).shape
    (3, 4, 6)
    """

    prefix = "flip"
    always = True

    def __init__(self, parent, axis=0, name=""):
        if isinstance(axis, bool) or axis not in (0, 1):
            raise ValueError(f"{type(self).__name__}: axis must be 0 (vertical) or 1 "
                             f"(horizontal), got {axis!r}")
        self.axis = int(axis)
        super().__init__([parent], name)

    def flips(self, n):
        """Per-sample booleans: which samples are mirrored."""
        return self.be.xp.ones(n, dtype=bool)

    def index_map(self, n):
        xp = self.be.xp
        h, w = self.shape[1:]
        i, j = self._grid()
        flip = xp.asarray(self.flips(n)).reshape(n, 1, 1)
        if self.axis == 0:
            i = xp.where(flip, h - 1 - i[None], i[None])
            j = xp.broadcast_to(j[None], i.shape)
        else:
            j = xp.where(flip, w - 1 - j[None], j[None])
            i = xp.broadcast_to(i[None], j.shape)
        return self._wrap(i, j)


@register_layer("RandomFlip")
class RandomFlip(Flip):
    """Flip each sample with probability 1/2 along ``axis`` (0: vertical, 1: horizontal).

    Parameters
    ----------
    parent : Layer
    axis : int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomflip"
    always = False

    def __init__(self, parent, axis, name=""):
        super().__init__(parent, axis, name)

    def flips(self, n):
        return self.net.rng.random(n) < 0.5


@register_layer("Crop")
class Crop(Remap):
    """Keep the region ``[from_coords, to_coords]`` (inclusive, ``[y, x]``) of every sample.

    With ``reshape=True`` the output is the region (``to - from + 1`` pixels per axis; parts
    of it outside the input are ``constant``). With ``reshape=False`` the output keeps the
    input's shape: pixels inside the region keep their value and position, every other pixel
    becomes ``constant`` (EDDL's crop "with padding").

    Parameters
    ----------
    parent : Layer
    from_coords, to_coords : list of int
    reshape : bool
        True: the output is the region. False: the output keeps the input's shape, the region
        stays in place and everything else becomes ``constant``.
    constant : float
        Fill for coordinates outside the input (or outside the region, with
        ``reshape=False``).
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([3, 8, 8])
    >>> eddl.Crop(x, [2, 2], [4, 5]).shape
    (3, 3, 4)
    >>> eddl.Crop(x, [2, 2], [4, 5], reshape=False).shape
    (3, 8, 8)
    """

    prefix = "crop"
    always = True

    def __init__(self, parent, from_coords, to_coords, reshape=True, constant=0.0, name=""):
        what = type(self).__name__
        self.c0, self.c1 = _region(from_coords, to_coords, what)
        if reshape not in (True, False):
            raise TypeError(f"{what}: reshape must be a bool, got {reshape!r}")
        self.reshape = bool(reshape)
        self.constant = float(constant)
        super().__init__([parent], name)

    def out_shape(self, s):
        hh, ww = self.c1[0] - self.c0[0] + 1, self.c1[1] - self.c0[1] + 1
        if hh < 1 or ww < 1:
            raise self.shape_error(f"crop [{list(self.c0)}, {list(self.c1)}] is empty")
        return (s[0], hh, ww) if self.reshape else s

    def offsets(self, n):
        return [self.c0[0]] * n, [self.c0[1]] * n

    def index_map(self, n):
        xp = self.be.xp
        i, j = self._grid()
        if not self.reshape:
            w = self.shape[2]
            inside = ((i >= self.c0[0]) & (i <= self.c1[0]) & (j >= self.c0[1])
                      & (j <= self.c1[1]))
            idx = xp.where(inside, (i * w + j).astype("int64"), -1).reshape(1, -1)
            return xp.broadcast_to(idx, (n, idx.shape[1]))
        oy, ox = self.offsets(n)
        return self._wrap(i[None] + xp.asarray(oy, dtype="float64").reshape(n, 1, 1),
                          j[None] + xp.asarray(ox, dtype="float64").reshape(n, 1, 1))


@register_layer("CenteredCrop")
class CenteredCrop(Crop):
    """Central ``size = [h, w]`` crop of every sample, placed as EDDL does.

    The region starts at ``H // 2 - h // 2`` (and ``W // 2 - w // 2``); ``reshape`` as in
    :class:`Crop`.

    Parameters
    ----------
    parent : Layer
    size : list of int
    reshape : bool
        As in :func:`Crop`.
    constant : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "centeredcrop"

    def __init__(self, parent, size, reshape=True, constant=0.0, name=""):
        h, w = int_tuple(size, 2, "size", "CenteredCrop")
        ph, pw = parent.shape[1:] if len(parent.shape) == 3 else (h, w)
        y0, x0 = ph // 2 - h // 2, pw // 2 - w // 2
        super().__init__(parent, [y0, x0], [y0 + h - 1, x0 + w - 1], reshape, constant, name)


@register_layer("RandomCrop")
class RandomCrop(Crop):
    """Random ``new_shape = [h, w]`` crop in training mode, the central crop in inference.

    Parameters
    ----------
    parent : Layer
    new_shape : list of int
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomcrop"

    def __init__(self, parent, new_shape, name=""):
        h, w = int_tuple(new_shape, 2, "new_shape", "RandomCrop")
        ph, pw = parent.shape[1:] if len(parent.shape) == 3 else (h, w)
        if h > ph or w > pw:
            raise ValueError(f"RandomCrop: crop {[h, w]} is larger than the input {[ph, pw]}")
        y0, x0 = (ph - h) // 2, (pw - w) // 2
        super().__init__(parent, [y0, x0], [y0 + h - 1, x0 + w - 1], True, 0.0, name)

    def offsets(self, n):
        if self.mode != TRMODE:
            return super().offsets(n)
        ph, pw = self.parents[0].shape[1:]
        h, w = self.shape[1:]
        rng = self.net.rng
        return rng.integers(0, ph - h + 1, n), rng.integers(0, pw - w + 1, n)


@register_layer("Cutout")
class Cutout(Remap):
    """Set the inclusive region ``[from_coords, to_coords]`` of every sample to ``constant``.

    Coordinates are ``[y, x]``. It applies in training and inference alike; the region must lie
    inside the input.

    Parameters
    ----------
    parent : Layer
    from_coords, to_coords : list of int
        Must satisfy ``0 <= from <= to < size`` on both axes.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Cutout(eddl.Input([1, 8, 8]), [2, 2], [4, 5]).shape
    (1, 8, 8)
    """

    prefix = "cutout"
    always = True

    def __init__(self, parent, from_coords, to_coords, constant=0.0, name=""):
        what = type(self).__name__
        self.c0, self.c1 = _region(from_coords, to_coords, what)
        self.constant = float(constant)
        super().__init__([parent], name)

    def out_shape(self, s):
        (y0, x0), (y1, x1) = self.c0, self.c1
        if not (0 <= y0 <= y1 < s[1] and 0 <= x0 <= x1 < s[2]):
            raise self.shape_error(f"cutout [{list(self.c0)}, {list(self.c1)}] is empty or "
                                   f"outside the {s[1]} x {s[2]} input")
        return s

    def boxes(self, n):
        """Per-sample inclusive ``(y0, x0, y1, x1)`` (an empty box when ``y1 < y0``)."""
        return tuple([float(v)] * n for v in self.c0 + self.c1)

    def index_map(self, n):
        xp = self.be.xp
        w = self.shape[2]
        y0, x0, y1, x1 = (xp.asarray(v, dtype="float64").reshape(n, 1, 1) for v in self.boxes(n))
        i, j = self._grid()
        inside = (i[None] >= y0) & (i[None] <= y1) & (j[None] >= x0) & (j[None] <= x1)
        idx = (i * w + j).astype("int64")[None]
        return xp.where(inside, -1, idx).reshape(n, -1)


@register_layer("RandomCutout")
class RandomCutout(Cutout):
    """Fill a random rectangle of ``factor_y x factor_x`` of the size with ``constant``.

    Parameters
    ----------
    parent : Layer
    factor_x, factor_y : list of float
    constant : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomcutout"
    always = False

    def __init__(self, parent, factor_x, factor_y, constant=0.0, name=""):
        self.fx = range2(factor_x, "RandomCutout factor_x", 0.0, 1.0)
        self.fy = range2(factor_y, "RandomCutout factor_y", 0.0, 1.0)
        super().__init__(parent, [0, 0], [0, 0], constant, name)

    def boxes(self, n):
        rng = self.net.rng
        h, w = self.shape[1:]
        ch = self.be.xp.floor(rng.uniform(*self.fy, n) * h)
        cw = self.be.xp.floor(rng.uniform(*self.fx, n) * w)
        y0 = self.be.xp.floor(rng.random(n) * (h - ch + 1))
        x0 = self.be.xp.floor(rng.random(n) * (w - cw + 1))
        return y0, x0, y0 + ch - 1, x0 + cw - 1


@register_layer("CropScale")
class CropScale(Remap):
    """Crop the inclusive region ``[from_coords, to_coords]`` and scale it back to the input size.

    Coordinates are ``[y, x]``. The scaling is by nearest neighbour: output pixel ``i`` of an
    axis of length ``n`` copies region pixel ``floor(i * m / n)`` (``m`` the region length).
    Parts of the region outside the input are filled by ``da_mode``.

    Parameters
    ----------
    parent : Layer
    from_coords, to_coords : list of int
        The region may extend past the input; those parts are filled by ``da_mode``.
    da_mode : str
        ``"constant"``, ``"original"``, ``"nearest"``, ``"reflect"``, ``"mirror"`` or
        ``"wrap"``.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.CropScale(eddl.Input([3, 8, 8]), [2, 2], [5, 5]).shape
    (3, 8, 8)
    """

    prefix = "cropscale"
    always = True

    def __init__(self, parent, from_coords, to_coords, da_mode="constant", constant=0.0, name=""):
        what = type(self).__name__
        self.c0, self.c1 = _region(from_coords, to_coords, what)
        if self.c1[0] < self.c0[0] or self.c1[1] < self.c0[1]:
            raise ValueError(f"{what}: region [{list(self.c0)}, {list(self.c1)}] is empty")
        self.da_mode = check_mode(da_mode, what)
        self.constant = float(constant)
        super().__init__([parent], name)

    def boxes(self, n):
        """Per-sample ``(y0, x0, height, width)`` of the region."""
        (y0, x0), (y1, x1) = self.c0, self.c1
        return [float(y0)] * n, [float(x0)] * n, [y1 - y0 + 1.0] * n, [x1 - x0 + 1.0] * n

    def index_map(self, n):
        xp = self.be.xp
        h, w = self.shape[1:]
        y0, x0, hc, wc = (xp.asarray(v, dtype="float64").reshape(n, 1, 1) for v in self.boxes(n))
        i, j = self._grid()
        return self._wrap(y0 + xp.floor(i[None] * hc / h), x0 + xp.floor(j[None] * wc / w))


@register_layer("RandomCropScale")
class RandomCropScale(CropScale):
    """Crop a random region and scale it back to the full size.

    Each side of the region is a random ``factor = [min, max]`` of the input's side (the same
    factor for both); the region lies inside the input.

    Parameters
    ----------
    parent : Layer
    factor : list of float
    da_mode : str
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomcropscale"
    always = False

    def __init__(self, parent, factor, da_mode="nearest", name=""):
        self.factor = range2(factor, "RandomCropScale factor", 1e-6, 1.0)
        super().__init__(parent, [0, 0], [0, 0], da_mode, 0.0, name)

    def boxes(self, n):
        rng = self.net.rng
        h, w = self.shape[1:]
        f = rng.uniform(*self.factor, n)
        hc = self.be.xp.maximum(self.be.xp.round(f * h), 1.0)
        wc = self.be.xp.maximum(self.be.xp.round(f * w), 1.0)
        return (self.be.xp.floor(rng.random(n) * (h - hc + 1)),
                self.be.xp.floor(rng.random(n) * (w - wc + 1)),
                hc, wc)


@register_layer("Rotate", params="parent, angle, offset_center=[0, 0], da_mode='original', "
                          "constant=0.0, name=''")
class Rotate(Affine):
    """Rotate every sample by ``angle`` degrees, in training and inference alike.

    The rotation is about the sample's centre (``(H - 1) / 2``, ``(W - 1) / 2``) moved by
    ``offset_center = [y, x]``. A positive angle turns the image clockwise as displayed (row 0
    at the top), as EDDL does: the result is
    ``scipy.ndimage.rotate(x, -angle, reshape=False, order=0)`` with the matching border mode.

    Parameters
    ----------
    parent : Layer
    angle : float
    offset_center : list of float
        ``[y, x]`` offset of the rotation centre from the image centre.
    da_mode : str
        Fill for pixels from outside the input: ``"original"`` keeps the input pixel,
        ``"constant"``, ``"nearest"``, ``"reflect"``, ``"mirror"`` or ``"wrap"``.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Rotate(eddl.Input([3, 8, 8]), 30.0, da_mode="constant").shape
    (3, 8, 8)
    """

    prefix = "rotate"
    always = True

    def __init__(self, parent, angle, offset_center=(0, 0), da_mode="original", constant=0.0,
                 name=""):
        what = type(self).__name__
        self.angle = finite(angle, "angle", what)
        try:
            oy, ox = offset_center
        except (TypeError, ValueError):
            raise ValueError(
                f"{what}: offset_center must be [y, x], got {offset_center!r}") from None
        self.offset = (finite(oy, "offset_center", what), finite(ox, "offset_center", what))
        self.da_mode = check_mode(da_mode, what)
        self.constant = float(constant)
        super().__init__([parent], name)

    def angles(self, rng, n):
        return [self.angle] * n

    def draw(self, rng, n):
        one, zero = [1.0] * n, [0.0] * n
        return self.angles(rng, n), one, one, zero, zero


@register_layer("RandomRotation", params="parent, factor, offset_center=[0, 0], "
                                  "da_mode='original', constant=0.0, name=''")
class RandomRotation(Rotate):
    """Rotate each sample by an angle drawn from ``factor = [min, max]`` degrees.

    Parameters
    ----------
    parent : Layer
    factor : list of float
    offset_center : list of float
    da_mode : str
        Fill for pixels from outside the input: ``"original"`` keeps the input pixel,
        ``"constant"``, ``"nearest"``, ``"reflect"``, ``"mirror"`` or ``"wrap"``.
    constant : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomrotation"
    always = False

    def __init__(self, parent, factor, offset_center=(0, 0), da_mode="original", constant=0.0,
                 name=""):
        self.factor = range2(factor, "RandomRotation factor")
        super().__init__(parent, 0.0, offset_center, da_mode, constant, name)

    def angles(self, rng, n):
        return rng.uniform(*self.factor, n)


@register_layer("RandomScale")
class RandomScale(Affine):
    """Zoom each sample about its centre by a factor drawn from ``factor = [min, max]``.

    Parameters
    ----------
    parent : Layer
    factor : list of float
    da_mode : str
    constant : float
    coordinate_transformation_mode : str
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomscale"

    def __init__(self, parent, factor, da_mode="nearest", constant=0.0,
                 coordinate_transformation_mode="asymmetric", name=""):
        self.factor = range2(factor, "RandomScale factor", 1e-6)
        self.da_mode = check_mode(da_mode, "RandomScale")
        self.constant = float(constant)
        super().__init__([parent], name)

    def draw(self, rng, n):
        s = rng.uniform(*self.factor, n)
        return [0.0] * n, s, s, [0.0] * n, [0.0] * n


@register_layer("Shift")
class Shift(Affine):
    """Translate every sample by ``shift = [y, x]`` pixels, in training and inference alike.

    Positive shifts move down and right; uncovered pixels are filled by ``da_mode``.

    Parameters
    ----------
    parent : Layer
    shift : list of int
    da_mode : str
        Fill for uncovered pixels, as in :func:`Rotate`.
    constant : float
    name : str

    Returns
    -------
    Layer

    Examples
    --------
    >>> import eddl
    >>> eddl.Shift(eddl.Input([3, 8, 8]), [2, -1], da_mode="constant").shape
    (3, 8, 8)
    """

    prefix = "shift"
    always = True

    def __init__(self, parent, shift, da_mode="nearest", constant=0.0, name=""):
        what = type(self).__name__
        self.shift = int_tuple(shift, 2, "shift", what, minimum=_INT_MIN)
        self.da_mode = check_mode(da_mode, what)
        self.constant = float(constant)
        super().__init__([parent], name)

    def shifts(self, rng, n):
        """Per-sample ``(shift_y, shift_x)`` in pixels."""
        return [float(self.shift[0])] * n, [float(self.shift[1])] * n

    def draw(self, rng, n):
        one, zero = [1.0] * n, [0.0] * n
        return (zero, one, one) + tuple(self.shifts(rng, n))


@register_layer("RandomShift")
class RandomShift(Shift):
    """Translate each sample by fractions of its size drawn from ``factor_x``/``factor_y``.

    Parameters
    ----------
    parent : Layer
    factor_x, factor_y : list of float
    da_mode : str
    constant : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "randomshift"
    always = False

    def __init__(self, parent, factor_x, factor_y, da_mode="nearest", constant=0.0, name=""):
        self.fx = range2(factor_x, "RandomShift factor_x", -1.0, 1.0)
        self.fy = range2(factor_y, "RandomShift factor_y", -1.0, 1.0)
        super().__init__(parent, [0, 0], da_mode, constant, name)

    def shifts(self, rng, n):
        h, w = self.shape[1:]
        return rng.uniform(*self.fy, n) * h, rng.uniform(*self.fx, n) * w


# --- PyEDDL names of fixed-axis flips -----------------------------------------------------------

register_factory("HorizontalFlip", Flip, params="parent, name=''", fixed={"axis": 1},
                 doc="Horizontal :func:`Flip` (columns reversed).")
register_factory("VerticalFlip", Flip, params="parent, name=''", fixed={"axis": 0},
                 doc="Vertical :func:`Flip` (rows reversed).")
register_factory("RandomHorizontalFlip", RandomFlip, params="parent, name=''", fixed={"axis": 1},
                 doc="Horizontal :func:`RandomFlip`.")
register_factory("RandomVerticalFlip", RandomFlip, params="parent, name=''", fixed={"axis": 0},
                 doc="Vertical :func:`RandomFlip`.")
