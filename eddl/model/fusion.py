"""The HLSinf partition of a model: which layer chains one fused FPGA kernel runs.

EDDL's ``toFPGA`` (src/apis/fpga.cpp) walks the layer list and replaces each chain matching one
of its patterns with a fused HLSinf layer; every other layer stays on the CPU. :func:`partition`
finds the same chains in a model's graph, checking on top of EDDL that the chain is a real path
(each layer feeds only the next one), and says why each other layer stays on the CPU.

Patterns, longest first (EDDL's precedence): Conv+Softplus+Tanh+Mult(+Add),
Conv+ReLU+BN+Add(+UpSampling), Conv+ReLU+BN, Conv+ReLU+MaxPool(+BN), Conv+ReLU,
Conv+LeakyReLU, Conv+MaxPool, Conv+Add, Conv+BN, Conv. EDDL fuses no average pooling and no
BN followed by ReLU (so a Conv+BN+ReLU block fuses as Conv+BN with the ReLU on the CPU).
"""

from dataclasses import dataclass, field

import numpy as np

from ..backend.fpga.emulator import Chain
from ..backend.fpga.kernels import kernel_config
from ..layers.activations import Activation
from ..layers.conv import Conv
from ..layers.core import Input
from ..layers.merge import Add, Mult
from ..layers.normalization import BatchNormalization
from ..layers.pool import MaxPool
from ..layers.upsampling import UpSampling2D

__all__ = ["PATTERNS", "FusedGroup", "Partition", "partition", "chain_of"]

#: the fused chains of EDDL's toFPGA, longest first within each start
PATTERNS = (
    ("conv", "softplus", "tanh", "mult", "add"),
    ("conv", "relu", "bn", "add", "upsampling"),
    ("conv", "relu", "maxpool", "bn"),
    ("conv", "softplus", "tanh", "mult"),
    ("conv", "relu", "bn", "add"),
    ("conv", "relu", "bn"),
    ("conv", "relu", "maxpool"),
    ("conv", "relu"),
    ("conv", "leaky_relu"),
    ("conv", "maxpool"),
    ("conv", "add"),
    ("conv", "bn"),
    ("conv",),
)


@dataclass
class FusedGroup:
    """One fused HLSinf launch: the matched ``pattern`` and its ``layers`` in order.

    ``residual`` is the other input of an Add in the chain (None without one).
    """

    pattern: tuple
    layers: list
    residual: object = None

    @property
    def name(self):
        """The pattern joined by ``+``, e.g. ``"conv+relu+maxpool"``."""
        return "+".join(self.pattern)


@dataclass
class Partition:
    """The partition of a model for one HLSinf build.

    Attributes
    ----------
    config : KernelConfig
    groups : list of FusedGroup
        In the model's topological order.
    cpu : dict
        Layer name -> why that layer stays on the CPU.
    transfers : list of (str, str, int)
        ``(direction, tensor, values per sample)`` for each host-to-device (``"to_fpga"``) or
        device-to-host (``"to_cpu"``) copy an inference needs.
    """

    config: object
    groups: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    transfers: list = field(default_factory=list)

    def group_of(self, layer):
        """Return the :class:`FusedGroup` holding ``layer``, or None."""
        for g in self.groups:
            if layer in g.layers:
                return g
        return None

    def counts(self):
        """Return the number of groups per pattern name, e.g. ``{"conv+relu": 8}``."""
        out = {}
        for g in self.groups:
            out[g.name] = out.get(g.name, 0) + 1
        return out

    def summary(self):
        """Return a table of the fused groups, the CPU layers with their reasons and the transfers."""
        c = self.config
        lines = [f"HLSinf {c.version}.{c.subversion} ({c.input_format}, CPIxCPO {c.cpi}x{c.cpo}, "
                 f"{c.xclbin})", "fused on the FPGA:"]
        for g in self.groups:
            lines.append(f"  {g.name:<28} {', '.join(l.name for l in g.layers)}")
        lines.append("on the CPU:")
        for name, why in self.cpu.items():
            lines.append(f"  {name:<28} {why}")
        up = sum(n for d, _, n in self.transfers if d == "to_fpga")
        down = sum(n for d, _, n in self.transfers if d == "to_cpu")
        lines.append(f"transfers per sample: {sum(d == 'to_fpga' for d, _, _ in self.transfers)} "
                     f"to the FPGA ({up} values), "
                     f"{sum(d == 'to_cpu' for d, _, _ in self.transfers)} back ({down} values)")
        return "\n".join(lines)


def _conv_reason(layer, config):
    """Why HLSinf cannot run convolution ``layer`` (None when it can)."""
    if layer.transposed or layer.nsp != 2:
        return f"{type(layer).__name__}: HLSinf runs 2-D convolutions only"
    if max(layer.kernel_size) > 3:
        return f"kernel {list(layer.kernel_size)}: HLSinf takes kernels up to 3x3"
    if max(layer.strides) > 2:
        return f"strides {list(layer.strides)}: HLSinf takes strides 1 and 2"
    if layer.groups != 1 or max(layer.dilation_rate) != 1:
        return "grouped or dilated convolution: HLSinf has neither"
    if layer.parents[0].shape[2] > config.wo_max:
        return f"input width {layer.parents[0].shape[2]} exceeds HLSinf's {config.wo_max}"
    return None


