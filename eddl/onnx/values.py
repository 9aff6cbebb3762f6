"""What flows along the edges of an imported graph, and the errors of ONNX import and export."""

import numpy as np

from _deephealth.messages import one_line

__all__ = ["Act", "Batched", "ONNXImportError", "ExportError", "node_key", "short", "TimeMajor"]


class ONNXImportError(ValueError):
    """The ONNX model cannot be imported; the message names the node, op and input."""


class ExportError(ValueError):
    """A net cannot be written as ONNX (the message names the layer)."""


class Act:
    """An activation: the output of ``layer``, batch axis first."""

    __slots__ = ("layer",)

    def __init__(self, layer):
        self.layer = layer

    @property
    def shape(self):
        """The value's shape, ``None`` for the batch axis."""
        return (None,) + tuple(self.layer.shape)

    @property
    def rank(self):
        """Number of axes, batch included."""
        return len(self.layer.shape) + 1


class TimeMajor:
    """The output of ``layer`` with its first two axes swapped: ``[T, batch, ...]``.

    Recurrent ONNX nodes read and write sequences time-major (``layout=0``); a ``Transpose``
    swapping axes 0 and 1 of an activation in front of recurrent nodes gives this value, and
    swapping them again gives the activation back. Other nodes cannot read it (the batch axis
    must come first).
    """

    __slots__ = ("layer",)

    def __init__(self, layer):
        self.layer = layer


class Batched:
    """An integer value that depends on the batch size (``values[i]`` for probe batch ``i``)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = tuple(np.asarray(v) for v in values)

    def batch_mask(self):
        """Return True where the entry follows the batch size."""
        return self.values[0] != self.values[1]


def node_key(node):
    """Return the key of an ONNX node in an import's bookkeeping (its name, else its output)."""
    return node.name or node.output[0]


def short(value, limit=80):
    """Return ``value`` as one printable line of at most ``limit`` characters.

    Names and op types come from files that may be damaged or hostile.
    """
    text = "".join(c if c.isprintable() else "?" for c in one_line(value, 10 * limit))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def unique_name(base, taken):
    """Return ``base`` or ``base_2``, ``base_3``... the first not in ``taken``; add it there."""
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name
