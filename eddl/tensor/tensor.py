"""The :class:`Tensor` class: storage, NumPy interop, devices, operators and printing.

The operations live in one mixin per family (creation, random, shape, indexing, element-wise,
compare, reduce, linalg, layer helpers, augmentation, io); this module assembles them.
"""

import numpy as np

from ._base import TensorBase
from .augment import AugmentMixin
from ._checks import Shape, as_dtype, native, norm_shape
from .compare import CompareMixin
from .creation import CreationMixin, _placed
from .device import DEV_CPU, DEV_FPGA, DEV_GPU, backend_for, check_device, device_kind
from .elementwise import ElementwiseMixin
from .indexing import IndexingMixin
from .io import IOMixin
from .layerops import LayerOpsMixin
from .linalg import LinalgMixin
from .operators import OperatorMixin
from .random import RandomMixin, manual_seed
from .reduce import ReduceMixin
from .shape import ShapeMixin

__all__ = ["Tensor"]


def _host(t):
    """Return the tensor's data as a NumPy array (a view on the CPU, a copy from other devices)."""
    if t._device == DEV_CPU:
        return t._data
    return backend_for(t._device).to_host(t._data)


class Tensor(CreationMixin, RandomMixin, ShapeMixin, IndexingMixin, ElementwiseMixin,
             CompareMixin, ReduceMixin, LinalgMixin, LayerOpsMixin, AugmentMixin, IOMixin,
             OperatorMixin):
    """An n-dimensional array on a device, the data type of eddl.

    Parameters
    ----------
    data : sequence of int, numpy.ndarray or Tensor, optional
        A list/tuple of ints is a *shape* (an uninitialised tensor, as in PyEDDL); an array is
        *data*, always **copied** (as PyEDDL does) and converted to float32 unless ``dtype``
        says otherwise. To wrap an array without copying, use
        ``Tensor.fromarray(a, copy=False)`` or :meth:`from_numpy`.
    dev : int, default DEV_CPU
        Device code (``DEV_CPU``, ``DEV_GPU + i``, ``DEV_FPGA + i``).
    dtype : str or numpy.dtype, optional
        Data type; float32 unless given.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> t = Tensor(a)
    >>> t.shape, t.dtype
    ([2, 3], dtype('float32'))
    >>> np.shares_memory(t.numpy(), a)
    False
    >>> np.shares_memory(Tensor.fromarray(a, copy=False).numpy(), a)
    True
    >>> Tensor([2, 3]).shape
    [2, 3]
    """

    def __init__(self, data=None, dev=DEV_CPU, dtype=None):
        check_device(dev)
        if data is None:
            data = (0,)
        if isinstance(data, TensorBase):
            data = _host(data)
        if isinstance(data, (list, tuple)):
            if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in data):
                raise TypeError("Tensor(list): a list is read as a shape and must hold ints; "
                                "use Tensor.fromarray(...) to build a tensor from values")
            dt = as_dtype(dtype if dtype is not None else np.float32)
            arr = np.empty(norm_shape(data), dt)
        elif isinstance(data, (np.ndarray, np.generic)):
            arr = _convert(np.asarray(data), dtype, copy=True)
        else:
            raise TypeError(f"Tensor: expected a shape (list of int), a NumPy array or a Tensor, "
                            f"got {type(data).__name__}")
        placed = _placed(type(self), arr, dev)
        self._data, self._device = placed._data, placed._device

    @classmethod
    def fromarray(cls, array, dev=DEV_CPU, dtype=None, copy=True):
        """Build a tensor from array-like values (see the class parameters).

        Parameters
        ----------
        array : array_like or Tensor
        dev : int, default DEV_CPU
        dtype : str or numpy.dtype, optional
            Data type; float32 unless given.
        copy : bool or None, default True
            ``True`` always copies, as PyEDDL's ``Tensor.fromarray`` does. ``None`` copies only
            when the values must be converted or moved to another device. ``False`` never
            copies: the tensor shares memory with ``array``, and a ``ValueError`` says why
            when that is impossible (another dtype, another device, not a NumPy array).

        Returns
        -------
        Tensor

        Examples
        --------
        >>> import numpy as np
        >>> a = np.zeros(3, np.float32)
        >>> _ = Tensor.fromarray(a, copy=False).add_(1)
        >>> a.tolist()
        [1.0, 1.0, 1.0]
        """
        if copy not in (True, False, None):
            raise TypeError(f"fromarray: copy must be True, False or None, got {copy!r}")
        if isinstance(array, TensorBase):
            if copy is False and array._device != DEV_CPU:
                raise ValueError("fromarray(copy=False): the tensor is not on the CPU; "
                                 "use copy=True or copy=None")
            array = _host(array)
        elif copy is False and not isinstance(array, np.ndarray):
            raise ValueError(f"fromarray(copy=False): needs a numpy.ndarray to share, got "
                             f"{type(array).__name__}; use copy=True or copy=None")
        dev = check_device(dev)
        if copy is False and device_kind(dev) != "cpu":
            raise ValueError(f"fromarray(copy=False): dev={dev} is not the CPU, so the values "
                             "must be copied; use copy=True or copy=None")
        return _placed(cls, _convert(np.asarray(array), dtype, copy=copy), dev)

    @classmethod
    def from_numpy(cls, array, dev=DEV_CPU):
        """Wrap a NumPy array keeping its dtype (no copy on the CPU)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
        return _placed(cls, _convert(array, array.dtype, copy=None), check_device(dev))

    # --- attributes -------------------------------------------------------------------
    @property
    def shape(self):
        """Shape as a new list of ints, as in PyEDDL (it also compares equal to the tuple).

        Use ``tuple(t.shape)`` where a hashable shape is needed.
        """
        return Shape(self._data.shape)

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self):
        """Number of elements."""
        return int(self._data.size)

    @property
    def dtype(self):
        """NumPy dtype of the elements."""
        return self._data.dtype

    @property
    def device(self):
        """Device code (``DEV_CPU``, ``DEV_GPU + i``, ``DEV_FPGA + i``)."""
        return self._device

    @property
    def stride(self):
        """Strides in elements (PyEDDL)."""
        return [s // self._data.itemsize for s in self._data.strides]

    @property
    def gpu_device(self):
        """Index of the GPU holding the tensor, or -1 when it is not on a GPU (EDDL)."""
        return self._device - DEV_GPU if device_kind(self._device) == "gpu" else -1

    @property
    def nbytes(self):
        """Bytes held by the elements."""
        return int(self._data.nbytes)

    @property
    def isshared(self):
        """True when the data belongs to another array or tensor (a view)."""
        return self._data.base is not None

    def numel(self):
        """Return the number of elements (PyEDDL)."""
        return self.size

    def getShape(self):
        """Shape as a new list of ints (PyEDDL)."""
        return list(self._data.shape)

    def is_contiguous(self):
        """Return True when the elements are stored in C order without gaps."""
        return bool(self._data.flags.c_contiguous)

    def contiguous(self):
        """Return this tensor if C-contiguous, else a C-contiguous copy."""
        return self if self.is_contiguous() else self._new(np.ascontiguousarray(self._data))

    def astype(self, dtype):
        """Return a copy converted to ``dtype``."""
        return self._new(self._data.astype(as_dtype(dtype, "astype")))

    # --- NumPy interop ----------------------------------------------------------------
    def numpy(self):
        """Return the data as a NumPy array, sharing memory on the CPU."""
        return _host(self)

    def getdata(self):
        """Return a new NumPy array holding a copy of the data (PyEDDL)."""
        return np.array(_host(self), copy=True)

    def __array__(self, dtype=None, copy=None):
        arr = _host(self)
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError(f"cannot convert a {arr.dtype.name} tensor to {np.dtype(dtype)} "
                                 "without a copy")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def tolist(self):
        """Nested Python lists of the values."""
        return _host(self).tolist()

    def to_std(self):
        """Return the values, flattened in C order, as a list of Python floats (EDDL)."""
        return [float(v) for v in _host(self).reshape(-1)]

    def item(self):
        """Return the single value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item: the tensor has {self.size} elements, not 1")
        return _host(self).reshape(-1)[0].item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    # --- copies and devices -----------------------------------------------------------
    def clone(self):
        """Return a new tensor with a copy of the data, on the same device."""
        return self._new(self._data.copy())

    def copy(self, B=None):
        """Return a clone (``t.copy()``), or copy ``A`` into ``B`` (``Tensor.copy(A, B)``, PyEDDL).

        ``B`` must have the same number of elements as ``A``; the copy crosses devices if needed.

        Returns
        -------
        Tensor
            The clone, or ``B``.
        """
        if B is None:
            return self.clone()
        if B.size != self.size:
            raise ValueError(f"copy: sizes differ ({self.shape} -> {B.shape})")
        src = _host(self).reshape(B.shape)
        if B._device == DEV_CPU:
            B._data[...] = src
        else:
            B._data = backend_for(B._device).from_host(np.ascontiguousarray(src, B.dtype))
        return B

    def isCPU(self):
        """1 when the tensor is on the CPU, else 0."""
        return int(device_kind(self._device) == "cpu")

    def isGPU(self):
        """1 when the tensor is on a GPU, else 0."""
        return int(device_kind(self._device) == "gpu")

    def isFPGA(self):
        """1 when the tensor is on an FPGA, else 0."""
        return int(device_kind(self._device) == "fpga")

    def toDevice(self, dev):
        """Move the data to device ``dev`` in place; returns this tensor.

        Raises
        ------
        RuntimeError
            If that device's backend is not available in this build.
        """
        check_device(dev)
        if int(dev) != self._device:
            arr = _host(self)
            self._data = arr if device_kind(dev) == "cpu" else backend_for(dev).from_host(arr)
            self._device = int(dev)
        return self

    def toCPU(self, dev=DEV_CPU):
        """Move to the CPU in place; returns this tensor."""
        return self.toDevice(dev)

    def toGPU(self, dev=DEV_GPU):
        """Move to GPU ``dev`` in place; returns this tensor."""
        return self.toDevice(dev)

    def toFPGA(self, dev=DEV_FPGA):
        """Move to FPGA ``dev`` in place; returns this tensor."""
        return self.toDevice(dev)

    def to(self, dev):
        """Return a copy of the tensor on device ``dev``."""
        return self.clone().toDevice(dev)

    @staticmethod
    def getDeviceID(dev):
        """Device code of a name such as ``"cpu"`` or ``"cuda:1"``."""
        from .device import getDeviceID
        return getDeviceID(dev)

    @staticmethod
    def hardware_supported():
        """Hardware this build can compute on, e.g. ``["cpu"]``."""
        from .device import hardware_supported
        return hardware_supported()

    @staticmethod
    def is_hardware_supported(hardware):
        """Return True when ``hardware`` (``"cpu"``, ``"gpu"``, ``"cuda"``, ``"fpga"``) is usable."""
        from .device import is_hardware_supported
        return is_hardware_supported(hardware)

    manual_seed = staticmethod(manual_seed)
    set_seed = staticmethod(manual_seed)

    # --- printing ---------------------------------------------------------------------
    def _device_name(self):
        kind = device_kind(self._device)
        return kind if kind == "cpu" else f"{kind}:{self._device % 1000}"

    def __repr__(self):
        arr = _host(self)
        body = np.array2string(arr, separator=", ", prefix="Tensor(", threshold=200, edgeitems=3)
        extra = f", shape={tuple(arr.shape)}" if arr.size > 200 or arr.size == 0 else ""
        return f"Tensor({body}{extra}, dtype={arr.dtype.name}, device='{self._device_name()}')"

    def __str__(self):
        return np.array2string(_host(self), threshold=200, edgeitems=3)

    def info(self):
        """Print the tensor's metadata (shape, strides, dtype, device, ...), as in PyEDDL."""
        arr = self._data
        rows = [
            ("class", type(self).__name__), ("ndim", arr.ndim), ("shape", tuple(arr.shape)),
            ("strides", tuple(self.stride)), ("size", arr.size),
            ("dtype", f"{arr.dtype.name} ({arr.dtype.itemsize} bytes)"),
            ("contiguous", int(self.is_contiguous())), ("is shared", int(self.isshared)),
            ("device", f"{self._device_name().upper()} (code = {self._device})"),
        ]
        line = "-" * 40
        print(line)
        for k, v in rows:
            print(f"{k + ':':<15}{v}")
        print(line)

    def print(self, precision=6, raw=False):
        """Print the values with ``precision`` decimals; ``raw`` prints them flat, one line."""
        arr = _host(self)
        if raw:
            print(" ".join(np.format_float_positional(v, precision=precision, unique=False)
                           if arr.dtype.kind == "f" else str(v) for v in arr.reshape(-1).tolist()))
        else:
            with np.printoptions(precision=precision, threshold=1000, edgeitems=3):
                print(arr)


def _convert(arr, dtype, copy):
    """Return ``arr`` as a supported dtype: ``dtype`` if given, else float32 (PyEDDL).

    ``copy`` follows NumPy: True always copies (C order, as PyEDDL's forcecast), None copies
    only to convert, False raises ValueError when a conversion would be needed.
    """
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: cannot build a tensor from an array of dtype {arr.dtype} "
                        "(numbers and bool only)")
    dt = as_dtype(dtype if dtype is not None else np.float32, "Tensor: dtype")
    if copy:
        return np.array(arr, dtype=dt, order="C", copy=True)
    if arr.dtype != dt or not arr.dtype.isnative:
        if copy is False:
            raise ValueError(f"fromarray(copy=False): the array is {arr.dtype}, the tensor "
                             f"would be {dt.name}, so the values must be converted; pass a "
                             f"{dt.name} array, or use copy=True or copy=None")
        return native(arr).astype(dt)
    return arr


Tensor.__module__ = "eddl"
