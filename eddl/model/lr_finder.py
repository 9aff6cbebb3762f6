"""Learning-rate range test (Leslie Smith's), as fastai's ``lr_find`` and Lightning's ``lr_find``."""

import math

import numpy as np

from ..layers.base import TRMODE
from .training import _batch_size, _check_pairs

__all__ = ["lr_finder", "LRFinderResult"]


class LRFinderResult:
    """The curve of a range test.

    Attributes
    ----------
    lrs : numpy.ndarray
        The learning rate of each step.
    losses : numpy.ndarray
        The smoothed (bias-corrected exponential moving average) training loss of each step.
    raw_losses : numpy.ndarray
        The loss of each step's batch before its update.
    suggestion : float or None
        The rate where the smoothed loss falls fastest (None when the curve is too short).
    diverged : bool
        Whether the test stopped early because the loss diverged.
    """

    def __init__(self, lrs, losses, raw_losses, suggestion, diverged):
        self.lrs, self.losses, self.raw_losses = lrs, losses, raw_losses
        self.suggestion, self.diverged = suggestion, diverged

    def __repr__(self):
        s = "None" if self.suggestion is None else f"{self.suggestion:.3g}"
        return (f"LRFinderResult({self.lrs.size} steps, {self.lrs[0]:.3g}..{self.lrs[-1]:.3g}, "
                f"suggestion={s}, diverged={self.diverged})")

    def plot(self):
        """Draw the curve as a figure (:func:`eddl.figures.plot_lr_finder`)."""
        from ..figures import plot_lr_finder

        return plot_lr_finder(self.lrs, self.losses, self.suggestion, self.raw_losses)

    def save(self, path):
        """Write the curve as a PNG atomically."""
        from ..figures import save_lr_finder

        save_lr_finder(self.lrs, self.losses, path, suggestion=self.suggestion,
                       raw_losses=self.raw_losses)


def _suggest(lrs, losses, skip_start):
    """Find the rate of the steepest descent of the loss against log(rate).

    The first ``skip_start`` steps (where the average is still settling) and the last one
    (the divergence, when the test stopped on it) are left out, as Lightning does.
    """
    lo, hi = min(skip_start, max(lrs.size - 4, 0)), lrs.size - 1
    if hi - lo < 3:
        return None
    slope = np.gradient(losses[lo:hi], np.log(lrs[lo:hi]))
    return float(lrs[lo + int(np.argmin(slope))])


