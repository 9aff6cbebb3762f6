"""The inference memory plan: layer outputs share buffers once nothing reads them any more.

A trained model keeps every layer's output, because the backward pass reads them. Inference
needs an output only until its last reader has run, so a model made by
:func:`eddl.optimize_for_inference` shares a few buffers ("slots") among its layers: walking
the layers in execution order, each takes a free slot (the smallest that fits, else the largest
free one, grown, else a new one) and gives it back after its last reader. A layer never
shares a slot with its own inputs. Outputs of the model, layers named in ``keep``, inputs,
source layers (generators, constants) and the recurrent layers keep their own buffers; a
reshaping layer is a view of its parent, whose slot then lives as long as the view is read.
"""

import math

__all__ = ["MemoryPlan"]


def _root(layer):
    while layer.output_is_view() and layer.parents:
        layer = layer.parents[0]
    return layer


def _plannable(layer):
    return not (layer.is_input or layer.is_source or layer.output_is_view()
                or not getattr(layer, "shares_output", True))


class MemoryPlan:
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
        index = {l: i for i, l in enumerate(work)}
        last = {}
        for i, l in enumerate(work):
            for p in l.parents:
                r = _root(p)
                last[r] = max(last.get(r, -1), i)
        self.slot_of, self.slot_elements = {}, []
        free, release = [], {}
        for i, l in enumerate(work):
            if _plannable(l) and l not in keep:
                need = math.prod(l.shape)
                fits = [s for s in free if self.slot_elements[s] >= need]
                if fits:
                    s = min(fits, key=lambda k: self.slot_elements[k])
                elif free:
                    s = max(free, key=lambda k: self.slot_elements[k])
                    self.slot_elements[s] = need
                else:
                    s = len(self.slot_elements)
                    self.slot_elements.append(need)
                if s in free:
                    free.remove(s)
                self.slot_of[l] = s
                release.setdefault(max(last.get(l, i), i), []).append(s)
            free.extend(release.pop(i, ()))
        self._index = index
        self._slots = []

    def planned(self, layer):
        """Return True when ``layer``'s output buffer is shared with other layers."""
        return layer in self.slot_of

    def allocate(self, be, dtype, capacity):
        """Allocate the slots for ``capacity`` samples and point each planned layer at its own."""
        self._slots = [be.empty((capacity * n,), dtype) for n in self.slot_elements]
        for l, s in self.slot_of.items():
            l._arena = self._view(self._slots[s], l.shape)

    @staticmethod
    def _view(slot, shape):
        def arena(cap):
            return slot[:cap * math.prod(shape)].reshape((cap,) + tuple(shape))
        return arena

    def release(self):
        """Give every planned layer its own buffer again (at its next resize)."""
        for l in self.slot_of:
            l._arena = None
        self._slots = []

    def bytes_per_sample(self, itemsize):
        """Bytes per sample of the shared slots."""
        return sum(self.slot_elements) * itemsize
