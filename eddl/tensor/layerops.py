"""The static helpers EDDL's layers are built from, under PyEDDL's names.

EDDL's layers compute their forward and backward passes with a few static ``Tensor``
functions that PyEDDL binds: the bias add of a dense layer (``sum2D_rowwise``), its gradient
(``reduce_sum2D``), the backward passes of concatenation, selection, clamping and argmax. They
all write into tensors the caller owns; the gradient ones *accumulate* (``+=``) as EDDL's do,
because a parent's delta collects the contributions of all its children.

EDDL addresses selections through descriptor objects built from PyEDDL's index strings (a
``SelDescriptor``) or from a permutation (a ``GatherDescriptor``); here the descriptor argument
``sd`` is what those descriptors are built from.
"""

import numpy as np

from ._base import TensorBase
from ._checks import norm_axis, norm_shape
from .indexing import parse_select

__all__ = ["LayerOpsMixin"]


def _check(op, *tensors):
    """Raise TypeError unless every argument is a Tensor, ValueError unless on one device."""
    for i, t in enumerate(tensors):
        if not isinstance(t, TensorBase):
            raise TypeError(f"{op}: argument {i} must be a Tensor, got {type(t).__name__}")
        tensors[0]._same_device(t, op)


def _same_shape(op, what, a, b):
    if a.shape != b.shape:
        raise ValueError(f"{op}: {what} have shapes {a.shape} and {b.shape}; they must be equal")


def _writable(op, *tensors):
    for t in tensors:
        if not t._data.flags.writeable:
            raise ValueError(f"{op}: the output tensor is read-only (e.g. a broadcast view)")


