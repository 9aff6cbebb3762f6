"""ecvl imgproc."""
__all__ = []
