"""Reductions of :class:`~eddl.Tensor` over any set of axes.

As in PyEDDL, a reduction over all axes (``axis=None`` without ``keepdims``) returns a Python
number; with ``axis`` or ``keepdims`` it returns a new tensor.
"""

import numpy as np

from ._base import TensorBase
from ._checks import check_numeric, norm_axes

__all__ = ["ReduceMixin"]

_NEEDS_ELEMENTS = frozenset({"max", "min", "argmax", "argmin", "mode"})

# the sections every plain reduction shares, appended to its one-line summary by _plain
_SECTIONS = """
Parameters
----------
axis : int or sequence of int, optional
    Axes to reduce; None reduces all of them.
keepdims : bool, default False
    Keep the reduced axes with size 1.

Returns
-------
float or Tensor
    A Python number for a full reduction without ``keepdims``, else a new tensor.
"""


def _merge_axes_last(x, axes):
    """Move ``axes`` to the end and merge them into one; returns the 2-part reshaped array."""
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    return moved.reshape(moved.shape[:len(keep)] + (-1,))


def _plain(op, summary):
    """Make the method ``op(axis=None, keepdims=False)`` of a plain backend reduction."""
    def method(self, axis=None, keepdims=False):
        return self._reduce(op, axis, keepdims)
    method.__name__ = op
    method.__qualname__ = f"ReduceMixin.{op}"
    method.__doc__ = f"{summary}\n{_SECTIONS}"
    return method


