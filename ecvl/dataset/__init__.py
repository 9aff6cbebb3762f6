"""ecvl dataset."""
__all__ = []
