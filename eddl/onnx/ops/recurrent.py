"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU`` (forward or bidirectional).

The layers keep ONNX's packed weights (``W``, ``R``, ``Wb`` and ``Rb`` in one ``bias``), so
the weights are copied as they are. onnxruntime runs only the time-major layout (``layout=0``,
``X`` of shape ``[T, batch, D]``), so the export writes the ``Transpose`` nodes PyTorch's
exporter writes around the node, and the import reads that pattern back: a ``Transpose``
swapping axes 0 and 1 gives a :class:`~eddl.onnx.values.TimeMajor` value, and the output ``Y``
is followed through the ``Squeeze`` (one direction) or ``Transpose``/``Reshape`` (two
directions) that merge the directions into the features.
"""

import math

import numpy as np
from onnx import helper

from ...layers.recurrent import GRU, LSTM, RNN
from ..optable import exporter, importer
from ..values import Act, Batched, ExportError, TimeMajor, node_key

#: RNN activation -> (ONNX name, alpha, beta)
_ACT_TO_ONNX = {"tanh": ("Tanh", None, None), "relu": ("Relu", None, None),
                "sigmoid": ("Sigmoid", None, None), "hard_sigmoid": ("HardSigmoid", 0.2, 0.5),
                "none": ("Affine", 1.0, 0.0)}
_OP = {RNN: "RNN", LSTM: "LSTM", GRU: "GRU"}


def _sequence_lens(layer, g, x):
    """The int32 ``sequence_lens`` of ``layer`` computed in the graph, or ``""`` (full length).

    ``lengths`` is read from its input; ``mask_zeros`` becomes the number of steps whose
    input is not all zeros, which is EDDL's mask exactly when the padding is at the end (the
    convention of padded sequences); with both, the smaller of the two.
    """
    lens = []
    if layer.lengths_index is not None:
        src = g.inputs(layer)[layer.lengths_index]
        lens.append(g.node("Cast", [g.node("Reshape", [src, g.ints([-1])])], to=6))
    if layer.mask_zeros:
        nz = g.node("Cast", [g.node("Not", [g.node("Equal", [x, g.const(0.0, "zero")])])],
                    to=1)
        steps = g.reduce("ReduceMax", nz, [2], keepdims=0)
        lens.append(g.node("Cast", [g.reduce("ReduceSum", steps, [1], keepdims=0)], to=6))
    if not lens:
        return ""
    return lens[0] if len(lens) == 1 else g.node("Min", lens)


def _initial_states(layer, g):
    """``initial_h`` (and ``initial_c``) ``[nd, batch, H]`` from the states input, or ``[]``."""
    if not layer.has_initial_states:
        return []
    nd, h = layer.directions, layer.units
    states = g.inputs(layer)[1]
    out = []
    for i in range(layer.n_states):
        # [batch, n_states, nd * H] -> state i [batch, nd * H] -> [batch, nd, H] -> [nd, batch, H]
        si = g.node("Gather", [states, g.const(np.array(i, np.int64), "index", np.int64)],
                    axis=1)
        si = g.node("Reshape", [si, g.ints([0, nd, h])])
        out.append(g.node("Transpose", [si], perm=[1, 0, 2]))
    return out


@exporter("RNN", "LSTM", "GRU")
def export_recurrent(layer, g):
    """``Transpose`` + ``RNN``/``LSTM``/``GRU`` + ``Squeeze``/``Transpose``/``Reshape``

    Per-sample lengths and ``mask_zeros`` give ``sequence_lens``, initial states from another
    layer give ``initial_h`` (and ``initial_c``).
    """
    if layer.mask_zeros and layer.return_sequences:
        raise ExportError(f"{type(layer).__name__} layer {layer.name!r}: mask_zeros=True with "
                          f"return_sequences=True has no ONNX equivalent (a masked step outputs "
                          f"the held state, ONNX's sequence_lens outputs zeros); the final state "
                          f"alone (return_sequences=False) exports")
    nd, h = layer.directions, layer.units
    x = g.inputs(layer)[0]
    xt = g.node("Transpose", [x], perm=[1, 0, 2])
    ins = [xt, g.param(layer, "W"), g.param(layer, "R")]
    with_bias = not isinstance(layer, RNN) or layer.use_bias
    ins.append(g.param(layer, "bias") if with_bias else "")
    ins.append(_sequence_lens(layer, g, x))
    ins += _initial_states(layer, g)
    while ins[-1] == "":
        ins.pop()
    attrs = {"hidden_size": h, "direction": "bidirectional" if nd == 2 else "forward"}
    if isinstance(layer, RNN):
        name, alpha, beta = _ACT_TO_ONNX[layer.activation]
        attrs["activations"] = [name] * nd
        if alpha is not None:
            attrs["activation_alpha"] = [alpha] * nd
            attrs["activation_beta"] = [beta] * nd
    if isinstance(layer, GRU):
        attrs["linear_before_reset"] = int(layer.linear_before_reset)
    op = _OP[type(layer)]
    if layer.return_sequences:
        y = g.node(op, ins, [g.tmp("Y")], **attrs)
        if nd == 1:
            yt = g.node("Squeeze", [y, g.ints([1], "axes")])
        else:
            yt = g.node("Transpose", [y], perm=[0, 2, 1, 3])
            yt = g.node("Reshape", [yt, g.ints([0, 0, -1])])
        g.node("Transpose", [yt], g.output(layer), perm=[1, 0, 2])
    else:
        outs = g.node(op, ins, ["", g.tmp("Y_h")], **attrs)
        yh = g.node("Transpose", [outs[1]], perm=[1, 0, 2])
        g.node("Reshape", [yh, g.ints([0, -1])], g.output(layer))


# --- import ------------------------------------------------------------------------------------
def _zero_state(ctx, i, what):
    """Refuse an initial state input unless it is absent or zeros (a constant or batch-sized)."""
    if not ctx.has(i):
        return
    v = ctx.value(i)
    arrays = v.values if isinstance(v, Batched) else (None if isinstance(v, (Act, TimeMajor))
                                                      else (v,))
    if arrays is None or any(np.any(np.asarray(a) != 0) for a in arrays):
        raise ctx.unsupported(f"{what} other than zeros")


def _axes(ctx, node):
    """The ``axes`` of a ``Reduce*`` node (input from opset 18, or 13 for ReduceSum; attribute)."""
    raw = ctx.known_constant(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    axes = raw if raw is not None else _node_attr(node, "axes")
    return None if axes is None else [int(a) for a in np.asarray(axes).reshape(-1)]


def _mask_zeros_chain(ctx, node):
    """Return the nodes after ``Equal(x, 0)`` counting the non-zero steps of ``x``, or None.

    Those are the ``sequence_lens`` of a recurrent node (the export of ``mask_zeros``).
    """
    zero = ctx.known_constant(node.input[1])
    if zero is None or zero.size != 1 or float(zero.reshape(-1)[0]) != 0:
        return None
    chain, name = [], node.output[0]
    for op, check in (("Not", None), ("Cast", lambda n: _node_attr(n, "to") == 1),
                      ("ReduceMax", lambda n: _axes(ctx, n) == [2]
                       and _node_attr(n, "keepdims") == 0),
                      ("ReduceSum", lambda n: _axes(ctx, n) == [1]
                       and _node_attr(n, "keepdims") == 0),
                      ("Cast", lambda n: _node_attr(n, "to") in (6, 7))):
        nxt = _follow(ctx, name, op)
        if nxt is None or (check is not None and not check(nxt)):
            return None
        chain.append(nxt)
        name = nxt.output[0]
    users = ctx.users(name)
    if not users or any(n is None or n.op_type not in _OP.values() or k != 4 for n, k in users):
        return None
    return chain


@importer("Equal")
def import_equal(node, ctx):
    """no layer: only the ``mask_zeros`` pattern in front of recurrent nodes"""
    chain = _mask_zeros_chain(ctx, node)
    if chain is None:
        raise ctx.unsupported("Equal other than the count of non-zero steps that a recurrent "
                              "layer with mask_zeros exports (Equal(x, 0), Not, Cast, ReduceMax "
                              "over features, ReduceSum over steps, Cast, into sequence_lens)")
    x = ctx.act(0)
    # the count stands for its sequence: the recurrent node reads it as mask_zeros=True
    _fuse(ctx, chain, node.output[0])
    return Act(x)


@importer("Not")
def import_not(node, ctx):
    """no layer: only inside the ``mask_zeros`` pattern (see ``Equal``)"""
    raise ctx.unsupported("Not outside the count of non-zero steps of a masked recurrent layer")


def _lengths_input(ctx, t_len):
    """The layer holding ``sequence_lens`` computed from a model input, or None (full length).

    A constant or batch-sized value must be the full length.
    """
    if not ctx.has(4):
        return None
    lens = ctx.value(4)
    if isinstance(lens, Act) and lens.layer is _sequence_input(ctx, int(ctx.attr("layout", 0))):
        return "mask_zeros"  # the counted non-zero steps of X (import_equal)
    if isinstance(lens, Act):
        if math.prod(lens.layer.shape) != 1:
            raise ctx.error(f"sequence_lens must hold one length per sample, got samples of "
                            f"shape {list(lens.layer.shape)}")
        if lens.layer.shape != (1,):
            from .shape import _reshape_to
            v = _reshape_to(ctx, lens.layer, [1], "_lengths")
            return v.layer if isinstance(v, Act) else v
        return lens.layer
    arrays = lens.values if isinstance(lens, Batched) else (
        None if isinstance(lens, TimeMajor) else (lens,))
    if arrays is None or any(np.any(np.asarray(a) != t_len) for a in arrays):
        raise ctx.unsupported("constant sequence_lens other than the full length")
    return None


def _states_input(ctx, n_states, nd, h):
    """A ``[n_states, nd * H]`` layer from ``initial_h`` (and ``initial_c``), or None (zeros).

    Initial states computed from a model input arrive direction-major (a ``Transpose`` of a
    ``[batch, nd, H]`` value); constant ones must be zeros.
    """
    idx = [5, 6][:n_states]
    if not any(ctx.has(i) and isinstance(ctx.value(i), TimeMajor) for i in idx):
        for i in idx:
            _zero_state(ctx, i, ["initial_h", "initial_c"][i - 5])
        return None
    from ...layers.merge import Concat
    from ...layers.reshape import Reshape

    parts = []
    for i in idx:
        v = ctx.value(i) if ctx.has(i) else None
        if not isinstance(v, TimeMajor):
            raise ctx.unsupported(f"{['initial_h', 'initial_c'][i - 5]} missing or constant "
                                  f"while the other initial state is computed")
        if v.layer.shape != (nd, h):
            raise ctx.error(f"{['initial_h', 'initial_c'][i - 5]} has samples of shape "
                            f"{list(v.layer.shape)} (direction-major), expected {[nd, h]}")
        parts.append(Reshape(v.layer, [1, nd * h], name=ctx.layer_name(f"_state{i - 5}")))
    if len(parts) == 1:
        return parts[0]
    return Concat(parts, axis=0, name=ctx.layer_name("_states"))


def _rnn_activation(ctx, nd):
    acts = [a.decode() if isinstance(a, bytes) else a for a in ctx.attr("activations", [])]
    if not acts:
        return "tanh"
    alphas = list(ctx.attr("activation_alpha", []))
    betas = list(ctx.attr("activation_beta", []))
    found = set()
    for k, a in enumerate(acts):
        for ours, (name, alpha, beta) in _ACT_TO_ONNX.items():
            if a.lower() != name.lower():
                continue
            if alpha is not None:
                al = alphas[k] if k < len(alphas) else None
                be = betas[k] if k < len(betas) else None
                if al is None or not (np.isclose(al, alpha) and np.isclose(be, beta)):
                    continue
            found.add(ours)
            break
        else:
            raise ctx.unsupported(f"activation {a!r} with alpha/beta {alphas}/{betas}; "
                                  f"supported: Tanh, Relu, Sigmoid, HardSigmoid(0.2, 0.5), "
                                  f"Affine(1, 0)")
    if len(acts) != nd or len(found) != 1:
        raise ctx.unsupported(f"activations {acts} (one per direction, the same for both)")
    return found.pop()


def _check_activations(ctx, default):
    acts = [a.decode() if isinstance(a, bytes) else a for a in ctx.attr("activations", [])]
    if acts and [a.lower() for a in acts] != [d.lower() for d in default] * (len(acts) // len(default)):
        raise ctx.unsupported(f"activations {acts} (only the defaults {default})")


def _sequence_input(ctx, layout):
    """The layer whose output is the sequence ``X`` (batch first), whatever the layout."""
    v = ctx.value(0)
    if layout == 0:
        if not isinstance(v, TimeMajor):
            raise ctx.unsupported("a time-major X that is not a Transpose of a batch-first "
                                  "sequence (swap axes 0 and 1 of a [batch, T, D] value)")
        return v.layer
    return ctx.act(0)


def _follow(ctx, name, op_type):
    """The single node reading ``name`` when it is an ``op_type``, else None."""
    nxt = ctx.next_nodes.get(name)
    if ctx.n_consumers(name) != 1 or nxt is None or nxt.op_type != op_type:
        return None
    return nxt


def _fuse(ctx, nodes, into):
    for n in nodes:
        ctx.fused.add(node_key(n))
        ctx.alias[n.output[0]] = into


def _merge_directions(ctx, y, nd, t_len, h):
    """The nodes turning ``Y`` ``[T, nd, batch, H]`` into ``[T, batch, nd * H]``, or None."""
    if nd == 1:
        sq = _follow(ctx, y, "Squeeze")
        if sq is None:
            return None
        raw = ctx.known_constant(sq.input[1]) if len(sq.input) > 1 and sq.input[1] else None
        axes = raw if raw is not None else _node_attr(sq, "axes")
        if axes is None or [int(a) % 4 for a in np.asarray(axes).reshape(-1)] != [1]:
            return None
        return [sq]
    tr = _follow(ctx, y, "Transpose")
    if tr is None or list(_node_attr(tr, "perm") or []) != [0, 2, 1, 3]:
        return None
    rs = _follow(ctx, tr.output[0], "Reshape")
    if rs is None:
        return None
    target = ctx.values.get(rs.input[1])
    if target is None:
        target = ctx.known_constant(rs.input[1])
    if isinstance(target, Batched):
        # a target computed from the shape: its batch entry is the one that differs
        mask = target.batch_mask()
        target = np.where(mask, 0, target.values[0])
        if not (len(mask) == 3 and mask[1] and not mask[0] and not mask[2]):
            return None
    if not isinstance(target, np.ndarray) or target.size != 3:
        return None
    first, _, last = (int(t) for t in target.reshape(-1))
    if first not in (0, t_len) or last not in (-1, nd * h):
        return None
    return [tr, rs]


def _node_attr(node, name):
    """Return the attribute ``name`` of ``node`` (None when absent)."""
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return None


def _import(ctx, cls, gates, **kw):
    layout = int(ctx.attr("layout", 0))
    if layout not in (0, 1):
        raise ctx.error(f"layout {layout} is not 0 or 1")
    direction = ctx.str_attr("direction", "forward")
    if direction not in ("forward", "bidirectional"):
        raise ctx.unsupported(f"direction {direction!r} (forward and bidirectional are)")
    nd = 2 if direction == "bidirectional" else 1
    if ctx.attr("clip") is not None:
        raise ctx.unsupported("clip")
    x = _sequence_input(ctx, layout)
    if len(x.shape) != 2:
        raise ctx.error(f"X needs samples of shape [T, D], got {list(x.shape)}")
    t_len, d_in = x.shape
    w = np.asarray(ctx.const(1), dtype=np.float64)
    r = np.asarray(ctx.const(2), dtype=np.float64)
    h = int(ctx.attr("hidden_size", r.shape[-1]))
    if w.shape != (nd, gates * h, d_in) or r.shape != (nd, gates * h, h):
        raise ctx.error(f"W {list(w.shape)} and R {list(r.shape)} do not match "
                        f"{nd} direction(s), hidden_size {h} and {d_in} input features")
    b = ctx.const(3)
    if b is not None:
        b = np.asarray(b, dtype=np.float64)
        if b.shape != (nd, 2 * gates * h):
            raise ctx.error(f"B has shape {list(b.shape)}, expected {[nd, 2 * gates * h]}")
    lengths = _lengths_input(ctx, t_len)
    n_states = 2 if cls is LSTM else 1
    states = _states_input(ctx, n_states, nd, h)
    if cls is LSTM:
        if ctx.has(7) and np.any(np.asarray(ctx.const(7)) != 0):
            raise ctx.unsupported("peephole weights P")
        if ctx.attr("input_forget", 0):
            raise ctx.unsupported("input_forget=1")
    outs = list(ctx.node.output) + [""] * 3
    y, y_h, y_c = outs[:3]
    used = lambda name: bool(name) and ctx.n_consumers(name) > 0  # noqa: E731
    if used(y_c):
        raise ctx.unsupported("output Y_c (the final cell state)")
    if used(y) and used(y_h):
        raise ctx.unsupported("outputs Y and Y_h both read")
    seq = used(y)
    values = [None, None, None]
    if seq and layout == 0:
        chain = _merge_directions(ctx, y, nd, t_len, h)
        if chain is None:
            raise ctx.unsupported("reading Y other than by Squeeze (one direction) or "
                                  "Transpose [0, 2, 1, 3] + Reshape to [T, batch, -1] (two)")
    if lengths == "mask_zeros":
        if cls is RNN:
            raise ctx.unsupported(f"sequence_lens counting the non-zero steps for {cls.__name__}")
        lengths, kw = None, dict(kw, mask_zeros=True)
    parent = x if states is None else [x, states]
    layer = cls(parent, h, bidirectional=nd == 2, name=ctx.layer_name(), return_sequences=seq,
                lengths=lengths, **kw)
    if b is None:
        b = np.zeros((nd, 2 * gates * h))
    ctx.set_weights(layer, W=w, R=r, bias=b)
    if seq and layout == 0:
        _fuse(ctx, chain, y)
        values[0] = TimeMajor(layer)
    elif seq:
        values[0] = _split_directions(ctx, layer, [t_len, nd, h])
    elif layout == 0:
        values[1] = TimeMajor(_split_directions(ctx, layer, [nd, h]).layer)
    else:
        values[1] = _split_directions(ctx, layer, [nd, h])
    return values


def _split_directions(ctx, layer, shape):
    """``layer`` reshaped to ``shape`` (directions on their own axis), as an :class:`Act`."""
    from .shape import _reshape_to

    v = _reshape_to(ctx, layer, shape, "_directions")
    return v if isinstance(v, Act) else Act(v)


@importer("RNN")
def import_rnn(node, ctx):
    """RNN"""
    nd = 2 if ctx.str_attr("direction", "forward") == "bidirectional" else 1
    act = _rnn_activation(ctx, nd)
    return _import(ctx, RNN, 1, activation=act, use_bias=ctx.has(3))


@importer("LSTM")
def import_lstm(node, ctx):
    """LSTM"""
    _check_activations(ctx, ["Sigmoid", "Tanh", "Tanh"])
    return _import(ctx, LSTM, 4)


@importer("GRU")
def import_gru(node, ctx):
    """GRU"""
    _check_activations(ctx, ["Sigmoid", "Tanh"])
    return _import(ctx, GRU, 3, linear_before_reset=bool(ctx.attr("linear_before_reset", 0)))
