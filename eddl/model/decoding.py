"""Decoder inputs (PyEDDL's ``setDecoder``) and teacher forcing.

A decoder input is an :class:`~eddl.layers.Input` that the model feeds itself: during
training and evaluation, its value at step ``t`` is the target of step ``t - 1``, and step 0
holds the start token (EDDL's ``Net::prepare_recurrent_dec`` does the same: the target
delayed by one step, zeros first). The layers computed from it form the decoder; at
inference :mod:`eddl.model.generation` fills the same input with the tokens generated so far,
so one set of weights serves training and generation.

The decoder input holds, per sample, either ``T`` token ids (shape ``[T]``, for an
``Embedding``) or ``T`` vectors of the vocabulary (shape ``[T, V]``, one-hot, as PyEDDL's
``Input([outvs])`` followed by ``ReduceArgMax``). The target of the decoder's output may be
ids (``[T]`` or ``[T, 1]``) or one-hot rows (``[T, V]``) in either case.
"""

import numpy as np

from ..layers.base import Layer
from ..losses.sequence import token_ids

__all__ = ["setDecoder", "set_decoder", "is_decoder_input", "decoder_inputs", "decoder_layers",
           "decoder_output_index", "teacher_force", "DecoderSpec"]


class DecoderSpec:
    """What a decoder input needs to be fed: its steps, vocabulary and start token.

    Parameters
    ----------
    layer : Input
        The decoder input, of sample shape ``[T]`` (ids) or ``[T, V]`` (one-hot rows).
    start_token : int or None
        Token of step 0. None is EDDL's start: id 0, or an all-zero row for one-hot inputs.
    """

    def __init__(self, layer, start_token):
        shape = tuple(layer.shape)
        if len(shape) not in (1, 2):
            raise ValueError(f"setDecoder: input {layer.name!r} has samples of shape "
                             f"{list(shape)}; a decoder input holds [T] token ids or [T, V] "
                             f"one-hot rows")
        self.steps = shape[0]
        self.one_hot = len(shape) == 2
        self.vocab = shape[1] if self.one_hot else None
        if start_token is not None:
            if isinstance(start_token, bool) or not isinstance(start_token, (int, np.integer)) \
                    or start_token < 0:
                raise ValueError(f"setDecoder: start_token={start_token!r} is invalid; valid: "
                                 f"None or a token id >= 0")
            if self.one_hot and start_token >= self.vocab:
                raise ValueError(f"setDecoder: start_token={start_token} is not a token of the "
                                 f"vocabulary of input {layer.name!r} (V={self.vocab})")
            start_token = int(start_token)
        self.start_token = start_token

    @property
    def start_id(self):
        """The start as a token id (EDDL's zero start reads as id 0)."""
        return 0 if self.start_token is None else self.start_token


def setDecoder(l, start_token=None):  # noqa: N802 (PyEDDL's name)
    """Mark input ``l`` as a decoder input: the model feeds it from the targets.

    While training and evaluating, step ``t`` of ``l`` receives the target of step ``t - 1``
    of the output computed from ``l`` (teacher forcing), and step 0 the start token. Leave
    ``l`` out of the model's inputs, as PyEDDL does: ``Model([image], [out])``. At inference
    :func:`eddl.greedy_decode` and :func:`eddl.beam_search` generate with the same net.

    Parameters
    ----------
    l : Layer
        An Input layer of sample shape ``[T]`` (token ids) or ``[T, V]`` (one-hot rows).
    start_token : int, optional
        Token given at step 0. None (default) is EDDL's: id 0, or an all-zero row.

    Returns
    -------
    Layer
        ``l``.

    Examples
    --------
    >>> import eddl
    >>> img, words = eddl.Input([16]), eddl.Input([5])
    >>> _ = eddl.setDecoder(words, start_token=1)
    >>> emb = eddl.Embedding(words, 10, 5, 8)
    >>> h = eddl.GRU([emb, eddl.Reshape(eddl.Dense(img, 12), [1, 12])], 12,
    ...              return_sequences=True)
    >>> net = eddl.Model([img], [eddl.Softmax(eddl.Dense(h, 10))])
    >>> net.isdecoder, [l.name for l in net.din] == [words.name]
    (True, True)
    """
    if not isinstance(l, Layer) or not l.is_input:
        raise TypeError(f"setDecoder: expects an Input layer, got "
                        f"{type(l).__name__ if not isinstance(l, Layer) else repr(l)}")
    l._decoder = DecoderSpec(l, start_token)
    return l


set_decoder = setDecoder


