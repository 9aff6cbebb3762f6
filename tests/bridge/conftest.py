import pytest

from bridge.app.synth import generate_lesion_dataset


@pytest.fixture(scope="session")
def lesions(tmp_path_factory):
    """A tiny synthetic dataset: 12 training, 6 validation, 6 test 16x16 images with masks."""
    root = tmp_path_factory.mktemp("lesions")
    paths = generate_lesion_dataset(root, 12, 6, 6, seed=3, size=16)
    paths["root"] = str(root)
    return paths
