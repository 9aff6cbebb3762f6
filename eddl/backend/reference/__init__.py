"""Reference backend: the whole contract of :mod:`eddl.backend.contract` in plain NumPy.

No compiled code and no threading policy: every function is the straightforward NumPy form of
its definition, so it is the oracle the other backends are tested against, a backend for
debugging a model (``eddl.CS_CPU(backend="reference")``) and the host side of emulated
accelerators. It stores NumPy arrays on the CPU device, so its tensors are ordinary CPU tensors.

Examples
--------
>>> import numpy as np
>>> from eddl.backend import registry
>>> ref = registry.get("reference")
>>> ref.gemm(np.eye(2), np.ones((2, 3)), alpha=2.0)
array([[2., 2., 2.],
       [2., 2., 2.]])
"""

import numpy as np

from . import conv, nn, norm, pool, resample
from .core import binary, empty, from_host, gemm, gemm_batched, reduce, rng, scalar, to_host, unary, zeros

name = "reference"
device = 0  # DEV_CPU: its arrays are host NumPy arrays
xp = np
array_types = (np.ndarray,)

__all__ = ["name", "device", "xp", "array_types", "empty", "zeros", "rng", "to_host", "from_host",
           "scalar", "gemm", "gemm_batched", "unary", "binary", "reduce", "nn", "conv", "pool",
           "norm", "resample"]
