"""Tensor: the hardware abstraction layer of eddl."""
