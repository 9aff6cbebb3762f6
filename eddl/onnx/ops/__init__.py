"""ONNX export and import, one module per operator family (each pairs both directions)."""

from . import (activation, augment, conv, core, elementwise, generator, norm, pool,  # noqa: F401
               reduce, resize, shape)
