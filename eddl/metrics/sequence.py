"""Metrics of sequence outputs: token accuracy, whole-sequence exact match, perplexity.

Outputs are ``[batch, T, V]`` (one distribution per step), targets ids ``[batch, T]`` or
one-hot rows ``[batch, T, V]``; steps whose target is the padding token (id 0 by default, or
an all-zero row) or beyond ``lengths`` are left out, as in
:mod:`eddl.losses.sequence`. Token accuracy and perplexity are ratios over all the valid
tokens seen since the model's last ``reset_loss`` (the running mean the model reports is then
exact over the epoch so far, as for :mod:`eddl.metrics.epoch`); exact match is a per-sample
value.
"""

import math

import numpy as np

from ..losses.sequence import EPS, _check_output, token_ids, valid_mask
from .base import Metric, register_metric
from .epoch import _Cumulative, _host

__all__ = ["TokenAccuracy", "SequenceAccuracy", "Perplexity", "token_accuracy",
           "sequence_accuracy", "perplexity"]


def _parts(y, t, pad_token, lengths, what):
    y, t = _host(y), _host(t)
    _check_output(y, what)
    ids = token_ids(t, y.shape[2], what)
    return y, ids, valid_mask(t, ids, pad_token, lengths)


def _counts(y, t, pad_token, lengths, what):
    """``(right, valid, nll)`` token counts and summed negative log-likelihood (float64)."""
    y, ids, valid = _parts(y, t, pad_token, lengths, what)
    right = (y.argmax(axis=2) == ids) & valid
    p = np.take_along_axis(y, ids[:, :, None], axis=2)[:, :, 0].astype(np.float64)
    nll = -np.log(np.clip(p, EPS, 1.0))
    return int(right.sum()), int(valid.sum()), float(nll[valid].sum())


def token_accuracy(y, t, pad_token=0, lengths=None):
    """Fraction of the valid steps whose arg-max is the target token (nan when none is valid).

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.metrics.sequence import token_accuracy
    >>> y = np.eye(3)[[[1, 2, 0], [1, 1, 1]]]
    >>> float(token_accuracy(y, np.array([[1, 2, 0], [1, 2, 0]])))   # 3 of 4 valid steps
    0.75
    """
    right, valid, _ = _counts(y, t, pad_token, lengths, "token_accuracy")
    return right / valid if valid else float("nan")


def sequence_accuracy(y, t, pad_token=0, lengths=None):
    """Fraction of samples whose every valid step is predicted right (exact match).

    A sample without valid steps counts as right (nothing in it is wrong).

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.metrics.sequence import sequence_accuracy
    >>> y = np.eye(3)[[[1, 2, 1], [1, 1, 1]]]
    >>> float(sequence_accuracy(y, np.array([[1, 2, 0], [1, 2, 0]])))  # padding is ignored
    0.5
    """
    return _exact(y, t, pad_token, lengths, "sequence_accuracy").mean()


def _exact(y, t, pad_token, lengths, what):
    y, ids, valid = _parts(y, t, pad_token, lengths, what)
    return ((y.argmax(axis=2) == ids) | ~valid).all(axis=1)


def perplexity(y, t, pad_token=0, lengths=None):
    """``exp`` of the mean negative log-likelihood of the valid tokens (nan when none).

    Examples
    --------
    >>> import numpy as np
    >>> from eddl.metrics.sequence import perplexity
    >>> round(float(perplexity(np.full((2, 3, 5), 0.2), np.array([[1, 2, 0], [4, 0, 0]]))), 6)
    5.0
    """
    _, valid, nll = _counts(y, t, pad_token, lengths, "perplexity")
    return math.exp(nll / valid) if valid else float("nan")


class _SequenceCounts(_Cumulative):
    """Keeps the valid tokens, the right ones and their summed NLL since the last reset."""

    def __init__(self, name="metric", pad_token=0):
        self.pad_token = pad_token
        super().__init__(name)

    def _reset_state(self):
        self._right = self._valid = 0
        self._nll = 0.0

    def _update(self, t, y):
        right, valid, nll = _counts(y, t, self.pad_token, None, f"metric {self.name!r}")
        self._right += right
        self._valid += valid
        self._nll += nll


class TokenAccuracy(_SequenceCounts):
    """Token accuracy over the valid steps seen since the last reset (``"token_accuracy"``).

    Parameters
    ----------
    name : str
    pad_token : int or None
        Padding id (default 0); None keeps every step.
    """

    def _score(self):
        return self._right / self._valid if self._valid else None


class Perplexity(_SequenceCounts):
    """Perplexity of the valid tokens seen since the last reset (``"perplexity"``).

    Parameters
    ----------
    name : str
    pad_token : int or None
        Padding id (default 0); None keeps every step.
    """

    def _score(self):
        return math.exp(self._nll / self._valid) if self._valid else None


class SequenceAccuracy(Metric):
    """Whole-sequence exact match over the valid steps, per sample (``"sequence_accuracy"``).

    Parameters
    ----------
    name : str
    pad_token : int or None
        Padding id (default 0); None keeps every step.
    """

    def __init__(self, name="sequence_accuracy", pad_token=0):
        super().__init__(name)
        self.pad_token = pad_token

    def value(self, t, y):
        return float(_exact(y, t, self.pad_token, None, f"metric {self.name!r}").sum())


register_metric(TokenAccuracy, "token_accuracy", "masked_accuracy")
register_metric(SequenceAccuracy, "sequence_accuracy", "exact_match")
register_metric(Perplexity, "perplexity", "ppl")
