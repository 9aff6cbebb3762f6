"""NumPy interop, views and copies of :class:`~ecvl.core.image.Image` objects.

The functions here are bound as methods in the class body of :class:`~ecvl.core.image.Image`
(``canonical``, ``to_numpy``, ``__array__``, slicing, ``crop``, ``copy``).
"""

import copy as _copy

import numpy as np

from . import layout as _layout
from .errors import EcvlValueError

__all__ = []


def canonical_view(self):
    perm, ch = _layout.canonical_order(self._channels)
    v = self._data.transpose(perm)
    return v if ch is not None else v[..., None]


def canonical(self):
    """Return the canonical array (``(H, W, C)`` for 2-D, ``(D, H, W, C)`` for volumes).

    Returns
    -------
    numpy.ndarray
        A zero-copy C-contiguous view when the storage is canonical (always for
        images ecvl made), otherwise a C-contiguous copy.
    """
    v = self._canonical_view() if self._data is not None else self._need_data("Image.canonical")
    return v if v.flags.c_contiguous else np.ascontiguousarray(v)


def to_numpy(self, layout=None, copy=False):
    """Return the data as an array with axes in the order of `layout`.

    Parameters
    ----------
    layout : str, optional
        A permutation of ``channels_`` (e.g. ``"yxc"`` for plotting); default is
        the image's own order. A channels string without a ``c`` axis may be
        given with a trailing ``c`` to get a size-1 channel axis.
    copy : bool, optional
        Return a copy instead of a view.

    Returns
    -------
    numpy.ndarray
        A view (unless `copy`) of the data.

    Examples
    --------
    >>> import ecvl
    >>> img = ecvl.Image([5, 4, 3], ecvl.DataType.uint8, "xyc", ecvl.ColorType.RGB)
    >>> img.to_numpy("yxc").shape
    (4, 5, 3)
    """
    a = self._need_data("Image.to_numpy")
    if layout is not None and layout != self._channels:
        src = self._channels
        if len(layout) == len(src) + 1 and layout[-1] == "c" and "c" not in src:
            a, src = a[..., None], src + "c"
        if sorted(layout) != sorted(src):
            raise EcvlValueError(f"to_numpy: layout {layout!r} is not a permutation of {self._channels!r}")
        a = a.transpose([src.index(letter) for letter in layout])
    return a.copy() if copy else a


def __array__(self, dtype=None, copy=None):
    a = self._need_data("numpy conversion")
    if dtype is not None and np.dtype(dtype) != a.dtype:
        if copy is False:
            raise ValueError("converting an Image to another dtype needs a copy")
        return a.astype(dtype)
    return a.copy() if copy else a


def __len__(self):
    return 0 if self._data is None else self._data.shape[0]


# ------------------------------------------------------------------ views and copies
def __getitem__(self, index):
    """Return a view of a region; `index` is a tuple of slices in ``channels_`` order.

    Integers select one plane but keep the axis (size 1). Steps scale the spacings.
    """
    a = self._need_data("Image slicing")
    if not isinstance(index, tuple):
        index = (index,)
    if len(index) > a.ndim:
        raise EcvlValueError(f"Image slicing: {len(index)} indices for {a.ndim} axes {self._channels!r}")
    slices = []
    for axis, ix in enumerate(index):
        if isinstance(ix, (int, np.integer)):
            n = a.shape[axis]
            if not -n <= ix < n:
                raise EcvlValueError(f"Image slicing: index {ix} outside axis {self._channels[axis]!r} of size {n}")
            ix = int(ix) % n
            ix = slice(ix, ix + 1)
        elif not isinstance(ix, slice):
            raise EcvlValueError(f"Image slicing accepts slices and integers, got {type(ix).__name__}")
        slices.append(ix)
    view = a[tuple(slices)]
    if view.size == 0:
        raise EcvlValueError(f"Image slicing: {index} selects an empty region of dims {list(a.shape)}")
    out = type(self)()
    out._data = view
    out._channels = self._channels
    out._colortype = self._colortype
    if self._spacings:
        steps = [s.indices(n)[2] for s, n in zip(slices, a.shape)] + [1] * (a.ndim - len(slices))
        out._spacings = [sp * abs(st) for sp, st in zip(self._spacings, steps)]
    out.meta_ = self.meta_
    return out


def __setitem__(self, index, value):
    view = self[index]
    view._data[...] = np.asarray(value)  # an Image gives its x-first view, as its dims


def crop(self, x, y, w, h):
    """Return a view of the ``w`` x ``h`` region whose top-left corner is (`x`, `y`).

    Parameters
    ----------
    x, y : int
        Top-left corner.
    w, h : int
        Width and height.

    Returns
    -------
    Image
        A view sharing memory with this image.
    """
    self._need_data("Image.crop")
    W, H = self.Width(), self.Height()
    if not (0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= W and y + h <= H):
        raise EcvlValueError(f"Image.crop: region x={x} y={y} w={w} h={h} is outside the {W}x{H} image")
    index = [slice(None)] * self.ndim
    index[self._channels.index("x")] = slice(x, x + w)
    index[self._channels.index("y")] = slice(y, y + h)
    return self[tuple(index)]


def copy(self):
    """Return a deep copy (data in canonical storage, metadata copied)."""
    out = type(self)()
    if self._data is not None:
        canon = self._canonical_view().copy(order="C")
        out._set_storage(canon, self._channels)
        out._owner = True
    out._colortype = self._colortype
    out._spacings = list(self._spacings)
    out.meta_ = _copy.deepcopy(self.meta_)
    return out


def __deepcopy__(self, memo):
    return self.copy()
