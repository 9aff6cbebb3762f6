"""The thin adapter to Xilinx XRT, imported only when a model runs on a real card.

XRT's Python binding ``pyxrt`` ships with XRT (it is not on PyPI), so it is imported here, on
first use, and its absence becomes an error that says how to get it and that the emulator
exists. :class:`Device` opens a card, loads an HLSinf bitstream and launches one fused chain
the way EDDL's ``HLSinf_launch`` does: buffers in the kernel's blocked layouts
(:mod:`.layout`), synced to the card, the kernel arguments in EDDL's order, the output
channel groups split over the bitstream's kernels, one launch per image, and the output synced
back and unpacked. Activations travel as ``N x G x H x W x CPI`` (input, residual and output
alike); the offsets of an image count values: ``read_offset`` in the input, ``write_offset`` in
the output, where the residual image also starts (a quarter of it when the output is upsized).
"""

import importlib
import os
import types
from dataclasses import replace

import numpy as np

from . import emulator as em
from .kernels import kernel_config
from .layout import filters_gihwcpi, from_ghwc, padded, to_ghwc

__all__ = ["HOW_TO", "NUM_KERNELS", "ARGS", "BN_EPSILON", "load", "as_3x3", "Device",
           "open_device"]

HOW_TO = ("install Xilinx XRT (https://xilinx.github.io/XRT/) and the Alveo U200 platform, then "
          "`source /opt/xilinx/xrt/setup.sh` so that its Python binding `pyxrt` is importable, and "
          "fetch the bitstream with eddl.download_hlsinf(version, subversion); or pass "
          "emulate=True to CS_FPGA to run the HLSinf emulator on the CPU")

#: HLSinf kernels (compute units) in every bitstream of the 1.x builds, as in EDDL's fpga_init
NUM_KERNELS = 2

#: the kernel's arguments in the order EDDL's ``HLSinf_launch_kernel`` sets them
ARGS = ("I", "I_add", "H", "W", "HO", "WO", "rows", "PT", "PB", "PL", "PR", "SH", "SW",
        "Ichannels", "Ochannels", "I_ITER", "first_o_iter", "last_o_iter", "enable_relu",
        "enable_stm", "relu_factor", "enable_batch_norm", "K", "B", "BN_values", "O",
        "read_offset", "write_offset", "enable_maxp", "enable_avgp", "enable_clipping",
        "enable_shift", "enable_add", "min_clip", "max_clip", "dir_shift", "pos_shift",
        "enable_upscale")

#: the epsilon of the kernel's batch normalization unit; the host folds the chain's BN into
#: ``[beta, gamma, mean, var] = [shift, scale, 0, 1 - BN_EPSILON]`` so that it computes
#: ``y * scale + shift``
BN_EPSILON = 1e-5

#: the order of the kernel's units after the convolution (a chain must follow it)
UNITS = ("scale", "clamp", "relu", "leaky_relu", "stm", "maxpool", "avgpool", "bn", "add", "upsize")

_DTYPES = {"FP32": np.float32, "APUI8": np.uint8, "API8": np.int8, "API32": np.int32}


def load():
    """Import and return ``pyxrt``, or raise RuntimeError saying how to install it."""
    try:
        return importlib.import_module("pyxrt")
    except ImportError as exc:
        raise RuntimeError(f"FPGA: XRT's Python binding is not available ({exc}); {HOW_TO}") from exc


def _split(o_iter, kernels):
    """``(first, last)`` output-channel iterations per kernel; the first takes the remainder."""
    if o_iter < kernels:
        return [(0, o_iter - 1)]
    per, extra = divmod(o_iter, kernels)
    out = [(0, per + extra - 1)]
    out += [(per * k + extra, per * k + extra + per - 1) for k in range(1, kernels)]
    return out


def as_3x3(chain):
    """Return ``chain`` with its filters embedded in 3x3 ones, as the kernel convolves 3x3.

    A 1-wide kernel goes to the centre with one more zero of padding on each side, a 2-wide one
    to the first two taps with one more zero after: the windows, and so the outputs, are the
    same. Dense chains (1x1 convolutions of 1x1 images) go the same way.
    """
    w = np.asarray(chain.weights)
    kh, kw = w.shape[2:]
    if (kh, kw) == (3, 3):
        return chain
    w3 = np.zeros(w.shape[:2] + (3, 3), w.dtype)
    at = {1: 1, 2: 0, 3: 0}
    w3[:, :, at[kh]:at[kh] + kh, at[kw]:at[kw] + kw] = w
    extra = {1: (1, 1), 2: (0, 1), 3: (0, 0)}
    pads = tuple((p[0] + extra[k][0], p[1] + extra[k][1]) for p, k in zip(chain.pads, (kh, kw)))
    return replace(chain, weights=w3, pads=pads)


