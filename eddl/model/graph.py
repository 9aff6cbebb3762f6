"""Graph helpers: topological order of the layers between a model's inputs and outputs."""

from ..layers.base import Layer

__all__ = ["topological_order", "check_layer_list", "forward_closure"]


def check_layer_list(layers, what, allow_empty=False):
    """Return ``layers`` as a list of Layer, raising TypeError naming ``what`` otherwise."""
    if isinstance(layers, Layer):
        layers = [layers]
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"Model: {what} must be a list of layers, got {type(layers).__name__}") from None
    if not layers and not allow_empty:
        raise ValueError(f"Model: {what} is empty")
    for i, l in enumerate(layers):
        if not isinstance(l, Layer):
            raise TypeError(f"Model: {what}[{i}] must be a layer, got {type(l).__name__}")
    if len({id(l) for l in layers}) != len(layers):
        raise ValueError(f"Model: {what} lists a layer twice")
    return layers


def topological_order(inputs, outputs):
    """Layers needed to compute ``outputs``, parents before children (DFS post-order).

    Raises
    ------
    ValueError
        When an output depends on a source layer that is not among ``inputs``, or an input
        does not reach any output.
    """
    order, state = [], {}
    input_ids = {id(l) for l in inputs}
    for root in outputs:
        stack = [(root, 0)]
        while stack:
            layer, i = stack.pop()
            if i == 0:
                s = state.get(id(layer))
                if s == 2:
                    continue
                if s == 1:
                    raise ValueError(f"Model: the graph has a cycle through layer {layer.name!r}")
                state[id(layer)] = 1
                if id(layer) not in input_ids and not layer.parents and not getattr(layer, "is_source", False):
                    raise ValueError(f"Model: layer {layer.name!r} ({type(layer).__name__}) is a source "
                                     f"of the outputs but is not among the model inputs "
                                     f"{[l.name for l in inputs]}")
            parents = [] if id(layer) in input_ids else layer.parents
            if i < len(parents):
                stack.append((layer, i + 1))
                stack.append((parents[i], 0))
            else:
                state[id(layer)] = 2
                order.append(layer)
    seen = {id(l) for l in order}
    for l in inputs:
        if id(l) not in seen:
            raise ValueError(f"Model: input layer {l.name!r} is not connected to any output")
    return order


def forward_closure(inputs):
    """Return the layers reachable from ``inputs`` whose every source is among ``inputs``.

    They come in topological order, up to the sinks of that set: the graph of a model declared
    without outputs (``Model([in_], [])``), whose objective is given later by graph-defined
    losses.
    """
    ids, reach, stack = {id(l) for l in inputs}, {}, list(inputs)
    while stack:
        l = stack.pop()
        if id(l) in reach:
            continue
        reach[id(l)] = l
        stack.extend(l.children)

    def complete(l, seen):
        if id(l) in ids or getattr(l, "is_source", False):
            return True
        if id(l) not in reach or not l.parents:
            return False
        if id(l) in seen:
            return seen[id(l)]
        seen[id(l)] = all(complete(p, seen) for p in l.parents)
        return seen[id(l)]

    seen = {}
    keep = [l for l in reach.values() if complete(l, seen)]
    kept = {id(l) for l in keep}
    sinks = [l for l in keep if not any(id(c) in kept for c in l.children)]
    return topological_order(inputs, sinks)
