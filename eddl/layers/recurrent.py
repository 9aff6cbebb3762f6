"""Recurrent layers: RNN, LSTM and GRU over samples of shape ``[T, D]`` (time first).

Weights are kept in ONNX's packed layout so that export and import copy them as they are:
``W`` is ``[directions, gates * units, D]``, ``R`` is ``[directions, gates * units, units]``
and ``bias`` is ``[directions, 2 * gates * units]`` (the input bias ``Wb`` then the recurrent
bias ``Rb``). Gates are stacked ``[i, o, f, c]`` for LSTM and ``[z, r, h]`` for GRU.

The computation follows what makes recurrent layers fast on a BLAS engine: one GEMM projects
the inputs of all time steps at once, then each step does one ``[B, H] x [H, gates * H]`` GEMM
with the recurrent weights (two for a GRU with ``linear_before_reset=False``, whose reset gate
acts before the product). Every buffer is time-major (``[T, B, ...]``, each step contiguous),
is sized once per batch capacity and built length, and keeps the activated gates and states
that the backward pass through time reads again. Where the backend has the fused ``rnn`` kernel
family (the CPU backend), the loop over the steps runs there, one GEMM and one fused gate pass
per step; otherwise each step is a few backend array operations.

A step does not run for a sample (its states are held) when ``mask_zeros`` finds its input all
zeros or when it lies past the sample's ``lengths``; a batch shorter than the built sequence
runs only its own steps (see ``docs/sequences.md``).
"""

import inspect
import math

from .base import Layer
from .core import Input
from .registry import register_factory, register_layer

__all__ = ["Recurrent", "RNN", "LSTM", "GRU", "GetStates", "RNN_ACTIVATIONS"]

#: activations of :class:`RNN` (EDDL's names)
RNN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "hard_sigmoid", "none")


def _check_bool(value, what, arg):
    # 0 and 1 compare equal to the bools: ask for the type (NumPy's bool_ included)
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise TypeError(f"{what}: {arg} must be a bool, got {value!r}")
    return bool(value)


