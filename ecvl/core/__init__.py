"""ecvl core."""
__all__ = []