def is_decoder_input(layer):
    """Return True when ``layer`` was marked by :func:`setDecoder`."""
    return getattr(layer, "_decoder", None) is not None


def _ancestors(layers):
    seen, stack, out = set(), list(layers), []
    while stack:
        l = stack.pop()
        if id(l) in seen:
            continue
        seen.add(id(l))
        out.append(l)
        stack.extend(l.parents)
    return out


def decoder_inputs(inputs, outputs):
    """Return the decoder inputs the ``outputs`` depend on, in a stable order.

    Raises
    ------
    ValueError
        When a decoder input is also among the model's ``inputs`` (the model feeds it).
    """
    given = {id(l) for l in inputs}
    for l in inputs:
        if is_decoder_input(l):
            raise ValueError(f"Model: input {l.name!r} is a decoder input (setDecoder): the model "
                             f"feeds it from the targets; leave it out of the model's inputs")
    found = [l for l in _ancestors(outputs) if is_decoder_input(l) and id(l) not in given]
    return sorted(found, key=lambda l: l.name)


def decoder_layers(model):
    """Return the layers of ``model`` computed from a decoder input (inputs included)."""
    dec = {id(l) for l in model.din}
    for l in model.layers:
        if any(id(p) in dec for p in l.parents):
            dec.add(id(l))
    return [l for l in model.layers if id(l) in dec]


def decoder_output_index(model):
    """Index of the one output computed from the decoder inputs, or None without a decoder.

    Raises
    ------
    ValueError
        When no output, or several, depend on the decoder input, or when the output's sample
        shape is not ``[T, V]`` with the decoder's ``T`` steps.
    """
    if not model.din:
        return None
    dec = {id(l) for l in decoder_layers(model)}
    hits = [k for k, l in enumerate(model.lout) if id(l) in dec]
    if len(hits) != 1:
        raise ValueError(f"Model: {len(hits)} outputs depend on the decoder input(s) "
                         f"{[l.name for l in model.din]}; exactly one must (the sequence it "
                         f"predicts is its target)")
    out = model.lout[hits[0]]
    for l in model.din:
        spec = l._decoder
        if len(out.shape) != 2 or out.shape[0] != spec.steps:
            raise ValueError(f"Model: the decoder output {out.name!r} has samples of shape "
                             f"{list(out.shape)}; with decoder input {l.name!r} of {spec.steps} "
                             f"steps it must be [{spec.steps}, V] (one distribution per step)")
        if spec.one_hot and spec.vocab != out.shape[1]:
            raise ValueError(f"Model: vocabulary size mismatch: decoder input {l.name!r} has "
                             f"V={spec.vocab}, its output {out.name!r} V={out.shape[1]}")
    return hits[0]


def _xp_of(a):
    from ..backend.registry import array_namespace
    return array_namespace(a)


def write_tokens(layer, ids):
    """Write token ids ``[n, T]`` into decoder input ``layer`` (ids or one-hot rows).

    A negative id writes an all-zero row (EDDL's start for one-hot inputs).
    """
    out = layer.output
    if not layer._decoder.one_hot:
        out[...] = ids
        return
    xp = _xp_of(out)
    out.fill(0)
    n, t_len = ids.shape
    rows = xp.repeat(xp.arange(n), t_len)
    steps = xp.tile(xp.arange(t_len), n)
    flat = ids.reshape(-1)
    keep = flat >= 0
    out[rows[keep], steps[keep], flat[keep]] = 1


def shifted_ids(ids, spec):
    """Return the decoder's input for target ids ``[n, T]``: the start, then ``ids[:, :-1]``.

    EDDL's zero start of a one-hot input is written as -1 (an all-zero row).
    """
    xp = _xp_of(ids)
    out = xp.empty_like(ids)
    start = spec.start_token
    out[:, 0] = -1 if (start is None and spec.one_hot) else spec.start_id
    out[:, 1:] = ids[:, :-1]
    return out


def teacher_force(model, targets):
    """Feed every decoder input of ``model`` from the targets of the current batch.

    Parameters
    ----------
    model : Model
    targets : list of arrays
        The batch's targets, one per output (as ``Model.set_targets`` holds them).
    """
    k = model._dec_out
    out = model.lout[k]
    t = targets[k]
    if t.shape[1] != out.shape[0]:
        raise ValueError(f"teacher forcing: targets of output {out.name!r} have {t.shape[1]} "
                         f"steps, the decoder has {out.shape[0]}")
    ids = token_ids(t, out.shape[1], f"targets of output {out.name!r}")
    for l in model.din:
        write_tokens(l, shifted_ids(ids, l._decoder))
    model._decoder_fed = True