class Recurrent(Layer):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    A subclass sets :attr:`gates` and implements ``_step(d, k)`` (one time step forward, in
    the direction's processing order ``k``) and ``_step_backward(d, k, dh, dh_prev)``, plus
    ``_recurrent_grads(d)`` for the gradients of ``R`` and ``bias``; where the backend has the
    fused ``rnn`` kernel family, ``_run_fused(d, keep)`` and
    ``_run_fused_backward(d, dh, work, dy, keep)`` run a whole direction instead.
    """

    #: the time loops read earlier steps of the output: never a shared buffer
    shares_output = False

    #: gates stacked in ``W`` and ``R``
    gates = 1
    #: states carried from step to step (``h``; ``h`` and ``c`` for LSTM)
    n_states = 1
    prefix = "recurrent"
    parent_list = True

    @staticmethod
    def _parent_layers(parent, what, lengths=None):
        """``[input]``, ``[input, states]``, then ``lengths`` when given."""
        if isinstance(parent, (list, tuple)):
            if len(parent) not in (1, 2):
                raise ValueError(f"{what}: parent must be a layer or [input, states], got a list "
                                 f"of {len(parent)}")
            parents = list(parent)
        else:
            parents = [parent]
        if lengths is not None:
            if not isinstance(lengths, Layer):
                raise TypeError(f"{what}: lengths must be a layer (e.g. eddl.Input([1])) holding "
                                f"each sample's length, got {type(lengths).__name__}")
            parents.append(lengths)
        return parents

    def _configure(self, units, bidirectional, mask_zeros, return_sequences, lengths=None,
                   parent=None):
        what = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"{what}: units={units!r} is invalid; valid: an int >= 1")
        self.units = units
        self.bidirectional = _check_bool(bidirectional, what, "bidirectional")
        self.mask_zeros = _check_bool(mask_zeros, what, "mask_zeros")
        self.return_sequences = _check_bool(return_sequences, what, "return_sequences")
        n = len(parent) if isinstance(parent, (list, tuple)) else 1
        #: index of the parent holding per-sample lengths, or None
        self.lengths_index = n if lengths is not None else None

    def _find_time_source(self):
        """Mark the input layer whose first axis is this layer's time axis as variable.

        Follows first parents while they keep the time axis (Embedding, Dense on steps,
        stacked recurrent layers); such an input then accepts shorter sequences
        (:meth:`eddl.model.Model.set_inputs` pads them and records ``steps``).
        """
        t = self.parents[0].shape[0]
        layer = self.parents[0]
        while not layer.is_input:
            if not layer.parents or not layer.parents[0].shape or layer.parents[0].shape[0] != t:
                return None
            layer = layer.parents[0]
        layer.variable_steps = True
        return layer

    def _link(self, parent, name, lengths):
        what = type(self).__name__
        Layer.__init__(self, self._parent_layers(parent, what, lengths), name)
        self._time_source = self._find_time_source()

    def get_config(self):
        # the lengths layer is a parent (linked by name in a model configuration): the
        # configuration only says that the last parent holds the lengths
        if self.lengths_index is None:
            return super().get_config()
        args, kwargs = self._init_call
        bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        bound.arguments["lengths"] = True
        saved = self._init_call
        self._init_call = (bound.args[1:], bound.kwargs)
        try:
            return super().get_config()
        finally:
            self._init_call = saved

    @classmethod
    def from_config(cls, config, parents=()):
        if isinstance(config, dict) and config.get("lengths") is True and parents:
            parents = list(parents)
            config = dict(config, lengths=parents.pop())
        return super().from_config(config, parents)

    @property
    def directions(self):
        """1, or 2 when bidirectional."""
        return 2 if self.bidirectional else 1

    def compute_shape(self, s, *others):
        if len(s) != 2:
            raise self.rank_error(s, "samples of shape [T, D] (sequence length first)",
                                  "[T, D]")
        others = list(others)
        if self.lengths_index is not None:
            ls = tuple(others.pop())
            if ls != (1,):
                raise self.shape_error(f"lengths must have sample shape [1] (one length per "
                                       f"sample), got {list(ls)}")
        out = self.units * self.directions
        if others and tuple(others[0]) != (self.n_states, out):
            raise self.shape_error(f"the initial states must have shape "
                                   f"[{self.n_states}, {out}] ({self.n_states} state(s) of "
                                   f"{self.directions} x {self.units} units), got "
                                   f"{list(others[0])}; eddl.States([{self.n_states}, {out}]) or "
                                   f"eddl.GetStates of a layer like this one give them")
        return (s[0], out) if self.return_sequences else (out,)

    @property
    def has_initial_states(self):
        """True when the states before the first step come from a parent (``[input, states]``)."""
        return len(self.parents) - (self.lengths_index is not None) > 1

    @property
    def lengths_layer(self):
        """The layer holding each sample's sequence length, or None."""
        return None if self.lengths_index is None else self.parents[self.lengths_index]

    def _initial(self, d, i):
        """Return initial state ``i`` (0: ``h``, 1: ``c``) of direction ``d`` (None: zeros)."""
        if not self.has_initial_states:
            return None
        h = self.units
        return self.parents[1].output[:, i, d * h:(d + 1) * h]

    def final_states(self, out):
        """Write the final states, ``[batch, n_states, directions * units]``, into ``out``.

        Each direction's state after its last step (the backward one ends at time 0).
        """
        h = self.units
        for d in range(self.directions):
            cols = slice(d * h, (d + 1) * h)
            out[:, 0, cols] = self._state(d)[-1]
            if self.n_states > 1:
                out[:, 1, cols] = self._cells(d)[0][-1]

    def add_state_delta(self, delta):
        """Add the gradient of the final states (a :class:`GetStates` child's) for backward."""
        sd = self._arr("state_delta", delta.shape)
        if getattr(self, "_state_delta_set", False):
            sd += delta
        else:
            sd[...] = delta
            self._state_delta_set = True

    def _state_delta(self, d, i):
        if not getattr(self, "_state_delta_set", False):
            return None
        b, _, h = self._dims()
        sd = self._arr("state_delta", (b, self.n_states, self.directions * h))
        return sd[:, i, d * h:(d + 1) * h]

    def param_specs(self):
        nd, h, gh = self.directions, self.units, self.gates * self.units
        return [("W", (nd, gh, self.parents[0].shape[1]), "glorot_uniform"),
                ("R", (nd, gh, h), "glorot_uniform"),
                ("bias", (nd, 2 * gh), "zeros")]

    def fans(self, pname):
        """``(fan_in, fan_out)`` of one direction's packed weight (as Keras' kernels)."""
        gh = self.gates * self.units
        fan_in = {"W": self.parents[0].shape[1], "R": self.units}.get(pname, gh)
        return fan_in, gh

    # --- buffers ---------------------------------------------------------------------------
    def _arr(self, key, shape, dtype=None):
        """Return a contiguous ``shape`` view of a flat buffer sized for the batch capacity.

        ``shape`` holds the batch size at axis 1 (time-major) or 0; a smaller batch, or a
        shorter sequence, takes the front of the same memory: the buffer only ever grows, so
        batches of alternating lengths allocate nothing once the longest has run.
        """
        dtype = self.dtype if dtype is None else dtype
        n = math.prod(shape)
        need = max(n // max(self.batch, 1) * self._capacity, n)
        buf = self._buffers.get(key)
        if buf is None or buf.size < need or buf.dtype != dtype:
            buf = self.be.empty((need,), dtype)
            self._buffers[key] = buf
        return buf[:n].reshape(shape)

    def _dims(self):
        return self.parents[0].output.shape[0], self._steps, self.units

    @property
    def _steps(self):
        """Steps run on the current batch: those of a shorter input sequence, else all."""
        src = getattr(self, "_time_source", None)
        steps = getattr(src, "steps", None) if src is not None else None
        return self.parents[0].shape[0] if steps is None else steps

    def _time(self, d, k, t_len):
        """Return the time index of the ``k``-th step processed by direction ``d``."""
        return k if d == 0 else t_len - 1 - k

    def _fused_kernels(self):
        """Return the backend's fused ``rnn`` kernel family when it applies, else None."""
        fused = getattr(self.be, "rnn", None)
        if fused is None or self.be.xp.dtype(self.dtype).name not in ("float32", "float64"):
            return None
        return fused

    # --- masks -----------------------------------------------------------------------------
    def _lengths(self, b, t_len):
        """Each sample's length as int64 ``[b]`` (checked), or None without ``lengths``."""
        lay = self.lengths_layer
        if lay is None:
            return None
        xp = self.be.xp
        raw = lay.output.reshape(b)
        lens = self._arr("lengths", (b,), "int64")
        lens[...] = raw  # truncates; the check below refuses non-integers
        bad = self._arr("lengths_bad", (b,), bool)
        xp.not_equal(lens, raw, out=bad)
        if bool(xp.any(bad)) or int(xp.min(lens)) < 0 or int(xp.max(lens)) > t_len:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: lengths must be "
                             f"integers in [0, {t_len}] (the steps of this batch), got "
                             f"{self.be.to_host(raw).tolist()}")
        return lens

    def _make_masks(self, x, b, t_len):
        """Fill ``keep{d}``/``drop{d}`` (``[T, B, 1]``, processing order) and ``valid{d}``.

        ``keep`` is false where a step does not run for a sample: an all-zero input with
        ``mask_zeros``, a step past the sample's length. ``valid`` (with lengths) is false past
        the length: the outputs there are zero, as ONNX's ``sequence_lens``.
        Return ``(masked, with_lengths)``.
        """
        xp = self.be.xp
        lens = self._lengths(b, t_len)
        if not self.mask_zeros and lens is None:
            return False, False
        keep_bt = self._arr("keep_bt", (t_len, b), bool)
        if lens is not None:
            steps = self._arr("steps", (t_len, 1), "int64")
            steps[:, 0] = xp.arange(t_len)
            valid_bt = self._arr("valid_bt", (t_len, b), bool)
            xp.less(steps, lens, out=valid_bt)
            keep_bt[...] = valid_bt
        if self.mask_zeros:
            xs = x[:, :t_len]
            nz = self._arr("nz", xs.shape, bool)
            xp.not_equal(xs, 0, out=nz)
            any_nz = self._arr("any_nz", (b, t_len), bool)
            xp.any(nz, axis=2, out=any_nz)
            if lens is None:
                keep_bt[...] = any_nz.T
            else:
                keep_bt &= any_nz.T
        for d in range(self.directions):
            keep = self._arr(f"keep{d}", (t_len, b, 1), bool)
            keep[..., 0] = keep_bt if d == 0 else keep_bt[::-1]
            xp.logical_not(keep, out=self._arr(f"drop{d}", (t_len, b, 1), bool))
            if lens is not None:
                valid = self._arr(f"valid{d}", (t_len, b, 1), bool)
                valid[..., 0] = valid_bt if d == 0 else valid_bt[::-1]
        return True, lens is not None

    # --- forward ---------------------------------------------------------------------------
    def forward(self):
        x = self.parents[0].output
        b, t_full, d_in = x.shape
        t_len = self._steps
        if t_len > t_full:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: {t_len} steps but the "
                             f"net was built for {t_full}")
        gh = self.gates * self.units
        self._state_delta_set = False
        self._masked, self._with_lengths = self._make_masks(x, b, t_len)
        fused = self._fused_kernels()
        for d in range(self.directions):
            # the inputs in this direction's processing order, time-major
            xt = self._arr(f"x{d}", (t_len, b, d_in))
            src = x[:, :t_len].transpose(1, 0, 2)
            xt[...] = src if d == 0 else src[::-1]
            g = self._arr(f"g{d}", (t_len, b, gh))
            bias = self._input_bias(d)
            if bias is not None:
                # g = x W^T + g, with g pre-filled with the bias: no extra pass over g
                g[...] = bias
            self.be.gemm(xt.reshape(-1, d_in), self.params[0][d], out=g.reshape(-1, gh),
                         trans_b=True, beta=0.0 if bias is None else 1.0)
            s = self._state(d)
            h0 = self._initial(d, 0)
            if h0 is None:
                s[0] = 0
            else:
                s[0] = h0
            self._start(d)
            if fused is not None:
                keep = self._mask(d)[0][..., 0] if self._masked else None
                self._run_fused(fused, d, keep)
            else:
                for k in range(t_len):
                    self._step(d, k)
                    if self._masked:
                        # a step that does not run for a sample keeps its states
                        self._hold(d, k)
            self._write_output(d, s)

    def _input_bias(self, d):
        """Return the bias added to every step's input projection (``Wb + Rb``), or None."""
        gh = self.gates * self.units
        bias = self.params[2][d]
        vec = self.buffer("input_bias", (gh,))
        self.be.xp.add(bias[:gh], bias[gh:], out=vec)
        return vec

    def _start(self, d):
        """Prepare per-direction state before the first step (the cell state of an LSTM)."""

    def _hold(self, d, k):
        s = self._state(d)
        drop = self._mask(d)[1][k]
        self.be.xp.copyto(s[k + 1], s[k], where=drop)

    def _state(self, d):
        b, t_len, h = self._dims()
        return self._arr(f"s{d}", (t_len + 1, b, h))

    def _mask(self, d):
        b, t_len, _ = self._dims()
        return (self._arr(f"keep{d}", (t_len, b, 1), bool),
                self._arr(f"drop{d}", (t_len, b, 1), bool))

    def _valid(self, d):
        b, t_len, _ = self._dims()
        return self._arr(f"valid{d}", (t_len, b, 1), bool)

    def _write_output(self, d, s):
        h = self.units
        cols = slice(d * h, (d + 1) * h)
        if self.return_sequences:
            t_len = s.shape[0] - 1
            out = self.output[:, :, cols].transpose(1, 0, 2)
            dst = out[:t_len] if d == 0 else out[:t_len][::-1]
            if self._with_lengths:
                # outputs past a sample's length are zero (ONNX's sequence_lens)
                self.be.xp.multiply(s[1:], self._valid(d), out=dst)
            else:
                dst[...] = s[1:]
            out[t_len:] = 0
        else:
            # the final state of each direction (the backward one ends at time 0), as ONNX's Y_h
            self.output[:, cols] = s[-1]

    # --- backward --------------------------------------------------------------------------
    def backward(self):
        xp = self.be.xp
        b, t_len, h = self._dims()
        d_in = self.parents[0].shape[1]
        gh = self.gates * h
        fused = self._fused_kernels()
        out, acc = self.delta_target(0)
        out_states, acc_states = (self.delta_target(1) if self.has_initial_states
                                  else (None, False))
        for d in range(self.directions):
            cols = slice(d * h, (d + 1) * h)
            dg = self._arr(f"dg{d}", (t_len, b, gh))
            dh = self._arr("dh", (b, h))
            dh_prev = self._arr("dh_prev", (b, h))
            if self.return_sequences:
                dh.fill(0)
                dy = self._arr("dy", (t_len, b, h))
                src = self.delta[:, :t_len, cols].transpose(1, 0, 2)
                dy[...] = src if d == 0 else src[::-1]
                if self._with_lengths:
                    dy *= self._valid(d)
            else:
                dh[...] = self.delta[:, cols]
                dy = None
            sd = self._state_delta(d, 0)
            if sd is not None:
                dh += sd
            self._start_backward(d)
            if fused is not None:
                keep = self._mask(d)[0][..., 0] if self._masked else None
                self._run_fused_backward(fused, d, dh, dh_prev, dy, keep)
            else:
                for k in range(t_len - 1, -1, -1):
                    if dy is not None:
                        dh += dy[k]
                    self._step_backward(d, k, dh, dh_prev)
                    if self._masked:
                        xp.copyto(dh_prev, dh, where=self._mask(d)[1][k])
                    dh, dh_prev = dh_prev, dh
            if out_states is not None:
                # dh is now the gradient of the initial state
                self._initial_state_grads(d, dh, out_states[:, :, cols], acc_states)
            xt = self._arr(f"x{d}", (t_len, b, d_in))
            if self.trainable:
                self.be.gemm(dg.reshape(-1, gh), xt.reshape(-1, d_in), out=self.gradients[0][d],
                             trans_a=True)
                self._recurrent_grads(d)
            if out is not None:
                dx = self._arr("dx", (t_len, b, d_in))
                self.be.gemm(dg.reshape(-1, gh), self.params[0][d], out=dx.reshape(-1, d_in))
                dst = out.transpose(1, 0, 2)
                if not acc:
                    dst[t_len:] = 0  # steps beyond a shorter batch
                dst = dst[:t_len]
                if d == 1:
                    dst = dst[::-1]
                if acc:
                    dst += dx
                else:
                    dst[...] = dx
                acc = True
        if self.lengths_index is not None:
            self.put_delta(self.lengths_index, lambda o: o.fill(0))

    def _start_backward(self, d):
        """Reset per-direction running gradients (the cell state's of an LSTM)."""

    def _initial_state_grads(self, d, dh, out, acc):
        """Hand the gradients of the initial states to the states parent (``out[:, i]``)."""
        if acc:
            out[:, 0] += dh
        else:
            out[:, 0] = dh

    def _keep_part(self, d, k, dh):
        """``dh`` restricted to the steps that ran (masked steps pass it on unchanged)."""
        if not self._masked:
            return dh
        b, _, h = self._dims()
        dhc = self._arr("dh_cell", (b, h))
        self.be.xp.multiply(dh, self._mask(d)[0][k], out=dhc)
        return dhc

    def _recurrent_grads(self, d):
        """Gradients of ``R`` and ``bias`` from ``dg`` (pre-activations) and the states."""
        b, t_len, h = self._dims()
        gh = self.gates * h
        dg = self._arr(f"dg{d}", (t_len, b, gh)).reshape(-1, gh)
        s = self._state(d)
        self.be.gemm(dg, s[:-1].reshape(-1, h), out=self.gradients[1][d], trans_a=True)
        gb = self.gradients[2][d]
        self.be.nn.bias_grad(dg, gb[:gh])
        gb[gh:] = gb[:gh]


