"""eddl model."""
