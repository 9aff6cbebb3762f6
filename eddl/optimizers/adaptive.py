"""Other adaptive optimizers: Adagrad, AdaDelta, Adamax, Nadam (element-wise array math)."""

from .base import Optimizer, _positive

__all__ = ["Adagrad", "AdaDelta", "Adamax", "Nadam"]


class Adagrad(Optimizer):
    """Adagrad: ``a += g^2``; ``p -= lr g / (sqrt(a) + epsilon)``."""

    name = "adagrad"

    def __init__(self, lr=0.01, epsilon=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.epsilon = _positive("epsilon", epsilon)

    def _init_state(self, p):
        return (self._zeros_like(p),)

    def _apply(self, p, g, st):
        xp = self.be.xp
        acc = st[0]
        acc += g * g
        p -= self.lr * g / (xp.sqrt(acc) + self.epsilon)


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012), scaled by ``lr`` (1.0 gives the original method)."""

    name = "adadelta"

    def __init__(self, lr=0.01, rho=0.95, epsilon=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.rho = _positive("rho", rho, allow_zero=True)
        self.epsilon = _positive("epsilon", epsilon)

    def _init_state(self, p):
        return (self._zeros_like(p), self._zeros_like(p))

    def _apply(self, p, g, st):
        xp = self.be.xp
        eg, ed = st
        r, e = self.rho, self.epsilon
        eg *= r
        eg += (1 - r) * g * g
        upd = xp.sqrt(ed + e) / xp.sqrt(eg + e) * g
        ed *= r
        ed += (1 - r) * upd * upd
        p -= self.lr * upd


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm, ``u = max(beta_2 u, |g|)``."""

    name = "adamax"

    def __init__(self, lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta_1 = _positive("beta_1", beta_1, allow_zero=True)
        self.beta_2 = _positive("beta_2", beta_2, allow_zero=True)
        self.epsilon = _positive("epsilon", epsilon)

    def _init_state(self, p):
        return (self._zeros_like(p), self._zeros_like(p))

    def _apply(self, p, g, st):
        xp = self.be.xp
        m, u = st
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        xp.maximum(self.beta_2 * u, abs(g), out=u)
        p -= (self.lr / (1 - self.beta_1 ** self.iterations)) * m / (u + self.epsilon)


class Nadam(Optimizer):
    """Nadam (Dozat 2016) with the momentum schedule ``mu_t = beta_1 (1 - 0.5 * 0.96^(t d))``."""

    name = "nadam"

    def __init__(self, lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule_decay=0.004):
        super().__init__(lr, 0.0)
        self.beta_1 = _positive("beta_1", beta_1, allow_zero=True)
        self.beta_2 = _positive("beta_2", beta_2, allow_zero=True)
        self.epsilon = _positive("epsilon", epsilon)
        self.schedule_decay = _positive("schedule_decay", schedule_decay, allow_zero=True)
        self._mu_prod = 1.0
        self._mu_step = 0

    def _mu(self, t):
        return self.beta_1 * (1 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def _init_state(self, p):
        return (self._zeros_like(p), self._zeros_like(p))

    def _extra_state(self):
        return {"mu_prod": self._mu_prod, "mu_step": self._mu_step}

    def _set_extra_state(self, values):
        self._mu_prod = values.get("mu_prod", 1.0)
        self._mu_step = int(values.get("mu_step", 0))

    def step(self):
        t = self.iterations + 1
        if self._mu_step != t:  # one product update per step, shared by all parameters
            self._mu_prod *= self._mu(t)
            self._mu_step = t
        super().step()

    def _apply(self, p, g, st):
        xp = self.be.xp
        t = self.iterations
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        prod, prod_next = self._mu_prod, self._mu_prod * mu_next
        m, v = st
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * g * g
        m_hat = mu_next * m / (1 - prod_next) + (1 - mu_t) * g / (1 - prod)
        v_hat = v / (1 - self.beta_2 ** t)
        p -= self.lr * m_hat / (xp.sqrt(v_hat) + self.epsilon)