class Device:
    """An Alveo card with an HLSinf bitstream loaded, through ``pyxrt``.

    Parameters
    ----------
    index : int
        The card (``pyxrt.device(index)``).
    xclbin : str
        Path of the bitstream (``eddl.download_hlsinf(version, subversion)`` fetches it).

    Raises
    ------
    RuntimeError
        Without ``pyxrt`` or without a bitstream path; the message says what to install and
        that ``CS_FPGA(emulate=True)`` runs the emulator instead.
    FileNotFoundError
        When ``xclbin`` does not exist.
    """

    def __init__(self, index, xclbin):
        xrt = load()
        if not xclbin:
            raise RuntimeError("FPGA: no HLSinf bitstream given; pass its path as "
                               "CS_FPGA([1], xclbin=path) (eddl.download_hlsinf(version, "
                               "subversion) fetches it), or emulate=True to run the emulator")
        if not os.path.isfile(xclbin):
            raise FileNotFoundError(f"FPGA: the bitstream {xclbin!r} does not exist; fetch it with "
                                    "eddl.download_hlsinf(version, subversion)")
        self.xrt, self.index, self.path = xrt, int(index), str(xclbin)
        self.device = xrt.device(self.index)
        self.uuid = self.device.load_xclbin(xrt.xclbin(self.path))
        self.kernels = [xrt.kernel(self.device, self.uuid, f"k_conv2D:{{k_conv2D_{k + 1}}}",
                                   xrt.kernel.shared) for k in range(NUM_KERNELS)]

    # --- buffers ---------------------------------------------------------------------------
    def _to_device(self, a, arg):
        """Return a buffer object holding ``a``'s bytes, synced to the card, in ``arg``'s memory bank."""
        data = np.ascontiguousarray(a).tobytes()
        bo = self.xrt.bo(self.device, len(data), self.xrt.bo.normal,
                         self.kernels[0].group_id(ARGS.index(arg)))
        bo.write(data, 0)
        bo.sync(self.xrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE, len(data), 0)
        return bo

    def _from_device(self, bo, shape, dtype):
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        bo.sync(self.xrt.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE, n, 0)
        return np.frombuffer(bytes(bo.read(n, 0)), dtype).reshape(shape)

    # --- one fused chain -------------------------------------------------------------------
    def launch(self, chain, x, residual, out, build, fracs=None):
        """``out = chain(x[, residual])`` on the card: the backend's ``hlsinf`` operation.

        Parameters are those of :func:`eddl.backend.fpga.launch.launch`.
        """
        cfg = kernel_config(*build)
        chain = as_3x3(chain)
        x = np.asarray(x)
        n, c, h, w = x.shape
        f = chain.weights.shape[0]
        kh, kw = chain.weights.shape[2:]
        ho = (h + sum(chain.pads[0]) - kh) // chain.stride[0] + 1
        wo = (w + sum(chain.pads[1]) - kw) // chain.stride[1] + 1
        if ho > cfg.ho_max or wo > cfg.wo_max:
            raise ValueError(f"HLSinf {cfg.version}.{cfg.subversion}: output {ho}x{wo} exceeds the "
                             f"kernel's {cfg.ho_max}x{cfg.wo_max}; the emulator has no such limit")
        units, host = self._prepare(chain, cfg, x, residual, fracs)
        out_shape = chain.out_shape(x.shape)
        go, ho_out, wo_out = padded(f, cfg.cpi) // cfg.cpi, out_shape[2], out_shape[3]
        bos = {k: self._to_device(v, k) for k, v in host.items()}
        o = self.xrt.bo(self.device, int(np.prod((n, go, ho_out, wo_out, cfg.cpi)))
                        * np.dtype(_DTYPES[cfg.output_format]).itemsize, self.xrt.bo.normal,
                        self.kernels[0].group_id(ARGS.index("O")))
        in_image = padded(c, cfg.cpi) * h * w
        out_image = go * cfg.cpi * ho_out * wo_out
        runs = []
        for b in range(n):
            for k, (first, last) in enumerate(_split(padded(f, cfg.cpo) // cfg.cpo, NUM_KERNELS)):
                args = dict(units, I=bos["I"], I_add=bos.get("I_add", bos["I"]), H=h, W=w,
                            HO=ho, WO=wo, rows=h, PT=chain.pads[0][0], PB=chain.pads[0][1],
                            PL=chain.pads[1][0], PR=chain.pads[1][1], SH=chain.stride[0],
                            SW=chain.stride[1], Ichannels=c, Ochannels=f,
                            I_ITER=padded(c, cfg.cpi) // cfg.cpi, first_o_iter=first,
                            last_o_iter=last, K=bos["K"], B=bos["B"],
                            BN_values=bos.get("BN_values", bos["I"]), O=o,
                            read_offset=b * in_image, write_offset=b * out_image)
                run = self.xrt.run(self.kernels[k])
                for i, name in enumerate(ARGS):
                    run.set_arg(i, args[name])
                run.start()
                runs.append(run)
        for run in runs:
            run.wait()
        y = from_ghwc(self._from_device(o, (n, go, ho_out, wo_out, cfg.cpi),
                                        _DTYPES[cfg.output_format]), f)
        if cfg.fixed_point:
            y = em.dequantize(y, units["_out_frac"])
        out[...] = y
        return out

    def _prepare(self, chain, cfg, x, residual, fracs):
        """Return the scalar unit settings and the host buffers (in the kernel's layouts) of a launch."""
        st = chain.stages
        if list(st) != sorted(st, key=UNITS.index):
            raise ValueError(f"HLSinf: stages {list(st)} do not follow the order of the kernel's "
                             f"units {list(UNITS)}, so one launch cannot compute them")
        f = chain.weights.shape[0]
        units = dict(enable_relu=int("relu" in st or "leaky_relu" in st),
                     relu_factor=float(chain.alpha) if "leaky_relu" in st else 0.0,
                     enable_stm=int("stm" in st), enable_maxp=int("maxpool" in st),
                     enable_avgp=int("avgpool" in st), enable_add=int("add" in st),
                     enable_upscale=int("upsize" in st), enable_clipping=int("clamp" in st),
                     enable_batch_norm=0, enable_shift=0, dir_shift=0, pos_shift=0,
                     min_clip=0, max_clip=0, _out_frac=0)
        fp = padded(f, cfg.cpo)
        if not cfg.fixed_point:
            bias = np.zeros(fp, np.float32)
            if chain.bias is not None:
                bias[:f] = chain.bias
            host = dict(I=to_ghwc(x.astype(np.float32), cfg.cpi),
                        K=filters_gihwcpi(np.asarray(chain.weights, np.float32), cfg.cpi, cfg.cpo),
                        B=bias)
            if "bn" in st:
                bn = np.zeros((fp, 4), np.float32)
                bn[:f] = np.stack([chain.bn_shift, chain.bn_scale, np.zeros(f),
                                   np.full(f, 1 - BN_EPSILON)], axis=1)
                host["BN_values"], units["enable_batch_norm"] = bn, 1
            if "scale" in st:
                e = int(np.log2(chain.scale))
                units.update(enable_shift=1, dir_shift=int(e < 0), pos_shift=abs(e))
            if "clamp" in st:
                units.update(min_clip=float(chain.clip[0]), max_clip=float(chain.clip[1]))
            if residual is not None:
                host["I_add"] = to_ghwc(np.asarray(residual, np.float32), cfg.cpi)
            return units, host
        if fracs is None and not isinstance(chain, em.QuantChain):
            raise ValueError(f"HLSinf {cfg.version}.{cfg.subversion} computes in 8-bit fixed point: "
                             "the chain needs calibrated scales (in_frac, out_frac, w_frac)")
        q = chain if isinstance(chain, em.QuantChain) else em.quantize_chain(chain, cfg, *fracs)
        bias = np.zeros(fp, np.int32)
        bias[:f] = q.bias
        host = dict(I=to_ghwc(em.quantize(x, q.in_frac, q.input_format).astype(np.uint8), cfg.cpi),
                    K=filters_gihwcpi(q.weights.astype(np.int8), cfg.cpi, cfg.cpo), B=bias)
        # the contract's rounding right shift from the accumulator to the output scale
        units.update(enable_shift=int(q.shift > 0), dir_shift=1, pos_shift=max(q.shift, 0),
                     _out_frac=q.out_frac)
        if q.clip is not None:
            units.update(min_clip=int(q.clip[0]), max_clip=int(q.clip[1]))
        if residual is not None:
            host["I_add"] = to_ghwc(em.quantize(residual, q.out_frac, q.output_format)
                                    .astype(np.uint8), cfg.cpi)
        return units, host


def open_device(index=0, xclbin=None):
    """Open FPGA ``index`` with the bitstream ``xclbin`` and return its backend.

    The backend is the FPGA backend (:mod:`eddl.backend.fpga`) whose ``hlsinf`` operation
    launches on this card; every other operation stays on the host.

    Raises
    ------
    RuntimeError
        Without XRT or without a bitstream (the message says what to do, and that
        ``CS_FPGA(emulate=True)`` runs the emulator).
    """
    from .. import fpga

    dev = Device(index, xclbin)
    be = types.ModuleType(f"{fpga.__name__}[{index}]", fpga.__doc__)
    be.__dict__.update({k: v for k, v in vars(fpga).items() if not k.startswith("__")})
    be.hlsinf, be.card = dev.launch, dev
    return be
