"""Stochastic gradient descent with optional (Nesterov) momentum."""

from .base import Optimizer, _positive

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD: ``v = momentum v - lr g``; ``p += v`` (Nesterov: ``p += momentum v - lr g``).

    Parameters
    ----------
    lr : float
    momentum : float
    weight_decay : float
    nesterov : bool
    """

    name = "sgd"

    def __init__(self, lr=0.01, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(lr, weight_decay)
        self.mu = _positive("momentum", momentum, allow_zero=True)
        self.nesterov = bool(nesterov)

    @property
    def momentum(self):
        return self.mu

    def change(self, p):
        """``p[0]`` = learning rate, ``p[1]`` (optional) = momentum."""
        super().change(p)
        if len(p) > 1:
            self.mu = _positive("momentum", p[1], allow_zero=True)

    def _init_state(self, p):
        return (self._zeros_like(p),)

    def _apply(self, p, g, st):
        self.be.nn.sgd_update(p, g, st[0], self.lr, self.mu, self.nesterov)
