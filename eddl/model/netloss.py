"""Graph-defined losses and metrics (PyEDDL's ``newloss``/``newmetric``).

A user function maps fresh Input layers, one per watched layer of a model, to a layer
expression (``Diff``, ``Mult``, ``ReduceSum``, ...). That expression becomes a small model of
its own; :meth:`NetLoss.compute` copies the watched layers' outputs into it and runs it, and
:meth:`NetLoss.backward` runs it backwards and hands the gradients to the watched model.

Value convention (as the built-in losses): ``compute()`` returns the sum over the batch of the
per-sample mean of the expression, and ``backward`` produces the gradient of that value divided
by the batch size.
"""

from ..layers.base import Layer
from ..layers.core import Input
from ..optimizers import SGD
from .model import Model

__all__ = ["NetLoss", "NetMetric", "newloss", "newmetric", "compute_loss", "compute_metric",
           "optimize"]


class NetLoss:
    """A loss defined by a layer graph over layers of a model.

    Parameters
    ----------
    f : callable
        ``layer -> layer`` (when ``in_`` is one layer) or ``list of layer -> layer``.
    in_ : Layer or list of Layer
        Layers of one model whose outputs the loss reads (e.g. prediction and target).
    name : str

    Attributes
    ----------
    name : str
    value : float
        Last value returned by :meth:`compute`.
    input : list of Layer
        The watched layers.
    ginput : list of Layer
        The loss graph's Input layers, one per watched layer.
    fout : Layer
        Output layer of the loss graph.
    graph : eddl.model.Model
        The loss graph.
    """

    kind = "newloss"

    def __init__(self, f, in_, name="loss"):
        single = isinstance(in_, Layer)
        inputs = [in_] if single else list(in_) if isinstance(in_, (list, tuple)) else None
        if not inputs or not all(isinstance(l, Layer) for l in inputs):
            raise TypeError(f"{self.kind} {name!r}: in_ must be a layer or a non-empty list of "
                            f"layers, got {type(in_).__name__}")
        if not callable(f):
            raise TypeError(f"{self.kind} {name!r}: f must be callable, got {type(f).__name__}")
        self.name = str(name)
        self.value = 0.0
        self.input = inputs
        self.ginput = [Input(list(l.shape)) for l in inputs]
        fout = f(self.ginput[0] if single else list(self.ginput))
        if not isinstance(fout, Layer):
            raise TypeError(f"{self.kind} {name!r}: f must return a layer, got {type(fout).__name__}")
        self.fout = fout
        self.graph = Model(self.ginput, [fout], name=f"{self.name}_graph")
        for l in self.graph.layers:
            if l.param_specs():
                raise ValueError(f"{self.kind} {name!r}: layer {l.name!r} of the loss graph has "
                                 f"weights; a loss graph may only hold weight-free layers")
        self.net = None

    def _net(self):
        nets = {id(l.net): l.net for l in self.input}
        if len(nets) != 1 or None in [l.net for l in self.input]:
            raise RuntimeError(f"{self.kind} {self.name!r}: its layers must belong to one built "
                               f"model (got {len(nets)} models); build the model first")
        net = self.input[0].net
        if not net.isbuild or not all(l in net.layers for l in self.input):
            raise RuntimeError(f"{self.kind} {self.name!r}: layers "
                               f"{[l.name for l in self.input]} are not all in built model "
                               f"{net.name!r}")
        g = self.graph
        if self.net is not net or g.be is not net.be or g.dtype != net.dtype:
            g.input_grads = True
            g.build(SGD(0.0), None, None, net.cs, dtype=net.dtype)
            self.net = net
        return net

    def compute(self):
        """Run the loss graph on the current outputs of the watched layers.

        Returns
        -------
        float
            Sum over the batch of the per-sample mean of the graph's output.
        """
        net = self._net()
        g = self.graph
        n = net.batch_size
        if n < 1:
            raise RuntimeError(f"{self.kind} {self.name!r}: run eddl.forward on the model first")
        g.resize(n)
        g.set_mode(net.trmode)
        for src, dst in zip(self.input, self.ginput):
            dst.output[...] = src.output
        g.forward()
        out = self.fout.output
        per = out.size // n if n else 1
        self.value = float(out.sum()) / max(per, 1)
        return self.value

    def input_deltas(self):
        """Gradients of ``compute() / batch`` with respect to the watched layers' outputs."""
        self.compute()
        g, n = self.graph, self.graph.batch_size
        out = self.fout
        per = max(out.output.size // n, 1)
        for l in g.layers:
            l._delta_set = False
        if out.needs_delta:
            out.delta[...] = 1.0 / (per * n)
            out._delta_set = True
        g._propagate()
        deltas = []
        for gi in self.ginput:
            deltas.append(gi.delta.copy() if gi._delta_set else None)
        return deltas

    def backward(self):
        """Back-propagate this loss into the gradients of the watched model."""
        optimize(self)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} on {[l.name for l in self.input]}>"


