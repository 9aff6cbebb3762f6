"""Shared helpers of the Python wrappers of ecvl's compiled kernels.

What every compiled ecvl kernel's Python wrapper shares: the border-mode parser, the
thread-grain rule and the adapter between an :class:`~ecvl.core.image.Image` and the
canonical array the kernels read.

The Cython side of the same vocabulary (the fused pixel type and the saturating store) is
``ecvl/_pixel.pxd``.
"""

import numbers

import numpy as np

from _deephealth.runtime import get_num_threads

from .core.enums import BorderType
from .core.errors import EcvlTypeError, EcvlValueError
from .core.layout import canonical_order

__all__ = []

# Names a border may be given by, besides BorderType members, their values and their names
# with or without the "BORDER_" prefix: NumPy's and OpenCV's spellings.
_BORDER_ALIASES = {
    "EDGE": BorderType.BORDER_REPLICATE,
    "SYMMETRIC": BorderType.BORDER_REFLECT,
    "REFLECT101": BorderType.BORDER_REFLECT_101,
    "DEFAULT": BorderType.BORDER_REFLECT_101,
}


def parse_border(value, op, allow_transparent=True):
    """Parse a border into a :class:`BorderType`.

    Accepts a member, its value or a name (``"reflect_101"``, ``"BORDER_WRAP"``,
    ``"edge"``, ...); anything else raises a clear error naming `op`.
    """
    if type(value) is BorderType:
        bt = value
    else:
        try:
            if isinstance(value, str):
                name = value.upper()
                name = name[len("BORDER_"):] if name.startswith("BORDER_") else name
                bt = _BORDER_ALIASES.get(name) or BorderType["BORDER_" + name]
            elif isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
                bt = BorderType(int(value))
            else:
                raise ValueError
        except (KeyError, ValueError):
            raise EcvlValueError(
                f"{op}: unknown border type {value!r}; use one of "
                f"{', '.join(m.name for m in BorderType)}") from None
    if bt is BorderType.BORDER_TRANSPARENT and not allow_transparent:
        raise EcvlValueError(f"{op}: BORDER_TRANSPARENT is not supported here")
    return bt


def border_choices():
    """Return every border name :func:`parse_border` accepts: the choices of a parameter.

    The names are lower-case and map to the kernels' name
    (``{"border_reflect101": "reflect_101", ...}``).
    """
    names = {m.name[len("BORDER_"):]: m for m in BorderType}
    names.update(_BORDER_ALIASES)
    out = {}
    for spelling, bt in names.items():
        name = bt.name[len("BORDER_"):].lower()
        out[spelling.lower()] = out["border_" + spelling.lower()] = name
    return out


# border_name's answers for the values seen so far, keyed by (type, value) so that True never
# passes for 1: parsing a name costs small images a microsecond on every call
_BORDER_NAMES = {}


def border_name(value, op):
    """Return the kernels' lower-case name of a border (``"reflect_101"``); transparent is refused."""
    key = (type(value), value)
    try:
        return _BORDER_NAMES[key]
    except (KeyError, TypeError):  # TypeError: an unhashable value, which parse_border refuses
        pass
    name = parse_border(value, op, allow_transparent=False).name[len("BORDER_"):].lower()
    if len(_BORDER_NAMES) < 256:
        _BORDER_NAMES[key] = name
    return name


def threads(work=None, grain=1):
    """Return the number of threads for a kernel doing `work` units.

    That is every configured thread, but no more than one per `grain` units (at least one).

    A grain is about a millisecond of kernel time: below it, waking a sleeping OpenMP worker
    (and, on a busy machine, waiting for one the OS has paused) costs more than it saves.
    """
    n = int(get_num_threads())
    if work is not None:
        n = max(1, min(n, int(work) // grain))
    return n


def spatial_letters(ndim):
    """Canonical spatial axis letters of an ``ndim``-dimensional canonical array."""
    return "zyx"[4 - ndim:]


def canonical_array(img, op, exc=None):
    """Return the canonical array of a non-empty :class:`~ecvl.core.image.Image`.

    It is a view of the image's storage for images ecvl made; anything else raises a clear
    error naming `op`.
    """
    from .core.image import Image

    if not isinstance(img, Image):
        raise EcvlTypeError(f"{op}: expected an ecvl.Image, got {type(img).__name__}")
    if img.IsEmpty():
        raise (exc or EcvlValueError)(f"{op}: the source image is empty")
    return img.canonical()


class CanonicalImage:
    """An :class:`~ecvl.core.image.Image` seen as the canonical array the kernels read.

    The canonical array is ``(H, W, C)`` or ``(D, H, W, C)``; :meth:`result` is the way back
    to an image like the source.

    Whatever order the image declares its axes in, its canonical array has them in
    ``(z,) y, x, c`` order (:mod:`ecvl.core.layout`), so this is a view of its storage.

    Parameters
    ----------
    img : Image
        The source.
    op : str
        Name used in error messages.
    volumes : bool, optional
        Whether ``(x, y, z)`` volumes are accepted.
    exc : type, optional
        Exception raised for a wrong image (ecvl's own by default).
    """

    def __init__(self, img, op, volumes=True, exc=None):
        arr = canonical_array(img, op, exc)
        ch = img.channels_
        cax = canonical_order(ch)[1]
        spatial = sorted(letter for i, letter in enumerate(ch) if i != cax)
        if spatial not in (["x", "y"], ["x", "y", "z"]) or (len(spatial) == 3 and not volumes):
            kind = "x, y" + (" and optionally z" if volumes else "")
            raise (exc or EcvlValueError)(
                f"{op}: needs an image whose spatial axes are {kind}; channels {ch!r} are "
                f"neither a 2-D image (x, y){' nor a volume (x, y, z)' if volumes else ''}")
        self.img, self.op = img, op
        self.arr = arr

    def size(self, letter):
        return self.arr.shape[spatial_letters(self.arr.ndim).index(letter)]

    def spacings(self):
        """Return the source's spacings in canonical spatial order, or None."""
        sp, ch = self.img.spacings_, self.img.channels_
        if not sp:
            return None
        return [float(sp[ch.index(letter)]) for letter in spatial_letters(self.arr.ndim)]

    def result(self, arr, spacing_factor=None, swap_xy=False, spacings=None, contiguous=True):
        """Wrap a canonical result array as an image like the source.

        Spacings follow the geometry: multiplied per axis letter by `spacing_factor`, x and
        y exchanged by `swap_xy`, or replaced by `spacings` (canonical spatial order). With
        `contiguous`, the image's storage is made contiguous (a copy only where it is not).
        """
        sp = list(self.img.spacings_)
        ch = self.img.channels_
        if sp and spacing_factor:
            for letter, f in spacing_factor.items():
                sp[ch.index(letter)] *= f
        if sp and swap_xy:
            ix, iy = ch.index("x"), ch.index("y")
            sp[ix], sp[iy] = sp[iy], sp[ix]
        if sp and spacings is not None:
            for letter, s in zip(spatial_letters(arr.ndim), spacings):
                sp[ch.index(letter)] = s
        if contiguous:
            arr = np.ascontiguousarray(arr)
        return self.img.new_like(arr, spacings=sp if sp else None)

