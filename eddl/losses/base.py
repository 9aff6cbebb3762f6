"""Loss base class and the name registry used by ``build(..., lo=[...])``.

A loss compares the prediction ``y`` of one output layer with the target ``t`` (both arrays of
the model's backend, batch first). ``value`` returns the loss summed over the batch; ``delta``
writes the gradient of the batch-mean loss with respect to ``y`` (so the model's objective is
``value / batch`` and the reported loss is the running sum divided by the samples seen).
"""

from _deephealth.registry import Registry

__all__ = ["Loss", "register_loss", "get_loss", "loss_names"]

_REGISTRY = Registry("loss")


class Loss:
    """Base class of losses; subclass it and override ``value`` and ``delta``.

    Parameters
    ----------
    name : str
        Name shown in progress lines.

    Examples
    --------
    >>> import eddl
    >>> class MyMSE(eddl.Loss):
    ...     def value(self, t, y):
    ...         return float(((y - t) ** 2).sum())
    ...     def delta(self, t, y, d):
    ...         d[...] = 2 * (y - t) / y.shape[0]
    >>> MyMSE("my_mse").name
    'my_mse'
    """

    #: activation whose input gradient this loss can produce directly ("softmax", "sigmoid")
    fuses_with = None

    def __init__(self, name="loss"):
        self.name = name

    def value(self, t, y):
        """Loss summed over the batch (a Python float)."""
        raise NotImplementedError(f"loss {self.name!r} does not implement value(t, y)")

    def delta(self, t, y, d):
        """Write d(batch-mean loss)/dy into ``d``."""
        raise NotImplementedError(f"loss {self.name!r} does not implement delta(t, y, d)")

    def fused_delta(self, t, y, d):
        """Gradient with respect to the input of the fused activation (see ``fuses_with``)."""
        raise NotImplementedError

    def check_target(self, t, y, layer_name):
        """Raise ValueError when target ``t`` cannot be compared with prediction ``y``."""
        if tuple(t.shape) != tuple(y.shape):
            raise ValueError(f"loss {self.name!r} on output {layer_name!r}: target shape "
                             f"{list(t.shape)} != output shape {list(y.shape)}")

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"


def register_loss(cls, *names):
    """Make ``cls`` available to :func:`get_loss` under ``names`` (the first is canonical)."""
    return _REGISTRY.register(*names)(cls)


def loss_names():
    """Names accepted by :func:`get_loss`."""
    return _REGISTRY.names()


def get_loss(name):
    """Return a new loss object for ``name`` (a Loss instance is returned as is).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    return _REGISTRY.create(name, name, passthrough=Loss,
                            unknown="unknown loss {name!r}; valid: {valid}")


register_loss(None, "none")
