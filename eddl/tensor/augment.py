"""Random data augmentation of image batches ``[batch, channels, height, width]``.

EDDL's ``Tensor::flip_random`` and ``Tensor::crop_random`` (src/tensor/tensor_da.cpp) draw
their parameters per sample; here they come from eddl's global random stream, so
:func:`~eddl.tensor.manual_seed` makes them reproducible.
"""

import numpy as np

from ._base import TensorBase
from .random import get_generator

__all__ = ["AugmentMixin"]


def _check_batch(t, op):
    if t._data.ndim != 4:
        raise ValueError(f"{op}: needs a 4-D tensor [batch, channels, height, width], got shape "
                         f"{t.shape}")


class AugmentMixin(TensorBase):
    """Per-sample random flips and crops of a batch of images."""

    def flip_random(self, axis):
        """Mirror each sample with probability 1/2; returns a new tensor.

        Parameters
        ----------
        axis : {0, 1}
            0 reverses the rows (vertical flip), 1 the columns (horizontal flip), as in EDDL.

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            For a tensor that is not 4-D or an ``axis`` other than 0 and 1.
        """
        _check_batch(self, "flip_random")
        if isinstance(axis, bool) or axis not in (0, 1):
            raise ValueError(f"flip_random: axis must be 0 (vertical) or 1 (horizontal), got "
                             f"{axis!r}")
        x = self._data
        # EDDL flips sample b when uniform(0, 1) >= 0.5 (src/hardware/cpu/cpu_da.cpp)
        flip = np.asarray(get_generator().random(x.shape[0]) >= 0.5)
        out = x.copy()
        out[flip] = np.flip(x[flip], axis=2 + int(axis))
        return self._new(out)

    def crop_random(self, height, width, cval=0.0, keep_size=False):
        """Cut a ``height x width`` window at a random place of each sample.

        Every position of the window inside the sample is equally likely.

        Parameters
        ----------
        height, width : int
            Window size, ``1 <= height <= H`` and ``1 <= width <= W``.
        cval : float, default 0.0
            With ``keep_size``, the value outside the window.
        keep_size : bool, default False
            False: the result is ``[batch, channels, height, width]``. True: the result keeps
            this tensor's shape, the window stays in place and the rest becomes ``cval``
            (EDDL declares this form but raises "not yet implemented").

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            For a tensor that is not 4-D or a window larger than the samples.
        """
        _check_batch(self, "crop_random")
        n, _, h, w = self._data.shape
        for name, v, full in (("height", height, h), ("width", width, w)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= full:
                raise ValueError(f"crop_random: {name}={v!r} is invalid; valid: an int in "
                                 f"[1, {full}]")
        rng = get_generator()
        ys = rng.integers(0, h - height + 1, n)
        xs = rng.integers(0, w - width + 1, n)
        x = self._data
        if keep_size:
            out = np.full_like(x, cval)
        else:
            out = np.empty(x.shape[:2] + (height, width), dtype=x.dtype)
        for b, (y0, x0) in enumerate(zip(ys, xs)):
            window = (slice(y0, y0 + height), slice(x0, x0 + width))
            if keep_size:
                out[(b, slice(None)) + window] = x[(b, slice(None)) + window]
            else:
                out[b] = x[(b, slice(None)) + window]
        return self._new(out)
