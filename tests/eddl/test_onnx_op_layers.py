"""Layers that mirror ONNX operators: values against NumPy (float64), gradients by finite
differences, and the errors bad arguments raise."""

import os
import sys

import numpy as np
import pytest

import eddl
from eddl import Tensor

sys.path.insert(0, os.path.dirname(__file__))
from _oracle import build_net, check_gradients  # noqa: E402


def _forward(make, xs):
    """Outputs of ``make(*inputs)`` on the float64 arrays ``xs`` (one forward pass)."""
    net = build_net(make, [x.shape[1:] for x in xs])
    net.set_inputs(xs)
    net.forward()
    return [np.array(l.output) for l in net.lout]


def _per_sample(f, *xs):
    return np.stack([f(*s) for s in zip(*xs)])


RNG = np.random.default_rng(42)
X23 = RNG.standard_normal((3, 2, 3))


# --- values against NumPy -----------------------------------------------------------------
@pytest.mark.parametrize("make,ref", [
    (lambda x: eddl.Repeat(x, 2, 1), lambda x: np.repeat(x, 2, axis=2)),
    (lambda x: eddl.Repeat(x, 3, 0), lambda x: np.repeat(x, 3, axis=1)),
    (lambda x: eddl.Repeat(x, [1, 0, 2], -1), lambda x: np.repeat(x, [1, 0, 2], axis=2)),
    (lambda x: eddl.Repeat(x, [2, 2], 0), lambda x: np.repeat(x, 2, axis=1)),
    (lambda x: eddl.Tile(x, [2, 3]), lambda x: _per_sample(lambda s: np.tile(s, [2, 3]), x)),
    (lambda x: eddl.Tile(x, [2]), lambda x: _per_sample(lambda s: np.tile(s, [2]), x)),
    (lambda x: eddl.Tile(x, [2, 1, 2]), lambda x: _per_sample(lambda s: np.tile(s, [2, 1, 2]), x)),
    (lambda x: eddl.Expand(eddl.Reshape(x, [2, 3, 1]), 4),
     lambda x: np.broadcast_to(x[..., None], (3, 2, 3, 4))),
    (lambda x: eddl.Expand(eddl.Reshape(x, [6, 1]), [2, -1, 5]),
     lambda x: np.broadcast_to(x.reshape(3, 1, 6, 1), (3, 2, 6, 5))),
    (lambda x: eddl.Expand(x, [1, 3]), lambda x: x),
    (lambda x: eddl.Bypass(x, "dropout"), lambda x: x),
])
def test_single_input_values(make, ref):
    np.testing.assert_array_equal(_forward(make, [X23.copy()])[0], ref(X23))


def test_split_values_names_and_config():
    x = RNG.standard_normal((2, 3, 10))
    parts = _forward(lambda i: eddl.Split(i, [3, 7], -1), [x])
    for got, want in zip(parts, np.split(x, [3, 7], axis=2)):
        np.testing.assert_array_equal(got, want)
    parts = eddl.Split(eddl.Input([4, 2]), [1], 0, True, name="sp")
    assert [p.name for p in parts] == ["sp_0", "sp_1"]
    assert [p.shape for p in parts] == [(1, 2), (3, 2)]
    assert parts[1].get_config() == {"indexes": [1], "axis": 0, "part": 1,
                                      "merge_sublayers": True, "name": "sp_1"}


