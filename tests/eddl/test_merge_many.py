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


@pytest.mark.parametrize("fn, ref", [(eddl.Add, np.add), (eddl.Subtract, np.subtract),
                                     (eddl.Mult, np.multiply)])
def test_list_form_takes_the_name_second_as_pyeddl_does(fn, ref):
    a, b = eddl.Input([4]), eddl.Input([4])
    out = fn([a, b], "merged")
    assert out.name == "merged"
    net = eddl.Model([a, b], [out])
    eddl.build(net, eddl.sgd(), ["mse"], ["mse"], eddl.CS_CPU(), init_weights=False)
    rng = np.random.default_rng(0)
    xa, xb = rng.random((3, 4), np.float32), rng.random((3, 4), np.float32)
    got = eddl.predict(net, [eddl.Tensor(xa), eddl.Tensor(xb)])[0].getdata()
    np.testing.assert_allclose(got, ref(xa.astype(np.float64), xb), rtol=1e-6)


def test_layer_and_constant_forms_keep_their_meaning():
    a = eddl.Input([4])
    assert eddl.Add(a, 2.0, "plus").name == "plus"
    with pytest.raises(TypeError, match="at least one operand must be a layer"):
        eddl.Add(1.0, 2.0)
