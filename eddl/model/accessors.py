"""PyEDDL's fine-grained training functions and layer/model accessors.

Tensors returned by the accessors (``getOutput``, ``getParam``, ...) share memory with the
layer buffers: they are live references, as in PyEDDL.
"""

from ..layers.base import Layer
from ..layers.registry import forwarder
from . import data
from .model import Model
from .netloss import NetLoss, optimize

__all__ = ["train_batch", "eval_batch", "next_batch", "set_mode", "reset_loss", "forward",
           "zeroGrads", "backward", "update", "print_loss", "get_losses", "get_metrics", "clamp",
           "getOut", "getOutput", "getInput", "getDelta", "getParam", "getGradient", "getParams",
           "getGradients", "getState", "getStates", "copyOutput", "copyDelta", "copyParam", "copyGradient",
           "get_parameters", "set_parameters", "getLayer", "removeLayer", "setTrainable", "freeze", "unfreeze",
           "setName", "setlogfile", "initializeLayer", "detach", "as_tensor"]


def as_tensor(a, be=None):
    """Wrap array ``a`` of backend ``be`` (the CPU when None) in an :class:`eddl.Tensor`.

    Nothing is copied; the tensor's device is the backend's.
    """
    from ..tensor import Tensor
    return Tensor._wrap(a, 0 if be is None else be.device)


def _net(m, what):
    if not isinstance(m, Model):
        raise TypeError(f"{what}: expected a Model, got {type(m).__name__}")
    return m


def _layer(l, what):
    if not isinstance(l, Layer):
        raise TypeError(f"{what}: expected a layer, got {type(l).__name__}")
    return l


train_batch = forwarder("train_batch", Model.train_batch, "net, in_, out, indices=None",
                        module=__name__, check={"net": Model}, doc="""\
One training step on the samples ``indices`` of ``in_``/``out`` (all when None).

    Parameters
    ----------
    net : Model
    in_, out : list of Tensor or numpy.ndarray
    indices : list of int, optional
    """)


eval_batch = forwarder("eval_batch", Model.eval_batch, "net, in_, out, indices=None",
                       module=__name__, check={"net": Model}, doc="""\
Evaluate one batch (inference mode), accumulating losses and metrics.

    Parameters
    ----------
    net : Model
    in_, out : list of Tensor or numpy.ndarray
    indices : list of int, optional
    """)


def next_batch(in_, out):
    """Fill each tensor of ``out`` with the same random samples of the matching ``in_``.

    Parameters
    ----------
    in_ : list of Tensor
        Source data.
    out : list of Tensor
        Destination batches (their first dimension is the batch size).
    """
    if len(in_) != len(out):
        raise ValueError(f"next_batch: {len(in_)} sources for {len(out)} destinations")
    srcs = [data.as_array(x, "next_batch source") for x in in_]
    dsts = [data.as_array(x, "next_batch destination") for x in out]
    n = srcs[0].shape[0]
    bs = dsts[0].shape[0]
    from ..tensor.random import get_generator
    idx = get_generator().integers(0, n, size=bs)
    for s, d in zip(srcs, dsts):
        if s.shape[1:] != d.shape[1:] or d.shape[0] != bs:
            raise ValueError(f"next_batch: source {list(s.shape)} and destination {list(d.shape)} differ")
        d[...] = s[idx]


set_mode = forwarder("set_mode", Model.set_mode, "net, mode", module=__name__,
                     check={"net": Model}, doc="""\
Training (1, ``TRMODE``) or inference (0, ``TSMODE``) behaviour.

    Parameters
    ----------
    net : Model
    mode : int
    """)


reset_loss = forwarder("reset_loss", Model.reset_loss, "m", module=__name__,
                       check={"m": Model}, doc="""\
Zero the accumulated losses and metrics.

    Parameters
    ----------
    m : Model
    """)


def forward(m, in_=None, b=None):
    """Forward the model on ``in_`` (Tensors) and return its output layers.

    Parameters
    ----------
    m : Model
    in_ : list of Tensor, optional
        New input batch; None re-runs the current one.
    b : int, optional
        Batch size to resize to (without new input).

    Returns
    -------
    list of Layer
    """
    m = _net(m, "forward")
    m._require_built("forward")
    if in_ is not None:
        if in_ and isinstance(in_[0], Layer):
            in_ = [l.output for l in in_]
        m.set_inputs(in_)
    elif b is not None:
        m.resize(int(b))
    m.forward()
    return list(m.lout)


