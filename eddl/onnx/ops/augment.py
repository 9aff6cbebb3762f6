"""Data-augmentation and noise layers: their inference behaviour as ONNX.

The remapping layers (Flip, Crop, CenteredCrop, Cutout, CropScale, Rotate, Shift and the
random ones, which at inference are the identity or a centred crop) copy, for every output
pixel, one input pixel or a constant. That map is fixed at inference, so it is written as a
``Gather`` through the precomputed index map of the layer itself (one implementation of the
geometry, no second one to drift), then a ``Where`` for the constant fill.
"""

import numpy as np

from ...layers.base import TSMODE
from ..optable import exporter

_REMAP = ("Flip", "RandomFlip", "Crop", "CenteredCrop", "RandomCrop", "Cutout", "RandomCutout",
          "CropScale", "RandomCropScale", "Rotate", "RandomRotation", "RandomScale", "Shift",
          "RandomShift")


def _index_map(layer):
    from ...backend import registry

    be_before, mode_before = layer.be, layer.mode
    try:
        if layer.be is None:
            layer.be = registry.get("cpu")
        layer.mode = TSMODE
        if not layer.active() and layer.shape == layer.parents[0].shape:
            return None
        return np.asarray(layer.be.to_host(layer.index_map(1)))[0]
    finally:
        layer.be, layer.mode = be_before, mode_before


@exporter(*_REMAP)
def export_remap(layer, g):
    """``Gather`` through the layer's index map (``Identity`` when inactive at inference)"""
    x, out = g.inputs(layer)[0], g.output(layer)
    idx = _index_map(layer)
    if idx is None:
        g.node("Identity", [x], out)
        return
    c, h, w = layer.parents[0].shape
    ho, wo = layer.shape[1:]
    flat = g.node("Reshape", [x, g.ints([0, c, h * w])])
    picked = g.node("Gather", [flat, g.ints(np.maximum(idx, 0), "index_map")], axis=2)
    fill = idx < 0
    if not fill.any():
        g.node("Reshape", [picked, g.ints([0, c, ho, wo])], out)
        return
    img = g.node("Reshape", [picked, g.ints([0, c, ho, wo])])
    g.node("Where", [g.const(fill.reshape(ho, wo), "fill_mask", np.bool_),
                     g.const(np.float32(layer.constant), "fill"), img], out)


@exporter("GaussianNoise")
def export_noise(layer, g):
    """``Identity`` (inference) or ``Add`` of ``RandomNormalLike`` (training form)"""
    x = g.inputs(layer)[0]
    if g.training and layer.stddev > 0:
        g.node("Add", [x, g.node("RandomNormalLike", [x], scale=layer.stddev)], g.output(layer))
    else:
        g.node("Identity", [x], g.output(layer))