def _sigmoid_grad(xp, y, dy, tmp):
    """``dy *= y * (1 - y)`` (``y`` the sigmoid's output)."""
    xp.subtract(1, y, out=tmp)
    tmp *= y
    dy *= tmp


def _tanh_grad(xp, y, dy, tmp):
    """``dy *= 1 - y**2`` (``y`` the tanh's output)."""
    xp.multiply(y, y, out=tmp)
    xp.subtract(1, tmp, out=tmp)
    dy *= tmp


@register_layer("RNN")
class RNN(Recurrent):
    """Elman recurrent layer: ``h_t = act(x_t W^T + h_{t-1} R^T + Wb + Rb)``.

    Samples are sequences ``[T, D]`` (time first); the initial state is zero.

    Parameters
    ----------
    parent : Layer or list of Layer
        Samples of shape ``[T, D]``; or ``[input, states]``, whose ``states`` (shape
        ``[n_states, H]``, from :func:`~eddl.States` or :class:`GetStates`) are the initial
        states instead of zeros.
    units : int
        Size ``H`` of the state.
    activation : str
        One of ``"tanh"``, ``"relu"``, ``"sigmoid"``, ``"hard_sigmoid"``
        (``clip(0.2 x + 0.5, 0, 1)``) or ``"none"``.
    use_bias : bool
        Without bias, ``bias`` stays zero and is not trained.
    bidirectional : bool
        Also run the sequence backwards and concatenate both states on the feature axis.
    name : str
    return_sequences : bool
        Return the states of every step, ``[T, H]``, instead of the final state ``[H]``.
    lengths : Layer, optional
        A layer of sample shape ``[1]`` (e.g. ``eddl.Input([1])``) holding each sample's
        sequence length (ONNX's ``sequence_lens``): the steps at and after it do not update
        that sample's states and, with ``return_sequences``, output zeros; the final state is
        the one after the sample's last step (for the backward direction, after reading step
        0, having started at step ``length - 1``). Integers in ``[0, T]``.

    Returns
    -------
    Layer
        Shape ``[H]`` (``[2H]`` when bidirectional), or ``[T, H]`` / ``[T, 2H]`` with
        ``return_sequences``.

    Examples
    --------
    >>> import eddl
    >>> eddl.RNN(eddl.Input([7, 4]), 5).shape
    (5,)
    >>> eddl.RNN(eddl.Input([7, 4]), 5, bidirectional=True, return_sequences=True).shape
    (7, 10)
    """

    gates = 1
    prefix = "rnn"

    def __init__(self, parent, units, activation="tanh", use_bias=True, bidirectional=False,
                 name="", return_sequences=False, lengths=None):
        if activation not in RNN_ACTIVATIONS:
            raise ValueError(f"RNN: activation={activation!r} is invalid; valid: "
                             f"{list(RNN_ACTIVATIONS)}")
        self.activation = activation
        self.use_bias = _check_bool(use_bias, "RNN", "use_bias")
        self._configure(units, bidirectional, False, return_sequences, lengths, parent)
        self._link(parent, name, lengths)

    def _input_bias(self, d):
        return super()._input_bias(d) if self.use_bias else None

    def _activate(self, a):
        xp, be = self.be.xp, self.be
        act = self.activation
        if act == "tanh":
            be.unary("tanh", a, out=a)
        elif act == "sigmoid":
            be.unary("sigmoid", a, out=a)
        elif act == "relu":
            xp.maximum(a, 0, out=a)
        elif act == "hard_sigmoid":
            a *= 0.2
            a += 0.5
            xp.clip(a, 0, 1, out=a)

    def _run_fused(self, fused, d, keep):
        b, t_len, h = self._dims()
        fused.rnn_forward(self._arr(f"g{d}", (t_len, b, h)), self.params[1][d], self._state(d),
                          self.activation, keep)

    def _run_fused_backward(self, fused, d, dh, work, dy, keep):
        b, t_len, h = self._dims()
        fused.rnn_backward(self._arr(f"g{d}", (t_len, b, h)), self.params[1][d],
                           self._arr(f"dg{d}", (t_len, b, h)), dh, work, self.activation, dy,
                           keep)

    def _step(self, d, k):
        b, t_len, h = self._dims()
        g = self._arr(f"g{d}", (t_len, b, h))
        s = self._state(d)
        self.be.gemm(s[k], self.params[1][d], out=g[k], trans_b=True, beta=1.0)
        self._activate(g[k])
        s[k + 1] = g[k]

    def _step_backward(self, d, k, dh, dh_prev):
        xp = self.be.xp
        b, t_len, h = self._dims()
        y = self._arr(f"g{d}", (t_len, b, h))[k]
        dg = self._arr(f"dg{d}", (t_len, b, h))[k]
        tmp = self._arr("tmp", (b, h))
        dg[...] = self._keep_part(d, k, dh)
        act = self.activation
        if act == "tanh":
            _tanh_grad(xp, y, dg, tmp)
        elif act == "sigmoid":
            _sigmoid_grad(xp, y, dg, tmp)
        elif act == "relu":
            xp.greater(y, 0, out=tmp)
            dg *= tmp
        elif act == "hard_sigmoid":
            # the slope is 0.2 strictly inside the linear part
            xp.greater(y, 0, out=tmp)
            dg *= tmp
            xp.less(y, 1, out=tmp)
            dg *= tmp
            dg *= 0.2
        self.be.gemm(dg, self.params[1][d], out=dh_prev)

    def _recurrent_grads(self, d):
        super()._recurrent_grads(d)
        if not self.use_bias:
            self.gradients[2][d].fill(0)


