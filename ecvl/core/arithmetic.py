"""Arithmetic between images and with scalars, with ECVL's saturating integer semantics.

The operation is computed in a type wide enough to hold the exact result (a wider
integer, or float64 when a float is involved or for division). A fractional result
stored in an integer destination is truncated toward zero, with ``saturate=True`` as
without it (ECVL 1.0.3, ``cpu_hal_arithmetic.cpp``: integer operands divide as C
integers, and its ``saturate_cast`` clamps, then casts); the result is then clamped
to the destination type when ``saturate=True`` and wrapped like a C cast otherwise.
Integer division by zero gives 0, as in OpenCV (ECVL's C division traps); float
division follows IEEE rules.
"""

import math
import numbers

import numpy as np

from _deephealth.runtime import get_num_threads

from . import _arith
from .convert import KERNEL_TYPES, saturate_cast
from .enums import DataType
from .errors import EcvlTypeError, EcvlValueError
from .image import Image

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "add", "sub", "mul", "div", "neg"]


def _operand(x, op):
    if isinstance(x, Image):
        return x._canonical_view() if not x.IsEmpty() else x.canonical()
    if isinstance(x, (numbers.Real, np.number)) and not isinstance(x, (bool, np.bool_)):
        return x
    raise EcvlTypeError(f"{op}: operands must be Images or real scalars, got {type(x).__name__}")


def _work_dtype(op, a, b, dst):
    kinds = [x.dtype for x in (a, b) if isinstance(x, np.ndarray)]
    scalars = [x for x in (a, b) if not isinstance(x, np.ndarray)]
    if op == "div" or dst.kind == "f" or any(k.kind == "f" for k in kinds) \
            or any(isinstance(s, (float, np.floating)) and not float(s).is_integer() for s in scalars):
        if dst == np.float32 and all(k == np.float32 for k in kinds) and not scalars:
            return np.dtype(np.float32)
        return np.dtype(np.float64)
    small = all(k.itemsize <= (1 if op == "mul" else 2) for k in kinds) and all(abs(s) < 2 ** 15 for s in scalars)
    return np.dtype(np.int32 if small else np.int64)


_UFUNC = {"add": np.add, "sub": np.subtract, "mul": np.multiply}
# An Image meeting a NumPy array behaves as its x-first array (``np.asarray(img)``) in both
# operand orders: what PyECVL gives, where NumPy reads the Image through the buffer protocol.
_NUMPY = dict(_UFUNC, div=np.true_divide)


_OPCODE = {"add": 0, "sub": 1, "mul": 2, "div": 3}


def _kernel(op, a, b, dst, saturate, wt):
    """Run the compiled kernel when it applies; return None to use the NumPy path."""
    # Wrapping (saturate=False) integer results can exceed double's exact range, and the
    # kernel rounds fractional results where ECVL truncates them: NumPy path for both.
    if dst not in KERNEL_TYPES or (dst.kind != "f" and (not saturate or wt.kind == "f")):
        return None
    arrays = [x for x in (a, b) if isinstance(x, np.ndarray)]
    if any(x.dtype not in KERNEL_TYPES for x in arrays):
        return None
    n = get_num_threads()
    if len(arrays) == 2:
        if a.dtype != b.dtype or a.shape != b.shape:
            return None
        out = np.empty(a.shape, dst)
        _arith.binop(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1),
                     out.reshape(-1), _OPCODE[op], n)
        return out
    arr, s, swap = (a, b, False) if isinstance(a, np.ndarray) else (b, a, True)
    s = float(s)
    if not math.isfinite(s) or abs(s) >= 2.0 ** 53:
        return None
    out = np.empty(arr.shape, dst)
    _arith.binop_scalar(np.ascontiguousarray(arr).reshape(-1), s, out.reshape(-1), _OPCODE[op], swap, n)
    return out


