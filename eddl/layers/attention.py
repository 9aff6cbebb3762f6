"""Attention layers over sequences ``[T, D]``: scaled dot-product, multi-head and additive.

Every layer computes scores, masks them, normalises them with a softmax over the keys and
returns the weighted sum of the values (the *context*); :class:`AttentionWeights` gives the
weights themselves. The multi-head layer keeps PyTorch's ``nn.MultiheadAttention`` weights in
their packed layout, so they convert as they are.

The computation follows what is fast on a BLAS engine: the projections are one GEMM each over
all the positions of the batch; the heads are split into a ``[batch * heads, T, d]`` layout so
that the scores and the context are one batched GEMM each, with no loop over samples or heads
in Python. Every buffer is sized once per batch capacity (a smaller last batch uses the front
of the same memory), and the weights the backward pass reads again are kept.
"""

import math

import numpy as np

from .base import TRMODE, Layer
from .recurrent import _check_bool
from .registry import register_layer

__all__ = ["MASKS", "MASKED", "ScaledDotProductAttention", "MultiHeadAttention",
           "AdditiveAttention", "AttentionWeights"]

#: what the optional last parent of an attention layer holds (None: no such parent)
MASKS = (None, "lengths", "padding", "additive")

#: the score a masked key gets: next to any real score its weight underflows to exactly 0,
#: and a query whose keys are all masked still gets finite weights (meaningless ones: avoid
#: such queries) where -inf gives NaN that would spread through the backward pass
MASKED = -1e9


def _positive_int(value, what, arg):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what}: {arg}={value!r} is invalid; valid: an int >= 1")
    return value


