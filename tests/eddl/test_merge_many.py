"""Element-wise merges of more than two layers against float64 NumPy references."""

import numpy as np
import pytest

import eddl

REFERENCES = {
    "Add": lambda xs: np.sum(xs, axis=0),
    "Mult": lambda xs: np.prod(xs, axis=0),
    "Maximum": lambda xs: np.max(xs, axis=0),
    "Minimum": lambda xs: np.min(xs, axis=0),
    "Average": lambda xs: np.mean(xs, axis=0),
}


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_merge_of_n_layers_matches_numpy(name, n):
    rng = np.random.default_rng(n)
    inputs = [eddl.Input([3, 4]) for _ in range(n)]
    net = eddl.Model(inputs, [getattr(eddl, name)(inputs)])
    eddl.build(net)
    xs = [rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(n)]
    out = eddl.predict(net, xs)[0].numpy()
    ref = REFERENCES[name](np.array(xs, dtype=np.float64))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
