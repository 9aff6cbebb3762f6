"""eddl losses."""