class _Attention(Layer):
    """Masks, softmax, dropout and attention weights shared by the attention layers.

    A subclass sets :attr:`inputs` (the names of its parents before the mask), computes the
    scores ``[batch * heads, Tq, Tk]`` into the buffer ``"scores"`` and calls
    :meth:`_weights_forward`; its backward pass calls :meth:`_weights_backward` with the
    gradient of the weights it used.
    """

    #: names of the parents before the optional mask
    inputs = ("query", "key", "value")
    #: heads the scores are split into (the batch axis of the scores is ``batch * heads``)
    heads = 1

    def _configure(self, layers, mask, causal, dropout):
        what = type(self).__name__
        if not isinstance(layers, (list, tuple)):
            raise TypeError(f"{what}: layers must be a list of layers [{', '.join(self.inputs)}"
                            f"(, mask)], got {type(layers).__name__}")
        if mask not in MASKS:
            raise ValueError(f"{what}: mask={mask!r} is invalid; valid: {list(MASKS)}")
        self.mask = mask
        names = list(self.inputs) + ([f"mask ({mask})"] if mask else [])
        if len(layers) != len(names):
            raise ValueError(f"{what}: needs {len(names)} parent layers [{', '.join(names)}], "
                             f"got {len(layers)}")
        self.causal = _check_bool(causal, what, "causal")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0.0 <= dropout < 1.0:
            raise ValueError(f"{what}: dropout={dropout!r} is invalid; valid: a float in [0, 1)")
        self.dropout = float(dropout)
        self._weights_delta_set = False
        return list(layers)

    def _check_mask(self, shape, tq, tk):
        """Raise a shape error unless the mask parent's sample ``shape`` fits ``Tq x Tk`` scores."""
        if self.mask is None:
            return
        want = {"lengths": (1,), "padding": (tk,), "additive": (tk,) if tq is None else (tq, tk)}
        meaning = {"lengths": "the number of valid keys", "padding": "nonzero at padded keys",
                   "additive": "added to the scores"}
        if tuple(shape) != want[self.mask]:
            raise self.shape_error(f"mask={self.mask!r} needs samples of shape "
                                   f"{list(want[self.mask])} ({meaning[self.mask]}), got "
                                   f"{list(shape)}")

    def _score_dims(self):
        """``(Tq, Tk)`` of the scores (``Tq`` None for a single query)."""
        return self.parents[0].shape[0], self.parents[1].shape[0]

    # --- forward ---------------------------------------------------------------------------
    def _constant(self, key, make):
        """Return a device constant made once from the host array ``make()`` (kept per build)."""
        buf = self._buffers.get(key)
        if buf is None:
            buf = self.be.from_host(np.ascontiguousarray(make()), dtype=self.dtype)
            self._buffers[key] = buf
        return buf

    def _mask_bias(self, b, tq, tk):
        """Return the batch's additive mask, ``[B, 1 or Tq, Tk]``, or None without a mask."""
        xp = self.be.xp
        if self.mask is None:
            return None
        m = self.parents[-1].output
        if self.mask == "additive":
            return m.reshape(b, tq, tk)
        bad = self.batch_buffer("masked_keys", (b, tk), bool)
        if self.mask == "lengths":
            # lengths are data: a fractional or out-of-range one would silently mask wrongly
            host = self.be.to_host(m).reshape(-1)
            ok = (host >= 0) & (host <= tk) & (host == np.floor(host))
            if not ok.all():
                raise ValueError(f"{type(self).__name__} layer {self.name!r}: key length "
                                 f"{float(host[~ok][0])!r} is invalid; valid: integers in [0, {tk}]")
            index = self._constant(("key_index", tk), lambda: np.arange(tk))
            xp.greater_equal(index, m, out=bad)
        else:
            xp.not_equal(m, 0, out=bad)
        bias = self.batch_buffer("mask_bias", (b, 1, tk))
        xp.multiply(bad[:, None, :], MASKED, out=bias)
        return bias

    def _weights_forward(self, s, b):
        """Mask and normalise the scores ``s`` in place; return the weights the context uses.

        In training mode with ``dropout``, those are the weights with a fraction ``dropout``
        zeroed and the rest scaled by ``1 / (1 - dropout)``, as PyTorch (which also returns
        those as the attention weights).
        """
        xp = self.be.xp
        n, tq, tk = s.shape
        self._weights_delta_set = False
        bias = self._mask_bias(b, tq, tk)
        if bias is not None:
            s4 = s.reshape(b, n // b, tq, tk)
            xp.add(s4, bias[:, None], out=s4)
        if self.causal:
            # key j is visible from query i when j <= i (PyTorch's is_causal, top-left aligned)
            xp.add(s, self._constant(("causal", tq, tk),
                                     lambda: np.triu(np.full((tq, tk), MASKED), 1)), out=s)
        self.be.nn.softmax_forward(s, s)
        self._dropped = self.mode == TRMODE and self.dropout > 0
        self._weights = s
        if self._dropped:
            keep = self.batch_buffer("dropout_mask", s.shape)
            keep[...] = self.net.rng.random(s.shape) >= self.dropout
            keep *= 1.0 / (1.0 - self.dropout)
            self._weights = self.batch_buffer("dropped_weights", s.shape)
            xp.multiply(s, keep, out=self._weights)
        return self._weights

    # --- attention weights (the AttentionWeights child) ------------------------------------
    def weights_shape(self, average):
        """Sample shape of the weights :class:`AttentionWeights` gives (``average`` over heads)."""
        tq, tk = self._score_dims()
        rows = (tk,) if tq is None else (tq, tk)
        return rows if average or self.heads == 1 else (self.heads,) + rows

    def weights_into(self, out, average):
        """Write the weights of the last forward pass into ``out`` (``[batch] + weights_shape``)."""
        w = self._weights
        b = out.shape[0]
        n, tq, tk = w.shape
        if average and self.heads > 1:
            self.be.xp.mean(w.reshape(b, self.heads, tq, tk), axis=1, out=out.reshape(b, tq, tk))
        else:
            out[...] = w.reshape(out.shape)

    def add_weights_delta(self, delta, average):
        """Add the gradient of the weights :meth:`weights_into` gave (for the backward pass)."""
        n, tq, tk = self._weights.shape
        b = delta.shape[0]
        wd = self.batch_buffer("weights_delta", (b, self.heads, tq, tk))
        d = delta.reshape(b, 1 if average else self.heads, tq, tk)
        if not self._weights_delta_set:
            # each head's weights count 1 / heads in the average
            self.be.xp.multiply(d, 1.0 / self.heads if average else 1.0, out=wd)
            self._weights_delta_set = True
        elif average:
            tmp = self.batch_buffer("weights_delta_tmp", wd.shape)
            self.be.xp.multiply(d, 1.0 / self.heads, out=tmp)
            wd += tmp
        else:
            wd += d

    # --- backward --------------------------------------------------------------------------
    def _weights_backward(self, dw, b):
        """Return the gradient of the scores from ``dw``, that of the weights used (overwritten).

        Hands the mask parent its gradient: the scores' (summed over heads) for an additive
        mask, zeros for lengths and padding flags.
        """
        xp = self.be.xp
        n, tq, tk = dw.shape
        if self._weights_delta_set:
            dw += self.batch_buffer("weights_delta", (b, self.heads, tq, tk)).reshape(dw.shape)
        if self._dropped:
            dw *= self.batch_buffer("dropout_mask", dw.shape)
        ds = self.batch_buffer("dscores", dw.shape)
        # the softmax's own output, before any dropout
        p = self.batch_buffer("scores", dw.shape)
        self.be.nn.softmax_backward(p, dw, ds)
        if self.mask == "additive":
            heads = ds.reshape(b, n // b, tq, tk)
            self.put_delta(len(self.parents) - 1,
                           lambda out: xp.sum(heads, axis=1, out=out.reshape(b, tq, tk)))
        elif self.mask is not None:
            self.put_delta(len(self.parents) - 1, lambda out: out.fill(0))
        return ds


@register_layer("ScaledDotProductAttention")
class ScaledDotProductAttention(_Attention):
    """Scaled dot-product attention: ``softmax(Q K^T * scale + mask) V``.

    Parameters
    ----------
    layers : list of Layer
        ``[query, key, value]``, samples of shapes ``[Tq, d]``, ``[Tk, d]`` and ``[Tk, dv]``,
        then the mask layer when ``mask`` is given.
    causal : bool
        Query ``i`` sees keys ``0 ... i`` only (a decoder's self-attention).
    mask : str or None
        What the last parent holds: ``"lengths"`` (samples ``[1]``, the number of valid keys,
        the rest being padding), ``"padding"`` (samples ``[Tk]``, nonzero at padded keys,
        PyTorch's ``key_padding_mask``) or ``"additive"`` (samples ``[Tq, Tk]`` added to the
        scores, ``-1e9`` or ``-inf`` hiding a key). Masked keys get weight 0.
    scale : float or None
        Factor of the scores; None: ``1 / sqrt(d)``.
    dropout : float
        Fraction of the attention weights dropped in training mode (the rest scaled by
        ``1 / (1 - dropout)``).
    name : str

    Returns
    -------
    Layer
        The context, shape ``[Tq, dv]``; :class:`AttentionWeights` of it gives the weights
        ``[Tq, Tk]``.

    Examples
    --------
    >>> import eddl
    >>> q, k, v = eddl.Input([5, 8]), eddl.Input([7, 8]), eddl.Input([7, 3])
    >>> eddl.ScaledDotProductAttention([q, k, v], causal=True).shape
    (5, 3)
    """

    prefix = "sdpa"

    def __init__(self, layers, causal=False, mask=None, scale=None, dropout=0.0, name=""):
        layers = self._configure(layers, mask, causal, dropout)
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))
                                  or not math.isfinite(scale)):
            raise ValueError(f"ScaledDotProductAttention: scale={scale!r} is invalid; valid: a "
                             f"finite float or None (1 / sqrt(d))")
        self.scale = scale
        super().__init__(layers, name)

    def compute_shape(self, q, k, v, *mask):
        if len(q) != 2 or len(k) != 2 or len(v) != 2:
            raise self.shape_error("query, key and value need samples of shape [T, D] "
                                   f"(got {list(q)}, {list(k)}, {list(v)})")
        if q[1] != k[1]:
            raise self.shape_error(f"query and key need the same feature size, got {q[1]} and "
                                   f"{k[1]}")
        if k[0] != v[0]:
            raise self.shape_error(f"key and value need the same length, got {k[0]} and {v[0]}")
        if mask:
            self._check_mask(mask[0], q[0], k[0])
        return (q[0], v[1])

    @property
    def factor(self):
        """The factor of the scores (``scale``, or ``1 / sqrt(d)``)."""
        return 1.0 / math.sqrt(self.parents[0].shape[1]) if self.scale is None else self.scale

    def forward(self):
        q, k, v = (p.output for p in self.parents[:3])
        b, tq, _ = q.shape
        s = self.batch_buffer("scores", (b, tq, k.shape[1]))
        self.be.gemm_batched(q, k, out=s, trans_b=True, alpha=self.factor)
        w = self._weights_forward(s, b)
        self.be.gemm_batched(w, v, out=self.output)

    def backward(self):
        be = self.be
        q, k, v = (p.output for p in self.parents[:3])
        b, tq, _ = q.shape
        w = self._weights
        self.put_delta(2, lambda out: be.gemm_batched(w, self.delta, out=out, trans_a=True))
        dw = self.batch_buffer("dweights", w.shape)
        be.gemm_batched(self.delta, v, out=dw, trans_b=True)
        ds = self._weights_backward(dw, b)
        c = self.factor
        self.put_delta(0, lambda out: be.gemm_batched(ds, k, out=out, alpha=c))
        self.put_delta(1, lambda out: be.gemm_batched(ds, q, out=out, trans_a=True, alpha=c))


