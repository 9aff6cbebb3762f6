"""Metric base class and the name registry used by ``build(..., me=[...])``.

``value(t, y)`` returns the metric summed over the batch; the reported metric is the running
sum divided by the number of samples seen.
"""

from _deephealth.registry import Registry

__all__ = ["Metric", "register_metric", "get_metric", "metric_names"]

_REGISTRY = Registry("metric")


class Metric:
    """Base class of metrics; subclass it and override ``value(t, y)``.

    Parameters
    ----------
    name : str
        Name shown in progress lines.
    """

    def __init__(self, name="metric"):
        self.name = name

    def value(self, t, y):
        """Metric summed over the batch (a Python float)."""
        raise NotImplementedError(f"metric {self.name!r} does not implement value(t, y)")

    def reset(self):
        """Forget any state kept across batches; the model calls it from ``reset_loss``."""

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"


def register_metric(cls, *names):
    """Make ``cls`` available to :func:`get_metric` under ``names`` (the first is canonical)."""
    return _REGISTRY.register(*names)(cls)


def metric_names():
    """Names accepted by :func:`get_metric`."""
    return _REGISTRY.names()


def get_metric(name):
    """Return a new metric object for ``name`` (a Metric instance is returned as is).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    return _REGISTRY.create(name, name, passthrough=Metric,
                            unknown="unsupported metric: {name!r}; valid: {valid}")


register_metric(None, "none")
