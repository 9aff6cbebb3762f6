"""Every reader and parser under fuzzing: its seed files, how to call it, what it may raise.

A target's ``run(path)`` reads one mutated file. It may succeed, or raise one of the
target's ``allowed`` exception types (the library's own), whose message must name the file
when ``names_file`` is set. Anything else is a bug: another exception type escaping, a
``StopIteration`` silently ending the caller's iteration, a crash, a hang, or an allocation
past the worker's memory cap.
"""

import io
import json
import os
import shutil
import struct

import numpy as np

SIZE = (24, 32)


class Target:
    def __init__(self, name, seeds, run, allowed, names_file=True, text=False, setup=None,
                 subdir=""):
        self.name = name
        self.subdir = subdir  # where a case file must sit, relative to its case folder
        self.seeds = seeds  # () -> list of (file name, bytes, size-field list)
        self.run = run  # (path, state) -> object
        self.allowed = allowed  # () -> tuple of exception types
        self.names_file = names_file
        self.text = text
        self.setup = setup  # () -> state shared by the runs of one worker


# -- seed files ------------------------------------------------------------------------
def _hwc(c=3, dtype=np.uint8):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, SIZE + (c,)).astype(dtype)
    return a


def _pil(fmt, ext, mode="RGB", **kw):
    def seeds():
        from PIL import Image as PILImage

        a = _hwc(3)
        im = PILImage.fromarray(a)
        if mode != "RGB":
            im = im.convert(mode)
        buf = io.BytesIO()
        im.save(buf, format=fmt, **kw)
        data = buf.getvalue()
        return [(f"a{ext}", data, _size_fields(fmt, data))]
    return seeds


def _size_fields(fmt, data):
    """(offset, width, big-endian) of the fields that give the image size."""
    if fmt == "PNG":
        return [(16, 4, True), (20, 4, True), (33, 4, True)]
    if fmt == "BMP":
        return [(2, 4, False), (10, 4, False), (18, 4, False), (22, 4, False), (34, 4, False)]
    if fmt == "JPEG":
        i = data.find(b"\xff\xc0")
        i = data.find(b"\xff\xc2") if i < 0 else i
        return [(i + 5, 2, True), (i + 7, 2, True), (i + 2, 2, True)] if i >= 0 else []
    if fmt == "TIFF":
        return [(4, 4, False)] + [(p, 4, False) for p in range(10, 120, 12)]
    return []


def _png16_seeds():
    from ecvl.io import _png  # 16-bit colour PNG, decoded by ecvl's own PNG path

    data = _png.encode(_hwc(3).astype(np.uint16) * 257)
    return [("a16.png", data, _size_fields("PNG", data))]


def _pnm_seeds():
    a = _hwc(3)
    ppm = b"P6\n32 24\n255\n" + a.tobytes()
    pgm16 = b"P5\n32 24\n65535\n" + (a[..., 0].astype(">u2") * 257).tobytes()
    return [("a.ppm", ppm, []), ("b.pgm", pgm16, [])]


def _dicom_seeds():
    from pydicom.data import get_testdata_file

    out = []
    for name in ("CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm",
                 "image_dfl.dcm", "liver_1frame.dcm", "SC_rgb_jpeg_dcmtk.dcm", "JPEG-LL.dcm",
                 "MR_small_jpeg_ls_lossless.dcm"):
        src = get_testdata_file(name, download=False)  # only files shipped with pydicom
        if src is None:
            continue
        with open(src, "rb") as f:
            data = f.read()
        out.append((name, data, _dicom_fields(data)))
    return out


def _dicom_fields(data):
    fields = []
    for tag in (b"\x28\x00\x10\x00", b"\x28\x00\x11\x00", b"\x28\x00\x08\x00", b"\x28\x00\x00\x01",
                b"\x28\x00\x02\x00", b"\xe0\x7f\x10\x00"):
        i = data.find(tag)
        if i >= 0:
            fields += [(i + 6, 2, False), (i + 8, 2, False), (i + 8, 4, False), (i + 4, 4, False)]
    return fields


def _nifti_seeds():
    from nibabel.testing import data_path

    out = []
    for name in ("anatomical.nii", "example4d.nii.gz", "example_nifti2.nii.gz"):
        src = os.path.join(data_path, name)
        if os.path.isfile(src):
            with open(src, "rb") as f:
                data = f.read()
            fields = [(40 + 2 * k, 2, False) for k in range(8)] + [(70, 2, False), (72, 2, False),
                                                                  (108, 4, False)]
            out.append((name, data, [] if name.endswith(".gz") else fields))
    return out