class ReduceMixin(TensorBase):
    """Reduction methods (sum, mean, max, argmax, std, norm, mode, ...)."""

    def _axes(self, axis, op):
        axes = norm_axes(axis, self._data.ndim, f"{op}: axis")
        if axes is None:
            axes = tuple(range(self._data.ndim))
        if op in _NEEDS_ELEMENTS and any(self._data.shape[a] == 0 for a in axes):
            raise ValueError(f"{op}: cannot reduce a zero-size axis of a tensor of shape "
                             f"{self._data.shape}")
        return axes

    def _finish(self, r, axis, keepdims):
        if axis is None and not keepdims:
            return np.asarray(self._backend.to_host(r)).item()
        return self._new(self._backend.xp.asarray(r))

    def _reduce(self, op, axis, keepdims, name=None):
        name = name or op
        if op not in ("all", "any", "sum", "mean", "prod"):
            check_numeric(self._data.dtype, name)
        axes = self._axes(axis, name)
        with np.errstate(all="ignore"):
            r = self._backend.reduce(op, self._data, axis=axes, keepdims=bool(keepdims))
        return self._finish(r, axis, keepdims)

    sum = _plain("sum", "Return the sum over ``axis``.")
    mean = _plain("mean", "Return the mean over ``axis``.")
    max = _plain("max", "Return the maximum over ``axis``.")
    min = _plain("min", "Return the minimum over ``axis``.")
    prod = _plain("prod", "Return the product over ``axis``.")
    median = _plain("median", "Return the median over ``axis``.")
    all = _plain("all", "Return True when every element is non-zero, over ``axis``.")
    any = _plain("any", "Return True when some element is non-zero, over ``axis``.")

    def sum_abs(self, axis=None, keepdims=False):
        """Sum of absolute values over ``axis`` (see :meth:`sum`)."""
        return self.abs()._reduce("sum", axis, keepdims, "sum_abs")

    def _arg(self, op, axis, keepdims):
        axes = self._axes(axis, op)
        x = self._data
        be = self._backend
        if axis is None:
            idx = be.reduce(op, x.reshape(-1), axis=0, keepdims=False)
            if not keepdims:
                return int(idx)
            return self._new(be.xp.full((1,) * x.ndim, idx, dtype=np.int64))
        if len(axes) == 1:
            idx = be.reduce(op, x, axis=axes[0], keepdims=bool(keepdims))
        else:
            # Several axes: index into the C-order flattening of the reduced block.
            idx = be.reduce(op, _merge_axes_last(x, axes), axis=-1, keepdims=False)
            if keepdims:
                idx = be.xp.expand_dims(idx, axes)
        return self._new(be.xp.asarray(idx, dtype=np.int64))

    def argmax(self, axis=None, keepdims=False):
        """Index of the largest element over ``axis``.

        With several axes the index is into the C-order flattening of those axes; with
        ``axis=None`` it is the flat index (a Python int).

        Parameters
        ----------
        axis : int or sequence of int, optional
        keepdims : bool, default False

        Returns
        -------
        int or Tensor
            A Python int for a full reduction, else an int64 tensor.
        """
        check_numeric(self._data.dtype, "argmax")
        return self._arg("argmax", axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        """Index of the smallest element over ``axis`` (see :meth:`argmax`)."""
        check_numeric(self._data.dtype, "argmin")
        return self._arg("argmin", axis, keepdims)

    def _moment(self, op, axis, keepdims, unbiased):
        check_numeric(self._data.dtype, op)
        axes = self._axes(axis, op)
        be = self._backend
        x = self._data
        with np.errstate(all="ignore"):
            r = be.xp.asarray(be.reduce("var", x, axis=axes, keepdims=bool(keepdims)))
            n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
            if unbiased:
                factor = n / (n - 1) if n > 1 else np.nan
                r = be.binary("mul", r, be.scalar(factor, r.dtype))
            if op == "std":
                r = be.unary("sqrt", be.xp.asarray(r))
        return self._finish(r, axis, keepdims)

    def var(self, axis=None, keepdims=False, unbiased=True):
        """Variance over ``axis``; ``unbiased`` divides by ``n - 1`` (PyEDDL's default).

        Parameters
        ----------
        axis : int or sequence of int, optional
        keepdims : bool, default False
        unbiased : bool, default True

        Returns
        -------
        float or Tensor
        """
        return self._moment("var", axis, keepdims, unbiased)

    def std(self, axis=None, keepdims=False, unbiased=True):
        """Return the standard deviation over ``axis``; ``unbiased`` as in :meth:`var`."""
        return self._moment("std", axis, keepdims, unbiased)

    def norm(self, ord="fro", axis=None, keepdims=False):
        """Vector norm of the elements over ``axis``.

        Parameters
        ----------
        ord : {"fro", 2, 1, inf, -inf, 0} or float, default "fro"
            ``"fro"`` and 2 give the Euclidean (Frobenius) norm; 0 counts non-zeros; a number
            ``p`` gives ``sum(|x| ** p) ** (1 / p)``.
        axis : int or sequence of int, optional
        keepdims : bool, default False

        Returns
        -------
        float or Tensor
        """
        check_numeric(self._data.dtype, "norm")
        if ord in ("fro", "f", 2):
            r = self.sqr()._reduce("sum", axis, keepdims, "norm")
            return float(np.sqrt(r)) if not isinstance(r, TensorBase) else r.sqrt()
        if isinstance(ord, str):
            raise ValueError(f"norm: unknown ord {ord!r}; valid: 'fro', 2, 1, inf, -inf, 0 "
                             "or a number")
        a = self.abs()
        if ord == np.inf:
            return a._reduce("max", axis, keepdims, "norm")
        if ord == -np.inf:
            return a._reduce("min", axis, keepdims, "norm")
        if ord == 0:
            return a.not_equal(0)._reduce("sum", axis, keepdims, "norm")
        if ord == 1:
            return a._reduce("sum", axis, keepdims, "norm")
        r = a.pow(float(ord))._reduce("sum", axis, keepdims, "norm")
        return float(r) ** (1.0 / ord) if not isinstance(r, TensorBase) else r.pow(1.0 / ord)

    def mode(self, axis=None, keepdims=False):
        """Most frequent value over ``axis``; ties go to the smallest value.

        Parameters
        ----------
        axis : int or sequence of int, optional
        keepdims : bool, default False

        Returns
        -------
        float or Tensor
        """
        axes = self._axes(axis, "mode")
        s = np.sort(_merge_axes_last(self._data, axes), axis=-1)
        flat = s.reshape(-1, s.shape[-1])
        k = flat.shape[1]
        pos = np.arange(k)
        start = np.ones(flat.shape, dtype=bool)
        start[:, 1:] = flat[:, 1:] != flat[:, :-1]
        run_start = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
        run_len = pos - run_start
        # argmax returns the first longest run, which is the smallest value since s is sorted.
        best = np.argmax(run_len, axis=1) if k else np.zeros(len(flat), dtype=np.intp)
        r = flat[np.arange(len(flat)), best].reshape(s.shape[:-1])
        if keepdims:
            r = np.expand_dims(r, axes)
        return self._finish(r, axis, keepdims)


for _name in ("max", "min", "argmax", "argmin", "sum", "sum_abs", "prod", "mean", "median",
              "std", "var", "mode", "all", "any", "norm"):
    def _static(A, *args, _n=_name, **kwargs):
        return getattr(A, _n)(*args, **kwargs)
    _static.__name__ = f"static_{_name}"
    _static.__doc__ = f"``A.{_name}(...)`` (PyEDDL static form)."
    setattr(ReduceMixin, f"static_{_name}", staticmethod(_static))
del _name, _static
