"""Memory plans: layer buffers shared once nothing reads them any more.

A trained model keeps every layer's output, because the backward pass reads them. Inference
needs an output only until its last reader has run, so a model made by
:func:`eddl.optimize_for_inference` shares a few buffers ("slots") among its layers: walking
the layers in execution order, each takes a free slot (the smallest that fits, else the largest
free one, grown, else a new one) and gives it back after its last reader. A layer never
shares a slot with its own inputs. Outputs of the model, layers named in ``keep``, inputs,
source layers (generators, constants) and the recurrent layers keep their own buffers; a
reshaping layer is a view of its parent, whose slot then lives as long as the view is read.

Training shares the gradients (deltas) the same way (:class:`DeltaPlan`): a layer's delta
lives from the backward step of its first child to its own.
"""

import math

__all__ = ["MemoryPlan", "DeltaPlan", "assign_slots"]


def _root(layer):
    while layer.output_is_view() and layer.parents:
        layer = layer.parents[0]
    return layer


def _plannable(layer):
    return not (layer.is_input or layer.is_source or layer.output_is_view()
                or not getattr(layer, "shares_output", True))


def assign_slots(items):
    """Share buffers among ``items``, each live over an inclusive range of steps.

    ``items`` holds ``(key, start, end, elements)`` in ascending ``start``. Each item takes
    the smallest free slot that fits, else the largest free one (grown), else a new one; a
    slot is free again after the step its item ends. Two items whose steps overlap never
    share a slot.

    Returns
    -------
    (dict, list)
        key -> slot index, and the elements of each slot.
    """
    slot_of, sizes, free, busy = {}, [], [], []
    for key, start, end, need in items:
        still = []
        for e, s in busy:
            if e < start:
                free.append(s)
            else:
                still.append((e, s))
        busy = still
        fits = [s for s in free if sizes[s] >= need]
        if fits:
            s = min(fits, key=lambda k: sizes[k])
        elif free:
            s = max(free, key=lambda k: sizes[k])
            sizes[s] = need
        else:
            s = len(sizes)
            sizes.append(need)
        if s in free:
            free.remove(s)
        slot_of[key] = s
        busy.append((end, s))
    return slot_of, sizes


class _Slots:
    """Slots of one kind of per-layer buffer, and the layers that take their views."""

    #: the layer attribute holding the ``capacity -> buffer`` hook
    hook = "_arena"

    def __init__(self, slot_of, slot_elements):
        self.slot_of, self.slot_elements = slot_of, slot_elements
        self._slots = []

    def planned(self, layer):
        """Return True when ``layer``'s buffer is shared with other layers."""
        return layer in self.slot_of

    def allocate(self, be, dtype, capacity):
        """Allocate the slots for ``capacity`` samples and point each planned layer at its own."""
        self._slots = [be.empty((capacity * n,), dtype) for n in self.slot_elements]
        for l, s in self.slot_of.items():
            setattr(l, self.hook, self._view(self._slots[s], l.shape))

    @staticmethod
    def _view(slot, shape):
        def arena(cap):
            return slot[:cap * math.prod(shape)].reshape((cap,) + tuple(shape))
        return arena

    def release(self):
        """Give every planned layer its own buffer again (at its next resize)."""
        for l in self.slot_of:
            setattr(l, self.hook, None)
        self._slots = []

    def bytes_per_sample(self, itemsize):
        """Bytes per sample of the shared slots."""
        return sum(self.slot_elements) * itemsize


class MemoryPlan(_Slots):
    """Which layers share which output buffer, for a model's execution order.

    Parameters
    ----------
    work : list of Layer
        The layers a forward pass runs, in order.
    protected : iterable of Layer
        Layers whose outputs must stay readable after the pass.

    Attributes
    ----------
    slot_of : dict
        Planned layer -> slot index.
    slot_elements : list of int
        Elements per sample of each slot.
    """

    def __init__(self, work, protected):
        keep = {_root(l) for l in protected}
        last = {}
        for i, l in enumerate(work):
            for p in l.parents:
                r = _root(p)
                last[r] = max(last.get(r, -1), i)
        items = [(l, i, max(last.get(l, i), i), math.prod(l.shape)) for i, l in enumerate(work)
                 if _plannable(l) and l not in keep]
        super().__init__(*assign_slots(items))


class DeltaPlan(_Slots):
    """Which layers share which gradient (delta) buffer, for a model's backward order.

    A layer's delta is written by the first of its children that the backward pass runs (by
    the loss, before the pass, for an output layer) and read by the layer's own backward step;
    nothing reads it after that. Inputs and outputs (whose gradients a caller may want) and
    recurrent layers keep their own buffers.

    Parameters
    ----------
    back : list of Layer
        The layers whose backward step runs, in the order it runs.
    outputs : iterable of Layer
        Layers whose deltas are written before the pass.
    """

    hook = "_delta_arena"

    def __init__(self, back, outputs):
        first = {}
        for k, l in enumerate(back):
            for p in l.parents:
                first[p] = min(first.get(p, k), k)
        for l in outputs:
            first[l] = -1
        self.starts = {}
        items = []
        outputs = set(outputs)
        for k, l in enumerate(back):
            if l.is_input or l in outputs or not getattr(l, "shares_output", True):
                continue
            start = min(first.get(l, k), k)
            self.starts[l] = start
            items.append((l, start, k, math.prod(l.shape)))
        items.sort(key=lambda it: it[1])
        super().__init__(*assign_slots(items))