def _compute(op, a, b, dst_dtype, saturate):
    dst = DataType.parse(dst_dtype).numpy_dtype
    wt = _work_dtype(op, a, b, dst)
    res = _kernel(op, a, b, dst, saturate, wt)
    if res is not None:
        return res
    x = np.asarray(a, dtype=wt) if isinstance(a, np.ndarray) else wt.type(a)
    y = np.asarray(b, dtype=wt) if isinstance(b, np.ndarray) else wt.type(b)
    if op == "div":
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.true_divide(x, y)
        if dst.kind != "f":
            r = np.where(np.asarray(y) == 0, 0.0, r)
    else:
        r = _UFUNC[op](x, y)
    r = np.asarray(r)
    if dst.kind != "f" and r.dtype.kind == "f":
        r = np.trunc(r)  # toward zero, as C integer division and ECVL's saturate_cast
    return saturate_cast(r, dst, saturate)


def _check_shapes(op, a, b):
    if isinstance(a, Image) and isinstance(b, Image):
        if a.IsEmpty() or b.IsEmpty():
            raise EcvlValueError(f"{op}: an operand image is empty")
        if a.dims_ != b.dims_ or a.channels_ != b.channels_:
            raise EcvlValueError(
                f"{op}: operand images differ: dims {a.dims_} {a.channels_!r} vs {b.dims_} {b.channels_!r}")


def _binary(op, src1, src2, dtype=None, saturate=True):
    name = op.capitalize()
    _check_shapes(name, src1, src2)
    ref = src1 if isinstance(src1, Image) else src2
    if not isinstance(ref, Image):
        raise EcvlTypeError(f"{name}: at least one operand must be an Image")
    ref._need_data(name)
    dt = DataType.parse(dtype)
    if dt is DataType.none:
        dt = ref.elemtype_
    res = _compute(op, _operand(src1, name), _operand(src2, name), dt, saturate)
    return ref.new_like(res)


def _dst_type(dst, dst_type, src1):
    dt = DataType.parse(dst_type)
    if dt is DataType.none and not dst.IsEmpty():
        dt = dst.elemtype_
    if dt is DataType.none:
        dt = (src1 if isinstance(src1, Image) else dst).elemtype_
    return dt


def _make_pair(op):
    def pythonic(src1, src2, dtype=None, saturate=True):
        return _binary(op, src1, src2, dtype, saturate)

    def pyecvl(src1, src2, dst, dst_type=DataType.none, saturate=True):
        if not isinstance(dst, Image):
            raise EcvlTypeError(f"{op.capitalize()}: dst must be an Image, got {type(dst).__name__}")
        dst._assign(_binary(op, src1, src2, _dst_type(dst, dst_type, src1), saturate))

    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
    pythonic.__name__ = pythonic.__qualname__ = op
    pythonic.__doc__ = f"""Return ``src1 {sym} src2`` as a new image, saturated to the result type.

    Parameters
    ----------
    src1, src2 : Image or scalar
        Operands; at least one is an Image, and two images must have the same dims
        and channels.
    dtype : DataType, optional
        Result type (default: the type of the first image operand).
    saturate : bool, optional
        Clamp to the result type (default) or wrap like a C cast. Fractional
        results in an integer type are truncated toward zero either way.

    Returns
    -------
    Image
        The result, with the attributes of the first image operand.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = ecvl.Image.fromarray(np.array([[200, 10]], np.uint8), "xy")
    >>> np.asarray(ecvl.{op}(a, 100)).tolist()
    {_example(op)}
    """
    pyecvl.__name__ = pyecvl.__qualname__ = op.capitalize()
    pyecvl.__doc__ = f"""Compute ``src1 {sym} src2`` into `dst` (PyECVL form).

    `dst` gets type `dst_type`, else its own type if it has data, else that of `src1`.
    `dst` may be `src1` or `src2`.

    Parameters
    ----------
    src1, src2 : Image or scalar
        Operands; at least one is an Image.
    dst : Image
        Destination.
    dst_type : DataType, optional
        Result type.
    saturate : bool, optional
        Clamp to the result type (default) or wrap like a C cast. Fractional
        results in an integer type are truncated toward zero either way.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = ecvl.Image.fromarray(np.array([[200, 10]], np.uint8), "xy")
    >>> ecvl.{op.capitalize()}(a, 100, a)
    >>> np.asarray(a).tolist()
    {_example(op)}
    """
    return pythonic, pyecvl


