"""Learning-rate schedules, stepped by ``fit`` at the end of every epoch.

Attach one with ``optimizer.set_schedule(StepDecay(...))``. Each schedule remembers the
optimizer's learning rate when attached as the base rate.
"""

import math

__all__ = ["Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "ReduceLROnPlateau"]


class Schedule:
    """Base class of the learning-rate schedules.

    ``rate(epoch)`` gives the learning rate for the next epoch (0-based count of finished
    epochs).
    """

    def attach(self, opt):
        self.opt = opt
        self.base_lr = opt.lr

    def rate(self, epoch):
        raise NotImplementedError

    _state_names = ("base_lr",)

    def get_state(self):
        """Counters that must survive a restart, as a dict of floats."""
        return {k: float(getattr(self, k)) for k in self._state_names if hasattr(self, k)}

    def set_state(self, values):
        """Restore counters from :meth:`get_state`."""
        for k in self._state_names:
            if k in values:
                setattr(self, k, type(getattr(self, k, 0.0))(values[k]))

    def on_epoch_end(self, epoch, loss):
        """Set the optimizer's learning rate for the next epoch.

        ``fit`` calls it with the finished epoch (1-based) and its mean loss.
        """
        self.opt.lr = self.rate(epoch)


class StepDecay(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepDecay: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def rate(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """``lr = base_lr * gamma ** epoch``."""

    def __init__(self, gamma):
        if not 0 < gamma <= 1:
            raise ValueError(f"ExponentialDecay: gamma must be in (0, 1], got {gamma}")
        self.gamma = float(gamma)

    def rate(self, epoch):
        return self.base_lr * self.gamma ** epoch


class CosineDecay(Schedule):
    """Cosine annealing from the base rate to ``min_lr`` over ``epochs`` epochs."""

    def __init__(self, epochs, min_lr=0.0):
        if epochs < 1:
            raise ValueError(f"CosineDecay: epochs must be >= 1, got {epochs}")
        self.epochs, self.min_lr = int(epochs), float(min_lr)

    def rate(self, epoch):
        e = min(epoch, self.epochs)
        return self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * e / self.epochs))


class ReduceLROnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the epoch loss stops improving.

    That is when it has not improved by ``min_delta`` for ``patience`` epochs; the rate never
    goes below ``min_lr``.
    """

    _state_names = ("base_lr", "best", "wait")

    def __init__(self, factor=0.1, patience=3, min_delta=1e-4, min_lr=0.0):
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.factor, self.patience = float(factor), int(patience)
        self.min_delta, self.min_lr = float(min_delta), float(min_lr)
        self.best = math.inf
        self.wait = 0

    def on_epoch_end(self, epoch, loss):
        if loss < self.best - self.min_delta:
            self.best, self.wait = loss, 0
            return
        self.wait += 1
        if self.wait > self.patience:
            self.opt.lr = max(self.min_lr, self.opt.lr * self.factor)
            self.wait = 0
