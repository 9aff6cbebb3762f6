"""Tensor: the hardware abstraction layer of eddl."""
__all__ = []
