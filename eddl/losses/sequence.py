"""Per-step cross-entropy of sequence outputs, with padding left out.

The output ``y`` of a sequence model holds one distribution per step, ``[batch, T, V]`` (a
softmax over the last axis). Its target holds the token of every step, as ids ``[batch, T]``
(or ``[batch, T, 1]``) or one-hot rows ``[batch, T, V]``. Steps whose target is the padding
token (id 0 by default, EDDL's ``mask_zeros`` convention; for one-hot targets also an all-zero
row) are not valid: they add nothing to the loss nor to its gradient, and the loss is the mean
over the valid tokens of the batch. The functions here take explicit ``lengths`` too; the
metrics of :mod:`eddl.metrics.sequence` share them.
"""

import numpy as np

from ..backend.registry import array_namespace as _xp
from .base import Loss, register_loss

__all__ = ["SequenceCrossEntropy", "token_ids", "valid_mask", "sequence_cross_entropy"]

#: probabilities are clipped to [EPS, 1] inside logarithms (as the other cross-entropies)
EPS = 1e-7


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def token_ids(t, vocab, what="targets"):
    """Token ids ``[batch, T]`` (int64) of targets given as ids or one-hot rows.

    Parameters
    ----------
    t : array
        ``[batch, T]`` or ``[batch, T, 1]`` ids (integers stored as floats), or ``[batch, T,
        V]`` one-hot rows (arg-maxed).
    vocab : int
        Vocabulary size ``V``.
    what : str
        Names the targets in error messages.

    Raises
    ------
    ValueError
        For ids that are not integers in ``[0, vocab)``, rows of another size than ``vocab``,
        or another rank.
    """
    xp = _xp(t)
    if t.ndim == 3 and t.shape[2] != 1:
        if t.shape[2] != vocab:
            raise ValueError(f"{what}: vocabulary size mismatch: target rows of size "
                             f"{t.shape[2]}, the output has V={vocab}")
        return t.argmax(axis=2)
    ids = t.reshape(t.shape[0], -1) if t.ndim == 3 else t
    if ids.ndim != 2:
        raise ValueError(f"{what}: targets of shape {list(t.shape)}; expected ids [batch, T] "
                         f"or one-hot rows [batch, T, V]")
    if ids.size and (float(ids.min()) < 0 or float(ids.max()) >= vocab
                     or bool((xp.rint(ids) != ids).any())):
        bad = next(v for v in _host(ids).ravel().tolist()
                   if not (0 <= v < vocab and v == int(v)))
        raise ValueError(f"{what}: token id {bad!r} is invalid; valid: integers in "
                         f"[0, {vocab - 1}]")
    return ids.astype("int64")


def valid_mask(t, ids, pad_token=0, lengths=None):
    """Boolean ``[batch, T]``: the steps that count (not padding, within ``lengths``).

    Parameters
    ----------
    t : array
        The targets (an all-zero one-hot row is padding too).
    ids : array
        Their token ids (:func:`token_ids`).
    pad_token : int or None
        Padding id; None: no padding token.
    lengths : array of int, optional
        Valid steps per sample (the first ``lengths[i]``).
    """
    xp = _xp(ids)
    valid = xp.ones(ids.shape, dtype=bool)
    if pad_token is not None:
        valid &= ids != pad_token
    if t.ndim == 3 and t.shape[2] != 1:
        valid &= (t != 0).any(axis=2)
    if lengths is not None:
        lengths = xp.asarray(lengths).reshape(-1)
        if lengths.shape[0] != ids.shape[0] or bool((lengths < 0).any()) \
                or bool((lengths > ids.shape[1]).any()):
            raise ValueError(f"lengths: {ids.shape[0]} ints in [0, {ids.shape[1]}] needed, got "
                             f"{_host(lengths).tolist()}")
        valid &= xp.arange(ids.shape[1])[None, :] < lengths[:, None]
    return valid


def _check_output(y, what):
    if y.ndim != 3:
        raise ValueError(f"{what}: expects an output of one distribution per step, "
                         f"[batch, T, V]; got {list(y.shape)}")


def _at(xp, ids):
    """Index arrays selecting ``[i, t, ids[i, t]]`` (NumPy and CuPy alike)."""
    n, t_len = ids.shape
    return xp.arange(n)[:, None], xp.arange(t_len)[None, :], ids


