"""Python operators of :class:`~eddl.Tensor` (``+ - * / ** % @``, comparisons, unary)."""

import numpy as np

from ._base import TensorBase
from ._checks import is_scalar

__all__ = ["OperatorMixin"]


def _binop(op, name, reverse=False, inplace=False):
    def method(self, other):
        if not (isinstance(other, (TensorBase, np.ndarray)) or is_scalar(other)):
            return NotImplemented
        return self._binary(op, other, name, inplace=inplace, reverse=reverse)
    method.__name__ = f"__{'r' if reverse else 'i' if inplace else ''}{name}__"
    return method


def _ibinop(op, name):
    return _binop(op, name, inplace=True)


class OperatorMixin(TensorBase):
    """Operators; comparisons return bool tensors, so tensors hash by identity."""

    __hash__ = object.__hash__
    # No __array_priority__: NumPy would then defer even ``ndarray += tensor`` to __radd__ and
    # rebind the array name to a new Tensor. ``ndarray op tensor`` gives an ndarray instead.

    __add__ = _binop("add", "add")
    __radd__ = _binop("add", "add", True)
    __iadd__ = _ibinop("add", "add")
    __sub__ = _binop("sub", "sub")
    __rsub__ = _binop("sub", "sub", True)
    __isub__ = _ibinop("sub", "sub")
    __mul__ = _binop("mul", "mul")
    __rmul__ = _binop("mul", "mul", True)
    __imul__ = _ibinop("mul", "mul")
    __truediv__ = _binop("div", "truediv")
    __rtruediv__ = _binop("div", "truediv", True)
    __itruediv__ = _ibinop("div", "truediv")
    __pow__ = _binop("pow", "pow")
    __rpow__ = _binop("pow", "pow", True)
    __ipow__ = _ibinop("pow", "pow")
    __mod__, __rmod__ = _binop("mod", "mod"), _binop("mod", "mod", True)
    __lt__, __le__ = _binop("lt", "lt"), _binop("le", "le")
    __gt__, __ge__ = _binop("gt", "gt"), _binop("ge", "ge")
    __eq__, __ne__ = _binop("eq", "eq"), _binop("ne", "ne")

    def __matmul__(self, other):
        if not isinstance(other, TensorBase):
            return NotImplemented
        return self.matmul(other)

    def __neg__(self):
        return self.neg()

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

