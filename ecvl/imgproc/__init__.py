"""ecvl imgproc."""
__all__ = []

# Non-geometric operations: colour, threshold, filters, morphology, labelling, intensity, drawing.
# Module __all__ lists are read first: star-imports rebind names such as `threshold` to functions.
from . import color as _m_color, draw as _m_draw, filters as _m_filters  # noqa: E402
from . import inpaint as _m_inpaint, intensity as _m_intensity  # noqa: E402
from . import label as _m_label, morphology as _m_morphology  # noqa: E402
from . import threshold as _m_threshold  # noqa: E402

for _m in (_m_color, _m_draw, _m_filters, _m_inpaint, _m_intensity, _m_label, _m_morphology,
           _m_threshold):
    __all__ += _m.__all__
from .color import *  # noqa: E402,F401,F403
from .draw import *  # noqa: E402,F401,F403
from .filters import *  # noqa: E402,F401,F403
from .inpaint import *  # noqa: E402,F401,F403
from .intensity import *  # noqa: E402,F401,F403
from .label import *  # noqa: E402,F401,F403
from .morphology import *  # noqa: E402,F401,F403
from .threshold import *  # noqa: E402,F401,F403

# Geometric operations and distortions (array-level kernels in .geometric / .distortion)
from . import distortion, distortion_api, geometric, geometric_api  # noqa: E402
from .distortion_api import *  # noqa: E402,F401,F403
from .geometric_api import *  # noqa: E402,F401,F403

__all__ += geometric_api.__all__ + distortion_api.__all__

