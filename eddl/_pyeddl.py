"""PyEDDL-named functions (``eddl.Dense(parent, units)``, ``eddl.build(...)``, ...).

Thin factories over the layer, loss, metric, optimizer and model classes: one implementation,
PyEDDL's names and signatures.
"""

__all__ = []