class NetMetric(NetLoss):
    """A metric defined by a layer graph (see :class:`NetLoss`); it has no gradient."""

    kind = "newmetric"

    def backward(self):
        """Raise TypeError: a metric has no gradient to back-propagate."""
        raise TypeError(f"newmetric {self.name!r} is a metric; it cannot be back-propagated")

    input_deltas = backward


def newloss(f, in_, name):
    """Define a loss as a layer graph ``f`` over layers ``in_`` of a model.

    Parameters
    ----------
    f : callable
        ``layer -> layer`` or ``list of layer -> layer``, built from weight-free layers.
    in_ : Layer or list of Layer
    name : str

    Returns
    -------
    NetLoss

    Examples
    --------
    >>> import eddl
    >>> x = eddl.Input([4])
    >>> y = eddl.Dense(x, 4)
    >>> def mse(ins):
    ...     d = eddl.Diff(ins[0], ins[1])
    ...     return eddl.Mult(d, d)
    >>> L = eddl.newloss(mse, [y, x], "mse_loss")
    >>> L.name
    'mse_loss'
    """
    return NetLoss(f, in_, name)


def newmetric(f, in_, name):
    """Define a metric as a layer graph ``f`` over layers ``in_`` (see :func:`newloss`).

    Parameters
    ----------
    f : callable
    in_ : Layer or list of Layer
    name : str

    Returns
    -------
    NetMetric
    """
    return NetMetric(f, in_, name)


def _losses(L, what):
    items = L if isinstance(L, (list, tuple)) else [L]
    if not items or not all(isinstance(x, NetLoss) for x in items):
        raise TypeError(f"{what}: expected a loss from eddl.newloss (or a list of them), "
                        f"got {type(L).__name__}")
    return items


def compute_loss(L):
    """Value of a graph-defined loss on the current batch (see :meth:`NetLoss.compute`).

    Parameters
    ----------
    L : NetLoss or list of NetLoss
        A list gives the sum of the values.

    Returns
    -------
    float
    """
    return sum(x.compute() for x in _losses(L, "compute_loss"))


compute_metric = compute_loss


def optimize(L):
    """Back-propagate graph-defined loss(es) ``L`` into the model's gradients.

    With a list, the gradient is that of their sum; apply it with ``eddl.update(net)``.

    Parameters
    ----------
    L : NetLoss or list of NetLoss
    """
    items = _losses(L, "optimize")
    nets = {id(x._net()): x.net for x in items}
    if len(nets) != 1:
        raise ValueError("optimize: the losses watch layers of different models")
    net = items[0].net
    layers, deltas = [], []
    for x in items:
        for l, d in zip(x.input, x.input_deltas()):
            if d is not None:
                layers.append(l)
                deltas.append(d)
    net.backward_from(layers, deltas)
