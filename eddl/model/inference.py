"""``eddl.optimize_for_inference``: a model rewritten for fast, lean inference.

The pass walks the layers in execution order and makes a new model:

- each chain ``Conv [-> BatchNormalization] [-> Add] [-> ReLU / LeakyReLU]`` (or the same
  after a Dense layer on 1-D samples, :class:`eddl.layers.fused.FusedDense`, or starting at a
  BatchNormalization that follows no such layer, :class:`eddl.layers.fused.FusedAffine`) whose inner
  outputs nothing else reads becomes one :class:`eddl.layers.fused.FusedConv`, named after
  the chain's last layer (so outputs and kept layers keep their names): the
  normalization (its running statistics, as in inference) is folded into the filters and the
  bias, and the bias, the residual sum and the activation are applied in one pass over the
  convolution's output instead of one pass each;
- dropout (inverted) and Gaussian noise, the identity at inference, are removed;
- every other layer is copied with its weights;
- the new model shares its activation buffers (:meth:`eddl.model.Model.plan_memory`): a
  forward pass holds a few of them at a time instead of one per layer.

The outputs equal the original model's in inference mode within float32 rounding (folding
reorders the arithmetic of the normalization).
"""

import numpy as np

from ..compserv import CS_CPU
from ..layers.activations import Activation
from ..layers.base import TSMODE
from ..layers.conv import Conv
from ..layers.core import Dense, Dropout
from ..layers.fused import FusedAffine, FusedConv, FusedDense
from ..layers.merge import Add
from ..layers.noise import GaussianNoise
from ..layers.normalization import BatchNormalization
from .model import Model
from .rewrite import copy_layer, host_arrays

__all__ = ["optimize_for_inference", "fusion_chains"]

_WHAT = "optimize_for_inference"
#: activations a fused epilogue applies (:data:`eddl.backend.cpu.conv.EPILOGUE_ACTIVATIONS`)
_FUSED_ACTIVATIONS = ("relu", "leaky_relu")


class _Chain:
    """A convolution, Dense or normalization layer and the layers after it that one fused layer computes."""

    def __init__(self, head):
        self.conv, self.bn, self.add, self.residual, self.act = head, None, None, None, None
        self.layers = [head]

    @property
    def last(self):
        return self.layers[-1]


def _identity(layer):
    return (isinstance(layer, Dropout) and layer.iw) or isinstance(layer, GaussianNoise)


def fusion_chains(net, keep=()):
    """Return the chains :func:`optimize_for_inference` fuses, as lists of layer names.

    Parameters
    ----------
    net : Model
    keep : list of str
        Layers whose outputs must stay readable (a chain never hides them).

    Returns
    -------
    list of list of str
    """
    return [[l.name for l in c.layers] for c in _chains(net, _protected(net, keep))]


def _protected(net, keep):
    names = set()
    for k in keep:
        name = k if isinstance(k, str) else getattr(k, "name", None)
        net.get_layer(name)  # a KeyError naming the layers for an unknown one
        names.add(name)
    return {l for l in net.layers if l.name in names} | set(net.lout)


def _head(layer):
    """Whether a fused chain can start at ``layer``."""
    if isinstance(layer, (FusedConv, FusedDense, FusedAffine)):
        return False
    if isinstance(layer, BatchNormalization):
        # one not after a fusable layer (pre-activation blocks: BN -> ReLU -> Conv)
        return bool(layer.states)
    if isinstance(layer, Dense):
        # the epilogue's channels are axis 1: Dense layers on 1-D samples only
        return type(layer) is Dense and len(layer.parents[0].shape) == 1
    return isinstance(layer, Conv) and not layer.transposed


def _chains(net, protected):
    members = set(net.layers)
    claimed = set()

    def sole_child(layer):
        if layer in protected:
            return None
        kids = [c for c in layer.children if c in members]
        return kids[0] if len(kids) == 1 and kids[0] not in claimed else None

    chains = []
    for l in net.layers:
        if not _head(l) or l in claimed:
            continue
        ch = _Chain(l)
        nxt = sole_child(l)
        if isinstance(nxt, BatchNormalization) and nxt.states and not isinstance(l, BatchNormalization):
            ch.bn = nxt
            ch.layers.append(nxt)
            nxt = sole_child(nxt)
        if (isinstance(nxt, Add) and type(nxt) is Add and len(nxt.parents) == 2
                and nxt.parents.count(ch.last) == 1):
            other = nxt.parents[1 - nxt.parents.index(ch.last)]
            if tuple(other.shape) == tuple(nxt.shape) == tuple(ch.last.shape):
                ch.add, ch.residual = nxt, other
                ch.layers.append(nxt)
                nxt = sole_child(nxt)
        if isinstance(nxt, Activation) and nxt.activation in _FUSED_ACTIVATIONS:
            ch.act = nxt
            ch.layers.append(nxt)
        if len(ch.layers) > 1:
            claimed.update(ch.layers)
            chains.append(ch)
    return chains


def _bn_affine(bn):
    """Return the per-channel ``scale`` and ``shift`` of ``bn`` at inference (float64)."""
    mean, var = (np.asarray(a, np.float64) for a in host_arrays(bn, bn.states))
    scale = 1.0 / np.sqrt(var + bn.epsilon)
    shift = -mean * scale
    if bn.affine:
        gamma, beta = (np.asarray(a, np.float64) for a in host_arrays(bn, bn.params))
        scale, shift = scale * gamma, shift * gamma + beta
    return scale, shift


