"""Shared plumbing of the image-level geometric functions.

:class:`_View` puts an image's canonical array in ``(z,) y, x`` order and wraps results back as
images like the source (spacings following the geometry); :func:`_xy_list` turns ECVL's x-first
lists into canonical order.
"""

import numpy as np

from ...core.errors import EcvlTypeError, EcvlValueError
from ...core.image import Image
from ...core.layout import canonical_order


class _View:
    """An image's canonical array with its spatial axes put in ``(z,) y, x`` order."""

    def __init__(self, img, op, volumes=True):
        if not isinstance(img, Image):
            raise EcvlTypeError(f"{op}: expected an ecvl.Image, got {type(img).__name__}")
        if img.IsEmpty():
            raise EcvlValueError(f"{op}: the source image is empty")
        self.img, self.op = img, op
        ch = img.channels_
        perm, cax = canonical_order(ch)
        self.letters = [ch[p] for p in perm if p != cax]  # canonical spatial letters
        want = ["y", "x"] if len(self.letters) == 2 else ["z", "y", "x"]
        if sorted(self.letters) != sorted(want) or (len(want) == 3 and not volumes):
            kind = "x, y" + (" and optionally z" if volumes else "")
            raise EcvlValueError(f"{op}: needs an image whose spatial axes are {kind}; got channels "
                                 f"{ch!r}")
        self.order = [self.letters.index(l) for l in want] + [len(self.letters)]
        self.arr = np.ascontiguousarray(img.canonical().transpose(self.order))

    def size(self, letter):
        return self.arr.shape["zyx"[4 - self.arr.ndim:].index(letter)]

    def result(self, arr, spacing_factor=None, swap_xy=False):
        """Wrap a result array (standard order) as an image like the source."""
        out = np.ascontiguousarray(arr.transpose(np.argsort(self.order)))
        sp = list(self.img.spacings_)
        ch = self.img.channels_
        if sp and spacing_factor:
            for letter, f in spacing_factor.items():
                sp[ch.index(letter)] *= f
        if sp and swap_xy:
            ix, iy = ch.index("x"), ch.index("y")
            sp[ix], sp[iy] = sp[iy], sp[ix]
        return self.img.new_like(out, spacings=sp if sp else None)


def _xy_list(values, n, op, what):
    """ECVL x-first list -> canonical order (reversed)."""
    try:
        vals = list(values)
    except TypeError:
        raise EcvlValueError(f"{op}: {what} must be a list, got {values!r}") from None
    if len(vals) not in n:
        raise EcvlValueError(f"{op}: {what} must have {' or '.join(map(str, n))} values, got {vals}")
    return vals[::-1]
