"""eddl regularizers."""
