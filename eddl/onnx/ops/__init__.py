"""ONNX export and import, one module per operator family (each pairs both directions)."""

from . import (  # noqa: F401
    activation,
    attention,
    augment,
    conv,
    core,
    elementwise,
    fused,
    generator,
    norm,
    pool,
    recurrent,
    reduce,
    resize,
    shape,
)
