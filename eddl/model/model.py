"""The Model: a graph of layers with losses, metrics, an optimizer and a computing service.

Everything coarse (``fit``, ``evaluate``, ``predict`` in :mod:`eddl.model.training`) is a loop
over the fine-grained steps defined here: :meth:`Model.forward`, :meth:`Model.compute_losses`,
:meth:`Model.backward`, :meth:`Model.update` and their composition :meth:`Model.train_batch`.
"""

import json
import math
import warnings

from ..compserv import CS_CPU, CompServ
from ..initializers import fans_of, get_initializer
from ..layers.activations import Activation
from ..layers.base import TRMODE, TSMODE
from ..losses import get_loss
from ..metrics import get_metric
from ..optimizers import SGD, Optimizer
from ..tensor.random import get_generator
from . import config as _config
from . import data
from . import decoding as _decoding
from . import profile as _profile
from .attributes import NetAttributes
from .graph import check_layer_list, forward_closure, topological_order
from .memory_plan import DeltaPlan, MemoryPlan

__all__ = ["Model", "NonFiniteLossError", "model_from_json"]


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite during training."""


class Model(NetAttributes):
    """A network: the layers from ``inputs`` to ``outputs`` in topological order.

    Parameters
    ----------
    inputs : list of Layer
        Input layers, in the order data is passed to ``fit``/``forward``.
    outputs : list of Layer
        Output layers, in the order targets and losses are given.
    name : str
    """

    def __init__(self, inputs, outputs, name="model"):
        self.lin = check_layer_list(inputs, "inputs")
        self.lout = check_layer_list(outputs, "outputs", allow_empty=True)
        for l in self.lin:
            if not l.is_input:
                raise TypeError(f"Model: input {l.name!r} is a {type(l).__name__}, not an Input layer")
        # decoder inputs (setDecoder) are fed from the targets, not by the caller
        self._din = _decoding.decoder_inputs(self.lin, self.lout)
        self._decoder_fed = False
        # without outputs (PyEDDL's Model([in_], []), trained through eddl.newloss) the model
        # holds every layer computable from its inputs
        self.layers = (topological_order(self.lin + self._din, self.lout) if self.lout
                       else forward_closure(self.lin))
        names = {}
        for l in self.layers:
            if l.name in names:
                raise ValueError(f"Model: two layers are named {l.name!r}; layer names must be unique")
            names[l.name] = l
        self._by_name = names
        self._dec_out = _decoding.decoder_output_index(self)
        self.name = name
        self.isbuild = False
        self.optimizer = None
        self.losses = []
        self.metrics = []
        self.cs = None
        self.be = None
        self.dtype = None
        self.batch_size = 0
        self.trmode = TRMODE
        self.rng = None
        self.input_grads = False
        self.total_loss = [0.0] * len(self.lout)
        self.total_metric = [0.0] * len(self.lout)
        self.inferenced_samples = 0
        self.logfile = None
        self.verbosity_level = 0
        self.tr_batches = 0
        self._sync = None
        #: the inference memory plan (:meth:`plan_memory`), None when every output is kept
        self.memory_plan = None
        #: the layers' shared gradient buffers (:meth:`set_delta_sharing`)
        self.delta_plan = None
        self._share_deltas = True
        self._shared = {}

    # --- building --------------------------------------------------------------------------
    def build(self, optimizer=None, losses=None, metrics=None, cs=None, init_weights=True,
              dtype="float32"):
        """Choose optimizer, per-output losses and metrics, computing service; allocate weights.

        Parameters
        ----------
        optimizer : Optimizer, optional
            Default ``SGD(0.001, 0.9)``.
        losses, metrics : list of (str or Loss/Metric), optional
            One per output; names as in :func:`eddl.losses.get_loss`. Both or neither.
        cs : CompServ, optional
            Default ``CS_CPU()``.
        init_weights : bool
            False keeps weights already present (loaded or imported) when shapes match.
        dtype : str
            Floating type of weights and activations (``"float32"`` or ``"float64"``).
        """
        if (losses is None) != (metrics is None):
            raise ValueError("build: give both losses and metrics, or neither")
        if optimizer is None:
            optimizer = SGD(0.001, 0.9)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"build: optimizer must be an Optimizer (e.g. eddl.sgd(0.01)), "
                            f"got {type(optimizer).__name__}")
        losses = self._per_output(losses, "losses", get_loss)
        metrics = self._per_output(metrics, "metrics", get_metric)
        if cs is None:
            cs = CS_CPU()
        if not isinstance(cs, CompServ):
            raise TypeError(f"build: cs must be a computing service (e.g. eddl.CS_CPU()), got {type(cs).__name__}")
        if dtype not in ("float32", "float64"):
            raise ValueError(f"build: dtype must be 'float32' or 'float64', got {dtype!r}")
        be = cs.backend
        cs.activate()
        self.cs, self.be, self.dtype = cs, be, dtype
        self.losses, self.metrics = losses, metrics
        # The model's stream (initialisation, shuffling, dropout, noise) is drawn from the
        # global one, so eddl.set_seed(s) before building makes training reproducible.
        self.rng = be.rng(int(get_generator().integers(2**63)))
        for l in self.layers:
            l.net = self
            had = bool(l.params)
            l.setup(be, dtype)
            if init_weights or not had:
                self._init_layer(l)
        self._fuse_losses()
        self.optimizer = optimizer
        self._plan()
        optimizer.setup([(p, g) for l in self._weighted for p, g in zip(l.params, l.gradients)], be)
        optimizer._layers = list(self.layers)
        self._owners = [l for l in self._weighted for _ in l.params]
        self.batch_size = 0
        self.isbuild = True
        self.reset_loss()
        # last: a distributed service shares rank 0's initialised weights
        self._sync = cs.attach(self)
        return self

    def _per_output(self, items, what, getter):
        if items is None:
            return [None] * len(self.lout)
        if isinstance(items, str):
            items = [items]
        items = list(items)
        if len(items) != len(self.lout):
            raise ValueError(f"build: {len(items)} {what} given for {len(self.lout)} outputs "
                             f"{[l.name for l in self.lout]}")
        return [getter(x) for x in items]

    def _init_layer(self, layer):
        for i, (pname, shape, default) in enumerate(layer.param_specs()):
            init = layer.initializers.get(pname) or get_initializer(default)
            fans = layer.fans(pname) if hasattr(layer, "fans") else fans_of(shape)
            value = init(self.rng, shape, fans, self.dtype, self.be)
            layer.params[i][...] = value

    def _fuse_losses(self):
        self._fused = []
        for out, loss in zip(self.lout, self.losses):
            fuse = (loss is not None and loss.fuses_with is not None and isinstance(out, Activation)
                    and out.activation == loss.fuses_with
                    and not [c for c in out.children if c in self._by_name.values()]
                    and (out.activation != "softmax" or out._axis in (-1, len(out.shape))))
            if isinstance(out, Activation):
                out.fused_loss = bool(fuse)
            self._fused.append(bool(fuse))

    def _plan(self):
        """Decide which layers need input gradients (and so a delta buffer)."""
        self._weighted = [l for l in self.layers if l.params]
        for l in self.layers:
            own = bool(l.params) and l.trainable and not l.detached
            l.needs_delta = (own or any(p.needs_delta for p in l.parents)
                             or (self.input_grads and not l.detached))
            l._capacity = 0
        self._work = [l for l in self.layers if not l.is_input]
        self._back = [l for l in reversed(self._work) if l.needs_delta]
        if self.delta_plan is not None:
            self.delta_plan.release()
        self.delta_plan = (DeltaPlan(self._back, self.lout) if self._share_deltas and self._back
                           else None)
        self._capacity = 0
        self.batch_size = 0

    def _require_built(self, what):
        if not self.isbuild:
            raise RuntimeError(f"{what}: the model is not built; call eddl.build(net, ...) first")

    # --- batch buffers ------------------------------------------------------------------------
    def resize(self, batch):
        """Set the batch size, growing every layer's buffers if needed (no-op if unchanged)."""
        if batch == self.batch_size:
            return
        if batch < 1:
            raise ValueError(f"batch size must be >= 1, got {batch}")
        if batch > self._capacity:
            self._capacity = batch
            self._targets = {}
            for plan in (self.memory_plan, self.delta_plan):
                if plan is not None:
                    plan.allocate(self.be, self.dtype, batch)
        for l in self.layers:
            if l._capacity < batch:
                l._capacity = 0  # force reallocation to the model's capacity
                l.resize(self._capacity)
            l.resize(batch)
        self.batch_size = batch

    # --- fine-grained steps ----------------------------------------------------------------------
    def set_inputs(self, xs, indices=None):
        """Copy a batch of samples into the input layers (all of ``xs`` or rows ``indices``)."""
        xs = data.check_arrays(xs, self.lin, "inputs")
        n = data.batch_count(xs, indices, "inputs")
        self.resize(n)
        for l, x in zip(self.lin, xs):
            steps = data.steps_of(x, l)
            if steps is None:
                data.gather(x, indices, l.output, self.be)
            else:
                # a shorter sequence: the recurrent layers fed by it run `steps` steps
                l.output[:, steps:] = 0
                data.gather(x, indices, l.output[:, :steps], self.be)
            if getattr(l, "variable_steps", False):
                l.steps = steps
        self._decoder_fed = False
        return n

    def set_targets(self, ys, indices=None):
        """Copy a batch of targets (one array per output) into the target buffers."""
        ys = data.as_arrays(ys, len(self.lout), "targets")
        n = data.batch_count(ys, indices, "targets")
        if n != self.batch_size:
            raise ValueError(f"targets hold {n} samples but the inputs hold {self.batch_size}")
        out = []
        for k, y in enumerate(ys):  # as_arrays made one per output
            key = (k, tuple(y.shape[1:]))
            buf = self._targets.get(key)
            if buf is None:
                buf = self.be.empty((self._capacity,) + tuple(y.shape[1:]), self.dtype)
                self._targets[key] = buf
            t = buf[:n]
            data.gather(y, indices, t, self.be)
            out.append(t)
        self._cur_targets = out
        if self._din:
            _decoding.teacher_force(self, out)
        return out

    def forward(self):
        """Run every layer on the current input batch."""
        if self._din and not self._decoder_fed:
            raise RuntimeError(f"forward: decoder input(s) {[l.name for l in self._din]} are fed "
                               f"from the targets (teacher forcing): give targets (train_batch, "
                               f"evaluate), or generate with eddl.greedy_decode / "
                               f"eddl.beam_search")
        if _profile.ACTIVE:
            _profile.forward(self._work)
            return
        for l in self._work:
            l.forward()

    def compute_losses(self, targets=None, check_finite=True):
        """Evaluate losses and metrics of the current batch and accumulate them.

        Returns
        -------
        list of float
            Loss of each output summed over the batch (0 for outputs without loss).
        """
        targets = self._cur_targets if targets is None else targets
        n = self.batch_size
        values = []
        for k, (l, loss, met, t) in enumerate(zip(self.lout, self.losses, self.metrics, targets)):
            y = l.output
            v = 0.0
            if loss is not None:
                loss.check_target(t, y, l.name)
                v = loss.value(t, y)
                if check_finite and not math.isfinite(v):
                    raise NonFiniteLossError(f"loss {loss.name!r} of output {l.name!r} is {v}")
            if met is not None:
                self.total_metric[k] += met.value(t, y)
            self.total_loss[k] += v
            values.append(v)
        self.inferenced_samples += n
        return values

    def backward(self, targets=None):
        """Back-propagate the losses of the current batch into every gradient."""
        targets = self._cur_targets if targets is None else targets
        for l in self.layers:
            l._delta_set = False
        for k, (l, loss, t) in enumerate(zip(self.lout, self.losses, targets)):
            if loss is None or not l.needs_delta:
                continue
            if self._fused[k]:
                loss.fused_delta(t, l.output, l.delta)
            else:
                loss.delta(t, l.output, l.delta)
            l._delta_set = True
        self._propagate()

    def backward_from(self, layers, deltas):
        """Back-propagate given output gradients (graph-defined losses use this).

        ``deltas[i]`` is d(objective)/d(output of ``layers[i]``) for the current batch.
        """
        plan = self.delta_plan
        if plan is not None and any(plan.starts.get(l, -1) >= 0 for l in layers):
            # an inner layer's gradient given from outside: its buffer is not free before
            # its children's backward steps, as the plan assumed
            self._own_deltas()
        for l in self.layers:
            l._delta_set = False
        for l, d in zip(layers, deltas):
            if not l.needs_delta:
                continue
            if l._delta_set:
                l.delta += d
            else:
                l.delta[...] = d
                l._delta_set = True
        self._propagate()

    @staticmethod
    def _backward_layer(l):
        if l._delta_set:
            l.backward()
        else:
            for g in l.gradients:
                g[...] = 0

    def shared_buffer(self, key, shape, dtype):
        """Return a scratch buffer of ``shape`` shared by the layers under ``key``.

        A layer uses it within one of its steps only (:meth:`eddl.layers.base.Layer.shared_buffer`);
        it grows to the largest request and is then reused.
        """
        n = math.prod(shape)
        k = (key, str(dtype))
        buf = self._shared.get(k)
        if buf is None or buf.size < n:
            buf = self._shared[k] = self.be.empty((max(n, 1),), dtype)
        return buf[:n].reshape(shape)

    def set_delta_sharing(self, on):
        """Share the layers' gradient buffers during backward passes (the default), or not.

        Shared, a layer's delta lives from the backward step of its first child to its own and
        its buffer then serves another layer (:class:`eddl.model.memory_plan.DeltaPlan`):
        training holds a few gradient buffers instead of one per layer. Inner layers' deltas
        are then not readable after a backward pass (:func:`eddl.getDelta` refuses them);
        ``set_delta_sharing(False)`` keeps one per layer.

        Parameters
        ----------
        on : bool
        """
        self._share_deltas = bool(on)
        if self.isbuild:
            self._plan()

    def _own_deltas(self):
        """Give every layer its own delta buffer now, keeping the outputs of the forward pass."""
        plan, self.delta_plan, self._share_deltas = self.delta_plan, None, False
        plan.release()
        for l in plan.slot_of:
            if l._capacity:  # else its next resize allocates one
                l._delta_full = self.be.empty((l._capacity,) + l.shape, self.dtype)
                l.delta = l._delta_full[:l.batch]

    def _inference_only(self, what):
        if self.memory_plan is not None:
            raise RuntimeError(f"{what}: model {self.name!r} shares its layer outputs for "
                               "inference (plan_memory / eddl.optimize_for_inference); train the "
                               "original model instead")

    def _propagate(self):
        self._inference_only("backward")
        sync = self._sync
        if sync is not None and sync.overlaps_backward:
            self._propagate_reporting(sync)
            return
        if _profile.ACTIVE:
            _profile.backward(self._back, self._backward_layer)
        else:
            # the same step as _backward_layer, inlined: a call per layer is measurable on
            # small nets, and the loop must cost nothing extra while profiling is off
            for l in self._back:
                if l._delta_set:
                    l.backward()
                else:
                    for g in l.gradients:
                        g[...] = 0
        xp = self.be.xp
        for l in self._weighted:
            self._regularize(l, xp)

    def _propagate_reporting(self, sync):
        """Back-propagate as :meth:`_propagate`, telling ``sync`` when a layer's gradients are final.

        A layer's regularizer term is added right after its backward step rather than after the
        whole pass (each term only touches that layer's gradients, so the result is the same),
        so that its gradients can be sent while the layers before it are still computing.
        """
        sync.begin_backward()
        xp = self.be.xp
        done = set()

        def step(l):
            self._backward_layer(l)
            if l.params:
                self._regularize(l, xp)
                done.add(id(l))
                sync.layer_ready(l)

        if _profile.ACTIVE:  # the layer's time then includes starting its bucket
            _profile.backward(self._back, step)
        else:
            for l in self._back:
                step(l)
        for l in self._weighted:
            if id(l) not in done:
                self._regularize(l, xp)

    @staticmethod
    def _regularize(l, xp):
        if l.regularizer is not None and l.trainable:
            for name, p, g in zip(l.param_names, l.params, l.gradients):
                if name not in ("bias",):
                    l.regularizer.add_grad(p, g, xp)

    def update(self):
        """Apply one optimizer step to the trainable layers."""
        sync = self._sync
        if sync is not None:
            sync.before_update()
        self._step()
        if sync is not None:
            sync.after_update()

    def _step(self):
        opt = self.optimizer
        if all(o.trainable for o in self._owners):
            opt.step()
            return
        # frozen layers: step only the trainable pairs, keeping each state with its parameter
        keep = (opt.pairs, opt.states)
        sel = [i for i, o in enumerate(self._owners) if o.trainable]
        opt.pairs = [keep[0][i] for i in sel]
        opt.states = [keep[1][i] for i in sel]
        try:
            opt.step()
        finally:
            opt.pairs, opt.states = keep

    def train_batch(self, xs, ys, indices=None):
        """One training step: gather, forward, losses, backward, update."""
        self._require_built("train_batch")
        self._inference_only("train_batch")
        self.set_mode(TRMODE)
        self.set_inputs(xs, indices)
        self.set_targets(ys, indices)
        self.forward()
        values = self.compute_losses()
        self.backward()
        self.update()
        self.tr_batches += 1
        return values

    def eval_batch(self, xs, ys, indices=None):
        """Forward one batch in inference mode and accumulate its losses and metrics."""
        self._require_built("eval_batch")
        mode = self.trmode
        self.set_mode(TSMODE)
        try:
            self.set_inputs(xs, indices)
            self.set_targets(ys, indices)
            self.forward()
            return self.compute_losses(check_finite=False)
        finally:
            self.set_mode(mode)

    def reset_loss(self):
        """Zero the accumulated loss and metric sums."""
        self.total_loss = [0.0] * len(self.lout)
        self.total_metric = [0.0] * len(self.lout)
        self.inferenced_samples = 0
        for met in self.metrics:
            if met is not None and hasattr(met, "reset"):
                met.reset()

    def zero_grads(self):
        """Set the gradients of every layer with weights to zero."""
        for l in self._weighted:
            for g in l.gradients:
                g[...] = 0

    def get_losses(self):
        """Mean loss per output since the last :meth:`reset_loss`."""
        n = max(self.inferenced_samples, 1)
        return [v / n for v in self.total_loss]

    def get_metrics(self):
        """Mean metric per output since the last :meth:`reset_loss`."""
        n = max(self.inferenced_samples, 1)
        return [v / n for v in self.total_metric]

    def plan_memory(self, keep=()):
        """Share layer output buffers for inference, keeping the outputs and ``keep`` readable.

        After this call a forward pass holds only a few activation buffers at a time
        (:class:`eddl.model.memory_plan.MemoryPlan`): the outputs of other inner layers are
        overwritten once their readers have run, :func:`eddl.getOutput` refuses them, and the
        model no longer trains. ``plan_memory(None)`` gives every layer its own buffer again.

        Parameters
        ----------
        keep : list of (str or Layer), or None
            Inner layers whose outputs stay readable; None removes the plan.

        Returns
        -------
        MemoryPlan or None
        """
        self._require_built("plan_memory")
        if self.memory_plan is not None:
            self.memory_plan.release()
            self.memory_plan = None
        if keep is not None:
            if self._din:
                raise ValueError(f"plan_memory: model {self.name!r} has decoder inputs; its "
                                 "generation loops read inner outputs between steps")
            kept = [self.get_layer(k) if isinstance(k, str) else k for k in keep]
            for k in kept:
                if k not in self._by_name.values():
                    raise ValueError(f"plan_memory: {k!r} is not a layer of model {self.name!r}")
            self.memory_plan = MemoryPlan(self._work, list(self.lout) + kept)
        for l in self.layers:
            l._capacity = 0
        self._capacity = 0
        self.batch_size = 0
        return self.memory_plan

    def set_mode(self, mode):
        """1 (``TRMODE``) for training behaviour of Dropout/noise layers, 0 for inference."""
        if mode not in (TRMODE, TSMODE):
            raise ValueError(f"set_mode: mode must be 1 (train) or 0 (test), got {mode!r}")
        self.trmode = mode
        for l in self.layers:
            l.mode = mode

    def regularization_loss(self):
        """Sum of the regularizer penalties of all layers."""
        total = 0.0
        for l in self._weighted:
            if l.regularizer is not None:
                total += sum(l.regularizer.value(p) for n, p in zip(l.param_names, l.params)
                             if n != "bias")
        return total

    # --- lookup and parameter access ------------------------------------------------------
    def get_layer(self, name):
        """Return the layer called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"model {self.name!r} has no layer {name!r}; layers: {list(self._by_name)}") from None

    def remove_layer(self, name):
        """Remove the layer called ``name`` from this model (PyEDDL's ``removeLayer``).

        As EDDL's ``Net::removeLayer`` (``src/net/net_build.cpp``): the layer is unlinked from
        its parents' children and dropped from the layers and, with a warning, from the outputs.
        It is how the head of a pretrained net is cut: remove the trailing layers, connect new
        ones to the last that remains, and build a new ``Model`` over the same input layers
        (``init_weights=False`` keeps the remaining weights).

        Unlike EDDL, a built model may be cut too (its weights are what one wants to keep); it
        becomes unbuilt. A layer whose output still feeds another layer of the model is refused,
        where EDDL would leave that child without an input.

        Raises
        ------
        KeyError
            No layer is called ``name``; the message lists the layers.
        ValueError
            The layer still feeds other layers of the model; they must be removed first.
        """
        layer = self.get_layer(name)
        mine = set(map(id, self.layers))
        users = [c.name for c in layer.children if id(c) in mine]
        if users:
            raise ValueError(f"removeLayer: name={name!r} still feeds {users} in model "
                             f"{self.name!r}; remove those layers first (trailing layers go "
                             f"last first)")
        for p in layer.parents:
            p.children[:] = [c for c in p.children if c is not layer]
        self.layers = [l for l in self.layers if l is not layer]
        del self._by_name[name]
        if any(l is layer for l in self.lout):
            k = next(i for i, l in enumerate(self.lout) if l is layer)
            del self.lout[k]
            for per_output in (self.total_loss, self.total_metric, self.losses, self.metrics):
                if len(per_output) > k:
                    del per_output[k]
            warnings.warn(f"removeLayer: {name!r} was an output of model {self.name!r}; it has "
                          f"been removed from the outputs", stacklevel=3)
        layer.net = None
        if self.isbuild:
            self.isbuild = False
            self.optimizer = None

    def set_trainable(self, name, value):
        """Freeze (False) or unfreeze (True) the layer called ``name``."""
        self.get_layer(name).trainable = bool(value)
        if self.isbuild:
            self._plan()

    def get_parameters(self, deepcopy=False):
        """Return, per layer, its parameter arrays followed by its states.

        States are e.g. BatchNormalization's moving ``mean`` and ``variance``. The arrays are
        live references unless ``deepcopy``.
        """
        return [[p.copy() if deepcopy else p for p in list(l.params) + list(l.states)]
                for l in self.layers]

    def set_parameters(self, params):
        """Copy per-layer lists of arrays (as from :meth:`get_parameters`) into the weights.

        A layer's list holds its parameters, optionally followed by its states; a list without
        the states leaves them unchanged.
        """
        params = list(params)
        if len(params) != len(self.layers):
            raise ValueError(f"set_parameters: {len(params)} layer entries for {len(self.layers)} layers")
        pending = []
        for l, ps in zip(self.layers, params):
            ps = list(ps)
            names = list(l.param_names) + list(l.state_names)
            arrays = list(l.params) + list(l.states)
            if len(ps) not in (len(l.params), len(arrays)):
                valid = f"{len(l.params)}" + (f" or {len(arrays)}" if l.states else "")
                raise ValueError(f"set_parameters: layer {l.name!r} has {valid} parameters, got {len(ps)}")
            for name, p, v in zip(names, arrays, ps):
                v = data.as_array(v, f"parameter {l.name}.{name}")
                if tuple(v.shape) != tuple(p.shape):
                    raise ValueError(f"set_parameters: {l.name}.{name} has shape {list(p.shape)}, "
                                     f"got {list(v.shape)}")
                pending.append((p, v))
        # validated in full first, so a bad entry leaves the model unchanged
        for p, v in pending:
            p[...] = self.be.from_host(v)

    # --- architecture as data ------------------------------------------------------------
    def get_config(self):
        """Return the architecture as a dict of plain values (layers, their arguments and links).

        No weights, optimizer or losses: build the rebuilt model and copy or load its
        weights. The format is described in :mod:`eddl.model.config`.

        Returns
        -------
        dict

        Examples
        --------
        >>> import eddl
        >>> x = eddl.Input([4], name="x")
        >>> net = eddl.Model([x], [eddl.Dense(x, 3, name="fc")])
        >>> net.get_config()["layers"][1]
        {'class_name': 'Dense', 'config': {'ndim': 3, 'use_bias': True, 'name': 'fc'}, 'inbound': ['x']}
        """
        return _config.model_config(self)

    @classmethod
    def from_config(cls, config):
        """Return a new, unbuilt model from :meth:`get_config`'s dict.

        Raises
        ------
        ValueError
            For a malformed configuration; the message names the layer and the field.
        """
        return cls(*_config.layers_from_config(config))

    def to_json(self, **kwargs):
        """Return :meth:`get_config` as JSON text.

        ``kwargs`` go to :func:`json.dumps` (e.g. ``indent=2``); read it back with
        :func:`eddl.model_from_json`.
        """
        return json.dumps(self.get_config(), **kwargs)

    def __repr__(self):
        return f"<Model {self.name!r}: {len(self.layers)} layers, built={self.isbuild}>"


def model_from_json(s):
    """Build an (unbuilt) model from the JSON text of :meth:`eddl.model.Model.to_json`.

    Parameters
    ----------
    s : str

    Returns
    -------
    eddl.model.Model

    Raises
    ------
    ValueError
        For text that is not JSON or a configuration that does not describe a model.

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([4])
    >>> net = eddl.Model([x], [eddl.Softmax(eddl.Dense(x, 3))])
    >>> twin = eddl.model_from_json(net.to_json())
    >>> [type(l).__name__ for l in twin.layers]
    ['Input', 'Dense', 'Activation']
    """
    if not isinstance(s, (str, bytes, bytearray)):
        raise TypeError(f"model_from_json: expected JSON text, got {type(s).__name__}")
    try:
        config = json.loads(s)
    except json.JSONDecodeError as exc:
        raise ValueError(f"model_from_json: not valid JSON: {exc}") from None
    return Model.from_config(config)
