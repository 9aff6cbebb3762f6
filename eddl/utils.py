"""PyEDDL's enums: data-augmentation layers and resizing (``pyeddl.utils``), ONNX log levels."""

import enum

__all__ = ["WrappingMode", "TransformationMode", "LOG_LEVEL"]


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


class LOG_LEVEL(enum.IntEnum):
    """Verbosity of the ONNX import (EDDL's ``LOG_LEVEL``, ``eddl.LOG_LEVEL.INFO`` etc.).

    Accepted wherever PyEDDL takes a ``log_level`` (``import_net_from_onnx_file``); plain ints
    of the same values work too, since the members are ints.
    """

    TRACE = 0
    DEBUG = 1
    INFO = 2
    WARN = 3
    ERROR = 4
    NO_LOGS = 5
