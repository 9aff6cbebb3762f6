"""Noise layers: additive Gaussian noise (training only)."""

from .base import TRMODE, Layer
from .registry import register_layer

__all__ = ["GaussianNoise"]


@register_layer("GaussianNoise")
class GaussianNoise(Layer):
    """Add Gaussian noise ``N(0, stddev^2)`` in training mode; identity at inference.

    Parameters
    ----------
    parent : Layer
    stddev : float
    name : str

    Returns
    -------
    Layer
    """

    prefix = "gaussian_noise"

    def __init__(self, parent, stddev, name=""):
        if not float(stddev) >= 0:
            raise ValueError(f"GaussianNoise: stddev must be >= 0, got {stddev!r}")
        self.stddev = float(stddev)
        super().__init__([parent], name)

    def compute_shape(self, s):
        return s

    def forward(self):
        x = self.parents[0].output
        if self.mode == TRMODE and self.stddev > 0:
            self.output[...] = x + self.net.rng.normal(0.0, self.stddev, size=x.shape)
        else:
            self.output[...] = x

    def backward(self):
        self.put_delta(0, lambda out: out.__setitem__(Ellipsis, self.delta))