zeroGrads = forwarder("zeroGrads", Model.zero_grads, "m", module=__name__,
                      check={"m": Model}, doc="""\
Set every gradient to zero.

    Parameters
    ----------
    m : Model
    """)


def backward(m, target=None):
    """Back-propagate; ``target`` (list of Tensors) sets the targets of the current batch.

    Parameters
    ----------
    m : Model or NetLoss
        A loss from :func:`eddl.newloss` back-propagates that loss into its model.
    target : list of Tensor, optional
    """
    if isinstance(m, NetLoss) or (isinstance(m, (list, tuple)) and m and isinstance(m[0], NetLoss)):
        # PyEDDL's backward(loss): a graph-defined loss from eddl.newloss
        optimize(m)
        return
    m = _net(m, "backward")
    if target is not None:
        m.set_targets(target)
        m.compute_losses()
    m.backward()


update = forwarder("update", Model.update, "m", module=__name__, check={"m": Model}, doc="""\
Apply one optimizer step.

    Parameters
    ----------
    m : Model
    """)


def print_loss(m, batch):
    """Print the running losses and metrics after batch number ``batch``.

    Parameters
    ----------
    m : Model
    batch : int
    """
    from .training import progress_line
    print(f"batch {batch} {progress_line(_net(m, 'print_loss'))}")


get_losses = forwarder("get_losses", Model.get_losses, "m", module=__name__,
                       check={"m": Model}, doc="""\
Mean loss per output since the last reset.

    Parameters
    ----------
    m : Model

    Returns
    -------
    list of float
    """)


get_metrics = forwarder("get_metrics", Model.get_metrics, "m", module=__name__,
                        check={"m": Model}, doc="""\
Mean metric per output since the last reset.

    Parameters
    ----------
    m : Model

    Returns
    -------
    list of float
    """)


def clamp(m, min, max):  # noqa: A002 - PyEDDL's names
    """Clamp every parameter of ``m`` to ``[min, max]``.

    Parameters
    ----------
    m : Model
    min, max : float
    """
    for l in _net(m, "clamp").layers:
        for p in l.params:
            l.be.xp.clip(p, min, max, out=p)


def getOut(net):
    """Return the output layers of ``net``.

    Parameters
    ----------
    net : Model

    Returns
    -------
    list of Layer
    """
    return list(_net(net, "getOut").lout)


def _live(l, attr, what):
    a = getattr(_layer(l, what), attr)
    plan = getattr(l.net, "memory_plan", None)
    if attr == "output" and plan is not None and plan.planned(l):
        raise RuntimeError(f"{what}: the output of layer {l.name!r} shares its buffer with other "
                           f"layers (inference memory plan); keep it readable with "
                           f"keep=[{l.name!r}]")
    if a is None:
        raise RuntimeError(f"{what}: layer {l.name!r} has no {attr} yet (build and run the model first)")
    return as_tensor(a, l.be)


def getOutput(l):
    """Live Tensor of the layer's output for the current batch.

    Parameters
    ----------
    l : Layer

    Returns
    -------
    Tensor
    """
    return _live(l, "output", "getOutput")


def getInput(l):
    """Live Tensor of the layer's (first) input.

    Parameters
    ----------
    l : Layer

    Returns
    -------
    Tensor
    """
    return getOutput(l.parents[0]) if l.parents else getOutput(l)


def getDelta(l):
    """Live Tensor of the gradient of the loss with respect to the layer's output.

    Parameters
    ----------
    l : Layer

    Returns
    -------
    Tensor
    """
    return _live(l, "delta", "getDelta")


def _live_list(l, attr, what):
    # live Tensors over every array of the list ``l.<attr>`` (params, gradients, states)
    l = _layer(l, what)
    return [as_tensor(a, l.be) for a in getattr(l, attr)]


