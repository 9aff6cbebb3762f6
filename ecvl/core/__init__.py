"""ecvl core: the Image class, enums, metadata, conversions, arithmetic and statistics."""

from . import arithmetic, convert, enums, errors, image, metadata, statistics, views
from .arithmetic import *  # noqa: F401,F403
from .convert import *  # noqa: F401,F403
from .enums import *  # noqa: F401,F403
from .errors import *  # noqa: F401,F403
from .image import *  # noqa: F401,F403
from .metadata import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403
from .views import *  # noqa: F401,F403

__all__ = (
    enums.__all__ + errors.__all__ + metadata.__all__ + image.__all__ + convert.__all__
    + arithmetic.__all__ + statistics.__all__ + views.__all__
)
