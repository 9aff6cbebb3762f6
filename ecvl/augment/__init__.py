"""ecvl augment."""
__all__ = []
