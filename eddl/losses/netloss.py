"""Old import path of the graph-defined losses.

They live in :mod:`eddl.model.netloss` (they build and run a model, so they sit beside it).
"""

from ..model.netloss import (  # noqa: F401
    NetLoss,
    NetMetric,
    compute_loss,
    compute_metric,
    newloss,
    newmetric,
    optimize,
)

__all__ = ["NetLoss", "NetMetric", "newloss", "newmetric", "compute_loss", "compute_metric",
           "optimize"]
