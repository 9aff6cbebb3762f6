"""Shared plumbing of the image-level geometric functions.

:class:`_View` is the one Image-to-canonical-array adapter
(:class:`ecvl._kernels.CanonicalImage`): the image's canonical array, whose spatial axes are
``(z,) y, x`` whatever order the image declares, and results wrapped back as images like the
source (spacings following the geometry); :func:`_apply` runs an array function through it;
:func:`_xy_list` turns ECVL's x-first lists into
canonical order.
"""

from ..._kernels import CanonicalImage as _View  # noqa: F401 (used by the *_api modules)
from ...core.errors import EcvlValueError


def _apply(src, op, fn, *args, volumes=True, swap_xy=False):
    """Run the array function ``fn(canonical, *args)`` on `src`; wrap the result like `src`."""
    v = _View(src, op, volumes=volumes)
    return v.result(fn(v.arr, *args), swap_xy=swap_xy)


def _xy_list(values, n, op, what):
    """ECVL x-first list -> canonical order (reversed)."""
    try:
        vals = list(values)
    except TypeError:
        raise EcvlValueError(f"{op}: {what} must be a list, got {values!r}") from None
    if len(vals) not in n:
        raise EcvlValueError(f"{op}: {what} must have {' or '.join(map(str, n))} values, got {vals}")
    return vals[::-1]
