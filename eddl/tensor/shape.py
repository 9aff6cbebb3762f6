"""Shape manipulation of :class:`~eddl.Tensor`.

Out-of-place forms return views where NumPy can (``reshape``, ``squeeze``, ``unsqueeze``,
``flatten`` of a contiguous tensor) and copies otherwise; ``permute`` returns a contiguous copy
as in PyEDDL. The ``_`` forms change the tensor object itself.
"""

import numpy as np

from .._broadcast import aligned_shape
from ._base import TensorBase
from ._checks import norm_axis, norm_shape

__all__ = ["ShapeMixin"]

# PyEDDL's WrappingMode names -> np.pad modes (scipy.ndimage conventions).
_PAD_MODES = {"constant": "constant", "reflect": "symmetric", "mirror": "reflect",
              "nearest": "edge", "wrap": "wrap"}


_SCALE_MODES = ("constant", "reflect", "nearest", "mirror", "wrap", "original")
_TRANSFORMS = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")


def _mode_name(value, valid, arg):
    """Return a PyEDDL enum member (``WrappingMode.Constant``) or string as a snake-case name."""
    name = getattr(value, "name", value)
    if isinstance(name, str):
        name = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    if name not in valid:
        raise ValueError(f"scale: {arg}={value!r} is invalid; valid: {list(valid)}")
    return name


def _shape_args(args, op):
    """Accept ``f([2, 3])``, ``f((2, 3))`` and ``f(2, 3)``."""
    if len(args) == 1 and hasattr(args[0], "__iter__"):
        args = args[0]
    return norm_shape(args, f"{op}: shape", allow_minus_one=True)


def _tensors(seq, op):
    if isinstance(seq, TensorBase) or not hasattr(seq, "__iter__"):
        raise TypeError(f"{op}: expected a list of tensors, got {type(seq).__name__}")
    seq = list(seq)
    if not seq:
        raise ValueError(f"{op}: needs at least one tensor")
    for i, t in enumerate(seq):
        if not isinstance(t, TensorBase):
            raise TypeError(f"{op}: element {i} is a {type(t).__name__}, not a Tensor")
        seq[0]._same_device(t, op)
    return seq


def _into(output, arr, op, like=None, fresh=None):
    """Write ``arr`` into ``output`` when given, else wrap ``fresh`` (or ``arr``) like ``like``."""
    if output is None:
        return like._new(arr if fresh is None else fresh)
    if output.shape != arr.shape:
        raise ValueError(f"{op}: output shape {output.shape} differs from the result shape "
                         f"{arr.shape}")
    output._data[...] = arr
    return output


