"""The thin adapter to Xilinx XRT, imported only when a model runs on a real card.

XRT's Python binding ``pyxrt`` ships with XRT (it is not on PyPI), so it is imported here, on
first use, and its absence becomes an error that says how to get it and that the emulator
exists.
"""

import importlib

__all__ = ["load", "open_device"]

HOW_TO = ("install Xilinx XRT (https://xilinx.github.io/XRT/) and the Alveo U200 platform, then "
          "`source /opt/xilinx/xrt/setup.sh` so that its Python binding `pyxrt` is importable, and "
          "fetch the bitstream with eddl.download_hlsinf(version, subversion); or pass "
          "emulate=True to CS_FPGA to run the HLSinf emulator on the CPU")


def load():
    """Import and return ``pyxrt``, or raise RuntimeError saying how to install it."""
    try:
        return importlib.import_module("pyxrt")
    except ImportError as exc:
        raise RuntimeError(f"FPGA: XRT's Python binding is not available ({exc}); {HOW_TO}") from exc


def open_device(index=0):
    """Open FPGA ``index`` through XRT.

    Raises
    ------
    RuntimeError
        Without XRT (the message says how to install it).
    NotImplementedError
        With XRT: launching HLSinf kernels on a card is not part of this build yet; the
        emulator (``CS_FPGA(emulate=True)``) computes what the kernels compute.
    """
    load()
    raise NotImplementedError(
        f"FPGA {index}: XRT is installed, but running HLSinf kernels on a card is not implemented "
        "in this build yet; use CS_FPGA(emulate=True) for the emulator")