def lr_finder(net, x, y, start_lr=1e-7, end_lr=10.0, steps=100, batch=None, smooth=0.98,
              diverge=4.0, skip_start=10, seed=0, path=None):
    """Run a learning-rate range test and put the model back as it was.

    The learning rate grows exponentially from ``start_lr`` to ``end_lr`` over ``steps``
    mini-batches of training; the loss of each batch is smoothed with a bias-corrected
    exponential moving average, and the test stops once the smoothed loss exceeds
    ``diverge`` times its minimum (or is not finite). Afterwards the weights, BatchNorm
    statistics, optimizer state (slots, step count, learning rate, schedule counters), the
    model's random stream and its mode are restored exactly, so training continues as if the
    test had not run; only the running loss and metric sums are reset.

    Parameters
    ----------
    net : Model
        A built model with its optimizer.
    x, y : array, Tensor or list of them
        Training inputs and targets (one per input / output), samples on the first axis.
    start_lr, end_lr : float
        The range of rates, ``0 < start_lr < end_lr``.
    steps : int
        Number of mini-batches (at least 2); the data are cycled through as needed.
    batch : int, optional
        Batch size (default the model's, else 32).
    smooth : float
        Weight of the past in the moving average, in ``[0, 1)`` (0: no smoothing).
    diverge : float
        Stop when the smoothed loss exceeds this multiple of its minimum (> 1).
    skip_start : int
        Steps left out at the start when looking for the steepest descent.
    seed : int
        Seed of the batch order (the model's random stream is left as it was).
    path : str, optional
        Write the curve there as a PNG (:func:`eddl.figures.save_lr_finder`).

    Returns
    -------
    LRFinderResult

    Notes
    -----
    The suggestion is the rate where the smoothed loss falls fastest, a point well below
    the minimum of the curve; fastai and Lightning suggest the same point. Rates near it
    (or up to ten times lower) are good starting rates; the rate of the minimum itself is
    usually too high. See L. N. Smith, "Cyclical Learning Rates for Training Neural
    Networks", WACV 2017.

    Examples
    --------
    >>> import numpy as np, eddl
    >>> from eddl.callbacks import lr_finder
    >>> x = eddl.Input([4]); net = eddl.Model([x], [eddl.Dense(x, 1)])
    >>> net = eddl.build(net, eddl.sgd(0.01), ["mse"], ["mse"])
    >>> rng = np.random.default_rng(0); xs = rng.normal(size=(64, 4))
    >>> res = lr_finder(net, xs, xs @ np.ones((4, 1)), 1e-4, 10, steps=40, batch=16)
    >>> 1e-4 <= res.suggestion <= 10 and len(res.lrs) <= 40
    True
    >>> net.optimizer.lr  # restored
    0.01
    """
    net._require_built("lr_finder")
    if not (0 < start_lr < end_lr) or not math.isfinite(end_lr):
        raise ValueError(f"lr_finder: need 0 < start_lr < end_lr (finite), got {start_lr!r} and {end_lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"lr_finder: steps must be an int >= 2, got {steps!r}")
    if not 0 <= smooth < 1:
        raise ValueError(f"lr_finder: smooth must be in [0, 1), got {smooth!r}")
    if not diverge > 1:
        raise ValueError(f"lr_finder: diverge must be > 1, got {diverge!r}")
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    ys = list(y) if isinstance(y, (list, tuple)) else [y]
    xs, ys, n = _check_pairs(net, xs, ys)
    bs = _batch_size(batch if batch is not None else (net.batch_size or 32), n)

    opt = net.optimizer
    params = net.get_parameters(deepcopy=True)
    opt_state = opt.get_state()
    bitgen = getattr(getattr(net, "rng", None), "bit_generator", None)
    rng_state = bitgen.state if bitgen is not None else None
    mode, tr_batches = net.trmode, net.tr_batches
    order_rng = np.random.default_rng(seed)
    lrs, raw, smoothed = [], [], []
    avg, best, diverged = 0.0, math.inf, False
    order, pos = order_rng.permutation(n), 0
    try:
        net.set_mode(TRMODE)
        for i in range(int(steps)):
            lr = start_lr * (end_lr / start_lr) ** (i / (steps - 1))
            if pos + bs > n:
                order, pos = order_rng.permutation(n), 0
            idx = order[pos:pos + bs]
            pos += bs
            opt.lr = lr
            net.reset_loss()
            net.set_inputs(xs, idx)
            net.set_targets(ys, idx)
            net.forward()
            net.compute_losses(check_finite=False)
            loss = float(sum(net.get_losses()))
            if not math.isfinite(loss):
                diverged = True
                break
            avg = smooth * avg + (1 - smooth) * loss
            value = avg / (1 - smooth ** (i + 1))
            lrs.append(lr)
            raw.append(loss)
            smoothed.append(value)
            if value > diverge * best:
                diverged = True
                break
            best = min(best, value)
            net.backward()
            net.update()
    finally:
        net.set_parameters(params)
        opt.set_state(opt_state)
        if rng_state is not None:
            bitgen.state = rng_state
        net.set_mode(mode)
        net.tr_batches = tr_batches
        net.reset_loss()
    lrs, smoothed = np.array(lrs), np.array(smoothed)
    result = LRFinderResult(lrs, smoothed, np.array(raw), _suggest(lrs, smoothed, skip_start)
                            if lrs.size else None, diverged)
    if path is not None:
        if not lrs.size:
            raise ValueError("lr_finder: the first loss was not finite; no curve to draw")
        result.save(path)
    return result
