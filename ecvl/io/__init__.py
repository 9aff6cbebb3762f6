"""ecvl io: reading and writing standard images, DICOM, NIfTI and whole-slide images."""

from . import dicom as _dicom
from . import dicom_writer as _dicom_writer
from . import dispatch as _dispatch
from . import nifti as _nifti
from . import raster as _raster
from . import slide as _slide
from .dicom import *  # noqa: F401,F403
from .dicom_writer import *  # noqa: F401,F403
from .dispatch import *  # noqa: F401,F403
from .nifti import *  # noqa: F401,F403
from .raster import *  # noqa: F401,F403
from .slide import *  # noqa: F401,F403

ECVL_WITH_DICOM = True
ECVL_WITH_OPENSLIDE = True

__all__ = (
    _dicom.__all__ + _dicom_writer.__all__ + _dispatch.__all__ + _nifti.__all__ + _raster.__all__
    + _slide.__all__ + ["ECVL_WITH_DICOM", "ECVL_WITH_OPENSLIDE"]
)
