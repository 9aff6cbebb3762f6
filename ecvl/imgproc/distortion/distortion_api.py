"""Image-level random distortions: PyECVL's forms (writing into ``dst``) and pythonic forms.

Thin entry points over :mod:`ecvl.imgproc.distortion`; see :mod:`ecvl.imgproc.geometric.geometric_api`
for the conventions shared by all Image-level geometric functions.
"""

from ...core._twins import pyecvl_twin
from ...core.enums import BorderType as BT
from ...core.enums import InterpolationType as IT
from ..geometric._geomimage import _apply
from . import distortion as _d

__all__ = [
    "ElasticTransform", "elastic_transform", "GridDistortion", "grid_distortion",
    "OpticalDistortion", "optical_distortion",
]


def elastic_transform(src, alpha=34.0, sigma=4.0, interp=IT.linear,
                      border_type=BT.BORDER_REFLECT_101, border_value=0, seed=None):
    """Random elastic deformation; see :func:`ecvl.imgproc.distortion.elastic_transform_array`.

    Parameters
    ----------
    src : Image
        Source 2-D image.
    alpha, sigma, interp, border_type, border_value, seed
        As in the array function.

    Returns
    -------
    Image
        The deformed image.
    """
    return _apply(src, "ElasticTransform", _d.elastic_transform_array, alpha, sigma, interp,
                  border_type, border_value, seed, volumes=False)


ElasticTransform = pyecvl_twin(elastic_transform, "ElasticTransform")


def grid_distortion(src, num_steps=5, distort_limit=(-0.3, 0.3), interp=IT.linear,
                    border_type=BT.BORDER_REFLECT_101, border_value=0, seed=None):
    """Random grid distortion; see :func:`ecvl.imgproc.distortion.grid_distortion_array`.

    Parameters
    ----------
    src : Image
        Source 2-D image.
    num_steps, distort_limit, interp, border_type, border_value, seed
        As in the array function.

    Returns
    -------
    Image
        The distorted image.
    """
    return _apply(src, "GridDistortion", _d.grid_distortion_array, num_steps, distort_limit, interp,
                  border_type, border_value, seed, volumes=False)


GridDistortion = pyecvl_twin(grid_distortion, "GridDistortion")


def optical_distortion(src, distort_limit=(-0.3, 0.3), shift_limit=(-0.1, 0.1), interp=IT.linear,
                       border_type=BT.BORDER_REFLECT_101, border_value=0, seed=None):
    """Random lens distortion; see :func:`ecvl.imgproc.distortion.optical_distortion_array`.

    Parameters
    ----------
    src : Image
        Source 2-D image.
    distort_limit, shift_limit, interp, border_type, border_value, seed
        As in the array function.

    Returns
    -------
    Image
        The distorted image.
    """
    return _apply(src, "OpticalDistortion", _d.optical_distortion_array, distort_limit, shift_limit,
                  interp, border_type, border_value, seed, volumes=False)


OpticalDistortion = pyecvl_twin(optical_distortion, "OpticalDistortion")