def _folded(chain, dtype):
    """Return the chain's weights and bias with its batch normalization folded in (float64 maths)."""
    conv = chain.conv
    dense = isinstance(conv, Dense)
    w = np.asarray(host_arrays(conv, conv.params[:1])[0], np.float64)
    units = w.shape[1] if dense else w.shape[0]
    b = (np.asarray(host_arrays(conv, conv.params[1:2])[0], np.float64) if conv.use_bias
         else np.zeros(units))
    bn = chain.bn
    if bn is not None:
        scale, shift = _bn_affine(bn)
        w = w * (scale if dense else scale.reshape((-1,) + (1,) * (w.ndim - 1)))
        b = b * scale + shift
    return w.astype(dtype), b.astype(dtype)


def _fused_layer(chain, parents, dtype):
    conv = chain.conv
    act = chain.act.activation if chain.act is not None else "none"
    alpha = chain.act.p.get("alpha", 0.0) if chain.act is not None else 0.0
    residual = chain.residual is not None
    if isinstance(conv, BatchNormalization):
        layer = FusedAffine(parents, residual, act, alpha, name=chain.last.name)
        layer.preset_weights([a.astype(dtype) for a in _bn_affine(conv)])
        return layer
    if isinstance(conv, Dense):
        layer = FusedDense(parents, conv.units, True, residual, act, alpha, name=chain.last.name)
        layer.preset_weights(list(_folded(chain, dtype)))
        return layer
    layer = FusedConv(parents, conv.filters, list(conv.kernel_size), list(conv.strides),
                      [v for p in conv.pads for v in p], conv.groups, list(conv.dilation_rate),
                      residual=residual, activation=act, alpha=alpha,
                      name=chain.last.name)
    layer.preset_weights(list(_folded(chain, dtype)))
    return layer


def optimize_for_inference(net, keep=(), cs=None, memory_plan=True):
    """Return a copy of ``net`` rewritten for inference: fused, folded and lean in memory.

    Convolutions and Dense layers absorb the batch normalization, residual sum and
    ReLU/LeakyReLU after them (:mod:`eddl.layers.fused`), dropout and noise layers are dropped, and the
    activation buffers are shared between layers (:meth:`eddl.model.Model.plan_memory`).
    Weights are copied when the call is made: retrain or change ``net`` and call it again. The
    new model predicts the same outputs within float32 rounding; it does not train.

    Parameters
    ----------
    net : Model
        Built, or imported from ONNX (weights present).
    keep : list of str
        Inner layers whose outputs must stay readable with :func:`eddl.getOutput`; they are
        neither fused away nor share their buffer.
    cs : CompServ, optional
        Computing service of the new model; the one ``net`` was built with by default
        (``CS_CPU()`` for an unbuilt imported model).
    memory_plan : bool
        Share activation buffers (the default). False keeps one buffer per layer.

    Returns
    -------
    Model
        Built, in inference mode, with the outputs of ``net`` in the same order.

    Raises
    ------
    ValueError
        When ``net`` has no weights yet; ``KeyError`` for an unknown name in ``keep``.

    Examples
    --------
    >>> import numpy as np
    >>> import eddl
    >>> x = eddl.Input([3, 16, 16])
    >>> h = eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 8, [3, 3], use_bias=False)))
    >>> y = eddl.Softmax(eddl.Dense(eddl.Flatten(eddl.MaxPool2D(h, [2, 2])), 10))
    >>> net = eddl.build(eddl.Model([x], [y]), cs=eddl.CS_CPU())
    >>> fast = eddl.optimize_for_inference(net)
    >>> [type(l).__name__ for l in fast.layers]
    ['Input', 'FusedConv', 'MaxPool', 'Flatten', 'Dense', 'Activation']
    >>> xs = np.random.default_rng(0).random((4, 3, 16, 16), dtype=np.float32)
    >>> bool(np.allclose(eddl.predict(fast, [xs])[0], eddl.predict(net, [xs])[0], atol=1e-6))
    True
    """
    for l in net.layers:
        if l.param_specs() and not l.params:
            raise ValueError(f"{_WHAT}: {type(l).__name__} layer {l.name!r} has no weights; build "
                             "the model (or import it from ONNX) first")
    protected = _protected(net, keep)
    dtype = np.dtype(net.dtype or "float32")
    chains = _chains(net, protected)
    last = {c.last: c for c in chains}
    inner = {l for c in chains for l in c.layers[:-1]}
    new = {}
    for l in net.layers:
        if l in inner:
            continue  # inside a chain: nothing outside it reads it
        if l in last:
            c = last[l]
            parents = [new[c.conv.parents[0]]] + ([new[c.residual]] if c.residual is not None else [])
            new[l] = _fused_layer(c, parents, dtype)
        elif _identity(l) and l not in protected:
            new[l] = new[l.parents[0]]
        else:
            new[l] = copy_layer(l, [new[p] for p in l.parents], _WHAT)
    out = Model([new[l] for l in net.lin], [new[l] for l in net.lout], name=f"{net.name}_inference")
    out.build(cs=cs if cs is not None else (net.cs if net.cs is not None else CS_CPU()),
              init_weights=False, dtype=str(dtype))
    for l in out.layers:
        l.trainable = False
    out._plan()
    out.set_mode(TSMODE)
    if memory_plan:
        out.plan_memory([new[l].name for l in protected if l not in net.lout])
    return out
