"""ecvl io."""
__all__ = []
