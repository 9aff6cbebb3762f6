"""PyEDDL's enums for data-augmentation layers and resizing (``pyeddl.utils``)."""

import enum

__all__ = ["WrappingMode", "TransformationMode"]


class WrappingMode(enum.IntEnum):
    """How values outside the input are filled (PyEDDL's ``da_mode`` strings in lower case)."""

    Constant = 0
    Reflect = 1
    Nearest = 2
    Mirror = 3
    Wrap = 4
    Original = 5


class TransformationMode(enum.IntEnum):
    """Coordinate transformation of resizing (ONNX ``coordinate_transformation_mode``)."""

    HalfPixel = 0
    PytorchHalfPixel = 1
    AlignCorners = 2
    Asymmetric = 3
    TFCropAndResize = 4
