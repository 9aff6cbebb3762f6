"""The HLSinf partition of a model: which layer chains one fused FPGA kernel runs.

EDDL's ``toFPGA`` (src/apis/fpga.cpp) walks the layer list and replaces each chain matching one
of its patterns with a fused HLSinf layer; every other layer stays on the CPU. :func:`partition`
finds the same chains in a model's graph, checking on top of EDDL that the chain is a real path
(each layer feeds only the next one), and says why each other layer stays on the CPU.

The patterns are the rows of :data:`PATTERNS`, tried in order at each layer that can start one
(a convolution, a zero Pad before one, a Dense layer): EDDL's precedence, longest first. EDDL
fuses no average pooling and no BN followed by ReLU (so a Conv+BN+ReLU block fuses as Conv+BN
with the ReLU on the CPU).
"""

from dataclasses import dataclass, field

import numpy as np

from ..backend.fpga.emulator import Chain
from ..backend.fpga.kernels import kernel_config
from ..backend.fpga.layout import padded
from ..layers.activations import Activation
from ..layers.conv import Conv
from ..layers.core import Dense, Input
from ..layers.merge import Add, Mult
from ..layers.normalization import BatchNormalization
from ..layers.operators import Clamp, Scalar
from ..layers.pool import MaxPool
from ..layers.upsampling import Pad, UpSampling2D

__all__ = ["PATTERNS", "FusedGroup", "Partition", "partition", "chain_of"]