@register_layer("MultiHeadAttention")
class MultiHeadAttention(_Attention):
    """Multi-head attention with the weights and semantics of PyTorch's ``nn.MultiheadAttention``.

    With ``E = embed_dim`` split into ``num_heads`` heads of ``E / num_heads`` features::

        Q = query Wq^T + bq,  K = key Wk^T + bk,  V = value Wv^T + bv
        head_h = softmax(Q_h K_h^T / sqrt(E / num_heads) + mask) V_h
        out = concat(head_1, ..., head_H) Wo^T + bo

    Samples are batch-first (PyTorch's ``batch_first=True``). The weights keep PyTorch's
    names and layout: ``in_proj_weight`` ``[3E, E]`` (``Wq``, ``Wk``, ``Wv`` stacked) when
    ``kdim`` and ``vdim`` are ``E``, else ``q_proj_weight`` ``[E, E]``, ``k_proj_weight``
    ``[E, kdim]`` and ``v_proj_weight`` ``[E, vdim]``; then ``in_proj_bias`` ``[3E]``,
    ``out_proj_weight`` ``[E, E]`` and ``out_proj_bias`` ``[E]`` (PyTorch's
    ``out_proj.weight`` and ``out_proj.bias``). Without ``bias`` there are no bias parameters.

    Parameters
    ----------
    layers : list of Layer
        ``[query, key, value]``, samples of shapes ``[Tq, E]``, ``[Tk, kdim]`` and
        ``[Tk, vdim]`` (the same layer three times for self-attention), then the mask layer
        when ``mask`` is given.
    embed_dim : int
    num_heads : int
        Must divide ``embed_dim``.
    dropout : float
        Fraction of the attention weights dropped in training mode.
    bias : bool
    kdim, vdim : int or None
        Feature sizes of key and value (None: ``embed_dim``).
    causal : bool
        Query ``i`` sees keys ``0 ... i`` only (PyTorch's ``is_causal`` with its causal
        ``attn_mask``).
    mask : str or None
        What the last parent holds: ``"lengths"`` (samples ``[1]``: the number of valid
        keys), ``"padding"`` (samples ``[Tk]``, nonzero at padded keys: PyTorch's
        ``key_padding_mask``) or ``"additive"`` (samples ``[Tq, Tk]`` added to every head's
        scores: a float ``attn_mask`` per sample).
    name : str

    Returns
    -------
    Layer
        Shape ``[Tq, E]``. :class:`AttentionWeights` of it gives the weights averaged over
        the heads, ``[Tq, Tk]`` (PyTorch's ``need_weights=True``), or per head.

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([6, 16])
    >>> mha = eddl.MultiHeadAttention([x, x, x], 16, 4, causal=True)
    >>> mha.shape, [n for n, _, _ in mha.param_specs()]
    ((6, 16), ['in_proj_weight', 'in_proj_bias', 'out_proj_weight', 'out_proj_bias'])
    """

    prefix = "mha"

    def __init__(self, layers, embed_dim, num_heads, dropout=0.0, bias=True, kdim=None,
                 vdim=None, causal=False, mask=None, name=""):
        what = "MultiHeadAttention"
        self.embed_dim = _positive_int(embed_dim, what, "embed_dim")
        self.num_heads = _positive_int(num_heads, what, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"{what}: num_heads={num_heads} does not divide "
                             f"embed_dim={embed_dim}")
        self.kdim = embed_dim if kdim is None else _positive_int(kdim, what, "kdim")
        self.vdim = embed_dim if vdim is None else _positive_int(vdim, what, "vdim")
        self.bias = _check_bool(bias, what, "bias")
        self.heads = num_heads
        layers = self._configure(layers, mask, causal, dropout)
        super().__init__(layers, name)

    @property
    def packed(self):
        """True when the three input projections are one ``in_proj_weight``."""
        return self.kdim == self.embed_dim and self.vdim == self.embed_dim

    def compute_shape(self, q, k, v, *mask):
        e = self.embed_dim
        want = ((e,), (self.kdim,), (self.vdim,))
        for what, s, d in zip(("query", "key", "value"), (q, k, v), want):
            if len(s) != 2 or s[1] != d[0]:
                raise self.shape_error(f"{what} needs samples of shape [T, {d[0]}], got "
                                       f"{list(s)}")
        if k[0] != v[0]:
            raise self.shape_error(f"key and value need the same length, got {k[0]} and {v[0]}")
        if mask:
            self._check_mask(mask[0], q[0], k[0])
        return (q[0], e)

    def param_specs(self):
        e = self.embed_dim
        if self.packed:
            specs = [("in_proj_weight", (3 * e, e), "glorot_uniform")]
        else:
            specs = [("q_proj_weight", (e, e), "glorot_uniform"),
                     ("k_proj_weight", (e, self.kdim), "glorot_uniform"),
                     ("v_proj_weight", (e, self.vdim), "glorot_uniform")]
        if self.bias:
            specs.append(("in_proj_bias", (3 * e,), "zeros"))
        specs.append(("out_proj_weight", (e, e), "glorot_uniform"))
        if self.bias:
            specs.append(("out_proj_bias", (e,), "zeros"))
        return specs

    def fans(self, pname):
        """``(fan_in, fan_out)`` as PyTorch's Xavier initialisation of the packed weight."""
        shape = dict((n, s) for n, s, _ in self.param_specs())[pname]
        return (shape[-1], shape[0])

    def _param(self, arrays, name):
        return arrays[self.param_names.index(name)]

    def _projections(self, arrays):
        """``[(W, b)]`` for query, key and value (views of ``arrays``: params or gradients)."""
        e = self.embed_dim
        if self.packed:
            w = self._param(arrays, "in_proj_weight")
            ws = [w[:e], w[e:2 * e], w[2 * e:]]
        else:
            ws = [self._param(arrays, f"{n}_proj_weight") for n in "qkv"]
        if not self.bias:
            return [(w, None) for w in ws]
        b = self._param(arrays, "in_proj_bias")
        return list(zip(ws, (b[:e], b[e:2 * e], b[2 * e:])))

    def _output_projection(self, arrays):
        b = self._param(arrays, "out_proj_bias") if self.bias else None
        return self._param(arrays, "out_proj_weight"), b

    def _groups(self, arrays):
        """``[(parent index, names, W, b)]``: the input projections, one GEMM each.

        With packed weights, inputs given by the same layer (self-attention, or key and value
        from one layer) share one GEMM with the rows of ``in_proj_weight`` they need: one
        pass over the input forward, one product for its gradient backward.
        """
        e = self.embed_dim
        groups = []
        for i, ((w, b), name) in enumerate(zip(self._projections(arrays), "qkv")):
            if self.packed and groups and self.parents[groups[-1][0]] is self.parents[i]:
                start, names = groups[-1][:2]
                rows = slice(start * e, (i + 1) * e)
                w = self._param(arrays, "in_proj_weight")[rows]
                b = self._param(arrays, "in_proj_bias")[rows] if self.bias else None
                groups[-1] = (start, names + name, w, b)
            else:
                groups.append((i, name, w, b))
        return groups

    def _heads(self, key, b, t):
        dh = self.embed_dim // self.heads
        return self.batch_buffer(key, (b * self.heads, t, dh))

    def _by_head(self, flat, b, t, n=1):
        """``[B T, n E]`` seen as ``[B, T, n, H, E / H]`` (a view)."""
        return flat.reshape(b, t, n, self.heads, self.embed_dim // self.heads)

    def _head_major(self, heads, b, t):
        """``[B H, T, E / H]`` seen as ``[B, T, H, E / H]`` (a strided view)."""
        return heads.reshape(b, self.heads, t, -1).transpose(0, 2, 1, 3)

    def _lengths(self):
        b, tq = self.parents[0].output.shape[:2]
        return b, tq, self.parents[1].output.shape[1]

    def forward(self):
        be = self.be
        e = self.embed_dim
        b, tq, tk = self._lengths()
        for i, names, w, bias in self._groups(self.params):
            x, t, n = self.parents[i].output, (tq if i == 0 else tk), len(names)
            proj = self.batch_buffer(f"{names}_proj", (b * t, n * e))
            if bias is not None:
                proj[...] = bias
            be.gemm(x.reshape(b * t, -1), w, out=proj, trans_b=True,
                    beta=0.0 if bias is None else 1.0)
            for j, name in enumerate(names):
                # [B, T, H, d] -> [B H, T, d]: one strided copy per input
                self._head_major(self._heads(f"{name}_heads", b, t), b, t)[...] = \
                    self._by_head(proj, b, t, n)[:, :, j]
        qh, kh, vh = (self._heads(f"{n}_heads", b, t) for n, t in zip("qkv", (tq, tk, tk)))
        s = self.batch_buffer("scores", (b * self.heads, tq, tk))
        be.gemm_batched(qh, kh, out=s, trans_b=True, alpha=1.0 / math.sqrt(e // self.heads))
        w = self._weights_forward(s, b)
        ctx = self._heads("context_heads", b, tq)
        be.gemm_batched(w, vh, out=ctx)
        cat = self.batch_buffer("context", (b * tq, e))
        self._by_head(cat, b, tq)[:, :, 0] = self._head_major(ctx, b, tq)
        wo, bo = self._output_projection(self.params)
        out = self.output.reshape(b * tq, e)
        if bo is not None:
            out[...] = bo
        be.gemm(cat, wo, out=out, trans_b=True, beta=0.0 if bo is None else 1.0)

    def backward(self):
        be = self.be
        e = self.embed_dim
        b, tq, tk = self._lengths()
        dy = self.delta.reshape(b * tq, e)
        wo, _ = self._output_projection(self.params)
        if self.trainable:
            gwo, gbo = self._output_projection(self.gradients)
            be.gemm(dy, self.batch_buffer("context", (b * tq, e)), out=gwo, trans_a=True)
            if gbo is not None:
                be.nn.bias_grad(dy, gbo)
        dcat = self.batch_buffer("dcontext", (b * tq, e))
        be.gemm(dy, wo, out=dcat)
        dctx = self._heads("dcontext_heads", b, tq)
        self._head_major(dctx, b, tq)[...] = self._by_head(dcat, b, tq)[:, :, 0]
        qh, kh, vh = (self._heads(f"{n}_heads", b, t) for n, t in zip("qkv", (tq, tk, tk)))
        w = self._weights
        dheads = {"q": self._heads("dq_heads", b, tq), "k": self._heads("dk_heads", b, tk),
                  "v": self._heads("dv_heads", b, tk)}
        be.gemm_batched(w, dctx, out=dheads["v"], trans_a=True)
        dw = self.batch_buffer("dweights", w.shape)
        be.gemm_batched(dctx, vh, out=dw, trans_b=True)
        ds = self._weights_backward(dw, b)
        c = 1.0 / math.sqrt(e // self.heads)
        be.gemm_batched(ds, kh, out=dheads["q"], alpha=c)
        be.gemm_batched(ds, qh, out=dheads["k"], trans_a=True, alpha=c)
        grads = (self._groups(self.gradients) if self.trainable
                 else [(None, None, None, None)] * len(self._groups(self.params)))
        for (i, names, w_in, _), (_, _, gw, gb) in zip(self._groups(self.params), grads):
            t, n = (tq if i == 0 else tk), len(names)
            dproj = self.batch_buffer(f"d{names}_proj", (b * t, n * e))
            for j, name in enumerate(names):
                self._by_head(dproj, b, t, n)[:, :, j] = self._head_major(dheads[name], b, t)
            if gw is not None:
                be.gemm(dproj, self.parents[i].output.reshape(b * t, -1), out=gw, trans_a=True)
                if gb is not None:
                    be.nn.bias_grad(dproj, gb)
            self.put_delta(i, lambda out, dp=dproj, w=w_in, t=t:
                           be.gemm(dp, w, out=out.reshape(b * t, -1)))


@register_layer("AdditiveAttention")
class AdditiveAttention(_Attention):
    """Additive (Bahdanau) attention of a query over keys, which are also the values.

    With ``U = units``::

        e_ij = v . tanh(q_i Wq + k_j Wk + bias)       # scores [Tq, Tk]
        a_i = softmax_j(e_ij + mask)
        context_i = sum_j a_ij k_j

    ``Wq`` is ``[Dq, U]``, ``Wk`` ``[Dk, U]`` (inputs times weights, as :func:`~eddl.Dense`),
    ``bias`` and ``v`` are ``[U]``. A decoder attending over the feature positions of a
    CNN (an image-to-text net) gives its states ``[Tq, Dq]`` as the query and the features
    reshaped to ``[positions, channels]`` as the keys.

    Parameters
    ----------
    layers : list of Layer
        ``[query, keys]``: the query, samples ``[Tq, Dq]`` (one query per step) or ``[Dq]``
        (a single query), and the keys ``[Tk, Dk]``; then the mask layer when ``mask`` is
        given.
    units : int
        Size ``U`` of the hidden layer of the scores.
    mask : str or None
        What the last parent holds: ``"lengths"`` (samples ``[1]``), ``"padding"``
        (``[Tk]``, nonzero at padded keys) or ``"additive"`` (``[Tq, Tk]``, or ``[Tk]`` for
        a single query).
    name : str

    Returns
    -------
    Layer
        The context, ``[Tq, Dk]`` (``[Dk]`` for a single query); :class:`AttentionWeights`
        gives the weights ``[Tq, Tk]`` (``[Tk]``).

    Examples
    --------
    >>> import eddl
    >>> states, feats = eddl.Input([9, 32]), eddl.Input([49, 64])
    >>> eddl.AdditiveAttention([states, feats], 16).shape
    (9, 64)
    >>> eddl.AdditiveAttention([eddl.Input([32]), feats], 16).shape
    (64,)
    """

    inputs = ("query", "keys")
    prefix = "additive_attention"

    def __init__(self, layers, units, mask=None, name=""):
        self.units = _positive_int(units, "AdditiveAttention", "units")
        layers = self._configure(layers, mask, False, 0.0)
        super().__init__(layers, name)

    def compute_shape(self, q, k, *mask):
        if len(q) not in (1, 2):
            raise self.shape_error(f"the query needs samples of shape [Tq, Dq] or [Dq], got "
                                   f"{list(q)}")
        if len(k) != 2:
            raise self.shape_error(f"the keys need samples of shape [Tk, Dk], got {list(k)}")
        tq = q[0] if len(q) == 2 else None
        if mask:
            self._check_mask(mask[0], tq, k[0])
        return (k[1],) if tq is None else (tq, k[1])

    def _score_dims(self):
        q = self.parents[0].shape
        return (q[0] if len(q) == 2 else None), self.parents[1].shape[0]

    def _dims(self):
        q, k = self.parents[0].output, self.parents[1].output
        tq = q.shape[1] if q.ndim == 3 else 1
        return q.shape[0], tq, q.shape[-1], k.shape[1], k.shape[2]

    def param_specs(self):
        u = self.units
        return [("Wq", (self.parents[0].shape[-1], u), "glorot_uniform"),
                ("Wk", (self.parents[1].shape[1], u), "glorot_uniform"),
                ("bias", (u,), "zeros"),
                ("v", (u,), "glorot_uniform")]

    def fans(self, pname):
        """``(fan_in, fan_out)``: ``v`` is the ``[U, 1]`` matrix of a one-unit layer."""
        shape = dict((n, s) for n, s, _ in self.param_specs())[pname]
        return (shape[0], 1) if len(shape) == 1 else shape

    def forward(self):
        be, xp = self.be, self.be.xp
        b, tq, dq, tk, dk = self._dims()
        u = self.units
        wq, wk, bias, v = self.params
        k = self.parents[1].output
        pq = self.batch_buffer("query_proj", (b * tq, u))
        pq[...] = bias
        be.gemm(self.parents[0].output.reshape(b * tq, dq), wq, out=pq, beta=1.0)
        pk = self.batch_buffer("keys_proj", (b * tk, u))
        be.gemm(k.reshape(b * tk, dk), wk, out=pk)
        h = self.batch_buffer("hidden", (b, tq, tk, u))
        xp.add(pq.reshape(b, tq, 1, u), pk.reshape(b, 1, tk, u), out=h)
        be.unary("tanh", h, out=h)
        s = self.batch_buffer("scores", (b, tq, tk))
        be.gemm(h.reshape(-1, u), v.reshape(u, 1), out=s.reshape(-1, 1))
        w = self._weights_forward(s, b)
        be.gemm_batched(w, k, out=self.output.reshape(b, tq, dk))

    def backward(self):
        be, xp = self.be, self.be.xp
        b, tq, dq, tk, dk = self._dims()
        u = self.units
        wq, wk, _, v = self.params
        q, k = self.parents[0].output, self.parents[1].output
        dy = self.delta.reshape(b, tq, dk)
        w = self._weights
        dw = self.batch_buffer("dweights", w.shape)
        be.gemm_batched(dy, k, out=dw, trans_b=True)
        dk_all = self.batch_buffer("dkeys", (b, tk, dk))
        be.gemm_batched(w, dy, out=dk_all, trans_a=True)
        ds = self._weights_backward(dw, b)
        h = self.batch_buffer("hidden", (b, tq, tk, u))
        if self.trainable:
            be.gemm(h.reshape(-1, u), ds.reshape(-1, 1), out=self.gradients[3].reshape(u, 1),
                    trans_a=True)
        dh = self.batch_buffer("dhidden", h.shape)
        # through tanh: (1 - h^2) * v * ds
        xp.multiply(h, h, out=dh)
        xp.subtract(1, dh, out=dh)
        dh *= v
        dh *= ds[..., None]
        dpq = self.batch_buffer("dquery_proj", (b, tq, u))
        xp.sum(dh, axis=2, out=dpq)
        dpk = self.batch_buffer("dkeys_proj", (b, tk, u))
        xp.sum(dh, axis=1, out=dpk)
        dpq, dpk = dpq.reshape(b * tq, u), dpk.reshape(b * tk, u)
        if self.trainable:
            be.gemm(q.reshape(b * tq, dq), dpq, out=self.gradients[0], trans_a=True)
            be.gemm(k.reshape(b * tk, dk), dpk, out=self.gradients[1], trans_a=True)
            be.nn.bias_grad(dpq, self.gradients[2])
        be.gemm(dpk, wk, out=dk_all.reshape(b * tk, dk), trans_b=True, beta=1.0)
        self.put_delta(0, lambda out: be.gemm(dpq, wq, out=out.reshape(b * tq, dq),
                                              trans_b=True))
        self.put_delta(1, lambda out: out.__setitem__(Ellipsis, dk_all))


@register_layer("AttentionWeights")
class AttentionWeights(Layer):
    """The attention weights of an attention layer (the softmax over the keys, after masking).

    In training mode with dropout they are the weights the context used (some zeroed, the
    rest scaled), as PyTorch returns them. Gradients flow back into the attention layer.

    Parameters
    ----------
    parent : Layer
        A :class:`ScaledDotProductAttention`, :class:`MultiHeadAttention` or
        :class:`AdditiveAttention` layer.
    average : bool
        For multi-head attention: the mean over the heads (PyTorch's
        ``average_attn_weights=True``), ``[Tq, Tk]``; otherwise every head's, ``[H, Tq, Tk]``.
    name : str

    Returns
    -------
    Layer
        Shape ``[Tq, Tk]`` (``[H, Tq, Tk]``; ``[Tk]`` for an additive attention with a single
        query).

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([6, 8])
    >>> att = eddl.MultiHeadAttention([x, x, x], 8, 2)
    >>> eddl.AttentionWeights(att).shape, eddl.AttentionWeights(att, False).shape
    ((6, 6), (2, 6, 6))
    """

    prefix = "attention_weights"

    def __init__(self, parent, average=True, name=""):
        if not isinstance(parent, _Attention):
            raise TypeError(f"AttentionWeights: parent must be an attention layer "
                            f"(ScaledDotProductAttention, MultiHeadAttention, "
                            f"AdditiveAttention), got {type(parent).__name__}")
        self.average = _check_bool(average, "AttentionWeights", "average")
        super().__init__([parent], name)

    def compute_shape(self, s):
        return self.parents[0].weights_shape(self.average)

    def forward(self):
        self.parents[0].weights_into(self.output, self.average)

    def backward(self):
        p = self.parents[0]
        if p.needs_delta:
            p.add_weights_delta(self.delta, self.average)
            # the attention layer runs its backward pass even when nothing else reads its output
            self.put_delta(0, lambda out: out.fill(0))
