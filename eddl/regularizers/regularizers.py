"""Weight regularizers: L1, L2 and L1L2 penalties on a layer's weights (not its biases).

The penalty ``l1 * sum|W| + l2 * sum(W^2)`` is added to the objective once per batch; its
gradient is added to the weight gradients after backward and before the optimizer step.
"""

__all__ = ["Regularizer", "L1", "L2", "L1L2"]


class Regularizer:
    """``l1 * sum(|W|) + l2 * sum(W^2)`` over the weights it is attached to."""

    def __init__(self, l1=0.0, l2=0.0):
        for what, v in (("l1", l1), ("l2", l2)):
            if not float(v) >= 0:
                raise ValueError(f"regularizer: {what} must be >= 0, got {v!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def value(self, w):
        """Return the penalty of weight array ``w``."""
        return float(self.l1 * abs(w).sum() + self.l2 * (w * w).sum())

    def add_grad(self, w, g, xp):
        """``g += d(penalty)/dw``."""
        if self.l1:
            g += self.l1 * xp.sign(w)
        if self.l2:
            g += (2.0 * self.l2) * w

    def __repr__(self):
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(Regularizer):
    """``l1 * sum(|W|)``.

    Parameters
    ----------
    l1 : float
        Penalty factor, ``>= 0``.
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


class L2(Regularizer):
    """``l2 * sum(W^2)``.

    Parameters
    ----------
    l2 : float
        Penalty factor, ``>= 0``.
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


class L1L2(Regularizer):
    """``l1 * sum(|W|) + l2 * sum(W^2)``.

    Parameters
    ----------
    l1, l2 : float
        Penalty factors, ``>= 0``.
    """

    def __init__(self, l1=0.01, l2=0.01):
        super().__init__(l1=l1, l2=l2)
