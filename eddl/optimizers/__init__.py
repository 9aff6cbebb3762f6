"""eddl optimizers."""