@pytest.mark.parametrize("sa,sb", [
    ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
    ((1, 2, 3), (4, 3, 2)), ((4, 1, 2, 3), (5, 3, 2)),
])
def test_matmul_is_numpy_matmul_per_sample(sa, sb):
    a, b = RNG.standard_normal((3,) + sa), RNG.standard_normal((3,) + sb)
    got = _forward(lambda p, q: eddl.MatMul([p, q]), [a, b])[0]
    want = _per_sample(np.matmul, a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_broadcast_follows_numpy_and_eddl_placement():
    a3, b34 = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3, 4))
    got = _forward(lambda p, q: eddl.Broadcast(p, q), [a3, b34])[0]
    np.testing.assert_array_equal(got, np.broadcast_to(a3[:, :, None], (2, 3, 4)))
    a4 = RNG.standard_normal((2, 4))
    got = _forward(lambda p, q: eddl.Broadcast(p, q), [a4, b34])[0]
    np.testing.assert_array_equal(got, np.broadcast_to(a4[:, None, :], (2, 3, 4)))
    a14 = RNG.standard_normal((2, 1, 4))
    b534 = RNG.standard_normal((2, 5, 3, 4))
    got = _forward(lambda p, q: eddl.Broadcast(p, q), [a14, b534])[0]
    np.testing.assert_array_equal(got, np.broadcast_to(a14[:, None], (2, 5, 3, 4)))


def test_where_selects_by_nonzero_condition():
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    c = RNG.integers(0, 2, (4, 5)).astype(np.float64) * RNG.standard_normal((4, 5))
    got = _forward(lambda p, q, r: eddl.Where(p, q, r), [a, b, c])[0]
    np.testing.assert_array_equal(got, np.where(c != 0, a, b))


def test_shape_outputs_the_current_batch_and_sample_shape():
    x = RNG.standard_normal((5, 2, 3))
    with_batch, without = _forward(lambda i: [eddl.Shape(i), eddl.Shape(i, False)], [x])
    np.testing.assert_array_equal(with_batch, np.tile([5.0, 2.0, 3.0], (5, 1)))
    np.testing.assert_array_equal(without, np.tile([2.0, 3.0], (5, 1)))


@pytest.mark.parametrize("const", [
    np.arange(6.0).reshape(2, 3),
    Tensor.fromarray(np.arange(6.0).reshape(2, 3)),
    [[0, 1, 2], [3, 4, 5]],
])
def test_const_of_tensor_repeats_the_constant(const):
    x = RNG.standard_normal((4, 2, 3))
    got = _forward(lambda i: eddl.Add([i, eddl.ConstOfTensor(const)]), [x])[0]
    np.testing.assert_array_equal(got, x + np.arange(6.0).reshape(2, 3))


def test_generators_draw_the_requested_distributions():
    x = np.zeros((4000, 1))
    # the input is an output too: it gives the batch size
    g, u, _ = _forward(lambda i: [eddl.GaussGenerator(2.0, 0.5, [3]),
                                  eddl.UniformGenerator(-1.0, 3.0, [2, 2]), i], [x])
    assert g.shape == (4000, 3) and u.shape == (4000, 2, 2)
    assert abs(g.mean() - 2.0) < 0.02 and abs(g.std() - 0.5) < 0.02
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.05 and abs(u.var() - 16.0 / 12) < 0.05
    # a new draw at every forward pass
    gen = eddl.GaussGenerator(0.0, 1.0, [4])
    i = eddl.Input([1])
    net = eddl.Model([i], [gen, i])
    eddl.build(net, eddl.sgd(0.1), ["mse", "mse"], ["none", "none"])
    first = eddl.predict(net, [np.zeros((2, 1), np.float32)])[0].numpy().copy()
    second = eddl.predict(net, [np.zeros((2, 1), np.float32)])[0].numpy()
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("mask_zeros", [False, True])
def test_embedding_looks_up_rows(mask_zeros):
    ids = np.array([[0, 3, 1, 3], [4, 0, 2, 2]], dtype=np.float64)
    net = build_net(lambda i: eddl.Embedding(i, 5, 4, 3, mask_zeros), [(4,)])
    table = np.array(net.lout[0].params[0])
    net.set_inputs([ids])
    net.forward()
    want = table[ids.astype(int)]
    if mask_zeros:
        want[ids == 0] = 0
    np.testing.assert_array_equal(np.array(net.lout[0].output), want)


@pytest.mark.parametrize("bad", [5.0, -1.0, np.nan])
def test_embedding_names_an_out_of_range_id(bad):
    net = build_net(lambda i: eddl.Embedding(i, 5, 3, 2, name="words"), [(3,)])
    net.set_inputs([np.array([[1.0, bad, 2.0]])])
    with pytest.raises(ValueError, match=rf"Embedding layer 'words': id {bad!r} is out of range; "
                                         r"valid: integers in \[0, 4\]"):
        net.forward()


