"""Optimizer base class: parameter bookkeeping, weight decay, gradient clipping, schedules.

``setup(pairs, be)`` is called by ``Model.build`` with the ``(param, grad)`` arrays of every
trainable layer; state buffers are allocated there once. ``step()`` applies one update in place.
Subclasses implement ``_init_state(param)`` (a tuple of state arrays) and
``_apply(param, grad, state)``.
"""

import math

import numpy as np

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
        self._layers = []

    @property
    def layers(self):
        """Layers of the model this optimizer updates (EDDL's ``Optimizer::layers``).

        Set by ``build``; empty before. Read-only: the model decides what is trained.
        """
        return list(self._layers)

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
        return self.be.zeros(p.shape, p.dtype)

    def _init_state(self, p):
        return ()

    def _apply(self, p, g, state):
        raise NotImplementedError

    def step(self):
        """Apply one update to every parameter from its current gradient."""
        self.iterations += 1
        xp = self.be.xp
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

    # --- state export / import ---------------------------------------------------------------
    def _extra_state(self):
        """Scalars besides the buffers that a subclass must carry across a restart."""
        return {}

    def _set_extra_state(self, values):
        pass

    def get_state(self):
        """Return the optimizer's training state as plain NumPy arrays (for ``np.savez``).

        Together with the weights, this is what makes a stopped training continue exactly:
        the step count (bias corrections), the learning rate (schedules change it), every
        state buffer (momentum, moment estimates...) and a schedule's own counters.

        Returns
        -------
        dict of str to numpy.ndarray
            ``optimizer`` (the name), ``iterations``, ``lr``, ``slot/<i>/<j>`` (buffer ``j``
            of parameter ``i``, in the model's parameter order), plus ``extra/<name>`` and
            ``schedule/<name>`` scalars where the method has them. No object arrays: the
            dict can be written with ``np.savez`` and read with ``allow_pickle=False``.

        Examples
        --------
        >>> import numpy as np, eddl
        >>> x = eddl.Input([2]); net = eddl.Model([x], [eddl.Dense(x, 1)])
        >>> net = eddl.build(net, eddl.adam(0.1), ["mse"], ["mse"])
        >>> sorted(net.optimizer.get_state())[:4]
        ['iterations', 'lr', 'optimizer', 'slot/0/0']
        """
        if self.be is None:
            raise ValueError(f"{self.name}: get_state needs an optimizer set up by a built model")
        out = {"optimizer": np.array(self.name), "iterations": np.array(self.iterations, np.int64),
               "lr": np.array(self.lr, np.float64)}
        for i, st in enumerate(self.states):
            for j, buf in enumerate(st):
                if buf is not None:
                    out[f"slot/{i}/{j}"] = np.array(self.be.to_host(buf), copy=True)
        for k, v in self._extra_state().items():
            out[f"extra/{k}"] = np.array(v, np.float64)
        if self.schedule is not None:
            for k, v in self.schedule.get_state().items():
                out[f"schedule/{k}"] = np.array(v, np.float64)
        return out

    def set_state(self, state):
        """Restore a state returned by :meth:`get_state` (checked completely before any change).

        Parameters
        ----------
        state : Mapping of str to array_like
            For example an ``np.load(..., allow_pickle=False)`` of a saved state.

        Raises
        ------
        ValueError
            The state is for another optimizer, or a buffer is missing, extra or has another
            shape or a non-float type (a different model?).
        """
        if self.be is None:
            raise ValueError(f"{self.name}: set_state needs an optimizer set up by a built model")
        keys = set(state.keys())
        for k in ("optimizer", "iterations", "lr"):
            if k not in keys:
                raise ValueError(f"{self.name}: set_state: the state has no {k!r} entry")
        name = str(np.asarray(state["optimizer"]))
        if name != self.name:
            raise ValueError(f"set_state: the state is for optimizer {name!r}, this is {self.name!r}")
        it = np.asarray(state["iterations"])
        if it.shape != () or it.dtype.kind not in "iu" or int(it) < 0:
            raise ValueError(f"{self.name}: set_state: iterations must be an integer >= 0, got {it!r}")
        lr = _positive("lr", np.asarray(state["lr"]).item(), allow_zero=True)
        expected = {f"slot/{i}/{j}": buf for i, st in enumerate(self.states)
                    for j, buf in enumerate(st) if buf is not None}
        slots = {k for k in keys if k.startswith("slot/")}
        if slots != set(expected):
            missing, extra = sorted(set(expected) - slots), sorted(slots - set(expected))
            raise ValueError(f"{self.name}: set_state: state buffers do not match the model "
                             f"(missing {missing[:4]}, unexpected {extra[:4]}; a different "
                             "architecture or optimizer setting?)")
        values = {}
        for k, buf in expected.items():
            v = np.asarray(state[k])
            if v.shape != tuple(buf.shape) or v.dtype.kind != "f":
                raise ValueError(f"{self.name}: set_state: {k} is {list(v.shape)} of {v.dtype}, "
                                 f"the model's buffer is {list(buf.shape)} of {buf.dtype}")
            values[k] = v
        extra = {k[6:]: float(np.asarray(state[k])) for k in keys if k.startswith("extra/")}
        sched = {k[9:]: float(np.asarray(state[k])) for k in keys if k.startswith("schedule/")}
        for k, buf in expected.items():
            buf[...] = self.be.from_host(values[k], buf.dtype)
        self.iterations, self.lr = int(it), lr
        self._set_extra_state(extra)
        if self.schedule is not None and sched:
            self.schedule.set_state(sched)

    def clone(self):
        """Return a fresh optimizer with the same hyper-parameters and no state."""
        new = type(self).__new__(type(self))
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in ("pairs", "states", "be", "_layers")})
        new.pairs, new.states, new.be, new.iterations, new._layers = [], [], None, 0, []
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