class ShapeMixin(TensorBase):
    """Reshaping, axis permutation, joining, splitting, repetition and padding."""

    def _reshaped(self, shape, op):
        n = self._data.size
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if -1 in shape:
            if known == 0 or n % known:
                raise ValueError(f"{op}: cannot reshape a tensor of size {n} into {shape}")
        elif known != n:
            raise ValueError(f"{op}: cannot reshape a tensor of size {n} "
                             f"{tuple(self._data.shape)} into {shape}")
        return self._data.reshape(shape)

    def reshape(self, *shape):
        """Return a tensor with the same data in a new shape (one dimension may be -1).

        Parameters
        ----------
        *shape : int or sequence of int

        Returns
        -------
        Tensor
            A view when the layout allows, else a copy.

        Examples
        --------
        >>> Tensor.zeros([2, 6]).reshape([3, -1]).shape
        [3, 4]
        """
        return self._new(self._reshaped(_shape_args(shape, "reshape"), "reshape"))

    def reshape_(self, *shape):
        """Reshape this tensor in place (PyEDDL); returns it."""
        self._data = self._reshaped(_shape_args(shape, "reshape_"), "reshape_")
        return self

    def flatten(self):
        """Return the elements as a 1-D tensor."""
        return self._new(self._data.reshape(-1))

    def flatten_(self):
        """Make this tensor 1-D in place; returns it."""
        self._data = self._data.reshape(-1)
        return self

    @staticmethod
    def static_flatten(A):
        """``A.flatten()`` (PyEDDL static form)."""
        return A.flatten()

    def _squeezed(self, axis, op):
        x = self._data
        if axis is None or axis == -1:
            return x.reshape([d for d in x.shape if d != 1])
        a = norm_axis(axis, x.ndim, f"{op}: axis")
        if x.shape[a] != 1:
            raise ValueError(f"{op}: axis {a} has size {x.shape[a]}, not 1")
        return np.squeeze(x, a)

    def squeeze(self, axis=-1):
        """Remove size-1 dimensions.

        Parameters
        ----------
        axis : int, default -1
            As in PyEDDL, -1 (or None) removes every size-1 dimension; another value removes
            that axis, which must have size 1.

        Returns
        -------
        Tensor
        """
        return self._new(self._squeezed(axis, "squeeze"))

    def squeeze_(self, axis=-1):
        """In-place :meth:`squeeze`; returns this tensor."""
        self._data = self._squeezed(axis, "squeeze_")
        return self

    def unsqueeze(self, axis=0):
        """Insert a size-1 dimension at ``axis`` (``-1`` appends); returns a view."""
        a = norm_axis(axis, self._data.ndim, "unsqueeze: axis", extra=1)
        return self._new(np.expand_dims(self._data, a))

    def unsqueeze_(self, axis=0):
        """In-place :meth:`unsqueeze`; returns this tensor."""
        self._data = self.unsqueeze(axis)._data
        return self

    def _perm(self, dims, op):
        dims = list(dims)
        nd = self._data.ndim
        axes = [norm_axis(d, nd, f"{op}: dims") for d in dims]
        if len(axes) != nd or sorted(axes) != list(range(nd)):
            raise ValueError(f"{op}: dims {dims} is not a permutation of the {nd} axes")
        return axes

    def permute(self, dims):
        """Return a contiguous copy with the axes reordered as ``dims``.

        Parameters
        ----------
        dims : sequence of int
            A permutation of ``range(ndim)``.

        Returns
        -------
        Tensor
        """
        return self._new(np.ascontiguousarray(self._data.transpose(self._perm(dims, "permute"))))

    def permute_(self, dims):
        """In-place :meth:`permute`; returns this tensor."""
        self._data = self.permute(dims)._data
        return self

    @staticmethod
    def permute_static(A, dims):
        """``A.permute(dims)`` (PyEDDL static form)."""
        return A.permute(dims)

    def transpose(self, *args):
        """Reverse (or permute) the axes; returns a view.

        ``Tensor.transpose(A, B, dims)`` is PyEDDL's static form, which writes ``A`` permuted
        by ``dims`` into ``B``.

        Parameters
        ----------
        *args : int, sequence of int, or (Tensor, sequence of int)
            Axis order; none reverses the axes.

        Returns
        -------
        Tensor
        """
        if args and isinstance(args[0], TensorBase):
            if len(args) != 2:
                raise TypeError("transpose: the static form is Tensor.transpose(A, B, dims)")
            B, dims = args
            return _into(B, self._data.transpose(self._perm(dims, "transpose")), "transpose", self)
        if not args:
            return self._new(self._data.T)
        dims = args[0] if len(args) == 1 and hasattr(args[0], "__iter__") else args
        return self._new(self._data.transpose(self._perm(dims, "transpose")))

    @property
    def T(self):
        """The tensor with its axes reversed (a view)."""
        return self._new(self._data.T)

    def moveaxis(self, source, destination):
        """Move axis ``source`` to position ``destination``; returns a view."""
        nd = self._data.ndim
        s = norm_axis(source, nd, "moveaxis: source")
        d = norm_axis(destination, nd, "moveaxis: destination")
        return self._new(np.moveaxis(self._data, s, d))

    def moveaxis_(self, source, destination):
        """In-place :meth:`moveaxis`; returns this tensor."""
        self._data = self.moveaxis(source, destination)._data
        return self

    def swapaxis(self, axis1, axis2):
        """Swap two axes; returns a view."""
        nd = self._data.ndim
        a = norm_axis(axis1, nd, "swapaxis: axis1")
        b = norm_axis(axis2, nd, "swapaxis: axis2")
        return self._new(np.swapaxes(self._data, a, b))

    def swapaxis_(self, axis1, axis2):
        """In-place :meth:`swapaxis`; returns this tensor."""
        self._data = self.swapaxis(axis1, axis2)._data
        return self

    swapaxes = swapaxis

    def broadcast_to(self, shape):
        """Return a read-only broadcast view with the given shape (NumPy rules)."""
        shape = norm_shape(shape, "broadcast_to: shape")
        try:
            return self._new(np.broadcast_to(self._data, shape))
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {self.shape} "
                             f"to {shape}") from None

    def broadcast(self, B, output=None):
        """Broadcast this tensor to the shape of ``B`` (PyEDDL: ``Tensor.broadcast(A, B)``).

        NumPy's rule aligns the last axes; as in EDDL, a 1-D tensor whose length is not that
        of ``B``'s last axis is placed along the one axis of ``B`` with its length.

        Parameters
        ----------
        B : Tensor
            Gives the shape.
        output : Tensor, optional
            Written in place when given.

        Raises
        ------
        ValueError
            When the shapes do not broadcast (or a 1-D tensor matches several axes of ``B``,
            none of them the last).

        Examples
        --------
        >>> from eddl import Tensor
        >>> Tensor.broadcast(Tensor.fromarray([1.0, 2.0, 3.0]), Tensor.zeros([3, 2])).getShape()
        [3, 2]

        Returns
        -------
        Tensor
            ``output`` when given, else a new contiguous tensor.
        """
        shape = aligned_shape(self._data.shape, B.shape, "broadcast")
        r = np.broadcast_to(self._data.reshape(shape), B.shape)
        return _into(output, r, "broadcast", self, np.ascontiguousarray(r))

    def expand(self, size):
        """Return a copy where every size-1 dimension becomes ``size`` (EDDL's expand)."""
        size = norm_shape([size], "expand: size")[0]
        shape = tuple(size if d == 1 else d for d in self._data.shape)
        return self._new(np.ascontiguousarray(np.broadcast_to(self._data, shape)))

    @staticmethod
    def static_expand(A, size):
        """``A.expand(size)`` (PyEDDL static form)."""
        return A.expand(size)

    @staticmethod
    def concat(A, axis=0, output=None):
        """Join tensors along an existing axis.

        Parameters
        ----------
        A : list of Tensor
            Same number of dimensions; sizes may differ only along ``axis``.
        axis : int, default 0
        output : Tensor, optional
            Written in place when given.

        Returns
        -------
        Tensor
        """
        ts = _tensors(A, "concat")
        nd = ts[0].ndim
        ax = norm_axis(axis, nd, "concat: axis")
        for i, t in enumerate(ts):
            if t.ndim != nd or any(t.shape[d] != ts[0].shape[d] for d in range(nd) if d != ax):
                raise ValueError(f"concat: tensor {i} has shape {t.shape}, incompatible with "
                                 f"{ts[0].shape} outside axis {ax}")
        r = np.concatenate([t._data for t in ts], axis=ax)
        return _into(output, r, "concat", ts[0], r)

    @staticmethod
    def stack(A, axis=0, output=None):
        """Join same-shape tensors along a new axis ``axis`` (see :meth:`concat`)."""
        ts = _tensors(A, "stack")
        for i, t in enumerate(ts):
            if t.shape != ts[0].shape:
                raise ValueError(f"stack: tensor {i} has shape {t.shape}, expected {ts[0].shape}")
        ax = norm_axis(axis, ts[0].ndim, "stack: axis", extra=1)
        r = np.stack([t._data for t in ts], axis=ax)
        return _into(output, r, "stack", ts[0], r)

    def split(self, indexes, axis=0):
        """Split along ``axis`` into a list of tensors (views).

        Parameters
        ----------
        indexes : int or sequence of int
            An int gives that many equal parts; a sequence gives the increasing split points.
        axis : int, default 0

        Returns
        -------
        list of Tensor
        """
        ax = norm_axis(axis, self._data.ndim, "split: axis")
        n = self._data.shape[ax]
        if isinstance(indexes, (int, np.integer)) and not isinstance(indexes, bool):
            if indexes <= 0 or n % indexes:
                raise ValueError(f"split: axis {ax} of size {n} cannot be split into {indexes} "
                                 "equal parts")
        else:
            indexes = list(norm_shape(indexes, "split: indexes"))
            if indexes != sorted(indexes) or (indexes and indexes[-1] > n):
                raise ValueError(f"split: split points {indexes} must be increasing and <= {n}")
        return [self._new(p) for p in np.split(self._data, indexes, axis=ax)]

    def repeat(self, repeats, axis=0, output=None, derivative=False):
        """Repeat each element ``repeats`` times along ``axis`` (``Tensor.repeat(A, ...)``).

        Parameters
        ----------
        repeats : int or sequence of int
            One count, or one per element along ``axis``.
        axis : int, default 0
        output : Tensor, optional
        derivative : bool, default False
            Accepted for PyEDDL compatibility; has no effect here.

        Returns
        -------
        Tensor
        """
        ax = norm_axis(axis, self._data.ndim, "repeat: axis")
        reps = norm_shape(repeats, "repeat: repeats")
        if len(reps) not in (1, self._data.shape[ax]):
            raise ValueError(f"repeat: {len(reps)} counts given for axis {ax} of size "
                             f"{self._data.shape[ax]}")
        r = np.repeat(self._data, reps if len(reps) > 1 else reps[0], axis=ax)
        return _into(output, r, "repeat", self, r)

    def repeat_desc(self, repeats, axis=0, output=None):
        """:meth:`repeat` (EDDL computes it through a repeat descriptor; the result is the same).

        Parameters
        ----------
        repeats : int or sequence of int
        axis : int, default 0
        output : Tensor, optional

        Returns
        -------
        Tensor
        """
        return self.repeat(repeats, axis, output)

    def resize(self, b, fptr=None, fptr2=None, delete_data=True):
        """Change the batch size (the first dimension) to ``b``, in place.

        The first ``min(b, old)`` samples keep their values and new samples are zeros (EDDL
        leaves the whole tensor uninitialised). Nothing happens when ``b`` is the current
        size, as in EDDL.

        Parameters
        ----------
        b : int
            New size of the first dimension, >= 0.
        fptr, fptr2 : None
            EDDL's raw memory to adopt; only None is accepted (Python has no such pointers).
        delete_data : bool, default True
            Accepted for compatibility: the old array is released when nothing else uses it.

        Returns
        -------
        Tensor
            This tensor.

        Raises
        ------
        ValueError
            For a 0-d tensor, a negative ``b`` or a pointer argument.
        """
        if fptr is not None or fptr2 is not None:
            raise ValueError("resize: fptr/fptr2 (raw memory pointers) must be None in Python")
        if self._data.ndim == 0:
            raise ValueError("resize: a 0-d tensor has no batch dimension")
        b = norm_shape([b], "resize: b")[0]
        old = self._data
        if b == old.shape[0]:
            return self
        new = self._backend.xp.zeros((b,) + old.shape[1:], dtype=old.dtype)
        keep = min(b, old.shape[0])
        new[:keep] = old[:keep]
        self._data = new
        return self

    def tile(self, repeats):
        """Repeat the whole tensor ``repeats[i]`` times along each axis."""
        reps = norm_shape(repeats, "tile: repeats")
        if len(reps) < self._data.ndim:
            reps = (1,) * (self._data.ndim - len(reps)) + reps
        return self._new(np.tile(self._data, reps))

    def pad(self, pads, cval=0.0, mode="constant"):
        """Pad the tensor.

        Parameters
        ----------
        pads : int or sequence
            An int pads every axis on both sides; a list of ``(before, after)`` pairs gives one
            pair per axis; a flat list of 2 ints ``[rows, cols]`` or 4 ints
            ``[top, right, bottom, left]`` pads the last two axes as EDDL does for images.
        cval : float, default 0.0
            Value used by ``mode="constant"``.
        mode : {"constant", "reflect", "mirror", "nearest", "wrap"} or WrappingMode
            How borders are filled (EDDL's wrapping modes).

        Returns
        -------
        Tensor
        """
        nd = self._data.ndim
        mode_name = getattr(mode, "name", mode)
        mode_name = str(mode_name).lower()
        if mode_name not in _PAD_MODES:
            raise ValueError(f"pad: unknown mode {mode!r}; valid: {sorted(_PAD_MODES)}")
        if isinstance(pads, (int, np.integer)) and not isinstance(pads, bool):
            width = [(int(pads), int(pads))] * nd
        elif pads and all(hasattr(p, "__iter__") for p in pads):
            width = [norm_shape(p, "pad: pads") for p in pads]
            if len(width) != nd or any(len(w) != 2 for w in width):
                raise ValueError(f"pad: expected {nd} (before, after) pairs, got {pads!r}")
        else:
            flat = norm_shape(pads, "pad: pads")
            if nd < 2 or len(flat) not in (2, 4):
                raise ValueError(f"pad: flat pads must have 2 or 4 values for a tensor of at least "
                                 f"2 dimensions, got {list(flat)} for shape {self.shape}")
            t, r, b, left = (flat[0], flat[1], flat[0], flat[1]) if len(flat) == 2 else flat
            width = [(0, 0)] * (nd - 2) + [(t, b), (left, r)]
        width = [tuple(int(v) for v in w) for w in width]
        if any(v < 0 for w in width for v in w):
            raise ValueError(f"pad: pads must be non-negative, got {width}")
        kw = {"constant_values": cval} if mode_name == "constant" else {}
        if mode_name != "constant" and any(self._data.shape[i] == 0 and any(w)
                                           for i, w in enumerate(width)):
            raise ValueError(f"pad: mode {mode_name!r} cannot pad an empty axis")
        return self._new(np.pad(self._data, width, mode=_PAD_MODES[mode_name], **kw))

    def scale(self, new_shape, mode="constant", cval=0.0,
              coordinate_transformation_mode="asymmetric", keep_size=False):
        """Resize the last two axes to ``new_shape`` with nearest interpolation (EDDL's scale).

        Parameters
        ----------
        new_shape : list of int
            ``[height, width]``, both >= 1.
        mode : WrappingMode or str, default "constant"
            With ``keep_size``, how positions beyond the resized image are filled:
            ``"constant"`` (``cval``), ``"original"``, ``"nearest"``, ``"reflect"``,
            ``"mirror"`` or ``"wrap"`` (as the Resize layer's ``da_mode``).
        cval : float, default 0.0
        coordinate_transformation_mode : TransformationMode or str, default "asymmetric"
            ``"asymmetric"``, ``"half_pixel"``, ``"pytorch_half_pixel"`` or
            ``"align_corners"`` (ONNX ``Resize``).
        keep_size : bool, default False
            False: the result's last two axes are ``new_shape``. True: the result keeps this
            tensor's shape and shows the centred window of the resized image (cropped when
            larger, padded when smaller).

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            For a tensor with fewer than 2 axes, a bad ``new_shape`` or an unknown mode.

        Examples
        --------
        >>> from eddl import Tensor
        >>> Tensor.ones([1, 3, 4, 4]).scale([8, 6]).getShape()
        [1, 3, 8, 6]
        """
        from ..layers.upsampling import window_matrices  # the Scale layer's window, shared

        if self._data.ndim < 2:
            raise ValueError(f"scale: needs a tensor with at least 2 axes (..., H, W), got shape "
                             f"{self.shape}")
        new = norm_shape(new_shape, "scale: new_shape")
        if len(new) != 2 or min(new) < 1:
            raise ValueError(f"scale: new_shape={list(new)} is invalid; valid: [height, width] "
                             f"with both >= 1")
        fill_mode = _mode_name(mode, _SCALE_MODES, "mode")
        transform = _mode_name(coordinate_transformation_mode, _TRANSFORMS,
                               "coordinate_transformation_mode")
        be, data = self._backend, self._data
        dtype = data.dtype if data.dtype.kind == "f" else np.float64
        h, w = data.shape[-2:]
        mats = [be.resample.resample_matrix(n, m, "nearest", transform, dtype)
                for n, m in zip((h, w), new)]
        fill = None
        if keep_size:
            mats, fill = window_matrices(mats, (h, w), fill_mode, be.xp)
        x = be.xp.ascontiguousarray(data.reshape(-1, 1, h, w), dtype=dtype)
        out = be.empty((x.shape[0], 1, mats[0].shape[0], mats[1].shape[0]), dtype)
        be.resample.resample(x, out, mats)
        if fill is not None:
            out[:, :, fill] = float(cval) if fill_mode == "constant" else x[:, :, fill]
        out = out.reshape(data.shape[:-2] + out.shape[-2:])
        return self._new(out.astype(data.dtype, copy=False))

    def flip(self, axis=0):
        """Reverse the order of elements along ``axis``; returns a copy."""
        ax = norm_axis(axis, self._data.ndim, "flip: axis")
        return self._new(np.flip(self._data, ax).copy())
