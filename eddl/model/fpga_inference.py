"""Whole-model inference with HLSinf's fused chains emulated, as a card would run the model.

:func:`plan` partitions a built model (:func:`eddl.model.fusion.partition`) and, for an 8-bit
build, calibrates the fixed-point scales of every fused chain on sample inputs: the float model
runs on them and each chain's input, output and residual get the most fractional bits that hold
the largest magnitude seen. :func:`predict` then runs the model layer by layer, computing each
fused chain with the emulator (:mod:`eddl.backend.fpga.emulator`) and every other layer on the
model's own backend, so the outputs are what the partitioned model computes on the card, and a
quantized model's accuracy can be measured on any machine.
"""

from dataclasses import dataclass, field

import numpy as np

from ..backend.fpga import emulator as em
from ..backend.fpga.launch import emulate
from .fusion import chain_of, partition
from .training import infer_batches
from .training import predict as _predict

__all__ = ["FPGAPlan", "plan", "predict"]

@dataclass
class FPGAPlan:
    """A partitioned model ready for emulated inference.

    Attributes
    ----------
    partition : eddl.model.fusion.Partition
    chains : list
        Per fused group: its :class:`~eddl.backend.fpga.emulator.Chain` (FP32 builds) or
        :class:`~eddl.backend.fpga.emulator.QuantChain` (8-bit builds).
    """

    partition: object
    chains: list = field(default_factory=list)

    @property
    def config(self):
        """The HLSinf build (:class:`~eddl.backend.fpga.kernels.KernelConfig`)."""
        return self.partition.config


def _host(net, a):
    return np.asarray(net.be.to_host(a))


def _observe(net, xs, groups, bs):
    """Largest magnitude of each group's input, output and residual over the samples ``xs``."""
    seen = [[0.0, 0.0, 0.0] for _ in groups]

    def watch():
        for k, g in enumerate(groups):
            tensors = (g.input, g.layers[-1], g.residual)
            for j, layer in enumerate(tensors):
                if layer is not None:
                    seen[k][j] = max(seen[k][j], float(np.abs(_host(net, layer.output)).max()))

    infer_batches(net, xs, bs, lambda: (net.forward(), watch()), "plan calibration")
    return seen


def plan(net, version=1, subversion=0, calibration=None, bs=100, headroom=1.0):
    """Partition ``net`` for HLSinf ``version.subversion`` and prepare its fused chains.

    Parameters
    ----------
    net : Model
        A built model; its current weights and BN statistics are used.
    version, subversion : int
        The HLSinf build.
    calibration : list of arrays, optional
        Sample inputs (one array per model input) for the 8-bit builds' scales; required there.
    bs : int
        Batch size of the calibration run.
    headroom : float
        Factor (>= 1) on the largest magnitudes before choosing scales, to leave room for
        inputs larger than the calibration samples.

    Returns
    -------
    FPGAPlan

    Raises
    ------
    ValueError
        For an 8-bit build without calibration data, or a chain the build cannot run in fixed
        point (see :func:`eddl.backend.fpga.emulator.quantize_chain`).
    """
    net._require_built("plan")
    if headroom < 1:
        raise ValueError(f"plan: headroom must be >= 1, got {headroom}")
    part = partition(net, version, subversion)
    chains = [chain_of(g) for g in part.groups]
    if not part.config.fixed_point:
        return FPGAPlan(part, chains)
    if calibration is None:
        raise ValueError(f"plan: HLSinf {version}.{subversion} computes in 8-bit fixed point; "
                         "give calibration inputs to choose its scales")
    seen = _observe(net, calibration, part.groups, bs)
    cfg = part.config
    quant = []
    for g, chain, (m_in, m_out, m_res) in zip(part.groups, chains, seen):
        out_frac = em.frac_bits(headroom * max(m_out, m_res), cfg.output_format)
        in_frac = em.frac_bits(headroom * m_in, cfg.input_format)
        w_max = float(np.abs(chain.weights).max())
        if chain.stages[:1] == ("bn",):
            w_max = float(np.abs(chain.weights * chain.bn_scale[:, None, None, None]).max())
        w_frac = em.frac_bits(w_max, cfg.filter_format)
        scale_exp = int(np.log2(chain.scale)) if "scale" in chain.stages else 0
        out_frac = min(out_frac, in_frac + w_frac - scale_exp)
        try:
            quant.append(em.quantize_chain(chain, cfg, in_frac, out_frac, w_frac))
        except ValueError as exc:
            raise ValueError(f"plan: fused group {g.name} ({g.layers[0].name}): {exc}") from None
    return FPGAPlan(part, quant)


def predict(net, xs, fpga_plan, bs=-1):
    """Return the outputs of ``net`` for ``xs`` with the fused chains of ``fpga_plan`` emulated.

    Layers outside the chains run on the model's backend; a chain's input and residual are
    converted to the build's format on the way in and its output back to float on the way out,
    as the host does around a launch.

    Parameters
    ----------
    net : Model
    xs : list of arrays
    fpga_plan : FPGAPlan
        From :func:`plan` for this model.
    bs : int
        Batch size; -1 uses the model's current one (100 when it has none).

    Returns
    -------
    list of numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> import eddl
    >>> from eddl.model import fpga_inference
    >>> x = eddl.Input([1, 8, 8])
    >>> net = eddl.Model([x], [eddl.MaxPool2D(eddl.ReLu(eddl.Conv2D(x, 4, [3, 3])), [2, 2])])
    >>> net = eddl.build(net, eddl.sgd(), ["mse"], ["mse"], eddl.CS_CPU())
    >>> images = np.random.default_rng(0).random((8, 1, 8, 8), dtype=np.float32)
    >>> p = fpga_inference.plan(net, 1, 2, calibration=[images])  # HLSinf 1.2, 8-bit
    >>> p.partition.counts()
    {'conv+relu+maxpool': 1}
    >>> fpga_inference.predict(net, [images], p)[0].shape
    (8, 4, 4, 4)
    """
    groups = fpga_plan.partition.groups
    if not groups:
        return _predict(net, xs, bs)
    last = {g.layers[-1]: (g, c) for g, c in zip(groups, fpga_plan.chains)}
    inner = {l for g in groups for l in g.layers[:-1]}
    cfg = fpga_plan.config

    def step():
        for layer in net._work:
            if layer in inner:
                continue  # computed inside its chain; nothing else reads it
            if layer not in last:
                layer.forward()
                continue
            g, chain = last[layer]
            x = _host(net, g.input.output)
            res = None if g.residual is None else _host(net, g.residual.output)
            if g.pattern[0] == "dense":  # a Dense chain is a 1x1 convolution of 1x1 images
                x = x.reshape(x.shape + (1, 1))
            y = emulate(chain, cfg, x, res)
            net.be.from_host(y.reshape(layer.output.shape), out=layer.output)

    return infer_batches(net, xs, bs, step, "predict")