# --- gradients ----------------------------------------------------------------------------
@pytest.mark.parametrize("make,shapes", [
    (lambda x: eddl.Repeat(x, 2, 1), [(2, 3)]),
    (lambda x: eddl.Repeat(x, [1, 0, 2], -1), [(2, 3)]),
    (lambda x: eddl.Tile(x, [2, 1, 3]), [(2, 3)]),
    (lambda a, b: eddl.Broadcast(a, b), [(3,), (3, 4)]),
    (lambda a, b: eddl.Broadcast(a, b), [(1, 4), (2, 3, 4)]),
    (lambda x: eddl.Expand(x, 4), [(3, 1)]),
    (lambda x: eddl.Expand(x, [2, -1, 5]), [(3, 1)]),
    (lambda x: eddl.Split(x, [1, 3], 1), [(2, 4)]),
    (lambda x: eddl.Add(eddl.Split(x, [2], 0)), [(4, 2)]),
    (lambda a, b: eddl.MatMul([a, b]), [(2, 3, 4), (4, 5)]),
    (lambda a, b: eddl.MatMul([a, b]), [(4,), (2, 4, 3)]),
    (lambda a, b: eddl.MatMul([a, b]), [(1, 3, 4), (2, 4, 2)]),
    (lambda a: eddl.MatMul([a, a]), [(3, 3)]),
    (lambda a, b, c: eddl.Where(a, b, c), [(2, 3)] * 3),
    (lambda x: eddl.Bypass(x), [(2, 3)]),
    (lambda x: eddl.Mult(x, eddl.GaussGenerator(1.0, 2.0, [2, 3])), [(2, 3)]),
    (lambda x: eddl.Mult(x, eddl.UniformGenerator(1.0, 2.0, [2, 3])), [(2, 3)]),
    (lambda x: eddl.Mult(x, eddl.ConstOfTensor(np.arange(6.0).reshape(2, 3))), [(2, 3)]),
    (lambda x: eddl.Add([x, eddl.Shape(x)]), [(2,)]),
])
def test_gradients(make, shapes):
    check_gradients(make, shapes)


@pytest.mark.parametrize("mask_zeros", [False, True])
def test_embedding_gradient_reaches_the_table(mask_zeros):
    ids = np.array([[0, 3, 1, 3], [4, 0, 2, 2], [1, 1, 0, 4]], dtype=np.float64)
    net = check_gradients(lambda i: eddl.Embedding(i, 6, 4, 3, mask_zeros), [(4,)],
                          inputs=[ids], check_inputs=False)
    if mask_zeros:
        assert not np.any(np.array(net.lout[0].gradients[0])[0])