_DDF = """name: fuzz
description: seeded DDF
classes: [cat, dog]
features: [age]
images:
  - location: a.png
    label: 0
    values: {age: 3}
  - location: b.png
    label: dog
  - location: [c.png, d.png]
    label: 1
split:
  training: [0, 1]
  validation: [2]
"""

_DDF_ALIASES = """name: &n fuzz
classes: &c [cat, dog]
images:
  - &e {location: a.png, label: 0}
  - *e
  - {location: b.png, label: *n}
split:
  training: &s [0, 1]
  test: [2]
"""


def _ddf_seeds():
    return [("a.yml", _DDF.encode(), []), ("b.yml", _DDF_ALIASES.encode(), [])]


_DSL = """SequentialAugmentationContainer
    AugRotate angle=[-5,5] center=(0,0) scale=0.5 interp="linear"
    AugAdditiveLaplaceNoise std_dev=[0,0.51]
    AugCoarseDropout p=[0,0.55] drop_size=[0.02,0.1] per_channel=0
    AugAdditivePoissonNoise lambda=[0,40]
    AugResizeDim dims=(30,30) interp="linear"
    AugGaussianBlur sigma=[0.5,1.5]
    OneOfAugmentationContainer p=0.7
        AugFlip p=0.5
        AugBrightness beta=[0,30]
        AugElasticTransform alpha=[1,5] sigma=[3,4]
    end
end
"""


def _dsl_seeds():
    return [("a.txt", _DSL.encode(), [])]


def _tensor_seeds():
    a = np.arange(6 * 5, dtype=np.float32).reshape(6, 5)
    npy, npz = io.BytesIO(), io.BytesIO()
    np.save(npy, a)
    np.savez(npz, data=a)
    cz = io.BytesIO()
    np.savez_compressed(cz, data=a)
    bin_ = struct.pack("<3i", 2, 6, 5) + a.tobytes()
    return [("t.bin", bin_, [(0, 4, False), (4, 4, False), (8, 4, False)]),
            ("t.npy", npy.getvalue(), []), ("t.npz", npz.getvalue(), []),
            ("c.npz", cz.getvalue(), [])]


def _net():
    import eddl

    eddl.set_seed(0)
    x = eddl.Input([4])
    y = eddl.Softmax(eddl.Dense(eddl.ReLu(eddl.Dense(x, 5)), 3))
    net = eddl.Model([x], [y])
    eddl.build(net, eddl.adam(0.01), ["soft_cross_entropy"], ["categorical_accuracy"], eddl.CS_CPU())
    return net


def _weights_seeds():
    import tempfile

    import eddl

    net = _net()
    out = []
    folder = tempfile.mkdtemp()
    try:
        for fmt in ("bin", "npz"):
            p = os.path.join(folder, f"w.{fmt}")
            eddl.save(net, p, fmt)
            with open(p, "rb") as f:
                data = f.read()
            out.append((f"w.{fmt}", data, [(0, 4, False), (4, 4, False), (8, 4, False)]
                        if fmt == "bin" else []))
    finally:
        shutil.rmtree(folder)
    return out


def _onnx_seeds():
    import eddl
    from eddl.onnx.graph_export import CONFIG_KEY

    net = _net()
    eddl.set_seed(0)
    x = eddl.Input([2, 6, 6])
    h = eddl.MaxPool2D(eddl.ReLu(eddl.BatchNormalization(eddl.Conv2D(x, 3, [3, 3]))), [2, 2])
    cnn = eddl.Model([x], [eddl.Softmax(eddl.Dense(eddl.Flatten(h), 3))])
    eddl.build(cnn, eddl.sgd(0.1), ["soft_cross_entropy"], ["categorical_accuracy"], eddl.CS_CPU())
    # without the embedded configuration the importer reads the graph node by node
    generic = eddl.onnx.to_onnx(cnn)
    del generic.metadata_props[:]
    assert not any(p.key == CONFIG_KEY for p in generic.metadata_props)
    return [("mlp.onnx", eddl.serialize_net_to_onnx_string(net), []),
            ("cnn.onnx", generic.SerializeToString(), [])]


def _checkpoint_seeds():
    net = _net()
    buf = io.BytesIO()
    np.savez(buf, **net.optimizer.get_state())
    return [("epoch-0001-optimizer.npz", buf.getvalue(), [])]


