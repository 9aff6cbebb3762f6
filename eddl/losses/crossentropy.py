"""Cross-entropy losses (categorical, softmax, binary, sparse integer labels).

When the output layer is the matching activation (softmax for categorical, sigmoid for binary)
and nothing else consumes it, the model asks for :meth:`fused_delta`: the gradient with respect
to the activation's input (``(y - t) / batch`` for one-hot targets), which is cheaper and stays exact where the chained form
loses precision as ``y`` saturates.
"""

import warnings

from ..backend.registry import array_namespace as _xp  # the namespace of the arrays' backend
from .base import Loss, register_loss

__all__ = ["CategoricalCrossEntropy", "SoftCrossEntropy", "BinaryCrossEntropy",
           "SparseCategoricalCrossEntropy", "DeprecatedCrossEntropy"]

#: probabilities are clipped to [EPS, 1 - EPS] inside logarithms
EPS = 1e-7


class CategoricalCrossEntropy(Loss):
    """Per sample ``-sum(t * log(y))`` over the class axis (the last one)."""

    fuses_with = "softmax"

    def value(self, t, y):
        xp = _xp(y)
        return float(-(t * xp.log(xp.clip(y, EPS, 1.0))).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        xp.divide(t, xp.clip(y, EPS, 1.0), out=d)
        d *= -1.0 / y.shape[0]

    def fused_delta(self, t, y, d):
        # d/dz of -sum(t log softmax(z)) is y * sum(t) - t: y - t for targets summing to one
        d[...] = y * t.sum(axis=-1, keepdims=True) - t
        d *= 1.0 / y.shape[0]


class SoftCrossEntropy(CategoricalCrossEntropy):
    """Cross-entropy of a softmax output (EDDL's ``soft_cross_entropy``)."""


class BinaryCrossEntropy(Loss):
    """Per sample ``-sum(t log y + (1 - t) log(1 - y))``."""

    fuses_with = "sigmoid"

    def value(self, t, y):
        xp = _xp(y)
        yc = xp.clip(y, EPS, 1.0 - EPS)
        return float(-(t * xp.log(yc) + (1 - t) * xp.log(1 - yc)).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        yc = xp.clip(y, EPS, 1.0 - EPS)
        xp.divide(yc - t, yc * (1 - yc), out=d)
        d *= 1.0 / y.shape[0]

    def fused_delta(self, t, y, d):
        _xp(y).subtract(y, t, out=d)
        d *= 1.0 / y.shape[0]


class SparseCategoricalCrossEntropy(Loss):
    """Cross-entropy with integer class labels: target shape ``[batch]`` or ``[batch, 1]``."""

    fuses_with = "softmax"

    def check_target(self, t, y, layer_name):
        n = y.shape[0]
        if y.ndim != 2 or t.shape not in ((n,), (n, 1)):
            raise ValueError(f"loss {self.name!r} on output {layer_name!r}: expects a 2-D output "
                             f"and integer labels of shape [{n}] or [{n}, 1]; got output "
                             f"{list(y.shape)} and target {list(t.shape)}")
        xp = _xp(y)
        lab = t.reshape(-1)
        if lab.size and (lab.min() < 0 or lab.max() >= y.shape[1] or (xp.rint(lab) != lab).any()):
            raise ValueError(f"loss {self.name!r} on output {layer_name!r}: labels must be integers "
                             f"in [0, {y.shape[1]})")

    def _labels(self, t):
        return t.reshape(-1).astype("int64")

    def value(self, t, y):
        xp = _xp(y)
        lab = self._labels(t)
        p = y[xp.arange(y.shape[0]), lab]
        return float(-xp.log(xp.clip(p, EPS, 1.0)).sum())

    def delta(self, t, y, d):
        xp = _xp(y)
        lab = self._labels(t)
        rows = xp.arange(y.shape[0])
        d[...] = 0
        d[rows, lab] = -1.0 / (xp.clip(y[rows, lab], EPS, 1.0) * y.shape[0])

    def fused_delta(self, t, y, d):
        xp = _xp(y)
        d[...] = y
        d[xp.arange(y.shape[0]), self._labels(t)] -= 1.0
        d *= 1.0 / y.shape[0]


class DeprecatedCrossEntropy(Loss):
    """EDDL's old element-wise cross-entropy (``"deprecated_cross_entropy"``, ``LCrossEntropy``).

    Per sample ``-sum(t log(y + 1e-5) + (1 - t) log(1 - y + 1e-5))``, the terms with ``t == 0``
    (resp. ``t == 1``) left out; the gradient is ``((1 - t) / (1 - y + 1e-6) - t / (y + 1e-6))
    / batch``. Both offsets are EDDL's: they keep the logarithms and quotients finite at 0 and
    1 without clipping. It warns on construction, as EDDL does; use ``"binary_cross_entropy"``.

    Parameters
    ----------
    name : str
    """

    #: offsets of EDDL's value (src/hardware/cpu/nn/cpu_losses.cpp, cpu_cent) and of its
    #: delta (src/losses/loss_cross_entropy.cpp)
    VALUE_EPS = 1e-5
    DELTA_EPS = 1e-6

    def __init__(self, name="deprecated_cross_entropy"):
        super().__init__(name)
        warnings.warn("loss 'deprecated_cross_entropy' is deprecated; use 'binary_cross_entropy'",
                      DeprecationWarning, stacklevel=4)

    def value(self, t, y):
        xp = _xp(y)
        pos = xp.where(t != 0, t * xp.log(y + self.VALUE_EPS), 0.0)
        neg = xp.where(t != 1, (1 - t) * xp.log(1 - y + self.VALUE_EPS), 0.0)
        return float(-(pos + neg).sum())

    def delta(self, t, y, d):
        d[...] = (1 - t) / (1 - y + self.DELTA_EPS) - t / (y + self.DELTA_EPS)
        d *= 1.0 / y.shape[0]


register_loss(CategoricalCrossEntropy, "categorical_cross_entropy", "cross_entropy", "ce", "cce")
register_loss(SoftCrossEntropy, "soft_cross_entropy", "softmax_cross_entropy", "sce")
register_loss(BinaryCrossEntropy, "binary_cross_entropy", "bce")
register_loss(SparseCategoricalCrossEntropy, "sparse_categorical_cross_entropy",
              "sparse_cross_entropy", "scce")
register_loss(DeprecatedCrossEntropy, "deprecated_cross_entropy")
