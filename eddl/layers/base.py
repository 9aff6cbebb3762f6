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

The arguments a layer was constructed with are its configuration (:meth:`get_config`): the
first constructor parameter receives the parents (a list when it is called ``layers``; Input
layers have none), the others are plain values, so :meth:`from_config` rebuilds the layer.
See ``docs/layer_registry.md``.
"""

import functools
import inspect
import itertools
import math

from .attributes import LayerAttributes
from .registry import plain_value

__all__ = ["Layer", "TRMODE", "TSMODE", "layer_type_name"]

TRMODE = 1
TSMODE = 0

_counters = {}


def _auto_name(prefix):
    c = _counters.setdefault(prefix, itertools.count(1))
    return f"{prefix}{next(c)}"


def _snapshot(value):
    """Copy the containers (lists, tuples, dicts) in a constructor argument, recursively.

    A list the caller changes later then does not change the layer's configuration; layers and
    other values are shared, not copied.
    """
    if type(value) in (list, tuple):
        return type(value)(_snapshot(v) for v in value)
    if type(value) is dict:
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def layer_type_name(layer):
    """Return the class name of ``layer`` (e.g. ``"Dense"``)."""
    return type(layer).__name__


class Layer(LayerAttributes):
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
    #: True for layers without parents that compute their own output (generators, constants)
    is_source = False
    #: True for layers whose single parent parameter also takes a list of parents
    #: (a recurrent layer's ``[input, states]``)
    parent_list = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        # the outermost constructor call is the layer's configuration (see get_config)
        @functools.wraps(init)
        def __init__(self, *args, **kw):
            if "_init_call" not in self.__dict__:
                self._init_call = (_snapshot(args), _snapshot(kw))
            init(self, *args, **kw)

        cls.__init__ = __init__

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
        #: set by a memory plan: ``capacity -> output buffer`` / ``delta buffer`` (a shared slot)
        self._arena = None
        self._delta_arena = None

    # --- graph-time hooks -----------------------------------------------------------------
    def _parent_list(self, parent):
        """Return the parents of a layer whose constructor takes one (fused layers take a list)."""
        return [parent]

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
        """Return a ValueError with ``msg`` naming this layer, its parents and their shapes."""
        parents = ", ".join(f"{p.name} {list(p.shape)}" for p in self.parents)
        return ValueError(f"{type(self).__name__} layer {self.name!r}: {msg} (input: {parents})")

    #: example sample shapes for 1, 2 and 3 spatial axes (channels first, as EDDL)
    SPATIAL_EXAMPLES = {1: "[C, L]", 2: "[C, H, W]", 3: "[C, D, H, W]"}

    def rank_error(self, s, expected, example):
        """ValueError for a parent whose sample shape ``s`` has the wrong number of axes.

        EDDL accepts such inputs and fails (or computes nonsense) later; the message names the
        argument, its value, what is valid and how to get there.
        """
        parent = self.parents[0].name if self.parents else "?"
        return self.shape_error(f"expects {expected}, but parent={parent!r} gives samples of "
                                f"shape {list(s)}; reshape it first, e.g. "
                                f"eddl.Reshape(parent, {example})")

    # --- build-time -------------------------------------------------------------------------
    def setup(self, be, dtype):
        """Attach the backend and allocate parameters and gradients (values set by init)."""
        if self.be is be and self.dtype == dtype and self.params:
            return
        # weights set before a (re)build, e.g. loaded or imported, survive it
        old = self._host(self.params) if self.params else None
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

    def _host(self, arrays):
        # weights given before the first build (imported) are host arrays already
        return [a if self.be is None else self.be.to_host(a) for a in arrays]

    def preset_weights(self, params, states=()):
        """Give this layer weights before it is built (host arrays, in :meth:`param_specs` order).

        ``Model.build(init_weights=False)`` keeps them; an importer uses this. ``states`` are
        the values of :attr:`state_names` (e.g. running statistics).
        """
        specs = self.param_specs()
        if len(params) != len(specs):
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: {len(params)} weights "
                             f"given, it has {len(specs)}")
        self.param_names = [s[0] for s in specs]
        self.params = list(params)
        self.gradients = []
        self.states = list(states)
        self.be = None

    def default_initializer(self, index):
        return self.param_specs()[index][2]

    def resize(self, batch):
        """Make ``output``/``delta`` views for ``batch`` samples, growing buffers if needed."""
        if batch > self._capacity:
            cap = batch
            if self.output_is_view():
                self._out_full = None
            elif self._arena is not None:
                self._out_full = self._arena(cap)
            else:
                self._out_full = self.be.empty((cap,) + self.shape, self.dtype)
            if not self.needs_delta:
                self._delta_full = None
            elif self._delta_arena is not None:
                self._delta_full = self._delta_arena(cap)
            else:
                self._delta_full = self.be.empty((cap,) + self.shape, self.dtype)
            self._scratch_full = None
            self._buffers = {}
            self._capacity = cap
            self.on_capacity(cap)
        self.batch = batch
        if self._out_full is not None:
            self.output = self._out_full[:batch]
        self.delta = self._delta_full[:batch] if self._delta_full is not None else None

    def output_is_view(self):
        """Return True when ``forward`` makes ``self.output`` a view of a parent (no buffer)."""
        return False

    def on_capacity(self, capacity):
        """Allocate extra per-batch buffers for ``capacity`` samples (a hook for subclasses).

        :meth:`resize` calls it when the buffers grow; the base class keeps no extra buffers.
        """

    def buffer(self, key, shape, dtype=None):
        """Return a scratch buffer of ``shape`` reused across batches (keyed per layer).

        ``dtype`` defaults to the layer's dtype (masks and indices use ``bool`` or ``int64``).
        """
        dtype = self.dtype if dtype is None else dtype
        buf = self._buffers.get(key)
        if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
            buf = self.be.empty(tuple(shape), dtype)
            self._buffers[key] = buf
        return buf

    def shared_buffer(self, key, shape, dtype=None):
        """Return a scratch buffer of ``shape`` that every layer of the model shares under ``key``.

        Valid only within one forward or backward step of this layer (another layer's step
        overwrites it); a layer outside a built model gets its own.
        """
        dtype = self.dtype if dtype is None else dtype
        if self.net is None:
            return self.buffer(("shared", key), shape, dtype)
        return self.net.shared_buffer(key, shape, dtype)

    def batch_buffer(self, key, shape, dtype=None):
        """Return a contiguous ``shape`` view of a flat scratch buffer sized for the capacity.

        ``shape`` must grow in proportion to the batch size (the batch at any axis, or folded
        into one, as ``[batch * heads, T, T]``): a smaller last batch then takes the front of
        the same memory instead of reallocating.
        """
        n = math.prod(shape)
        cap = n // max(self.batch, 1) * self._capacity
        return self.buffer(key, (max(cap, n),), dtype)[:n].reshape(shape)

    def _input(self, key="x", parent=0):
        """Return a parent's output (the first by default), C-contiguous (the kernels' layout).

        A strided output is copied into the scratch buffer ``key``, reused across batches.
        """
        x = self.parents[parent].output
        if not x.flags.c_contiguous:
            buf = self.buffer(key, x.shape)
            buf[...] = x
            x = buf
        return x

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
        """Return a buffer shaped like this layer's delta, for accumulating branch gradients."""
        if self._scratch_full is None:
            self._scratch_full = self.be.empty((self._capacity,) + self.shape, self.dtype)
        return self._scratch_full[: self.batch]

    # --- configuration --------------------------------------------------------------------
    @classmethod
    def _parents_parameter(cls):
        """Name of the constructor parameter that receives the parents (None for sources)."""
        if cls.is_input or cls.is_source:
            return None
        params = list(inspect.signature(cls.__init__).parameters)
        return params[1] if len(params) > 1 else None

    def get_config(self):
        """Return the constructor arguments that rebuild this layer, as JSON-able values.

        The parents are not included (a model configuration links layers by name); ``name``
        is the layer's actual name.

        Returns
        -------
        dict

        Examples
        --------
        >>> import eddl
        >>> eddl.Dense(eddl.Input([4]), 3, name="fc").get_config()
        {'ndim': 3, 'use_bias': True, 'name': 'fc'}
        """
        cls = type(self)
        args, kwargs = getattr(self, "_init_call", ((), {}))
        bound = inspect.signature(cls.__init__).bind(self, *args, **kwargs)
        bound.apply_defaults()
        skip = {next(iter(bound.signature.parameters)), cls._parents_parameter()}
        cfg = {}
        for k, v in bound.arguments.items():
            if k not in skip:
                cfg[k] = plain_value(v, f"{cls.__name__} layer {self.name!r} field {k!r}")
        cfg["name"] = self.name
        return cfg

    @classmethod
    def from_config(cls, config, parents=()):
        """Rebuild a layer from :meth:`get_config`'s dict and its parent layers.

        Parameters
        ----------
        config : dict
        parents : list of Layer

        Raises
        ------
        ValueError
            For an unknown or missing field, or a value the constructor rejects; the message
            names the layer class, the layer and the field.
        """
        if not isinstance(config, dict):
            raise ValueError(f"{cls.__name__}: a layer config must be a dict, got "
                             f"{type(config).__name__}")
        # names can come from untrusted files: keep the message short
        label = f"{cls.__name__} layer {str(config.get('name', '?'))[:80]!r}"
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        pname = cls._parents_parameter()
        fields = {p.name: p for p in params if p.name != pname}
        for k in config:
            if k not in fields:
                raise ValueError(f"{label}: unknown config field {k!r}; valid: {sorted(fields)}")
        for k, p in fields.items():
            if p.default is inspect.Parameter.empty and k not in config:
                raise ValueError(f"{label}: config field {k!r} is missing")
        kwargs = dict(config)
        parents = list(parents)
        if pname is None:
            if parents:
                raise ValueError(f"{label}: takes no parent layers, got {len(parents)}")
        elif pname == "layers":
            kwargs[pname] = parents
        elif len(parents) != 1 and not (cls.parent_list and parents):
            raise ValueError(f"{label}: needs one parent layer, got {len(parents)}")
        else:
            kwargs[pname] = parents[0] if len(parents) == 1 else parents
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{label}: {exc}") from exc

    def has_weights(self):
        return bool(self.param_specs())

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} shape={list(self.shape)}>"
