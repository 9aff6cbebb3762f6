"""The Layer base class: graph links, shapes, parameters and per-batch buffers.

A layer is created by its factory with its parent layers; its output shape (without the batch
dimension) is computed and checked right there, so shape errors name the layer at once.
``Model.build`` then gives every layer a backend (``self.be``) and a dtype (:meth:`setup`),
and the model resizes the per-batch buffers (:meth:`resize`) when the batch size grows.

A subclass implements:

- ``compute_shape(*parent_shapes) -> tuple`` (validate and return the output shape),
- ``param_specs() -> list of (name, shape, initializer_name)`` if it has weights,
- ``forward()``: read ``p.output`` of each parent, write ``self.output``,
- ``backward()``: read ``self.delta``; write parameter gradients (overwrite) and hand input
  gradients to parents with :meth:`put_delta` (or :meth:`delta_target` for kernels that can
  accumulate themselves, such as GEMM with ``beta=1``).
"""

import itertools

__all__ = ["Layer", "TRMODE", "TSMODE", "layer_type_name"]

TRMODE = 1
TSMODE = 0

_counters = {}


def _auto_name(prefix):
    c = _counters.setdefault(prefix, itertools.count(1))
    return f"{prefix}{next(c)}"


def layer_type_name(layer):
    return type(layer).__name__


class Layer:
    """Base class of every layer.

    Parameters
    ----------
    parents : list of Layer
        Input layers.
    name : str
        Layer name; an automatic unique name is used when empty.
    """

    #: prefix of automatic names
    prefix = "layer"
    #: True for layers whose output must be copied from user data (Input)
    is_input = False

    def __init__(self, parents, name=""):
        parents = list(parents)
        for i, p in enumerate(parents):
            if not isinstance(p, Layer):
                raise TypeError(f"{type(self).__name__}: parent {i} must be a layer, got {type(p).__name__}")
        if name is None or name == "":
            name = _auto_name(self.prefix)
        elif not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str, got {type(name).__name__}")
        self.name = name
        self.parents = parents
        self.children = []
        for p in parents:
            p.children.append(self)
        self.shape = tuple(int(s) for s in self.compute_shape(*[p.shape for p in parents]))
        self.trainable = True
        self.mode = TRMODE
        self.initializers = {}
        self.regularizer = None
        self.net = None
        self.be = None
        self.dtype = None
        self.params = []
        self.gradients = []
        self.param_names = []
        #: arrays saved with the weights but not trained (e.g. running statistics)
        self.states = []
        self.output = None
        self.delta = None
        self.needs_delta = False
        self.detached = False
        self._delta_set = False
        self._capacity = 0
        self._scratch_full = None
        self._buffers = {}

    # --- graph-time hooks -----------------------------------------------------------------
    def compute_shape(self, *shapes):
        """Check the parents' shapes and return this layer's output shape (no batch dim)."""
        raise NotImplementedError

    def param_specs(self):
        """List of ``(name, shape, default_initializer)`` for the weights of this layer."""
        return []

    @property
    def state_names(self):
        """Names of :attr:`states` (saved with the weights, not trained)."""
        return []

    def shape_error(self, msg):
        """A ValueError naming this layer, its parents and their shapes."""
        parents = ", ".join(f"{p.name} {list(p.shape)}" for p in self.parents)
        return ValueError(f"{type(self).__name__} layer {self.name!r}: {msg} (input: {parents})")

    # --- build-time -------------------------------------------------------------------------
    def setup(self, be, dtype):
        """Attach the backend and allocate parameters and gradients (values set by init)."""
        if self.be is be and self.dtype == dtype and self.params:
            return
        # weights set before a (re)build, e.g. loaded or imported, survive it
        old = [self.be.to_host(p) for p in self.params] if self.params else None
        self.be, self.dtype = be, dtype
        specs = self.param_specs()
        self.param_names = [s[0] for s in specs]
        self.params = [be.zeros(s[1], dtype) for s in specs]
        self.gradients = [be.zeros(s[1], dtype) for s in specs]
        if old is not None and len(old) == len(self.params):
            for p, o in zip(self.params, old):
                if p.shape == o.shape:
                    p[...] = be.from_host(o)
        self._capacity = 0
        self._buffers = {}

    def default_initializer(self, index):
        return self.param_specs()[index][2]

    def resize(self, batch):
        """Make ``output``/``delta`` views for ``batch`` samples, growing buffers if needed."""
        if batch > self._capacity:
            cap = batch
            self._out_full = None if self.output_is_view() else self.be.empty((cap,) + self.shape, self.dtype)
            self._delta_full = self.be.empty((cap,) + self.shape, self.dtype) if self.needs_delta else None
            self._scratch_full = None
            self._buffers = {}
            self._capacity = cap
            self.on_capacity(cap)
        self.batch = batch
        if self._out_full is not None:
            self.output = self._out_full[:batch]
        self.delta = self._delta_full[:batch] if self._delta_full is not None else None

    def output_is_view(self):
        """True when ``forward`` makes ``self.output`` a view of a parent (no buffer)."""
        return False

    def on_capacity(self, capacity):
        """Hook for subclasses that keep extra per-batch buffers."""

    def buffer(self, key, shape):
        """A scratch buffer of ``shape`` reused across batches (keyed per layer)."""
        buf = self._buffers.get(key)
        if buf is None or buf.shape != tuple(shape):
            buf = self.be.empty(tuple(shape), self.dtype)
            self._buffers[key] = buf
        return buf

    # --- run-time ----------------------------------------------------------------------------
    def forward(self):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError

    def delta_target(self, i):
        """``(buffer, accumulate)`` for writing the gradient of parent ``i``, or ``(None, _)``.

        The first writer overwrites the parent's delta; later ones (branches) accumulate.
        """
        p = self.parents[i]
        if not p.needs_delta:
            return None, False
        acc = p._delta_set
        p._delta_set = True
        return p.delta, acc

    def put_delta(self, i, fn):
        """Hand a gradient to parent ``i``: ``fn(out)`` writes it into ``out``."""
        p = self.parents[i]
        if not p.needs_delta:
            return
        if not p._delta_set:
            fn(p.delta)
            p._delta_set = True
        else:
            tmp = p.scratch()
            fn(tmp)
            p.delta += tmp

    def scratch(self):
        """A buffer shaped like this layer's delta, for accumulating branch gradients."""
        if self._scratch_full is None:
            self._scratch_full = self.be.empty((self._capacity,) + self.shape, self.dtype)
        return self._scratch_full[: self.batch]

    def has_weights(self):
        return bool(self.param_specs())

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} shape={list(self.shape)}>"

    # PyEDDL attribute names
    @property
    def input(self):
        return self.parents[0].output if self.parents else self.output

    @property
    def parent(self):
        return self.parents

    @property
    def child(self):
        return self.children

    @property
    def reg(self):
        return self.regularizer