# --- bad arguments ------------------------------------------------------------------------
@pytest.mark.parametrize("make,shapes,match", [
    (lambda x: eddl.Repeat(x, 2, 2), [(2, 3)], r"Repeat layer .*axis=2 is out of range; valid"),
    (lambda x: eddl.Repeat(x, [1, 2], 1), [(2, 3)], r"repeats=\[1, 2\] has 2 counts; valid: 1 "
                                                     r"count or 3"),
    (lambda x: eddl.Repeat(x, [0, 0], 0), [(2, 3)], r"repeats=\[0, 0\] is invalid"),
    (lambda x: eddl.Repeat(x, 0, 0), [(2, 3)], r"repeats=\[0\] is invalid"),
    (lambda x: eddl.Tile(x, [2, 0]), [(2, 3)], r"Tile layer .*repeats=\[2, 0\] is invalid"),
    (lambda a, b: eddl.Broadcast(a, b), [(2,), (3, 4)], r"Broadcast layer .*no axis of length 2"),
    (lambda a, b: eddl.Broadcast(a, b), [(3,), (3, 3, 4)], r"axes \[0, 1\] of length 3"),
    (lambda a, b: eddl.Broadcast(a, b), [(2, 4), (3, 4)], r"axis 0 has length 2, valid: 1 or 3"),
    (lambda a, b: eddl.Broadcast(a, b), [(1, 3, 4), (3, 4)], r"more axes than the target"),
    (lambda x: eddl.Expand(x, [2, 4]), [(3, 1)], r"Expand layer .*size=\[2, 4\] cannot expand "
                                                 r"axis 0 of length 3 to 2"),
    (lambda x: eddl.Expand(x, 0), [(3, 1)], r"size=0 is invalid; valid: an int >= 1"),
    (lambda x: eddl.Split(x, [2, 2], 1), [(2, 4)], r"Split layer .*indexes=\[2, 2\] is invalid; "
                                                   r"valid: .*increasing .* in 1..3"),
    (lambda x: eddl.Split(x, [4], 1), [(2, 4)], r"indexes=\[4\] is invalid"),
    (lambda x: eddl.Split(x, [], 1), [(2, 4)], r"indexes=\[\] is invalid"),
    (lambda x: eddl.Split(x, [1], 3), [(2, 4)], r"axis=3 is out of range"),
    (lambda a, b: eddl.MatMul([a, b]), [(2, 3), (2, 3)], r"MatMul layer .*inner dimensions "
                                                         r"differ: 3 .* != 2"),
    (lambda a, b: eddl.MatMul([a, b]), [(2, 2, 3), (3, 3, 1)], r"leading axes \[2\] and \[3\]"),
    (lambda a, b, c: eddl.Where(a, b, c), [(2,), (2,), (3,)], r"Where layer .*same shape"),
    (lambda x: eddl.Embedding(x, 5, 3, 2), [(4,)], r"Embedding layer .*length=3 does not match"),
])
def test_bad_shapes_and_arguments_name_the_layer(make, shapes, match):
    ins = [eddl.Input(list(s)) for s in shapes]
    with pytest.raises(ValueError, match=match):
        make(*ins)


@pytest.mark.parametrize("call,error,match", [
    (lambda: eddl.GaussGenerator(0.0, -1.0, [2]), ValueError, r"stdev=-1.0 is invalid"),
    (lambda: eddl.GaussGenerator(0.0, 1.0, []), ValueError, r"size=\[\] is invalid"),
    (lambda: eddl.UniformGenerator(1.0, 0.0, [2]), ValueError, r"high=0.0 is invalid"),
    (lambda: eddl.UniformGenerator(0.0, float("inf"), [2]), ValueError, r"high=inf"),
    (lambda: eddl.ConstOfTensor([[1.0], [2.0, 3.0]]), ValueError, r"ragged"),
    (lambda: eddl.ConstOfTensor(3.0), ValueError, r"scalar"),
    (lambda: eddl.ConstOfTensor([["a"]]), TypeError, r"holds a str"),
    (lambda: eddl.Embedding(eddl.Input([2]), 0, 2, 3), ValueError, r"vocsize=0 is invalid"),
    (lambda: eddl.Repeat(eddl.Input([2]), 1.5, 0), TypeError, r"repeats must be an int"),
    (lambda: eddl.MatMul([eddl.Input([2])]), ValueError, r"MatMul: needs 2 layers"),
    (lambda: eddl.layers.Where([eddl.Input([2])] * 2), ValueError, r"needs 3 layers"),
])
def test_bad_constructor_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- Tensor.broadcast and Tensor.scale ------------------------------------------------------
def test_tensor_broadcast_places_a_1d_tensor_on_its_axis():
    a = np.array([1.0, 2.0, 3.0])
    got = Tensor.broadcast(Tensor.fromarray(a), Tensor.zeros([3, 4])).numpy()
    np.testing.assert_array_equal(got, np.broadcast_to(a[:, None], (3, 4)))
    got = Tensor.broadcast(Tensor.fromarray(a), Tensor.zeros([2, 3, 5])).numpy()
    np.testing.assert_array_equal(got, np.broadcast_to(a[:, None], (2, 3, 5)))
    # NumPy's rule first: the last axis
    got = Tensor.broadcast(Tensor.fromarray(a), Tensor.zeros([3, 3])).numpy()
    np.testing.assert_array_equal(got, np.broadcast_to(a, (3, 3)))
    with pytest.raises(ValueError, match=r"broadcast: .*axes \[0, 1\] of length 3"):
        Tensor.broadcast(Tensor.fromarray(a), Tensor.zeros([3, 3, 2]))
    with pytest.raises(ValueError, match=r"broadcast: .*no axis of length 3"):
        Tensor.broadcast(Tensor.fromarray(a), Tensor.zeros([2, 4]))