def _token(layer):
    """Return the pattern token of ``layer`` (None for a layer no pattern names)."""
    if isinstance(layer, Conv):
        return "conv"
    if isinstance(layer, Activation) and layer.activation in ("relu", "leaky_relu", "softplus",
                                                              "tanh"):
        return layer.activation
    if isinstance(layer, MaxPool) and layer.nsp == 2 and not getattr(layer, "is_global", False):
        if (tuple(layer.pool_size), tuple(layer.strides)) == ((2, 2), (2, 2)) and \
                layer.pads == ((0, 0), (0, 0)) and not layer.ceil_mode:
            return "maxpool"
        return None
    if isinstance(layer, BatchNormalization) and len(layer.shape) == 3:
        return "bn"
    if type(layer) is Add and len(layer.parents) == 2:
        return "add"
    if type(layer) is Mult and len(layer.parents) == 2:
        return "mult"
    if isinstance(layer, UpSampling2D) and tuple(layer._size) == (2, 2) and layer.interp == "nearest":
        return "upsampling"
    return None


def _match(start, pattern, outputs):
    """Layers of ``pattern`` along the only path from ``start``, or None."""
    chain, layer = [start], start
    for tok in pattern[1:]:
        if len(layer.children) != 1 or layer in outputs:
            return None  # an intermediate output needed elsewhere cannot stay inside the kernel
        nxt = layer.children[0]
        if _token(nxt) != tok or (tok != "add" and tok != "mult" and nxt.parents != [layer]):
            return None
        if tok in ("add", "mult") and nxt.parents.count(layer) != 1:
            return None
        chain.append(nxt)
        layer = nxt
    return chain


def partition(net, version=1, subversion=0):
    """Partition ``net`` into fused HLSinf chains and CPU layers, as EDDL's ``toFPGA`` would.

    Parameters
    ----------
    net : Model
        Built or not; only its graph and shapes are read.
    version, subversion : int
        The HLSinf build (:data:`eddl.backend.fpga.kernels.KERNELS`).

    Returns
    -------
    Partition

    Examples
    --------
    >>> import eddl
    >>> from eddl.model.fusion import partition
    >>> x = eddl.Input([3, 16, 16])
    >>> y = eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 8, [3, 3])), [2, 2])
    >>> partition(eddl.Model([x], [y])).counts()
    {'conv+relu+maxpool': 1}
    """
    config = kernel_config(version, subversion)
    out = Partition(config)
    outputs = set(net.lout)
    taken = set()
    for layer in net.layers:
        if layer in taken:
            continue
        if isinstance(layer, Conv):
            why = _conv_reason(layer, config)
            if why is None:
                for pattern in PATTERNS:
                    chain = _match(layer, pattern, outputs)
                    if chain is not None:
                        res = None
                        for prev, l in zip(chain, chain[1:]):
                            if _token(l) in ("add", "mult"):
                                other = [p for p in l.parents if p is not prev]
                                res = other[0] if _token(l) == "add" else res
                        out.groups.append(FusedGroup(pattern, chain, res))
                        taken.update(chain)
                        break
                continue
            out.cpu[layer.name] = why
        elif isinstance(layer, Input):
            out.cpu[layer.name] = "input"
        else:
            out.cpu[layer.name] = _stage_reason(layer, out)
    out.transfers = _transfers(out, outputs)
    return out


def _stage_reason(layer, part):
    """Why a layer that is no convolution stays on the CPU."""
    kind, tok = type(layer).__name__, _token(layer)
    if tok is None:
        return f"{kind}: not a stage HLSinf fuses"
    prev = layer.parents[0]
    g = part.group_of(prev)
    if g is not None:
        return f"{kind} after the fused {g.name}: no pattern of EDDL's toFPGA continues with {tok}"
    return f"{kind}: HLSinf fuses it only inside a chain starting at a convolution it runs"


def _transfers(part, outputs):
    """Host<->device copies: a group's inputs made on the CPU, and its outputs the CPU reads."""
    where = {}
    for g in part.groups:
        for l in g.layers:
            where[l] = g
    moves = []
    for g in part.groups:
        for src in [g.layers[0].parents[0]] + ([g.residual] if g.residual is not None else []):
            if where.get(src) is None:
                moves.append(("to_fpga", src.name, int(np.prod(src.shape))))
        last = g.layers[-1]
        if last in outputs or any(where.get(c) is not g and where.get(c) is None
                                  for c in last.children):
            moves.append(("to_cpu", last.name, int(np.prod(last.shape))))
    return moves


def _host(layer, a):
    return np.asarray(layer.be.to_host(a), np.float64) if layer.be is not None else np.asarray(a)


def chain_of(group):
    """Return the emulator :class:`~eddl.backend.fpga.emulator.Chain` of a group of a built model.

    BatchNormalization stages use the running statistics (inference), as the kernel does.
    """
    conv, stages, kw = group.layers[0], [], {}
    if conv.be is None:
        raise ValueError(f"chain_of: build the model first (layer {conv.name!r} has no weights)")
    names = {"relu": "relu", "leaky_relu": "leaky_relu", "maxpool": "maxpool", "bn": "bn",
             "add": "add", "upsampling": "upsize"}
    for l in group.layers[1:]:
        tok = _token(l)
        if tok not in names:
            raise ValueError(f"chain_of: the emulator has no {tok!r} stage (group {group.name})")
        stages.append(names[tok])
        if tok == "leaky_relu":
            kw["alpha"] = float(l.p["alpha"])
        if tok == "bn":
            mean, var = (_host(l, s) for s in l.states)
            g, b = ((_host(l, p) for p in l.params) if l.affine
                    else (np.ones_like(mean), np.zeros_like(mean)))
            scale = g / np.sqrt(var + l.epsilon)
            kw["bn_scale"], kw["bn_shift"] = scale, b - mean * scale
    bias = _host(conv, conv.params[1]) if conv.use_bias else None
    return Chain(_host(conv, conv.params[0]), bias, conv.strides, conv.pads, tuple(stages), **kw)