@register_layer("LSTM")
class LSTM(Recurrent):
    """Long short-term memory layer (ONNX's LSTM without peepholes).

    With gates stacked ``[i, o, f, c]`` in ``W`` (``[4H, D]``), ``R`` (``[4H, H]``) and
    ``bias`` (``Wb`` then ``Rb``, ``[8H]``)::

        i, o, f = sigmoid(x_t W_iof^T + h_{t-1} R_iof^T + Wb_iof + Rb_iof)
        g = tanh(x_t W_c^T + h_{t-1} R_c^T + Wb_c + Rb_c)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    The initial states are zero. PyTorch's ``weight_ih_l0`` stacks ``[i, f, g, o]``: its row
    blocks ``0, 2, 3, 1`` (of ``H`` rows each) are ONNX's ``i, o, f, c``.

    Parameters
    ----------
    parent : Layer or list of Layer
        Samples of shape ``[T, D]``; or ``[input, states]``, whose ``states`` (shape
        ``[n_states, H]``, from :func:`~eddl.States` or :class:`GetStates`) are the initial
        states instead of zeros.
    units : int
        Size ``H`` of the state.
    mask_zeros : bool
        A step whose input is all zeros keeps the previous states ``h`` and ``c`` (EDDL's
        padding convention; zero states before the first real step).
    bidirectional : bool
        Also run the sequence backwards and concatenate both outputs on the feature axis.
    name : str
    return_sequences : bool
        Return ``h`` of every step, ``[T, H]``, instead of the final ``h``, ``[H]``.
    lengths : Layer, optional
        A layer of sample shape ``[1]`` (e.g. ``eddl.Input([1])``) holding each sample's
        sequence length (ONNX's ``sequence_lens``): the steps at and after it do not update
        that sample's states and, with ``return_sequences``, output zeros; the final state is
        the one after the sample's last step (for the backward direction, after reading step
        0, having started at step ``length - 1``). Integers in ``[0, T]``.

    Returns
    -------
    Layer
        Shape ``[H]`` (``[2H]`` when bidirectional: the forward direction's last state and the
        backward direction's state after reading time 0), or ``[T, H]`` / ``[T, 2H]`` with
        ``return_sequences``.

    Examples
    --------
    >>> import eddl
    >>> eddl.LSTM(eddl.Input([7, 4]), 5).shape
    (5,)
    >>> eddl.LSTM(eddl.Input([7, 4]), 5, bidirectional=True).shape
    (10,)
    """

    gates = 4
    n_states = 2
    prefix = "lstm"

    def __init__(self, parent, units, mask_zeros=False, bidirectional=False, name="",
                 return_sequences=False, lengths=None):
        self._configure(units, bidirectional, mask_zeros, return_sequences, lengths, parent)
        self._link(parent, name, lengths)

    def _cells(self, d):
        b, t_len, h = self._dims()
        return (self._arr(f"c{d}", (t_len + 1, b, h)), self._arr(f"tc{d}", (t_len, b, h)))

    def _start(self, d):
        c0 = self._initial(d, 1)
        if c0 is None:
            self._cells(d)[0][0] = 0
        else:
            self._cells(d)[0][0] = c0

    def _step(self, d, k):
        be, xp = self.be, self.be.xp
        b, t_len, h = self._dims()
        g = self._arr(f"g{d}", (t_len, b, 4 * h))[k]
        s = self._state(d)
        c, tc = self._cells(d)
        be.gemm(s[k], self.params[1][d], out=g, trans_b=True, beta=1.0)
        be.unary("sigmoid", g[:, :3 * h], out=g[:, :3 * h])
        be.unary("tanh", g[:, 3 * h:], out=g[:, 3 * h:])
        i, o, f, cand = g[:, :h], g[:, h:2 * h], g[:, 2 * h:3 * h], g[:, 3 * h:]
        tmp = self._arr("tmp", (b, h))
        xp.multiply(f, c[k], out=c[k + 1])
        xp.multiply(i, cand, out=tmp)
        c[k + 1] += tmp
        be.unary("tanh", c[k + 1], out=tc[k])
        xp.multiply(o, tc[k], out=s[k + 1])

    def _run_fused(self, fused, d, keep):
        b, t_len, h = self._dims()
        c, tc = self._cells(d)
        fused.lstm_forward(self._arr(f"g{d}", (t_len, b, 4 * h)), self.params[1][d],
                           self._state(d), c, tc, keep)

    def _run_fused_backward(self, fused, d, dh, work, dy, keep):
        b, t_len, h = self._dims()
        c, tc = self._cells(d)
        fused.lstm_backward(self._arr(f"g{d}", (t_len, b, 4 * h)), self.params[1][d], c, tc,
                            self._arr(f"dg{d}", (t_len, b, 4 * h)), dh, self._arr("dc", (b, h)),
                            work, dy, keep)

    def _hold(self, d, k):
        super()._hold(d, k)
        c = self._cells(d)[0]
        self.be.xp.copyto(c[k + 1], c[k], where=self._mask(d)[1][k])

    def _start_backward(self, d):
        b, _, h = self._dims()
        dc = self._arr("dc", (b, h))
        sd = self._state_delta(d, 1)
        if sd is None:
            dc.fill(0)
        else:
            dc[...] = sd

    def _initial_state_grads(self, d, dh, out, acc):
        super()._initial_state_grads(d, dh, out, acc)
        b, _, h = self._dims()
        dc = self._arr("dc", (b, h))
        if acc:
            out[:, 1] += dc
        else:
            out[:, 1] = dc

    def _step_backward(self, d, k, dh, dh_prev):
        xp = self.be.xp
        b, t_len, h = self._dims()
        g = self._arr(f"g{d}", (t_len, b, 4 * h))[k]
        dg = self._arr(f"dg{d}", (t_len, b, 4 * h))[k]
        c, tc = self._cells(d)
        dc = self._arr("dc", (b, h))
        i, o, f, cand = g[:, :h], g[:, h:2 * h], g[:, 2 * h:3 * h], g[:, 3 * h:]
        di, do, df, dcand = dg[:, :h], dg[:, h:2 * h], dg[:, 2 * h:3 * h], dg[:, 3 * h:]
        dhc = self._keep_part(d, k, dh)
        dct = self._arr("dct", (b, h))
        # gradient of c_t: from the future and through h_t = o * tanh(c_t)
        xp.multiply(tc[k], tc[k], out=dct)
        xp.subtract(1, dct, out=dct)
        dct *= o
        dct *= dhc
        if self._masked:
            dcm = self._arr("dc_cell", (b, h))
            xp.multiply(dc, self._mask(d)[0][k], out=dcm)
            dct += dcm
        else:
            dct += dc
        xp.multiply(dhc, tc[k], out=do)
        xp.multiply(dct, cand, out=di)
        xp.multiply(dct, c[k], out=df)
        xp.multiply(dct, i, out=dcand)
        if self._masked:
            # a held step hands the cell gradient on unchanged
            dc_old = self._arr("dc_old", (b, h))
            dc_old[...] = dc
            xp.multiply(dct, f, out=dc)
            xp.copyto(dc, dc_old, where=self._mask(d)[1][k])
        else:
            xp.multiply(dct, f, out=dc)
        tmp3 = self._arr("tmp3", (b, 3 * h))
        _sigmoid_grad(xp, g[:, :3 * h], dg[:, :3 * h], tmp3)
        _tanh_grad(xp, cand, dcand, dct)
        self.be.gemm(dg, self.params[1][d], out=dh_prev)


