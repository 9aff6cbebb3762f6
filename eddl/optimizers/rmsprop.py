"""RMSprop."""

from .base import Optimizer, _positive

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    """RMSprop: ``s = rho s + (1 - rho) g^2``; ``p -= lr g / (sqrt(s) + epsilon)``.

    Parameters
    ----------
    lr, rho, epsilon, weight_decay : float
    """

    name = "rmsprop"

    def __init__(self, lr=0.01, rho=0.9, epsilon=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.rho = _positive("rho", rho, allow_zero=True)
        self.epsilon = _positive("epsilon", epsilon)

    def _init_state(self, p):
        return (self._zeros_like(p),)

    def _apply(self, p, g, st):
        self.be.nn.rmsprop_update(p, g, st[0], self.lr, self.rho, self.epsilon)