class LayerOpsMixin(TensorBase):
    """Static forward/backward helpers of EDDL's layers (dense bias, concat, select, clamp)."""

    @staticmethod
    def sum2D_rowwise(A, B, C):
        """``C = A + B`` with the vector ``B`` added to every row of the matrix ``A``.

        Parameters
        ----------
        A : Tensor
            Matrix ``[rows, cols]``.
        B : Tensor
            Vector ``[cols]``.
        C : Tensor
            Output, the shape of ``A`` (may be ``A`` itself).

        Returns
        -------
        Tensor
            ``C``.

        Examples
        --------
        >>> from eddl import Tensor
        >>> C = Tensor.zeros([2, 3])
        >>> Tensor.sum2D_rowwise(Tensor.ones([2, 3]), Tensor.arange(0, 3, 1), C).numpy()[1]
        array([1., 2., 3.], dtype=float32)
        """
        return LayerOpsMixin._sum2D("sum2D_rowwise", A, B, C, 1)

    @staticmethod
    def sum2D_colwise(A, B, C):
        """``C = A + B`` with element ``i`` of the vector ``B`` added to row ``i`` of ``A``.

        Parameters
        ----------
        A : Tensor
            Matrix ``[rows, cols]``.
        B : Tensor
            Vector ``[rows]``.
        C : Tensor
            Output, the shape of ``A`` (may be ``A`` itself).

        Returns
        -------
        Tensor
            ``C``.
        """
        return LayerOpsMixin._sum2D("sum2D_colwise", A, B, C, 0)

    @staticmethod
    def _sum2D(op, A, B, C, axis):
        _check(op, A, B, C)
        if A.ndim != 2 or B.ndim != 1:
            raise ValueError(f"{op}: needs a matrix A and a vector B, got shapes {A.shape} and "
                             f"{B.shape}")
        _same_shape(op, "A and C", A, C)
        if B.shape[0] != A.shape[axis]:
            raise ValueError(f"{op}: B has {B.shape[0]} elements but A has {A.shape[axis]} "
                             f"{'columns' if axis else 'rows'}")
        _writable(op, C)
        b = B._data[None, :] if axis else B._data[:, None]
        C._data[...] = A._data + b
        return C

    @staticmethod
    def reduce_sum2D(A, B, axis, incB):
        """Sum the matrix ``A`` along ``axis`` into the vector ``B`` (``B +=`` when ``incB``).

        Parameters
        ----------
        A : Tensor
            Matrix ``[rows, cols]``.
        B : Tensor
            Vector: ``[cols]`` for ``axis=0`` (column sums), ``[rows]`` for ``axis=1``.
        axis : {0, 1}
        incB : bool or int
            True adds the sums to ``B``; False overwrites it.

        Returns
        -------
        Tensor
            ``B``.
        """
        _check("reduce_sum2D", A, B)
        if A.ndim != 2 or B.ndim != 1:
            raise ValueError(f"reduce_sum2D: needs a matrix A and a vector B, got shapes "
                             f"{A.shape} and {B.shape}")
        if isinstance(axis, bool) or axis not in (0, 1):
            raise ValueError(f"reduce_sum2D: axis must be 0 or 1, got {axis!r}")
        if B.shape[0] != A.shape[1 - axis]:
            raise ValueError(f"reduce_sum2D: B has {B.shape[0]} elements, the sums along axis "
                             f"{axis} of A {A.shape} have {A.shape[1 - axis]}")
        _writable("reduce_sum2D", B)
        s = A._data.sum(axis=axis)
        if incB:
            B._data += s
        else:
            B._data[...] = s
        return B

    @staticmethod
    def concat_back(A, t, axis):
        """Backward of :meth:`concat`: add the slices of ``A`` to the parts ``t`` (``+=``).

        Parameters
        ----------
        A : Tensor
            Gradient of the concatenation.
        t : list of Tensor
            Gradients of the parts, at least two, in the order they were concatenated.
        axis : int

        Returns
        -------
        list of Tensor
            ``t``.
        """
        if isinstance(t, TensorBase) or not hasattr(t, "__iter__"):
            raise TypeError(f"concat_back: t must be a list of tensors, got {type(t).__name__}")
        t = list(t)
        if len(t) < 2:
            raise ValueError(f"concat_back: needs at least two tensors, got {len(t)}")
        _check("concat_back", A, *t)
        ax = norm_axis(axis, A.ndim, "concat_back: axis")
        for i, p in enumerate(t):
            if p.ndim != A.ndim or any(p.shape[d] != A.shape[d] for d in range(A.ndim) if d != ax):
                raise ValueError(f"concat_back: tensor {i} has shape {p.shape}, incompatible "
                                 f"with {A.shape} outside axis {ax}")
        if sum(p.shape[ax] for p in t) != A.shape[ax]:
            raise ValueError(f"concat_back: the parts' sizes along axis {ax} "
                             f"{[p.shape[ax] for p in t]} do not add up to {A.shape[ax]}")
        _writable("concat_back", *t)
        bounds = np.cumsum([p.shape[ax] for p in t])[:-1]
        for p, part in zip(t, np.split(A._data, bounds, axis=ax)):
            p._data += part
        return t

    @staticmethod
    def select_back(A, B, sd):
        """Backward of :meth:`select`: add ``A`` to the region ``sd`` of ``B`` (``+=``).

        Parameters
        ----------
        A : Tensor
            Gradient of the selection, the region's shape.
        B : Tensor
            Gradient of the tensor selected from.
        sd : list of str
            PyEDDL index strings of the region of ``B`` (what EDDL's ``SelDescriptor`` is
            built from).

        Returns
        -------
        Tensor
            ``B``.

        Examples
        --------
        >>> from eddl import Tensor
        >>> B = Tensor.zeros([2, 3])
        >>> Tensor.select_back(Tensor.ones([2, 1]), B, [":", "1"]).numpy()
        array([[0., 1., 0.],
               [0., 1., 0.]], dtype=float32)
        """
        _check("select_back", A, B)
        region = parse_select(sd, B._data.shape)
        if B._data[region].shape != A._data.shape:
            raise ValueError(f"select_back: A has shape {A.shape}, the region {list(sd)} of B "
                             f"has shape {list(B._data[region].shape)}")
        _writable("select_back", B)
        B._data[region] += A._data
        return B

    @staticmethod
    def set_select_back(A, B, sd):
        """Backward of :meth:`set_select`: add the region ``sd`` of ``A`` to ``B`` (``+=``).

        Parameters
        ----------
        A : Tensor
            Gradient of the tensor written into.
        B : Tensor
            Gradient of the values written, the region's shape.
        sd : list of str
            PyEDDL index strings of the region of ``A``.

        Returns
        -------
        Tensor
            ``B``.
        """
        _check("set_select_back", A, B)
        region = parse_select(sd, A._data.shape)
        if A._data[region].shape != B._data.shape:
            raise ValueError(f"set_select_back: B has shape {B.shape}, the region {list(sd)} of "
                             f"A has shape {list(A._data[region].shape)}")
        _writable("set_select_back", B)
        B._data += A._data[region]
        return B

    @staticmethod
    def gather(A, B, sd):
        """Write ``B`` into ``A`` through the permutation ``sd``, so that ``A.permute(sd) == B``.

        EDDL's ``gather`` (used by its unfinished ``Gather`` layer) scatters the elements of
        ``B`` to the addresses of ``A`` a ``GatherDescriptor(dims)`` computes: those of
        ``A.permute(dims)``.

        Parameters
        ----------
        A : Tensor
            Output, overwritten.
        B : Tensor
            Values, of shape ``[A.shape[d] for d in sd]``.
        sd : list of int
            A permutation of ``A``'s axes.

        Returns
        -------
        Tensor
            ``A``.
        """
        _check("gather", A, B)
        dims = list(norm_shape(sd, "gather: sd"))
        if sorted(dims) != list(range(A.ndim)):
            raise ValueError(f"gather: sd={dims} is not a permutation of the {A.ndim} axes of A")
        if B.shape != [A.shape[d] for d in dims]:
            raise ValueError(f"gather: B has shape {B.shape}, A permuted by {dims} has shape "
                             f"{[A.shape[d] for d in dims]}")
        _writable("gather", A)
        A._data[...] = np.transpose(B._data, np.argsort(dims))
        return A

    @staticmethod
    def d_clamp(D, I, PD, min, max):
        """Backward of :meth:`clamp`: ``PD += D`` where ``min <= I <= max``.

        Parameters
        ----------
        D : Tensor
            Gradient of the clamped output.
        I : Tensor
            The input that was clamped.
        PD : Tensor
            Gradient of the input, accumulated.
        min, max : float
            The clamping range.

        Returns
        -------
        Tensor
            ``PD``.
        """
        _check("d_clamp", D, I, PD)
        _same_shape("d_clamp", "D and I", D, I)
        _same_shape("d_clamp", "D and PD", D, PD)
        _writable("d_clamp", PD)
        inside = (I._data >= min) & (I._data <= max)
        PD._data += np.where(inside, D._data, 0)
        return PD

    @staticmethod
    def argmax_d(D, O, PD):
        """Backward of an argmax reduction: add each ``D`` to the position its ``O`` names.

        ``PD`` holds ``D.size`` consecutive blocks (the reduced trailing values of each output
        element); element ``i`` of ``D`` is added to element ``O[i]`` of block ``i``.

        Parameters
        ----------
        D : Tensor
            Gradient of the reduction's output.
        O : Tensor
            Indices the argmax found (within each block), the shape of ``D``.
        PD : Tensor
            Gradient of the reduction's input, accumulated; ``PD.size`` a multiple of
            ``D.size``.

        Returns
        -------
        Tensor
            ``PD``.
        """
        _check("argmax_d", D, O, PD)
        _same_shape("argmax_d", "D and O", D, O)
        if D.size == 0:
            raise ValueError("argmax_d: D is empty")
        if PD.size % D.size:
            raise ValueError(f"argmax_d: PD has {PD.size} elements, not a multiple of D's "
                             f"{D.size}")
        block = PD.size // D.size
        idx = O._data.reshape(-1)
        if idx.size and (np.any(idx != np.floor(idx)) or idx.min() < 0 or idx.max() >= block):
            raise ValueError(f"argmax_d: O must hold integer positions in [0, {block})")
        _writable("argmax_d", PD)
        pd = PD._data.reshape(D.size, block)   # a view: PD is written through it
        if not np.shares_memory(pd, PD._data):
            raise ValueError("argmax_d: PD must be contiguous")
        pd[np.arange(D.size), idx.astype(np.int64)] += D._data.reshape(-1)
        return PD