@register_layer("GRU")
class GRU(Recurrent):
    """Gated recurrent unit layer (ONNX's GRU).

    With gates stacked ``[z, r, h]`` in ``W`` (``[3H, D]``), ``R`` (``[3H, H]``) and
    ``bias`` (``Wb`` then ``Rb``, ``[6H]``)::

        z, r = sigmoid(x_t W_zr^T + h_{t-1} R_zr^T + Wb_zr + Rb_zr)
        n = tanh(x_t W_h^T + Wb_h + r * (h_{t-1} R_h^T + Rb_h))     # linear_before_reset
        n = tanh(x_t W_h^T + Wb_h + (r * h_{t-1}) R_h^T + Rb_h)     # otherwise
        h_t = (1 - z) * n + z * h_{t-1}

    The initial state is zero. EDDL and PyTorch compute the ``linear_before_reset`` form (the
    default here); PyTorch stacks ``[r, z, n]``: its row blocks ``1, 0, 2`` are ONNX's
    ``z, r, h``.

    Parameters
    ----------
    parent : Layer or list of Layer
        Samples of shape ``[T, D]``; or ``[input, states]``, whose ``states`` (shape
        ``[n_states, H]``, from :func:`~eddl.States` or :class:`GetStates`) are the initial
        states instead of zeros.
    units : int
        Size ``H`` of the state.
    mask_zeros : bool
        A step whose input is all zeros keeps the previous state (EDDL's padding convention).
    bidirectional : bool
        Also run the sequence backwards and concatenate both outputs on the feature axis.
    name : str
    return_sequences : bool
        Return ``h`` of every step, ``[T, H]``, instead of the final ``h``, ``[H]``.
    linear_before_reset : bool
        Which of the two forms above.
    lengths : Layer, optional
        A layer of sample shape ``[1]`` (e.g. ``eddl.Input([1])``) holding each sample's
        sequence length (ONNX's ``sequence_lens``): the steps at and after it do not update
        that sample's states and, with ``return_sequences``, output zeros; the final state is
        the one after the sample's last step (for the backward direction, after reading step
        0, having started at step ``length - 1``). Integers in ``[0, T]``.

    Returns
    -------
    Layer
        Shape ``[H]`` (``[2H]`` when bidirectional), or ``[T, H]`` / ``[T, 2H]`` with
        ``return_sequences``.

    Examples
    --------
    >>> import eddl
    >>> eddl.GRU(eddl.Input([7, 4]), 5, return_sequences=True).shape
    (7, 5)
    """

    gates = 3
    prefix = "gru"

    def __init__(self, parent, units, mask_zeros=False, bidirectional=False, name="",
                 return_sequences=False, linear_before_reset=True, lengths=None):
        self._configure(units, bidirectional, mask_zeros, return_sequences, lengths, parent)
        self.linear_before_reset = _check_bool(linear_before_reset, "GRU",
                                               "linear_before_reset")
        self._link(parent, name, lengths)

    def _input_bias(self, d):
        vec = super()._input_bias(d)
        if self.linear_before_reset:
            # Rb_h acts inside the reset gate: it is added at each step instead
            h = self.units
            vec[2 * h:] = self.params[2][d][2 * h:3 * h]
        return vec

    def _extra(self, d):
        """Per-step products kept for backward: ``h_{t-1} R^T`` (+``Rb_h``) or ``r * h_{t-1}``."""
        b, t_len, h = self._dims()
        width = 3 * h if self.linear_before_reset else h
        return self._arr(f"e{d}", (t_len, b, width))

    def _de(self, d):
        """Gradients of ``e`` (linear before reset) or per-step scratch (otherwise)."""
        b, t_len, h = self._dims()
        width = 3 * h if self.linear_before_reset else h
        return self._arr(f"de{d}", (t_len, b, width))

    def _run_fused(self, fused, d, keep):
        b, t_len, h = self._dims()
        fused.gru_forward(self._arr(f"g{d}", (t_len, b, 3 * h)), self.params[1][d],
                          self.params[2][d][5 * h:], self._state(d), self._extra(d),
                          self.linear_before_reset, keep)

    def _run_fused_backward(self, fused, d, dh, work, dy, keep):
        b, t_len, h = self._dims()
        fused.gru_backward(self._arr(f"g{d}", (t_len, b, 3 * h)), self.params[1][d],
                           self._state(d), self._extra(d), self._arr(f"dg{d}", (t_len, b, 3 * h)),
                           self._de(d), dh, work, self.linear_before_reset, dy, keep)

    def _step(self, d, k):
        be, xp = self.be, self.be.xp
        b, t_len, h = self._dims()
        g = self._arr(f"g{d}", (t_len, b, 3 * h))[k]
        s = self._state(d)
        r_w = self.params[1][d]
        e = self._extra(d)[k]
        zr, n = g[:, :2 * h], g[:, 2 * h:]
        if self.linear_before_reset:
            be.gemm(s[k], r_w, out=e, trans_b=True)
            e[:, 2 * h:] += self.params[2][d][5 * h:]
            zr += e[:, :2 * h]
            be.unary("sigmoid", zr, out=zr)
            tmp = self._arr("tmp", (b, h))
            xp.multiply(g[:, h:2 * h], e[:, 2 * h:], out=tmp)
            n += tmp
        else:
            be.gemm(s[k], r_w[:2 * h], out=zr, trans_b=True, beta=1.0)
            be.unary("sigmoid", zr, out=zr)
            xp.multiply(g[:, h:2 * h], s[k], out=e)
            be.gemm(e, r_w[2 * h:], out=n, trans_b=True, beta=1.0)
        be.unary("tanh", n, out=n)
        # h_t = n + z * (h_{t-1} - n)
        xp.subtract(s[k], n, out=s[k + 1])
        s[k + 1] *= g[:, :h]
        s[k + 1] += n

    def _step_backward(self, d, k, dh, dh_prev):
        be, xp = self.be, self.be.xp
        b, t_len, h = self._dims()
        g = self._arr(f"g{d}", (t_len, b, 3 * h))[k]
        dg = self._arr(f"dg{d}", (t_len, b, 3 * h))[k]
        s = self._state(d)
        e = self._extra(d)[k]
        r_w = self.params[1][d]
        z, r, n = g[:, :h], g[:, h:2 * h], g[:, 2 * h:]
        dz, dr, dn = dg[:, :h], dg[:, h:2 * h], dg[:, 2 * h:]
        dhc = self._keep_part(d, k, dh)
        tmp = self._arr("tmp", (b, h))
        xp.subtract(s[k], n, out=dz)
        dz *= dhc
        xp.subtract(1, z, out=dn)
        dn *= dhc
        _tanh_grad(xp, n, dn, tmp)
        if self.linear_before_reset:
            de = self._de(d)[k]
            xp.multiply(dn, e[:, 2 * h:], out=dr)
            xp.multiply(dn, r, out=de[:, 2 * h:])
            _sigmoid_grad(xp, g[:, :2 * h], dg[:, :2 * h], self._arr("tmp2", (b, 2 * h)))
            de[:, :2 * h] = dg[:, :2 * h]
            be.gemm(de, r_w, out=dh_prev)
        else:
            drh = self._arr("drh", (b, h))
            be.gemm(dn, r_w[2 * h:], out=drh)
            xp.multiply(drh, s[k], out=dr)
            _sigmoid_grad(xp, g[:, :2 * h], dg[:, :2 * h], self._arr("tmp2", (b, 2 * h)))
            be.gemm(dg[:, :2 * h], r_w[:2 * h], out=dh_prev)
            drh *= r
            dh_prev += drh
        xp.multiply(dhc, z, out=tmp)
        dh_prev += tmp

    def _recurrent_grads(self, d):
        be = self.be
        b, t_len, h = self._dims()
        dg = self._arr(f"dg{d}", (t_len, b, 3 * h)).reshape(-1, 3 * h)
        s_prev = self._state(d)[:-1].reshape(-1, h)
        gr, gb = self.gradients[1][d], self.gradients[2][d]
        be.nn.bias_grad(dg, gb[:3 * h])
        if self.linear_before_reset:
            de = self._de(d).reshape(-1, 3 * h)
            be.gemm(de, s_prev, out=gr, trans_a=True)
            be.nn.bias_grad(de, gb[3 * h:])
        else:
            e = self._extra(d).reshape(-1, h)
            be.gemm(dg[:, :2 * h], s_prev, out=gr[:2 * h], trans_a=True)
            be.gemm(dg[:, 2 * h:], e, out=gr[2 * h:], trans_a=True)
            gb[3 * h:] = gb[:3 * h]


