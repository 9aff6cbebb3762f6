"""Generating sequences with a decoder net: greedy decoding and beam search.

The net is the one trained with teacher forcing (:func:`eddl.setDecoder`): no second net and
no weight copies. The layers that do not depend on the decoder input (the encoder: a CNN, an
encoding LSTM, its ``GetStates``) run once per batch; then, for each step ``t``, the decoder
input holds the start token followed by the ``t`` tokens generated so far, the decoder's
layers run, and row ``t`` of the decoder's output gives the next token's distribution. A
decoder is causal (its output at ``t`` reads steps ``<= t`` only: bidirectional layers and
self-attention without ``causal=True`` are refused), so the steps after ``t`` hold filler
that nothing reads; running the decoder over its ``T`` built steps at every step
costs ``O(T^2)`` decoder steps per sequence, the encoder being computed once.

Scores are natural-log probabilities (float64): the sum over the generated tokens, the end
token included, divided by ``length ** length_penalty`` for beam search (the normalisation of
Hugging Face's ``generate``; ``length_penalty=0`` compares raw log-probabilities).
"""

import math

import numpy as np

from ..layers.activations import Activation
from ..layers.attention import AdditiveAttention, MultiHeadAttention, ScaledDotProductAttention
from ..layers.base import TSMODE
from ..layers.embedding import Embedding
from ..layers.recurrent import Recurrent
from . import data
from . import decoding as _dec

__all__ = ["greedy_decode", "beam_search"]

#: probabilities below this read as this in the logarithm (a softmax output can underflow to 0)
_TINY = 1e-30


