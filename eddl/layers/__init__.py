"""eddl layers."""
