"""``eddl.toFPGA``: rewrite a model so that each HLSinf chain is one fused layer.

The graph pass follows EDDL's ``toFPGA`` (src/apis/fpga.cpp): the partition
(:func:`eddl.model.fusion.partition`) finds the chains the kernel fuses; each becomes one
:class:`eddl.layers.hlsinf.HLSinf` layer holding the chain's weights, every other layer is
copied with its weights, and the new model is built on an FPGA computing service. For the 8-bit
builds the scales of every chain are calibrated on sample inputs first
(:func:`eddl.model.fpga_inference.plan`).
"""

import numpy as np

from ..compserv import CS_FPGA, CompServ
from ..layers.hlsinf import HLSinf
from .fpga_inference import plan
from .fusion import _token, chain_of, partition
from .model import Model
from .rewrite import copy_layer, host_arrays

__all__ = ["toFPGA", "to_fpga"]


def _fused_layer(group, chain, parents, config, fracs):
    """Return the HLSinf layer computing ``group`` (its ``chain`` from :func:`chain_of`)."""
    core, dense = group.core, group.pattern[0] == "dense"
    bn = next((l for l in group.layers if _token(l) == "bn"), None)
    layer = HLSinf(parents, chain.weights.shape[0], list(chain.weights.shape[2:]),
                   list(chain.stride), [list(p) for p in chain.pads], list(chain.stages),
                   use_bias=chain.bias is not None, dense=dense, alpha=chain.alpha,
                   scale=chain.scale, clip=None if chain.clip is None else list(chain.clip),
                   epsilon=bn.epsilon if bn is not None else 1e-5, version=config.version,
                   subversion=config.subversion, fracs=fracs,
                   name=f"hlsinf_{core.name}")
    weights = [np.asarray(chain.weights, np.float32)]
    if chain.bias is not None:
        weights.append(np.asarray(chain.bias, np.float32))
    if bn is not None:
        mean, var = host_arrays(bn, bn.states)
        gamma, beta = (host_arrays(bn, bn.params) if bn.affine
                       else (np.ones_like(mean), np.zeros_like(mean)))
        weights.append(np.stack([beta, gamma, mean, var], axis=1).astype(np.float32))
    layer.preset_weights(weights)
    return layer


def toFPGA(net, version=1, subversion=0, cs=None, calibration=None, bs=100, headroom=1.0):
    """Return a copy of ``net`` in which every HLSinf chain is one fused layer.

    PyEDDL's ``toFPGA(net, version, subversion)``. The chains are those of
    :func:`eddl.model.fusion.partition` for the HLSinf build ``version.subversion``; each
    becomes an :class:`~eddl.layers.hlsinf.HLSinf` layer, every other layer is copied and
    stays on the CPU. Weights are copied, so the new model computes what ``net`` computes
    (within float32 rounding on the FP32 builds, within the fixed-point contract on the 8-bit
    ones). ``summary()`` of the new model reports the partition, and
    :func:`eddl.model.fpga_plot.plot_partition` draws it.

    Parameters
    ----------
    net : Model
        Built, or imported from ONNX (weights present).
    version, subversion : int
        The HLSinf build (:data:`eddl.backend.fpga.kernels.KERNELS`).
    cs : CompServ, optional
        The computing service of the new model; ``CS_FPGA([1])`` (a card through XRT) by
        default, ``CS_FPGA([1], emulate=True)`` for the emulator.
    calibration : list of arrays, optional
        Sample inputs choosing the fixed-point scales of the 8-bit builds (required there;
        ``net`` must then be built).
    bs, headroom
        Of the calibration run (:func:`eddl.model.fpga_inference.plan`).

    Returns
    -------
    Model
        Built on ``cs`` with the copied weights; ``fpga_partition`` holds the partition.

    Raises
    ------
    ValueError
        When ``net`` has no weights yet, or for an 8-bit build without calibration inputs.

    Examples
    --------
    >>> import numpy as np
    >>> import eddl
    >>> x = eddl.Input([3, 8, 8])
    >>> y = eddl.Dense(eddl.Flatten(eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), [2, 2])), 2)
    >>> net = eddl.build(eddl.Model([x], [y]), cs=eddl.CS_CPU())
    >>> fnet = eddl.toFPGA(net, 1, 0, cs=eddl.CS_FPGA([1], emulate=True))
    >>> [type(l).__name__ for l in fnet.layers]
    ['Input', 'HLSinf', 'Flatten', 'Dense']
    >>> xs = np.random.default_rng(0).random((2, 3, 8, 8), dtype=np.float32)
    >>> bool(np.allclose(eddl.predict(fnet, [xs])[0], eddl.predict(net, [xs])[0], atol=1e-5))
    True
    """
    if cs is None:
        cs = CS_FPGA([1])
    if not isinstance(cs, CompServ) or cs.hw != "FPGA":
        raise ValueError(f"toFPGA: cs must be an FPGA computing service (eddl.CS_FPGA([1]) or "
                         f"CS_FPGA([1], emulate=True)), got {cs!r}")
    for l in net.layers:
        if l.param_specs() and not l.params:
            raise ValueError(f"toFPGA: {type(l).__name__} layer {l.name!r} has no weights; build "
                             "the model (or import it from ONNX) first")
    part = partition(net, version, subversion)
    fracs = [None] * len(part.groups)
    if part.config.fixed_point and part.groups:
        if calibration is None:
            raise ValueError(f"toFPGA: HLSinf {version}.{subversion} computes in 8-bit fixed point; "
                             "give calibration inputs (calibration=[x_sample]) to choose its scales")
        if not net.isbuild:
            raise ValueError("toFPGA: calibration runs the float model: build it first")
        quant = plan(net, version, subversion, calibration, bs, headroom).chains
        fracs = [[q.in_frac, q.out_frac, q.w_frac] for q in quant]
    last = {g.layers[-1]: (g, f) for g, f in zip(part.groups, fracs)}
    inner = {l for g in part.groups for l in g.layers[:-1]}
    new, names = {}, []
    for l in net.layers:
        if l in inner:
            continue  # inside a chain: nothing outside it reads it (checked by the partition)
        if l in last:
            g, f = last[l]
            parents = [new[g.input]] + ([new[g.residual]] if g.residual is not None else [])
            new[l] = _fused_layer(g, chain_of(g), parents, part.config, f)
            names.append(new[l].name)
        else:
            new[l] = copy_layer(l, [new[p] for p in l.parents], "toFPGA")
    out = Model([new[l] for l in net.lin], [new[l] for l in net.lout], name=f"{net.name}_fpga")
    out.fpga_partition = part
    out.fpga_layers = names
    out.build(cs=cs, init_weights=False)
    return out


#: the pythonic name
to_fpga = toFPGA