def _example(op):
    a = np.array([[200, 10]], np.int64)
    r = {"add": a + 100, "sub": a - 100, "mul": a * 100, "div": np.trunc(a / 100)}[op]
    return str(np.clip(r, 0, 255).astype(int).tolist())


add, Add = _make_pair("add")
sub, Sub = _make_pair("sub")
mul, Mul = _make_pair("mul")
div, Div = _make_pair("div")


def neg(img, dtype=None, saturate=True):
    """Return ``-img`` saturated to the result type (int8 -128 becomes 127).

    Parameters
    ----------
    img : Image
        Source image.
    dtype : DataType, optional
        Result type (default: that of `img`).
    saturate : bool, optional
        Clamp (default) or wrap.

    Returns
    -------
    Image
        The negated image.

    Examples
    --------
    >>> import ecvl, numpy as np
    >>> a = ecvl.Image.fromarray(np.array([[-128, 5]], np.int8), "xy")
    >>> np.asarray(ecvl.neg(a)).tolist()
    [[127, -5]]
    """
    return _binary("sub", 0, img, dtype, saturate)


def Neg(src, dst, dst_type=DataType.none, saturate=True):
    """Negate `src` into `dst` (PyECVL form; `dst` may be `src`).

    Parameters
    ----------
    src : Image
        Source image.
    dst : Image
        Destination.
    dst_type : DataType, optional
        Result type.
    saturate : bool, optional
        Clamp (default) or wrap.
    """
    dst._assign(_binary("sub", 0, src, _dst_type(dst, dst_type, src), saturate))


def _install_operators():
    def inplace(op):
        def method(self, other, saturate=True):
            _binary_into(op, self, other, saturate)
            return self
        method.__name__ = op.capitalize()
        method.__doc__ = f"In place ``self {op} other`` with saturation to this image's type (PyECVL)."
        return method

    def _binary_into(op, img, other, saturate):
        img._assign(_binary(op, img, other, img.elemtype_, saturate))

    def forward(op):
        def method(self, other):
            if _is_operand(other):
                return _binary(op, self, other)
            if isinstance(other, np.ndarray):
                return _NUMPY[op](np.asarray(self), other)
            return NotImplemented
        return method

    def reflected(op):
        def method(self, other):
            if _is_operand(other):
                return _binary(op, other, self)
            if isinstance(other, np.ndarray):
                return _NUMPY[op](other, np.asarray(self))
            return NotImplemented
        return method

    def augmented(op):
        def method(self, other):
            if isinstance(other, np.ndarray):
                # an array of the image's dims is an image with its channels: the result
                # stays this Image, saturated to its type, as `img += other_image`
                other = Image.fromarray(other.astype(self.dtype, copy=False)
                                        if other.dtype == np.bool_ else other, self.channels_)
            if not _is_operand(other):
                return NotImplemented
            _binary_into(op, self, other, True)
            return self
        return method

    for op in ("add", "sub", "mul", "div"):
        name = "truediv" if op == "div" else op
        setattr(Image, op.capitalize(), inplace(op))
        setattr(Image, f"__{name}__", forward(op))
        setattr(Image, f"__r{name}__", reflected(op))
        setattr(Image, f"__i{name}__", augmented(op))

    def _neg_method(self, saturate=True):
        Neg(self, self, saturate=saturate)
        return self

    Image.Neg = _neg_method
    Image.Neg.__doc__ = "Negate in place with saturation (PyECVL)."
    Image.__neg__ = lambda self: neg(self)


def _is_operand(x):
    return isinstance(x, Image) or (isinstance(x, (numbers.Real, np.number)) and not isinstance(x, (bool, np.bool_)))


_install_operators()
