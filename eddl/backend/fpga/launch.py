"""One fused HLSinf launch computed by the emulator: the ``hlsinf`` operation of the backend.

A fused layer (:class:`eddl.layers.hlsinf.HLSinf`) hands its chain to ``be.hlsinf`` without
knowing who computes it. On ``CS_FPGA(emulate=True)`` that is :func:`launch` here: the host
converts the input (and residual) to the build's format, the emulator computes the chain as
the kernel does (FP32, or the 8-bit fixed-point contract), and the output comes back to float,
as around a launch on the card. On a card, :mod:`.xrt` provides the same operation.
"""

import numpy as np

from . import emulator as em
from .kernels import kernel_config

__all__ = ["emulate", "launch"]


def emulate(chain, config, x, residual=None, fracs=None):
    """Return the float output of one launch of ``chain`` on build ``config`` for input ``x``.

    Parameters
    ----------
    chain : Chain or QuantChain
        A float chain; on an 8-bit build a :class:`~.emulator.QuantChain` (already quantized)
        or a float chain with ``fracs``.
    config : KernelConfig
    x, residual : ndarray
        ``N x C x H x W`` float input and, for an ``"add"`` stage, the residual.
    fracs : tuple of int, optional
        ``(in_frac, out_frac, w_frac)`` of an 8-bit build (from calibration).

    Returns
    -------
    ndarray
        float32 for the FP32 builds, float64 (the dequantized integers) for the 8-bit ones.
    """
    if not config.fixed_point:
        return em.run_float(chain, x, residual, cpi=config.cpi)
    q = chain
    if not isinstance(q, em.QuantChain):
        if fracs is None:
            raise ValueError(f"HLSinf {config.version}.{config.subversion} computes in 8-bit fixed "
                             "point: the chain needs calibrated scales (in_frac, out_frac, w_frac)")
        q = em.quantize_chain(chain, config, *fracs)
    xq = em.quantize(x, q.in_frac, q.input_format)
    rq = None if residual is None else em.quantize(residual, q.out_frac, q.output_format)
    return em.dequantize(em.run_fixed(q, xq, rq, config.cpi), q.out_frac)


def launch(chain, x, residual, out, build, fracs=None):
    """``out = chain(x[, residual])`` on HLSinf ``build = (version, subversion)``, emulated.

    ``x``, ``residual`` and ``out`` are the backend's (host) arrays; see :func:`emulate`.
    """
    y = emulate(chain, kernel_config(*build), np.asarray(x), residual, fracs)
    out[...] = y
    return out
