"""Sampling maps of the elastic and grid distortions, as the augmentations use them.

One implementation serves both the image functions and the augmentations: this module
names :mod:`ecvl.imgproc.distortion`'s (see its notes on how the maps are computed).
"""

from ..imgproc.distortion import coarse_step, elastic_maps, grid_distortion_maps, pixel_grid

__all__ = ["elastic_maps", "grid_distortion_maps", "pixel_grid", "coarse_step"]