def _state_seeds():
    state = {"epoch": 2, "history": [{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4}],
             "best": {"epoch": 2, "metric": 0.75}, "checkpoint": "checkpoints/epoch-0002",
             "rng": {"bit_generator": "PCG64", "state": {"state": 1, "inc": 3}, "has_uint32": 0,
                     "uinteger": 0}}
    return [("state.json", json.dumps(state, indent=1).encode(), [])]


# -- the calls -------------------------------------------------------------------------
def _ecvl_errors():
    import ecvl

    return (ecvl.ImageIOError,)


def _imread(path, state):
    import ecvl

    img = ecvl.imread(path)
    np.asarray(img).sum()  # the data must be readable memory
    return img


def _read_raster(path, state):
    import ecvl

    return np.asarray(ecvl.read_raster(path)).sum()


def _imread_multi(path, state):
    import ecvl

    return np.asarray(ecvl.imread_multi(path)).sum()


def _dicom(path, state):
    import ecvl

    return np.asarray(ecvl.dicom_read(path)).sum()


def _nifti(path, state):
    import ecvl

    return np.asarray(ecvl.nifti_read(path)).sum()


def _ddf(path, state):
    from ecvl.dataset import Dataset

    return Dataset(path)


def _ddf_errors():
    from ecvl.dataset import DatasetError

    return (DatasetError,)


def _dsl(path, state):
    from ecvl.augment import AugmentationFactory

    with open(path, "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    aug = AugmentationFactory.create(text)
    aug(np.zeros((16, 16, 3), np.uint8), rng=0)  # what parses must also run
    return aug


def _dsl_errors():
    import ecvl
    from ecvl.augment import AugmentationSyntaxError

    return (AugmentationSyntaxError, ecvl.EcvlError)


def _tensor(path, state):
    from eddl import Tensor

    return Tensor.load(path).numpy().sum()


def _eddl_errors():
    from eddl import TensorFormatError

    return (TensorFormatError,)


def _weights(path, state):
    import eddl

    eddl.load(state, path, "bin" if path.endswith(".bin") else "npz")


def _onnx_setup():
    import eddl

    # a folded constant may not outgrow the worker's memory cap
    eddl.onnx.set_max_tensor_elements(1 << 22)


def _onnx(path, state):
    import eddl

    net = eddl.import_net_from_onnx_file(path)
    eddl.build(net, init_weights=False)
    return net


def _onnx_errors():
    import eddl

    return (eddl.onnx.ONNXImportError,)


def _checkpoint(path, state):
    from bridge.app.checkpoint import restore

    out = os.path.dirname(os.path.dirname(path))
    weights = os.path.join(out, "checkpoints", "epoch-0001.npz")
    if not os.path.isfile(weights):
        import eddl

        eddl.save(state, weights, "npz")
    restore(state, out, {"checkpoint": "checkpoints/epoch-0001"}, False)


def _state(path, state):
    from bridge.app.checkpoint import read_state

    return read_state(path)


def _bridge_errors():
    from bridge.app.experiment import ExperimentError

    return (ExperimentError,)


TARGETS = {t.name: t for t in [
    Target("png", _pil("PNG", ".png"), _imread, _ecvl_errors),
    Target("png_gray", _pil("PNG", ".png", "L"), _read_raster, _ecvl_errors),
    Target("png16", _png16_seeds, _imread, _ecvl_errors),
    Target("jpeg", _pil("JPEG", ".jpg", quality=90), _imread, _ecvl_errors),
    Target("tiff", _pil("TIFF", ".tif"), _imread_multi, _ecvl_errors),
    Target("bmp", _pil("BMP", ".bmp"), _imread, _ecvl_errors),
    Target("pnm", _pnm_seeds, _imread, _ecvl_errors),
    Target("dicom", _dicom_seeds, _dicom, _ecvl_errors),
    Target("dicom_imread", _dicom_seeds, _imread, _ecvl_errors),
    Target("nifti", _nifti_seeds, _nifti, _ecvl_errors),
    Target("ddf", _ddf_seeds, _ddf, _ddf_errors, text=True),
    Target("dsl", _dsl_seeds, _dsl, _dsl_errors, names_file=False, text=True),
    Target("tensor", _tensor_seeds, _tensor, _eddl_errors),
    Target("weights", _weights_seeds, _weights, _eddl_errors, setup=_net),
    Target("onnx", _onnx_seeds, _onnx, _onnx_errors, setup=_onnx_setup),
    Target("checkpoint", _checkpoint_seeds, _checkpoint, _bridge_errors, setup=_net,
           subdir="checkpoints"),
    Target("resume_state", _state_seeds, _state, _bridge_errors, text=True),
]}
