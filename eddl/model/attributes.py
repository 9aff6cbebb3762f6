"""PyEDDL's attribute names on models (``net.dev``, ``net.mem_level``, ``net.layersf``, ...).

EDDL's ``Net`` exposes its C++ fields to Python (``pyeddl`` ``tests/test_classes.py`` reads every
name listed in ``NET_ATTRS``). Those mirroring our state are live, read-only views of it; those
describing machinery this toolkit does not have (per-device sub-nets, unrolled recurrent nets,
encoder/decoder bookkeeping) hold EDDL's value when that machinery is unused.
"""

__all__ = ["NetAttributes"]

_DEV_CPU = 0  # eddl.tensor.DEV_CPU


class NetAttributes:
    """Read-only PyEDDL attributes of a :class:`~eddl.model.Model`."""

    # --- views of our own state ---------------------------------------------------------
    @property
    def dev(self):
        """Device code of the backend (``DEV_CPU`` before ``build``)."""
        return self.be.device if self.be is not None else _DEV_CPU

    @property
    def devsel(self):
        """Devices in use, as EDDL's list of device indices: ``[]`` on the CPU."""
        return [] if self.dev == _DEV_CPU else [self.dev % 1000]

    @property
    def mem_level(self):
        """Memory level of the computing service (0 = ``"full_mem"``, 1 mid, 2 low)."""
        return self.cs.mem_level if self.cs is not None else 0

    @property
    def isrecurrent(self):
        """True when a layer is recurrent."""
        return any(l.isrecurrent for l in self.layers)

    @property
    def layersf(self):
        """Layers in forward order (inputs excluded once built, as EDDL's forward list)."""
        return list(getattr(self, "_work", self.layers))

    @property
    def layersb(self):
        """Layers in backward order: the ones that receive a delta, last first."""
        return list(getattr(self, "_back", []))

    # EDDL's vfts/vbts are the same forward/backward schedules, kept under their own names
    vfts = layersf
    vbts = layersb

    @property
    def netinput(self):
        """Input layers (EDDL's ``netinput``)."""
        return list(self.lin)

    @property
    def fiterr(self):
        """Running loss and metric sums, interleaved per output: ``[loss0, metric0, ...]``."""
        return [v for pair in zip(self.total_loss, self.total_metric) for v in pair]

    @property
    def do_optimizer_delete(self):
        """True: the model owns its optimizer."""
        return True

    @property
    def do_compserv_delete(self):
        """True: the model owns its computing service."""
        return True

    @property
    def onnx_pretrained(self):
        """True when the net was imported from ONNX (set by the importer)."""
        return getattr(self, "_onnx_pretrained", False)

    @onnx_pretrained.setter
    def onnx_pretrained(self, value):
        self._onnx_pretrained = bool(value)

    # --- machinery that does not exist here: EDDL's values when it is unused --------------

    @property
    def isdecoder(self):
        """True when the net has a decoder input (``setDecoder``)."""
        return bool(getattr(self, "_din", ()))

    @property
    def isencoder(self):
        """False: encoder/decoder nets are not supported."""
        return False

    @property
    def isresized(self):
        """False: the input shape is never rewritten after construction."""
        return False

    @property
    def decoder_teacher_training(self):
        """True with a decoder: training feeds it the targets shifted by one step."""
        return self.isdecoder

    @property
    def decsize(self):
        """Steps of the decoder (1 without one, as EDDL)."""
        din = getattr(self, "_din", ())
        return din[0].shape[0] if din else 1

    @property
    def din(self):
        """Decoder input layers (``setDecoder``), fed from the targets."""
        return list(getattr(self, "_din", ()))

    @property
    def snets(self):
        """Per-device sub-nets: none (the model runs on its one backend)."""
        return []

    @property
    def rnet(self):
        """Unrolled recurrent net: None."""
        return None

    @property
    def Xs(self):  # noqa: N802 (EDDL's name)
        """Per-device input tensors: none."""
        return []

    @property
    def Ys(self):  # noqa: N802 (EDDL's name)
        """Per-device target tensors: none."""
        return []