def _index(l, p, what):
    _layer(l, what)
    if not l.params:
        raise RuntimeError(f"{what}: layer {l.name!r} has no parameters (or the model is not built)")
    if not -len(l.params) <= p < len(l.params):
        raise IndexError(f"{what}: layer {l.name!r} has {len(l.params)} parameters, index {p}")
    return p


def getParam(l, p):
    """Live Tensor of parameter ``p`` of layer ``l``.

    Parameters
    ----------
    l : Layer
    p : int

    Returns
    -------
    Tensor
    """
    return as_tensor(l.params[_index(l, p, "getParam")], l.be)


def getGradient(l, p):
    """Live Tensor of the gradient of parameter ``p``.

    Parameters
    ----------
    l : Layer
    p : int

    Returns
    -------
    Tensor
    """
    return as_tensor(l.gradients[_index(l, p, "getGradient")], l.be)


def getParams(l):
    """Live Tensors of all parameters of ``l``.

    Parameters
    ----------
    l : Layer

    Returns
    -------
    list of Tensor
    """
    return _live_list(l, "params", "getParams")


def getGradients(l):
    """Live Tensors of all gradients of ``l``.

    Parameters
    ----------
    l : Layer

    Returns
    -------
    list of Tensor
    """
    return _live_list(l, "gradients", "getGradients")


def _copy(src, dst, what):
    if src.shape != dst.shape:
        raise ValueError(f"{what}: shapes differ ({list(src.shape)} vs {list(dst.shape)})")
    dst[...] = src


def copyOutput(l1, l2):
    """Copy the output of ``l1`` into that of ``l2``.

    Parameters
    ----------
    l1, l2 : Layer
    """
    _copy(l1.output, l2.output, "copyOutput")


def copyDelta(l1, l2):
    """Copy the delta of ``l1`` into that of ``l2``.

    Parameters
    ----------
    l1, l2 : Layer
    """
    _copy(l1.delta, l2.delta, "copyDelta")


def copyParam(l1, l2, p=-1):
    """Copy parameter ``p`` of ``l1`` into ``l2`` (e.g. between two nets).

    With ``p=-1`` all parameters and states (BatchNormalization's moving statistics) are
    copied.

    Parameters
    ----------
    l1, l2 : Layer
    p : int
    """
    if len(l1.params) != len(l2.params) or len(l1.states) != len(l2.states):
        raise ValueError(f"copyParam: {l1.name!r} has {len(l1.params)} parameters and "
                         f"{len(l1.states)} states, {l2.name!r} has {len(l2.params)} and "
                         f"{len(l2.states)}")
    if p != -1:
        i = _index(l1, p, "copyParam")
        _copy(l1.params[i], l2.params[i], f"copyParam {l1.name}->{l2.name} #{i}")
        return
    pairs = list(zip(l1.params + l1.states, l2.params + l2.states))
    for i, (a, b) in enumerate(pairs):
        if a.shape != b.shape:
            raise ValueError(f"copyParam {l1.name}->{l2.name} #{i}: shapes differ "
                             f"({list(a.shape)} vs {list(b.shape)})")
    for a, b in pairs:
        b[...] = a


def getState(l, p):
    """Return state ``p`` of layer ``l`` (live).

    For example BatchNormalization's moving mean (0) or variance (1).

    Parameters
    ----------
    l : Layer
    p : int

    Returns
    -------
    Tensor
    """
    l = _layer(l, "getState")
    if not -len(l.states) <= p < len(l.states):
        raise IndexError(f"getState: layer {l.name!r} has {len(l.states)} states, index {p}")
    return as_tensor(l.states[p], l.be)


def getStates(l):
    """All states of layer ``l`` (live references; empty for layers without states).

    Parameters
    ----------
    l : Layer

    Returns
    -------
    list of Tensor
    """
    return _live_list(l, "states", "getStates")


def copyGradient(l1, l2, p):
    """Copy the gradient of parameter ``p`` of ``l1`` into ``l2``.

    Parameters
    ----------
    l1, l2 : Layer
    p : int
    """
    i = _index(l1, p, "copyGradient")
    _copy(l1.gradients[i], l2.gradients[i], "copyGradient")