def _check_int(value, what, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo \
            or (hi is not None and value > hi):
        valid = f"an int in [{lo}, {hi}]" if hi is not None else f"an int >= {lo}"
        raise ValueError(f"{what}={value!r} is invalid; valid: {valid}")
    return int(value)


class _Stepper:
    """Runs a built decoder net one generated step at a time (see the module docstring)."""

    def __init__(self, net, what):
        net._require_built(what)
        if not net.din:
            raise ValueError(f"{what}: the net has no decoder input; mark one with "
                             f"eddl.setDecoder(layer) before creating the Model")
        self.net, self.what = net, what
        self.out = net.lout[net._dec_out]
        self.steps, self.vocab = self.out.shape
        dec = {id(l) for l in _dec.decoder_layers(net)}
        self.enc_work = [l for l in net._work if id(l) not in dec]
        self.dec_work = [l for l in net._work if id(l) in dec]
        for l in self.dec_work:
            if isinstance(l, Recurrent) and l.bidirectional:
                raise ValueError(f"{what}: the decoder layer {l.name!r} is bidirectional: it "
                                 f"reads later steps, so it cannot generate step by step")
            if isinstance(l, (ScaledDotProductAttention, MultiHeadAttention, AdditiveAttention)) \
                    and not l.causal and any(id(p) in dec for p in l.parents[1:len(l.inputs)]):
                raise ValueError(f"{what}: the decoder layer {l.name!r} attends over decoder "
                                 f"steps without causal=True: it reads later steps, so it "
                                 f"cannot generate step by step")
            if isinstance(l, Embedding) and any(p in net.din for p in l.parents) \
                    and l.vocsize < self.vocab:
                raise ValueError(f"{what}: vocabulary size mismatch: Embedding {l.name!r} "
                                 f"has vocsize={l.vocsize}, the decoder output "
                                 f"{self.out.name!r} predicts V={self.vocab} tokens")
        self.softmax = isinstance(self.out, Activation) and self.out.activation == "softmax"

    def encode(self, xs, rows):
        """Run the encoder layers on samples ``rows`` of ``xs`` (rows may repeat)."""
        self.net.set_inputs(xs, rows)
        for l in self.enc_work:
            l.forward()

    def log_probs(self, prefix):
        """Log-probabilities ``[B, V]`` (float64) of the token after ``prefix`` ``[B, t]``."""
        b, t = prefix.shape
        for l in self.net.din:
            spec = l._decoder
            ids = np.full((b, self.steps), spec.start_id, dtype=np.int64)
            if spec.start_token is None and spec.one_hot:
                ids[:, 0] = -1
            # finished rows hold -1 after their end token: any valid id will do there
            ids[:, 1:t + 1] = np.where(prefix < 0, spec.start_id, prefix)
            _dec.write_tokens(l, self.net.be.from_host(ids))
        for l in self.dec_work:
            l.forward()
        y = np.asarray(self.net.be.to_host(self.out.output[:, t, :]), dtype=np.float64)
        if self.softmax:
            return np.log(np.maximum(y, _TINY))
        y = y - y.max(axis=1, keepdims=True)
        return y - np.log(np.exp(y).sum(axis=1, keepdims=True))


def _setup(net, xs, max_length, end_token, bs, what):
    stepper = _Stepper(net, what)
    xs = data.check_arrays(xs, net.lin, f"{what} inputs")
    n = data.batch_count(xs, None, f"{what} inputs")
    max_length = stepper.steps if max_length is None else _check_int(
        max_length, f"{what}: max_length", 1, stepper.steps)
    if end_token is not None:
        end_token = _check_int(end_token, f"{what}: end_token", 0, stepper.vocab - 1)
    bs = n if bs in (-1, None) else _check_int(bs, f"{what}: bs", 1)
    return stepper, xs, n, max_length, end_token, bs


def _in_inference(net, fn):
    mode = net.trmode
    net.set_mode(TSMODE)
    try:
        return fn()
    finally:
        net.set_mode(mode)


def greedy_decode(net, xs, max_length=None, end_token=None, bs=-1):
    """Generate one sequence per sample, taking the most probable token at every step.

    Parameters
    ----------
    net : Model
        A built net with a decoder input (:func:`eddl.setDecoder`).
    xs : list of arrays
        The net's inputs (the decoder input is not among them).
    max_length : int, optional
        Tokens to generate at most; default and maximum: the decoder's ``T`` steps.
    end_token : int, optional
        A sequence stops after generating it (it is included).
    bs : int
        Samples decoded together; -1 decodes all at once.

    Returns
    -------
    sequences : numpy.ndarray
        int64 ``[N, max_length]``; -1 after the end token.
    scores : numpy.ndarray
        float64 ``[N]``: the sum of the log-probabilities of the generated tokens.

    Examples
    --------
    >>> import numpy as np, eddl
    >>> img, words = eddl.Input([6]), eddl.setDecoder(eddl.Input([4]))
    >>> h = eddl.GRU([eddl.Embedding(words, 5, 4, 3), eddl.Reshape(img, [1, 6])], 6,
    ...              return_sequences=True)
    >>> net = eddl.Model([img], [eddl.Softmax(eddl.Dense(h, 5))])
    >>> _ = eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"])
    >>> seqs, scores = eddl.greedy_decode(net, [np.ones((2, 6), "float32")], end_token=4)
    >>> seqs.shape, scores.shape
    ((2, 4), (2,))
    """
    stepper, xs, n, max_length, end_token, bs = _setup(net, xs, max_length, end_token, bs,
                                                       "greedy_decode")
    seqs = np.full((n, max_length), -1, dtype=np.int64)
    scores = np.zeros(n)

    def run():
        for start in range(0, n, bs):
            rows = np.arange(start, min(start + bs, n))
            stepper.encode(xs, rows)
            tok, sc = seqs[rows], scores[rows]
            done = np.zeros(rows.size, dtype=bool)
            for t in range(max_length):
                lp = stepper.log_probs(tok[:, :t])
                nxt = lp.argmax(axis=1)
                sc += np.where(done, 0.0, lp[np.arange(rows.size), nxt])
                tok[:, t] = np.where(done, -1, nxt)
                if end_token is not None:
                    done |= nxt == end_token
                    if done.all():
                        break
            seqs[rows], scores[rows] = tok, sc

    _in_inference(net, run)
    return seqs, scores


def _settled(finished, logp, k, t, max_length, alpha):
    """Tell whether no live prefix can enter the ``k`` best of ``finished`` any more.

    ``logp`` holds the live prefixes' log-probabilities after step ``t``.

    Log-probabilities only decrease as tokens are added, so the best score a prefix can still
    reach is its log-probability divided by the most favourable length ahead: the longest for
    ``alpha >= 0``, the shortest otherwise.
    """
    if not np.isfinite(logp).any():
        return True
    if len(finished) < k:
        return False
    kth = sorted(s for s, _ in finished)[-k]
    length = max_length if alpha >= 0 else t + 1
    return kth > logp.max() / length ** alpha


def beam_search(net, xs, beam_width=3, max_length=None, end_token=None, length_penalty=0.0,
                bs=-1):
    """Generate the ``beam_width`` best sequences per sample with beam search.

    At every step each of the ``beam_width`` live prefixes is extended by every token; a
    candidate ending with ``end_token`` that ranks among the ``beam_width`` most probable
    candidates becomes a finished hypothesis, and the ``beam_width`` most probable other
    candidates stay alive (Hugging Face's rule, so that width 1 is greedy decoding). At ``max_length`` the live
    prefixes are finished too. The result is the ``beam_width`` best finished hypotheses by
    score ``log P / length ** length_penalty``. The search stops early once no live prefix can
    beat the ``beam_width``-th finished score, which never changes the result. With
    ``beam_width >= V ** max_length`` nothing is pruned: the search is exhaustive.

    Parameters
    ----------
    net : Model
        A built net with a decoder input (:func:`eddl.setDecoder`).
    xs : list of arrays
        The net's inputs (the decoder input is not among them).
    beam_width : int
        Hypotheses kept per sample; 1 is greedy decoding.
    max_length : int, optional
        Tokens to generate at most; default and maximum: the decoder's ``T`` steps.
    end_token : int, optional
        Token that ends a sequence (included in it and in its score).
    length_penalty : float
        Exponent ``alpha`` of the length normalisation; > 0 favours longer sequences. Needs
        ``end_token`` (without it every sequence has ``max_length`` tokens).
    bs : int
        Samples decoded together (each runs ``beam_width`` rows); -1 decodes all at once.

    Returns
    -------
    sequences : numpy.ndarray
        int64 ``[N, beam_width, max_length]``, best first; -1 after the end token (and in
        the rows of hypotheses that do not exist when there are fewer than ``beam_width``).
    scores : numpy.ndarray
        float64 ``[N, beam_width]``, decreasing (-inf for missing hypotheses).

    Raises
    ------
    ValueError
        For an invalid width, length, end token or penalty, or a net without decoder.

    Examples
    --------
    >>> import numpy as np, eddl
    >>> img, words = eddl.Input([6]), eddl.setDecoder(eddl.Input([4]))
    >>> h = eddl.GRU([eddl.Embedding(words, 5, 4, 3), eddl.Reshape(img, [1, 6])], 6,
    ...              return_sequences=True)
    >>> net = eddl.Model([img], [eddl.Softmax(eddl.Dense(h, 5))])
    >>> _ = eddl.build(net, eddl.adam(0.01), ["softmax_cross_entropy"], ["accuracy"])
    >>> seqs, scores = eddl.beam_search(net, [np.ones((2, 6), "float32")], 3, end_token=4)
    >>> seqs.shape, scores.shape, bool((np.diff(scores, axis=1) <= 0).all())
    ((2, 3, 4), (2, 3), True)
    """
    what = "beam_search"
    k = _check_int(beam_width, f"{what}: beam_width", 1)
    alpha = float(length_penalty)
    if not math.isfinite(alpha):
        raise ValueError(f"{what}: length_penalty={length_penalty!r} must be finite")
    if alpha != 0 and end_token is None:
        raise ValueError(f"{what}: length_penalty={length_penalty!r} needs end_token: without "
                         f"an end token every sequence has max_length tokens")
    stepper, xs, n, max_length, end_token, bs = _setup(net, xs, max_length, end_token, bs, what)
    seqs = np.full((n, k, max_length), -1, dtype=np.int64)
    scores = np.full((n, k), -np.inf)

    def run():
        for start in range(0, n, bs):
            rows = np.arange(start, min(start + bs, n))
            s, sc = _search(stepper, xs, rows, k, max_length, end_token, alpha)
            seqs[rows], scores[rows] = s, sc

    _in_inference(net, run)
    return seqs, scores


def _search(stepper, xs, rows, k, max_length, end_token, alpha):
    """Beam search for samples ``rows``: ``(sequences [B, k, L], scores [B, k])``."""
    b, v = rows.size, stepper.vocab
    stepper.encode(xs, np.repeat(rows, k))
    tok = np.full((b, k, max_length), -1, dtype=np.int64)
    logp = np.full((b, k), -np.inf)
    logp[:, 0] = 0.0  # one live prefix at first, not k copies of it
    finished = [[] for _ in range(b)]  # (score, tokens)
    for t in range(max_length):
        lp = stepper.log_probs(tok.reshape(b * k, max_length)[:, :t]).reshape(b, k, v)
        cand = logp[:, :, None] + lp
        if end_token is not None:
            # an ending candidate counts when it ranks among the k best of all candidates
            # (as Hugging Face's beam search): with k = 1 this is greedy decoding
            order = np.argsort(-cand.reshape(b, k * v), axis=1, kind="stable")
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(k * v)[None, :], axis=1)
            ends = cand[:, :, end_token]
            ok = np.isfinite(ends) & (rank.reshape(b, k, v)[:, :, end_token] < k)
            for i, j in zip(*np.nonzero(ok)):
                seq = tok[i, j, :t + 1].copy()
                seq[t] = end_token
                finished[i].append((ends[i, j] / (t + 1) ** alpha, seq))
            cand[:, :, end_token] = -np.inf
        flat = cand.reshape(b, k * v)
        # the k best candidates per sample, best first (stable: ties keep the lower index)
        best = np.argsort(-flat, axis=1, kind="stable")[:, :k]
        parent, token = best // v, best % v
        logp = np.take_along_axis(flat, best, axis=1)
        tok = np.take_along_axis(tok, parent[:, :, None], axis=1)
        tok[:, :, t] = np.where(np.isfinite(logp), token, -1)
        if end_token is not None and all(_settled(f, logp[i], k, t, max_length, alpha)
                                         for i, f in enumerate(finished)):
            break
    else:
        for i in range(b):
            for j in np.nonzero(np.isfinite(logp[i]))[0]:
                finished[i].append((logp[i, j] / max_length ** alpha, tok[i, j].copy()))
    out = np.full((b, k, max_length), -1, dtype=np.int64)
    scores = np.full((b, k), -np.inf)
    for i, f in enumerate(finished):
        f.sort(key=lambda h: -h[0])
        for j, (score, seq) in enumerate(f[:k]):
            out[i, j, :seq.size] = seq
            scores[i, j] = score
    return out, scores
