"""PyECVL's "src, dst" forms of the pythonic Image functions, one declaration each.

``Rotate2D = pyecvl_twin(rotate2d, "Rotate2D")`` gives ``Rotate2D(src, dst, angle, ...)``:
the same parameters as :func:`ecvl.rotate2d` with ``dst`` after the first, and the result
written into ``dst`` instead of returned.
"""

from _deephealth.registry import output_alias

from .errors import EcvlTypeError
from .image import Image

__all__ = []


def write_into(dst, result, op):
    """Write the Image ``result`` of operation ``op`` into the PyECVL destination ``dst``."""
    if not isinstance(dst, Image):
        raise EcvlTypeError(f"{op}: dst must be an ecvl.Image (use Image.empty()), got "
                            f"{type(dst).__name__}")
    dst._assign(result)


def pyecvl_twin(func, name, renamed=None):
    """``func``'s PyECVL twin ``name(src, dst, ...)``, writing into ``dst``.

    ``renamed`` maps PyECVL parameter names to ``func``'s where they differ.
    """
    pythonic = f":func:`ecvl.{func.__name__}`"
    spelled = "".join(f"\n``{k}`` is ``{v}`` there." for k, v in (renamed or {}).items())
    return output_alias(func, name, write_into, renamed=renamed, doc=(
        f"PyECVL form of {pythonic}, writing into ``dst``.\n\n"
        f"The parameters are those of {pythonic}, with ``dst`` after the first: an\n"
        f":class:`ecvl.Image` that receives the result (``Image.empty()`` or ``src`` itself\n"
        f"are fine).{spelled}\n"))
