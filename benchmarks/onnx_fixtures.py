"""The test suite's PyTorch-exported ONNX models, as complete files for the benchmarks.

The torchvision-sized models under ``tests/eddl/onnx/fixtures`` (ResNet-18/50 written by
PyTorch's dynamo exporter) are committed with their large weights stripped;
``tests/eddl/onnx/fixtures.py`` refills them with seeded values. The benchmarks write the
refilled model once into a temporary folder, in the parent process, so that a child's peak
memory is its framework's and not that of the fixture's protobuf.
"""

import importlib.util
import os

FIXTURES_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "eddl", "onnx",
                           "fixtures.py")


def _fixtures():
    if not hasattr(_fixtures, "module"):
        spec = importlib.util.spec_from_file_location("_onnx_fixtures", FIXTURES_PY)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _fixtures.module = module
    return _fixtures.module


def write_fixture(name, folder):
    """Write the fixture ``name``, its weights refilled, to ``folder/<name>.onnx`` (once).

    Parameters
    ----------
    name : str
        A fixture of ``tests/eddl/onnx/fixtures.py``, e.g. ``"resnet50_dynamo_eval"``.
    folder : str
        Where to write it; a file already there is kept.

    Returns
    -------
    str
        The file's path.

    Raises
    ------
    ValueError
        For a name that is not a fixture.
    """
    path = os.path.join(folder, f"{name}.onnx")
    if not os.path.exists(path):
        model = _fixtures().load_fixture(name)
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
    return path