def _picked(y, ids):
    """``y[i, t, ids[i, t]]`` for every step."""
    return y[_at(_xp(y), ids)]


def sequence_cross_entropy(y, t, pad_token=0, lengths=None):
    """Mean of ``-log y[i, s, t[i, s]]`` over the valid steps (0 when none is valid).

    Parameters
    ----------
    y : array
        Probabilities ``[batch, T, V]``.
    t : array
        Targets: ids ``[batch, T]`` or one-hot rows ``[batch, T, V]``.
    pad_token : int or None
        Steps with this target are left out (default 0); None keeps every step.
    lengths : array of int, optional
        Valid steps per sample.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.losses.sequence import sequence_cross_entropy
    >>> y = np.full((1, 3, 4), 0.25)
    >>> round(sequence_cross_entropy(y, np.array([[2, 3, 0]])), 4)  # the padding step is left out
    1.3863
    """
    _check_output(y, "sequence_cross_entropy")
    xp = _xp(y)
    ids = token_ids(t, y.shape[2])
    valid = valid_mask(t, ids, pad_token, lengths)
    count = int(valid.sum())
    if count == 0:
        return 0.0
    nll = -xp.log(xp.clip(_picked(y, ids), EPS, 1.0))
    return float(xp.where(valid, nll, 0.0).sum()) / count


class SequenceCrossEntropy(Loss):
    """Per-step cross-entropy with padding left out, averaged over the valid tokens.

    The output is ``[batch, T, V]`` (a softmax over the last axis, which the loss fuses with
    as the categorical cross-entropy does); the targets are ids ``[batch, T]`` or one-hot rows
    ``[batch, T, V]``. Steps whose target is ``pad_token`` (or an all-zero row) count for
    nothing; the batch's loss is the mean of ``-log y`` over the other steps.

    Parameters
    ----------
    name : str
    pad_token : int or None
        Padding id (default 0, EDDL's ``mask_zeros`` convention); None keeps every step.

    Examples
    --------
    >>> import numpy as np, eddl
    >>> loss = eddl.getLoss("sequence_cross_entropy")
    >>> y = np.full((2, 3, 4), 0.25, dtype="float32")
    >>> round(loss.value(np.array([[1., 2., 0.], [3., 0., 0.]]), y) / 2, 4)
    1.3863
    """

    fuses_with = "softmax"
    #: targets may be ids ``[batch, T]`` for outputs ``[batch, T, V]`` (checked per batch)
    sparse_targets = True

    def __init__(self, name="sequence_cross_entropy", pad_token=0):
        super().__init__(name)
        if pad_token is not None and (isinstance(pad_token, bool) or not isinstance(
                pad_token, (int, np.integer)) or pad_token < 0):
            raise ValueError(f"{name}: pad_token={pad_token!r} is invalid; valid: None or a "
                             f"token id >= 0")
        self.pad_token = pad_token

    def check_target(self, t, y, layer_name):
        what = f"loss {self.name!r} on output {layer_name!r}"
        _check_output(y, what)
        if t.shape[:2] != y.shape[:2]:
            raise ValueError(f"{what}: targets {list(t.shape)} do not match the output "
                             f"{list(y.shape)} in batch and steps")
        token_ids(t, y.shape[2], what)

    def _mask(self, t, y):
        ids = token_ids(t, y.shape[2], f"loss {self.name!r}")
        valid = valid_mask(t, ids, self.pad_token)
        return ids, valid, max(int(valid.sum()), 1)

    def value(self, t, y):
        # the batch's mean over valid tokens, times the batch (the model divides by it)
        return y.shape[0] * sequence_cross_entropy(y, t, self.pad_token)

    def delta(self, t, y, d):
        xp = _xp(y)
        ids, valid, count = self._mask(t, y)
        d[...] = 0
        g = -1.0 / (xp.clip(_picked(y, ids), EPS, 1.0) * count)
        d[_at(xp, ids)] = xp.where(valid, g, 0.0)

    def fused_delta(self, t, y, d):
        # d/dz of -log softmax(z)[k] is y - onehot(k): per valid step, scaled by 1 / count
        xp = _xp(y)
        ids, valid, count = self._mask(t, y)
        d[...] = y
        d[_at(xp, ids)] -= 1.0
        d *= (valid[:, :, None] / count).astype(d.dtype)


register_loss(SequenceCrossEntropy, "sequence_cross_entropy", "seq_cross_entropy",
              "masked_cross_entropy")
