"""ONNX export and import, one module per operator family (each pairs both directions)."""

from . import activation, augment, conv, core, elementwise, generator, norm, pool, reduce, resize, shape  # noqa: F401