@register_layer("GetStates")
class GetStates(Layer):
    """The final states of a recurrent layer, to start another one (an encoder feeding a decoder).

    Parameters
    ----------
    parent : Layer
        An RNN, LSTM or GRU layer.
    name : str

    Returns
    -------
    Layer
        Shape ``[1, H]`` (``h``) for RNN and GRU, ``[2, H]`` (``h`` then ``c``) for LSTM, ``H``
        being ``units`` (twice that when bidirectional). Gradients flow back into the
        recurrent layer's final states.

    Examples
    --------
    >>> import eddl
    >>> enc = eddl.LSTM(eddl.Input([7, 4]), 5)
    >>> dec = eddl.LSTM([eddl.Input([3, 4]), eddl.GetStates(enc)], 5, return_sequences=True)
    >>> eddl.GetStates(enc).shape, dec.shape
    ((2, 5), (3, 5))
    """

    prefix = "getstates"

    def __init__(self, parent, name=""):
        if not isinstance(parent, Recurrent):
            raise TypeError(f"GetStates: parent must be an RNN, LSTM or GRU layer, got "
                            f"{type(parent).__name__}")
        super().__init__([parent], name)

    def compute_shape(self, s):
        p = self.parents[0]
        return (p.n_states, p.units * p.directions)

    def forward(self):
        self.parents[0].final_states(self.output)

    def backward(self):
        p = self.parents[0]
        if p.needs_delta:
            p.add_state_delta(self.delta)
            # the recurrent layer runs its backward pass even when nothing else reads its output
            self.put_delta(0, lambda out: out.fill(0))


register_factory("States", Input, doc="""An input layer for the initial states of a recurrent layer.

    Parameters
    ----------
    shape : list of int
        ``[n_states, H]``: ``[2, units]`` for LSTM's ``h`` and ``c``, ``[1, units]`` for RNN
        and GRU (``units`` twice when bidirectional).
    name : str

    Returns
    -------
    Layer
        An :class:`~eddl.layers.Input` fed like any other input.

    Examples
    --------
    >>> import eddl
    >>> eddl.LSTM([eddl.Input([7, 4]), eddl.States([2, 5])], 5).shape
    (5,)
    """)
