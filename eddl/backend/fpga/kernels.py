"""The HLSinf kernel builds EDDL knows, by ``(version, subversion)``.

Each build fixes the number formats of its buffers, its channel parallelism (CPI input channels
by CPO output channels per step), its size limits, the bitstream it lives in and which stages
of the fused chain it implements. The table follows EDDL's ``fpga_init``
(src/hardware/fpga/fpga_core.cpp) for the HLSinf 1.x builds on Alveo U200 cards.
"""

from dataclasses import dataclass

__all__ = ["KernelConfig", "KERNELS", "kernel_config"]

#: number formats: FP32, and Xilinx arbitrary-precision ints (``ap_int<8>``, ``ap_uint<8>``,
#: ``ap_int<32>``) as (bits, signed)
FORMATS = {"FP32": None, "API8": (8, True), "APUI8": (8, False), "API32": (32, True)}


@dataclass(frozen=True)
class KernelConfig:
    """One HLSinf build.

    Attributes
    ----------
    version, subversion : int
    input_format, filter_format, bias_format, output_format : str
        Keys of :data:`FORMATS`.
    cpi, cpo : int
        Input and output channels processed in parallel; channel counts are padded to them.
    ho_max, wo_max : int
        Largest output height (rows per launch) and width the kernel takes.
    xclbin : str
        Bitstream file (``eddl.download_hlsinf(version, subversion)`` fetches it).
    shift, dense : bool
        Whether the build has the output shift stage (fixed-point rescaling) and Dense support.
    """

    version: int
    subversion: int
    input_format: str
    filter_format: str
    bias_format: str
    output_format: str
    cpi: int
    cpo: int
    ho_max: int
    wo_max: int
    xclbin: str
    shift: bool
    dense: bool

    @property
    def fixed_point(self):
        """True when the build computes in integers (the APUI8 builds)."""
        return self.input_format != "FP32"


def _fp32(sub, dense):
    return KernelConfig(1, sub, "FP32", "FP32", "FP32", "FP32", 4, 4, 256, 1024,
                        "hlsinf_v1.0.xclbin", False, dense)


def _int8(sub, cpi, cpo, ho, wo, xclbin, dense):
    return KernelConfig(1, sub, "APUI8", "API8", "API32", "APUI8", cpi, cpo, ho, wo, xclbin,
                        True, dense)


#: every build, keyed by ``(version, subversion)``
KERNELS = {
    (1, 0): _fp32(0, False),
    (1, 1): _fp32(1, True),
    (1, 2): _int8(2, 8, 8, 256, 1024, "hlsinf_v1.1.xclbin", False),
    (1, 3): _int8(3, 8, 8, 256, 1024, "hlsinf_v1.1.xclbin", True),
    (1, 4): _int8(4, 16, 8, 128, 1024, "hlsinf_v1.2.xclbin", False),
    (1, 5): _int8(5, 16, 8, 128, 1024, "hlsinf_v1.2.xclbin", True),
    (1, 6): _int8(6, 16, 16, 128, 256, "hlsinf_v1.5.xclbin", False),
}


def kernel_config(version=1, subversion=0):
    """Return the :class:`KernelConfig` of HLSinf ``version.subversion``.

    Raises
    ------
    ValueError
        For a build EDDL does not know, listing the known ones.

    Examples
    --------
    >>> from eddl.backend.fpga.kernels import kernel_config
    >>> kernel_config(1, 2).input_format, kernel_config(1, 2).cpi
    ('APUI8', 8)
    """
    key = (version, subversion)
    if key not in KERNELS:
        known = ", ".join(f"{v}.{s}" for v, s in sorted(KERNELS))
        raise ValueError(f"unknown HLSinf kernel {version}.{subversion}; known: {known}")
    return KERNELS[key]