#: EDDL's fused chains as ``(tokens, needs)``, in the order they are tried; ``needs`` is the
#: build feature the chain requires: ``"shift"`` (the 8-bit builds' shift and clip units),
#: ``"dense"`` (builds 1.1, 1.3, 1.5) or None. Tokens: ``mul``/``div`` are a multiplication
#: or division by a constant power of two, ``mult`` the product of the Mish-like activation
#: (its other factor is the convolution's output).
PATTERNS = (
    (("conv", "mul", "clamp", "relu", "maxpool"), "shift"),
    (("conv", "div", "clamp", "relu", "maxpool"), "shift"),
    (("conv", "mul", "clamp", "relu"), "shift"),
    (("conv", "div", "clamp", "relu"), "shift"),
    (("conv", "softplus", "tanh", "mult", "add"), None),
    (("conv", "relu", "bn", "add", "upsampling"), None),
    (("conv", "relu", "maxpool", "bn"), None),
    (("conv", "softplus", "tanh", "mult"), None),
    (("conv", "relu", "bn", "add"), None),
    (("conv", "relu", "bn"), None),
    (("conv", "relu", "maxpool"), None),
    (("conv", "mul"), "shift"),
    (("conv", "div"), "shift"),
    (("conv", "relu"), None),
    (("conv", "leaky_relu"), None),
    (("conv", "maxpool"), None),
    (("conv", "add"), None),
    (("conv", "bn"), None),
    (("conv",), None),
    (("pad", "conv", "relu", "maxpool"), None),
    (("pad", "conv", "relu"), None),
    (("pad", "conv", "maxpool"), None),
    (("pad", "conv", "leaky_relu"), None),
    (("pad", "conv", "bn"), None),
    (("pad", "conv"), None),
    (("dense", "div", "clamp", "relu"), "dense"),
    (("dense", "div", "clamp"), "dense"),
    (("dense", "relu"), "dense"),
    (("dense",), "dense"),
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

    @property
    def input(self):
        """The layer whose output the chain reads (the parent of its first layer)."""
        return self.layers[0].parents[0]

    @property
    def core(self):
        """The convolution or Dense layer of the chain (its weights)."""
        return self.layers[self.pattern.index("pad") + 1 if "pad" in self.pattern else 0]


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
        ``(direction, tensor, bytes per sample)`` for each host-to-device (``"to_fpga"``) or
        device-to-host (``"to_cpu"``) copy an inference needs, in the build's activation format
        with the channels padded to CPI/CPO as the buffers hold them.
    weight_bytes : int
        Bytes of filters, biases and BN values sent to the card once.
    layers : list of Layer
        The partitioned model's layers in topological order.
    """

    config: object
    groups: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    transfers: list = field(default_factory=list)
    weight_bytes: int = 0
    layers: list = field(default_factory=list, repr=False)

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

    def transfer_bytes(self):
        """Return ``(to_fpga, to_cpu)``: bytes per sample copied each way by one inference."""
        return (sum(n for d, _, n in self.transfers if d == "to_fpga"),
                sum(n for d, _, n in self.transfers if d == "to_cpu"))

    def summary(self, names=None):
        """Return a table of the fused groups, the CPU layers with their reasons and the transfers.

        Parameters
        ----------
        names : list of str, optional
            One name per group (the fused layers of :func:`eddl.toFPGA`), shown before the
            layers each one replaces.
        """
        c = self.config
        lines = [f"HLSinf {c.version}.{c.subversion} ({c.input_format}, CPIxCPO {c.cpi}x{c.cpo}, "
                 f"{c.xclbin})", f"fused on the FPGA ({len(self.groups)} chains):"]
        for k, g in enumerate(self.groups):
            who = f"{names[k]} = " if names else ""
            lines.append(f"  {g.name:<28} {who}{', '.join(l.name for l in g.layers)}")
        lines.append(f"on the CPU ({len(self.cpu)} layers):")
        for name, why in self.cpu.items():
            lines.append(f"  {name:<28} {why}")
        up, down = self.transfer_bytes()
        lines.append(f"host<->device per sample: {sum(d == 'to_fpga' for d, _, _ in self.transfers)} "
                     f"copies to the FPGA ({up:,} bytes), "
                     f"{sum(d == 'to_cpu' for d, _, _ in self.transfers)} back ({down:,} bytes); "
                     f"weights once: {self.weight_bytes:,} bytes")
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


def _shift_factor(layer):
    """Return the factor of a multiplication or division by a constant (None for other layers)."""
    if type(layer) is Scalar and layer.op in ("mul", "div"):
        return layer.k if layer.op == "mul" else 1.0 / layer.k
    return None


def _power_of_two(k):
    return k > 0 and float(np.log2(k)).is_integer()


def _token(layer):
    """Return the pattern token of ``layer`` (None for a layer no pattern names)."""
    if isinstance(layer, Conv):
        return "conv"
    if type(layer) is Dense and len(layer.shape) == 1:
        return "dense"
    if type(layer) is Pad and len(layer.shape) == 3 and layer.constant == 0:
        return "pad"
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
    k = _shift_factor(layer)
    if k is not None:
        return layer.op if _power_of_two(k) else None
    if type(layer) is Clamp:
        return "clamp"
    if isinstance(layer, UpSampling2D) and tuple(layer._size) == (2, 2) and layer.interp == "nearest":
        return "upsampling"
    return None


def _next(layer, tok, chain, taken):
    """Return the child of ``layer`` that continues ``chain`` with token ``tok``, or None."""
    found = [c for c in layer.children if _token(c) == tok and c not in taken]
    if len(found) != 1:
        return None
    nxt = found[0]
    if tok == "add":
        other = [p for p in nxt.parents if p is not layer]
        return nxt if len(other) == 1 and other[0] not in chain else None
    if tok == "mult":
        # the Mish-like unit multiplies by the convolution's own output
        conv = next(l for l in chain if _token(l) == "conv")
        return nxt if sorted(map(id, nxt.parents)) == sorted((id(layer), id(conv))) else None
    return nxt if nxt.parents == [layer] else None


def _match(start, pattern, outputs, taken):
    """Layers of ``pattern`` along the graph from ``start`` (none of them ``taken``), or None."""
    chain, layer = [start], start
    for tok in pattern[1:]:
        layer = _next(layer, tok, chain, taken)
        if layer is None:
            return None
        chain.append(layer)
    inside = set(map(id, chain))
    for l in chain[:-1]:
        # an intermediate value needed elsewhere cannot stay inside the kernel
        if l in outputs or any(id(c) not in inside for c in l.children):
            return None
    return chain


def _start_reason(layer, config):
    """Why ``layer`` cannot start a chain on this build (None when it can)."""
    tok = _token(layer)
    if tok == "conv":
        return _conv_reason(layer, config)
    if tok == "pad":
        conv = layer.children[0] if len(layer.children) == 1 else None
        if conv is None or _token(conv) != "conv":
            return "Pad: HLSinf fuses a zero Pad only into the one convolution it feeds"
        why = _conv_reason(conv, config)
        return None if why is None else f"Pad before a convolution HLSinf cannot run ({why})"
    if tok == "dense" and not config.dense:
        return (f"Dense: HLSinf {config.version}.{config.subversion} has no Dense support "
                "(builds 1.1, 1.3 and 1.5 have)")
    return None


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
    out = Partition(config, layers=list(net.layers))
    outputs = set(net.lout)
    taken = set()
    features = {None: True, "shift": config.shift, "dense": config.dense}
    for layer in net.layers:
        if layer in taken:
            continue
        tok = _token(layer)
        if tok in ("conv", "pad", "dense"):
            why = _start_reason(layer, config)
            if why is None:
                for pattern, needs in PATTERNS:
                    if pattern[0] != tok or not features[needs]:
                        continue
                    chain = _match(layer, pattern, outputs, taken)
                    if chain is not None:
                        res = next((p for l in chain if _token(l) == "add"
                                    for p in l.parents if p not in chain), None)
                        out.groups.append(FusedGroup(pattern, chain, res))
                        taken.update(chain)
                        break
                else:
                    why = f"{type(layer).__name__}: no pattern of EDDL's toFPGA starts here"
            if why is not None:
                out.cpu[layer.name] = why
        elif isinstance(layer, Input):
            out.cpu[layer.name] = "input"
        else:
            out.cpu[layer.name] = _stage_reason(layer, out)
    out.transfers = _transfers(out, outputs)
    out.weight_bytes = sum(_weight_bytes(g, config) for g in out.groups)
    return out


def _stage_reason(layer, part):
    """Why a layer that starts no chain stays on the CPU."""
    kind, tok = type(layer).__name__, _token(layer)
    k = _shift_factor(layer)
    if k is not None and tok is None:
        return f"{kind} by {k:g}: HLSinf's shift unit scales by powers of two only"
    if tok is None:
        return f"{kind}: not a stage HLSinf fuses"
    g = part.group_of(layer.parents[0]) if layer.parents else None
    if g is not None:
        return f"{kind} after the fused {g.name}: no pattern of EDDL's toFPGA continues with {tok}"
    if tok in ("mul", "div", "clamp") and not part.config.shift:
        return (f"{kind}: the shift and clip units are in the 8-bit builds only, not in "
                f"HLSinf {part.config.version}.{part.config.subversion}")
    return f"{kind}: HLSinf fuses it only inside a chain starting at a convolution it runs"


_BYTES = {"FP32": 4, "APUI8": 1, "API8": 1, "API32": 4}


def _activation_bytes(layer, config):
    """Bytes of one sample of ``layer``'s output in the card's GHWC buffer."""
    shape = layer.shape
    return padded(shape[0], config.cpi) * int(np.prod(shape[1:])) * _BYTES[config.input_format]


def _weight_bytes(group, config):
    core = group.core
    w = core.param_specs()[0][1]
    f, c = (w[1], w[0]) if _token(core) == "dense" else (w[0], w[1])
    taps = int(np.prod(w[2:])) if len(w) == 4 else 1
    fp, cp = padded(f, config.cpo), padded(c, config.cpi)
    bn = 16 * fp if "bn" in group.pattern and not config.fixed_point else 0
    return fp * cp * taps * _BYTES[config.filter_format] + fp * _BYTES[config.bias_format] + bn


def _transfers(part, outputs):
    """Host<->device copies: a group's inputs made on the CPU, and its outputs the CPU reads."""
    where = {}
    for g in part.groups:
        for l in g.layers:
            where[l] = g
    moves = []
    for g in part.groups:
        for src in [g.input] + ([g.residual] if g.residual is not None else []):
            if where.get(src) is None:
                moves.append(("to_fpga", src.name, _activation_bytes(src, part.config)))
        last = g.layers[-1]
        if last in outputs or any(where.get(c) is None for c in last.children):
            moves.append(("to_cpu", last.name, _activation_bytes(last, part.config)))
    return moves


def _host(layer, a):
    return np.asarray(layer.be.to_host(a), np.float64) if layer.be is not None else np.asarray(a)


def _bn_affine(l):
    """``(scale, shift)`` of a BatchNormalization layer with its inference statistics."""
    mean, var = (_host(l, s) for s in l.states)
    g, b = ((_host(l, p) for p in l.params) if l.affine
            else (np.ones_like(mean), np.zeros_like(mean)))
    scale = g / np.sqrt(var + l.epsilon)
    return scale, b - mean * scale


def chain_of(group):
    """Return the emulator :class:`~eddl.backend.fpga.emulator.Chain` of a group.

    The model must be built or hold imported weights. BatchNormalization stages use the running
    statistics (inference), as the kernel does; a Pad adds to the convolution's padding; a Dense
    layer becomes a 1x1 convolution of its ``in`` inputs as channels.
    """
    core, stages, kw = group.core, [], {}
    if not core.params:
        raise ValueError(f"chain_of: build the model or load its weights first (layer "
                         f"{core.name!r} has no weights)")
    for l in group.layers:
        tok = _token(l)
        if tok in ("conv", "dense", "pad", "softplus", "tanh"):
            continue  # the convolution itself; softplus and tanh go with their "mult"
        if tok in ("relu", "leaky_relu", "maxpool", "bn", "add", "clamp"):
            stages.append(tok)
        elif tok == "upsampling":
            stages.append("upsize")
        elif tok == "mult":
            stages.append("stm")
        elif tok in ("mul", "div"):
            stages.append("scale")
            kw["scale"] = _shift_factor(l)
        else:
            raise ValueError(f"chain_of: the emulator has no {tok!r} stage (group {group.name})")
        if tok == "leaky_relu":
            kw["alpha"] = float(l.p["alpha"])
        elif tok == "bn":
            kw["bn_scale"], kw["bn_shift"] = _bn_affine(l)
        elif tok == "clamp":
            kw["clip"] = (l.lo, l.hi)
    bias = _host(core, core.params[1]) if core.use_bias else None
    w = _host(core, core.params[0])
    if _token(core) == "dense":
        return Chain(w.T[:, :, None, None], bias, (1, 1), ((0, 0), (0, 0)), tuple(stages), **kw)
    pads = core.pads
    if group.pattern[0] == "pad":
        t, r, b, lf = group.layers[0].padding
        pads = ((pads[0][0] + t, pads[0][1] + b), (pads[1][0] + lf, pads[1][1] + r))
    return Chain(w, bias, core.strides, pads, tuple(stages), **kw)
