"""PyEDDL's attribute names on layers (``l.parent``, ``l.dev``, ``l.mem_level``, ...).

EDDL's ``Layer`` exposes its C++ fields to Python (``pyeddl`` ``tests/test_classes.py`` reads
every name listed in ``LAYER_ATTRS``). The ones that mirror our own state are live views of
it; the ones that describe machinery this toolkit does not have (device replicas, clones,
distributed accumulation) hold the value EDDL has when that machinery is unused. All of them
are read-only properties: a script that assigned them would expect an effect they cannot have.
"""

__all__ = ["LayerAttributes"]

_DEV_CPU = 0  # eddl.tensor.DEV_CPU; layers keep to the backend interface and import no tensor code


class LayerAttributes:
    """Read-only PyEDDL attributes, derived from the layer's graph links and model."""

    #: set by the normalization layers (EDDL's ``isnorm``)
    _pyeddl_norm = False
    #: set by recurrent layers (EDDL's ``isrecurrent``)
    _pyeddl_recurrent = False

    # --- views of our own state ---------------------------------------------------------
    @property
    def input(self):
        """Output array of the first parent (the layer's input), or its own for an Input."""
        return self.parents[0].output if self.parents else self.output

    @property
    def parent(self):
        """Parent layers (EDDL's ``parent`` vector)."""
        return self.parents

    @property
    def child(self):
        """Child layers (EDDL's ``child`` vector)."""
        return self.children

    @property
    def lin(self):
        """Number of parents (EDDL's ``lin`` counter)."""
        return len(self.parents)

    @property
    def lout(self):
        """Number of children (EDDL's ``lout`` counter, decremented by ``removeLayer``)."""
        return len(self.children)

    @property
    def reg(self):
        """The layer's regularizer, or None."""
        return self.regularizer

    @property
    def init(self):
        """Initializer of the first weight, or None when the layer uses the default."""
        specs = self.param_specs()
        return self.initializers.get(specs[0][0]) if specs else None

    @property
    def dev(self):
        """Device code of the model's backend (``DEV_CPU`` before ``build``)."""
        return self.be.device if self.be is not None else _DEV_CPU

    @property
    def mem_level(self):
        """Memory level of the model's computing service (0 = ``"full_mem"``)."""
        cs = getattr(self.net, "cs", None)
        return cs.mem_level if cs is not None else 0

    @property
    def target(self):
        """The current target batch when the layer is an output of a built model, else None."""
        net = self.net
        targets = getattr(net, "_cur_targets", None)
        if not targets:
            return None
        for layer, t in zip(net.lout, targets):
            if layer is self:
                return t
        return None

    @property
    def isnorm(self):
        """True for normalization layers."""
        return type(self)._pyeddl_norm

    @property
    def isrecurrent(self):
        """True for recurrent layers."""
        return type(self)._pyeddl_recurrent

    # --- machinery that does not exist here: EDDL's values when it is unused --------------
    @property
    def orig(self):
        """Layer this one is a device replica of: None (models are not replicated per device)."""
        return None

    @property
    def sorig(self):
        """Layer this one shares weights with in an unrolled net: None."""
        return None

    @property
    def clones(self):
        """Device replicas: none."""
        return []

    @property
    def isshared(self):
        """False: weights are never shared with a replica."""
        return False

    @property
    def iscloned(self):
        """False: layers are not cloned per device."""
        return False

    @property
    def isdecoder(self):
        """True for a decoder input (``setDecoder``) and the layers computed from it."""
        seen, stack = set(), [self]
        while stack:
            l = stack.pop()
            if getattr(l, "_decoder", None) is not None:
                return True
            if id(l) not in seen:
                seen.add(id(l))
                stack.extend(l.parents)
        return False

    @property
    def distributed_training(self):
        """False: gradients are not accumulated for distributed averaging."""
        return False

    @property
    def delta_states(self):
        """Gradients of recurrent states: none."""
        return []

    @property
    def acc_gradients(self):
        """Accumulated gradients for distributed training: none."""
        return []

    @property
    def delta_bp(self):
        """EDDL's count of children whose delta arrived: 0 (deltas are summed as they come)."""
        return 0

    @property
    def do_deletes(self):
        """True: the layer owns its buffers."""
        return True

    @property
    def verbosity_level(self):
        """0: layers print nothing."""
        return 0