def get_parameters(net, deepcopy=False):
    """Return, per layer, the list of its parameter Tensors followed by its states.

    For BatchNormalization: ``bn_g, bn_b, mean, variance`` (EDDL's order).

    Parameters
    ----------
    net : Model
    deepcopy : bool
        Copies instead of live references.

    Returns
    -------
    list of list of Tensor
    """
    return [[as_tensor(p, net.be) for p in ps] for ps in _net(net, "get_parameters").get_parameters(deepcopy)]


set_parameters = forwarder("set_parameters", Model.set_parameters, "net, params", module=__name__,
                           check={"net": Model}, doc="""\
Copy per-layer lists of Tensors/arrays into the weights of ``net``.

    Each layer's list holds its parameters, optionally followed by its states.

    Parameters
    ----------
    net : Model
    params : list of list of Tensor
    """)


getLayer = forwarder("getLayer", Model.get_layer, "net, name", module=__name__,
                     check={"net": Model}, doc="""\
The layer of ``net`` called ``name``.

    Parameters
    ----------
    net : Model
    name : str

    Returns
    -------
    Layer
    """)


removeLayer = forwarder("removeLayer", Model.remove_layer, "net, name", module=__name__,
                        check={"net": Model}, doc="""\
Remove the layer called ``name`` from ``net`` (EDDL's ``Net::removeLayer``).

    Used to cut the classifier head of a pretrained net: remove the trailing layers (the last
    one first), connect a new head to the layer that is now last, and build a new ``Model``.

    Parameters
    ----------
    net : Model
    name : str

    Examples
    --------
    >>> import warnings, eddl
    >>> x = eddl.Input([8], name="input")
    >>> top = eddl.Dense(x, 4, name="top")
    >>> net = eddl.Model([x], [eddl.Softmax(eddl.Dense(top, 3, name="head"), name="out")])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")      # "out" was an output: EDDL warns too
    ...     eddl.removeLayer(net, "out")
    >>> eddl.removeLayer(net, "head")
    >>> [l.name for l in net.layers]
    ['input', 'top']
    >>> new = eddl.Model([eddl.getLayer(net, "input")],
    ...                  [eddl.Softmax(eddl.Dense(eddl.getLayer(net, "top"), 5))])
    >>> len(new.layers)
    4
    """)


setTrainable = forwarder("setTrainable", Model.set_trainable, "net, lanme, val", module=__name__,
                         check={"net": Model}, doc="""\
Freeze (False) or unfreeze (True) the layer called ``lanme`` (PyEDDL's spelling).

    Parameters
    ----------
    net : Model
    lanme : str
    val : bool
    """)


def freeze(net, names=None):
    """Freeze the named layers (all when None).

    Parameters
    ----------
    net : Model
    names : list of str, optional
    """
    for l in net.layers if names is None else [net.get_layer(n) for n in names]:
        net.set_trainable(l.name, False)


def unfreeze(net, names=None):
    """Unfreeze the named layers (all when None).

    Parameters
    ----------
    net : Model
    names : list of str, optional
    """
    for l in net.layers if names is None else [net.get_layer(n) for n in names]:
        net.set_trainable(l.name, True)


def setName(m, name):
    """Rename the model.

    Parameters
    ----------
    m : Model
    name : str
    """
    _net(m, "setName").name = str(name)


def setlogfile(net, fname):
    """Append the epoch lines of ``fit``/``evaluate`` to ``fname``.

    Parameters
    ----------
    net : Model
    fname : str
    """
    _net(net, "setlogfile").logfile = fname


def initializeLayer(net, name):
    """Re-run the initializers of the layer called ``name``.

    Parameters
    ----------
    net : Model
    name : str
    """
    net._require_built("initializeLayer")
    net._init_layer(net.get_layer(name))


def detach(l):
    """Stop gradients from flowing back through ``l`` (a layer or a list); returns it.

    Parameters
    ----------
    l : Layer or list of Layer

    Returns
    -------
    Layer or list of Layer
    """
    if isinstance(l, (list, tuple)):
        return [detach(x) for x in l]
    _layer(l, "detach").detached = True
    if l.net is not None and l.net.isbuild:
        l.net._plan()
    return l
