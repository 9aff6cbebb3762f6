"""eddl metrics."""
