"""Helpers of the graph passes that make a new model from a built one (toFPGA, inference)."""

import numpy as np

__all__ = ["host_arrays", "copy_layer"]


def host_arrays(layer, arrays):
    """``arrays`` of ``layer`` (device arrays, or host ones before a build) as host copies."""
    return [np.array(layer.be.to_host(a) if layer.be is not None else a) for a in arrays]


def copy_layer(layer, parents, what):
    """Return a copy of ``layer`` (same class, configuration and weights) on new ``parents``.

    ``what`` names the pass in the error raised for a layer that cannot be rebuilt from its
    configuration.
    """
    try:
        new = type(layer).from_config(layer.get_config(), parents)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: cannot copy {type(layer).__name__} layer {layer.name!r} to the "
                         f"new model: {exc}") from exc
    if layer.params or layer.states:
        new.preset_weights(host_arrays(layer, layer.params), host_arrays(layer, layer.states))
    return new
