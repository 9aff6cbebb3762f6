"""bridge: where ecvl images meet eddl tensors (conversion, data loading, training)."""

__version__ = "0.1.0.dev0"
