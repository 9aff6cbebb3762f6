"""Optimizer base class: parameter bookkeeping, weight decay, gradient clipping, schedules.

``setup(pairs, be)`` is called by ``Model.build`` with the ``(param, grad)`` arrays of every
trainable layer; state buffers are allocated there once. ``step()`` applies one update in place.
Subclasses implement ``_init_state(param)`` (a tuple of state arrays) and
``_apply(param, grad, state)``.
"""

import math

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the optimizers.

    Parameters
    ----------
    lr : float
        Learning rate.
    weight_decay : float
        L2 penalty added to the gradient (``g += weight_decay * p``) before the update.
    """

    name = "optimizer"

    def __init__(self, lr=0.01, weight_decay=0.0):
        self.lr = _positive("lr", lr, allow_zero=True)
        self.weight_decay = _positive("weight_decay", weight_decay, allow_zero=True)
        self.clip_val = None
        self.clip_norm = None
        self.schedule = None
        self.iterations = 0
        self.pairs = []
        self.states = []
        self.be = None
        self.isshared = False
        self.orig = None

    # --- configuration ---------------------------------------------------------------------
    def set_clip_val(self, v):
        """Clip every gradient element to ``[-v, v]`` before the update."""
        self.clip_val = _positive("clip value", v)

    def set_clip_norm(self, max_norm):
        """Rescale all gradients together when their global L2 norm exceeds ``max_norm``."""
        self.clip_norm = _positive("clip norm", max_norm)

    def set_schedule(self, schedule):
        """Attach a learning-rate schedule (see :mod:`eddl.optimizers.schedules`)."""
        self.schedule = schedule
        if schedule is not None:
            schedule.attach(self)

    def change(self, p):
        """PyEDDL's ``setlr`` hook: ``p[0]`` is the new learning rate."""
        p = list(p)
        if not p:
            raise ValueError(f"{self.name}: setlr needs at least the learning rate")
        self.lr = _positive("lr", p[0], allow_zero=True)

    # --- model-facing ------------------------------------------------------------------------
    def setup(self, pairs, be):
        self.be = be
        self.pairs = list(pairs)
        self.states = [self._init_state(p) for p, _ in self.pairs]

    def _zeros_like(self, p):
        return self.be.nn.zeros(p.shape, p.dtype)

    def _init_state(self, p):
        return ()

    def _apply(self, p, g, state):
        raise NotImplementedError

    def step(self):
        """Apply one update to every parameter from its current gradient."""
        self.iterations += 1
        xp = self.be.nn.xp
        if self.clip_norm is not None:
            total = math.sqrt(sum(float((g * g).sum()) for _, g in self.pairs))
            if total > self.clip_norm:
                for _, g in self.pairs:
                    g *= self.clip_norm / (total + 1e-12)
        for (p, g), st in zip(self.pairs, self.states):
            if self.clip_val is not None:
                xp.clip(g, -self.clip_val, self.clip_val, out=g)
            if self.weight_decay and self._decay_in_grad():
                g += self.weight_decay * p
            self._apply(p, g, st)

    def _decay_in_grad(self):
        return True

    def clone(self):
        """A fresh optimizer with the same hyper-parameters and no state."""
        new = type(self).__new__(type(self))
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in ("pairs", "states", "be")})
        new.pairs, new.states, new.be, new.iterations = [], [], None, 0
        return new

    def share(self):
        other = self.clone()
        other.isshared = True
        other.orig = self
        return other

    def __repr__(self):
        return f"<{type(self).__name__} lr={self.lr}>"


def _positive(what, v, allow_zero=False):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"optimizer: {what} must be a number, got {v!r}") from None
    if not math.isfinite(f) or f < 0 or (f == 0 and not allow_zero):
        raise ValueError(f"optimizer: {what} must be {'>= 0' if allow_zero else '> 0'}, got {v!r}")
    return f