def _nearest_reference(x, new):
    """Nearest resize (ONNX asymmetric, floor) of the last two axes, in NumPy."""
    h, w = x.shape[-2:]
    rows = np.minimum(np.floor(np.arange(new[0]) * h / new[0]).astype(int), h - 1)
    cols = np.minimum(np.floor(np.arange(new[1]) * w / new[1]).astype(int), w - 1)
    return x[..., rows, :][..., cols]


@pytest.mark.parametrize("shape,new", [((2, 3, 5, 4), [8, 6]), ((3, 6, 6), [4, 3]),
                                       ((5, 7), [5, 7])])
def test_tensor_scale_is_nearest_resize(shape, new):
    x = RNG.standard_normal(shape).astype(np.float32)
    got = Tensor.fromarray(x).scale(new)
    np.testing.assert_array_equal(got.numpy(), _nearest_reference(x, new))


@pytest.mark.parametrize("mode", ["constant", "original", "nearest", "reflect", "mirror", "wrap"])
@pytest.mark.parametrize("new", [[3, 4], [9, 8]])
def test_tensor_scale_keep_size_matches_the_scale_layer(mode, new):
    from eddl.utils import TransformationMode, WrappingMode

    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    enum = getattr(WrappingMode, mode.capitalize())
    got = Tensor.fromarray(x).scale(new, enum, 2.5, TransformationMode.HalfPixel, True).numpy()
    want = _forward(lambda i: eddl.Scale(i, new, False, mode, 2.5, "half_pixel"),
                    [x.astype(np.float64)])[0]
    assert got.shape == x.shape
    np.testing.assert_array_equal(got, want)


def test_tensor_scale_rejects_bad_arguments():
    t = Tensor.zeros([1, 4, 4])
    with pytest.raises(ValueError, match=r"scale: new_shape=\[0, 2\] is invalid"):
        t.scale([0, 2])
    with pytest.raises(ValueError, match=r"scale: mode='spiral' is invalid; valid: \["):
        t.scale([2, 2], "spiral")
    with pytest.raises(ValueError, match=r"coordinate_transformation_mode=.* is invalid"):
        t.scale([2, 2], coordinate_transformation_mode="tf_crop_and_resize")
    with pytest.raises(ValueError, match=r"at least 2 axes"):
        Tensor.zeros([4]).scale([2, 2])


def test_a_model_without_outputs_holds_layers_fed_by_a_source():
    x = eddl.Input([3])
    noise = eddl.UniformGenerator(0.0, 1.0, [3])
    mixed = eddl.Add([x, noise])
    net = eddl.Model([x], [])
    assert noise in net.layers and mixed in net.layers
    assert net.layers.index(noise) < net.layers.index(mixed)


def test_numpy_integers_are_accepted_and_configs_hold_plain_ints():
    layer = eddl.Repeat(eddl.Input([2, 3]), np.int64(2), np.int32(1))
    assert layer.shape == (2, 6)
    assert eddl.Expand(eddl.Input([3, 1]), np.int64(4)).shape == (3, 4)
    assert eddl.Tile(eddl.Input([2]), np.array([3])).get_config()["repeats"] == [3]


def test_expand_needs_an_axis_of_length_one():
    with pytest.raises(ValueError, match=r"Expand layer .*size=4: the sample has no axis of "
                                         r"length 1"):
        eddl.Expand(eddl.Input([2, 3]), 4)
