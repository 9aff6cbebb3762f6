"""eddl initializers."""
