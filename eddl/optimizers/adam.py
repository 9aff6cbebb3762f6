"""Adam and its variants AdamW (decoupled weight decay) and AMSGrad."""

from .base import Optimizer, _positive

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam with bias correction; ``amsgrad`` keeps the running maximum of ``v``.

    Parameters
    ----------
    lr, beta_1, beta_2, epsilon, weight_decay : float
    amsgrad : bool
    """

    name = "adam"

    def __init__(self, lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.0,
                 amsgrad=False):
        super().__init__(lr, weight_decay)
        self.beta_1 = _positive("beta_1", beta_1, allow_zero=True)
        self.beta_2 = _positive("beta_2", beta_2, allow_zero=True)
        if self.beta_1 >= 1 or self.beta_2 >= 1:
            raise ValueError(f"{self.name}: beta_1 and beta_2 must be < 1, got {beta_1}, {beta_2}")
        self.epsilon = _positive("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)

    def _init_state(self, p):
        z = self._zeros_like
        return (z(p), z(p), z(p) if self.amsgrad else None)

    def _apply(self, p, g, st):
        self.be.nn.adam_update(p, g, st[0], st[1], st[2], self.lr, self.beta_1, self.beta_2,
                               self.epsilon, self.iterations, self.amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p -= lr * weight_decay * p`` besides the Adam step."""

    name = "adamw"

    def _decay_in_grad(self):
        return False

    def _apply(self, p, g, st):
        if self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay
        super()._apply(p, g, st)
