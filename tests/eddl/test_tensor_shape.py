"""Shape manipulation and indexing of eddl.Tensor."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eddl import Tensor

FAST = settings(max_examples=25, deadline=None)


def arange(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def test_reshape_forms():
    a = arange(2, 6)
    t = Tensor.fromarray(a, copy=False)
    assert t.reshape([3, -1]).shape == (3, 4)
    assert t.reshape(4, 3).shape == [4, 3]         # a list, as in PyEDDL; equal to the tuple too
    r = t.reshape((12,))
    assert np.shares_memory(r.numpy(), a)
    assert t.reshape_([6, 2]) is t and t.shape == (6, 2)
    with pytest.raises(ValueError, match=r"size 12 \(6, 2\) into \(5, 3\)"):
        t.reshape([5, 3])
    with pytest.raises(ValueError, match="only one dimension may be -1"):
        t.reshape([-1, -1])
    with pytest.raises(ValueError, match="non-negative"):
        t.reshape([-2, -6])
    np.testing.assert_array_equal(t.flatten().numpy(), a.ravel())
    assert t.flatten_() is t and t.shape == (12,)
    assert Tensor.static_flatten(Tensor(a)).shape == (12,)
    assert Tensor.zeros([0, 3]).reshape([-1, 3]).shape == (0, 3)


def test_squeeze_unsqueeze():
    t = Tensor.zeros([1, 3, 1, 2])
    assert t.squeeze().shape == (3, 2)             # PyEDDL: -1 removes all size-1 dims
    assert t.squeeze(None).shape == (3, 2)
    assert t.squeeze(2).shape == (1, 3, 2)
    with pytest.raises(ValueError, match="axis 1 has size 3, not 1"):
        t.squeeze(1)
    assert t.unsqueeze(0).shape == (1, 1, 3, 1, 2)
    assert t.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    with pytest.raises(ValueError, match="out of range"):
        t.unsqueeze(6)
    u = t.clone()
    assert u.squeeze_() is u and u.shape == (3, 2)
    assert u.unsqueeze_(1).shape == (3, 1, 2)


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_permute_transpose_moveaxis(shape, data):
    a = arange(*shape)
    perm = data.draw(st.permutations(range(len(shape))))
    p = Tensor(a).permute(perm)
    np.testing.assert_array_equal(p.numpy(), np.transpose(a, perm))
    assert p.is_contiguous()
    np.testing.assert_array_equal(Tensor.permute_static(Tensor(a), perm).numpy(),
                                  np.transpose(a, perm))
    np.testing.assert_array_equal(Tensor(a).transpose(perm).numpy(), np.transpose(a, perm))
    np.testing.assert_array_equal(Tensor(a).transpose().numpy(), a.T)
    np.testing.assert_array_equal(Tensor(a).T.numpy(), a.T)
    out = Tensor.zeros(np.transpose(a, perm).shape)
    Tensor.transpose(Tensor(a), out, perm)          # PyEDDL static form
    np.testing.assert_array_equal(out.numpy(), np.transpose(a, perm))
    s, d = data.draw(st.integers(0, len(shape) - 1)), data.draw(st.integers(0, len(shape) - 1))
    np.testing.assert_array_equal(Tensor(a).moveaxis(s, d).numpy(), np.moveaxis(a, s, d))
    np.testing.assert_array_equal(Tensor(a).swapaxis(s, d).numpy(), np.swapaxes(a, s, d))


def test_permute_errors():
    with pytest.raises(ValueError, match="not a permutation"):
        Tensor.zeros([2, 3]).permute([0, 0])
    with pytest.raises(ValueError, match="out of range"):
        Tensor.zeros([2, 3]).permute([0, 2])


def test_concat_stack_split():
    a, b = arange(2, 3), arange(4, 3) + 100
    c = Tensor.concat([Tensor(a), Tensor(b)])
    np.testing.assert_array_equal(c.numpy(), np.concatenate([a, b]))
    out = Tensor.zeros([2, 6])
    assert Tensor.concat([Tensor(a), Tensor(a)], axis=1, output=out) is out
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, a], 1))
    s = Tensor.stack([Tensor(a), Tensor(a * 2)], axis=-1)
    np.testing.assert_array_equal(s.numpy(), np.stack([a, a * 2], -1))
    with pytest.raises(ValueError, match=r"concat: tensor 1 has shape \[4, 3\]"):
        Tensor.concat([Tensor(a), Tensor(b)], axis=1)
    with pytest.raises(ValueError, match="stack: tensor 1"):
        Tensor.stack([Tensor(a), Tensor(b)])
    with pytest.raises(TypeError, match="element 1 is a ndarray"):
        Tensor.concat([Tensor(a), a])
    with pytest.raises(ValueError, match="at least one"):
        Tensor.concat([])
    parts = Tensor(b).split(2)
    assert [p.shape for p in parts] == [(2, 3), (2, 3)]
    parts = Tensor(b).split([1, 3], axis=0)
    np.testing.assert_array_equal(parts[1].numpy(), b[1:3])
    with pytest.raises(ValueError, match="cannot be split into 3 equal parts"):
        Tensor(b).split(3)


def test_repeat_tile_broadcast_expand():
    a = arange(2, 3)
    np.testing.assert_array_equal(Tensor(a).repeat(2, axis=1).numpy(), np.repeat(a, 2, 1))
    np.testing.assert_array_equal(Tensor.repeat(Tensor(a), [1, 3], 0).numpy(),
                                  np.repeat(a, [1, 3], 0))
    with pytest.raises(ValueError, match="3 counts given for axis 0 of size 2"):
        Tensor(a).repeat([1, 2, 3])
    np.testing.assert_array_equal(Tensor.tile(Tensor(a), [2, 1]).numpy(), np.tile(a, (2, 1)))
    np.testing.assert_array_equal(Tensor(a).tile([3]).numpy(), np.tile(a, 3))
    row = Tensor(a[:1])
    np.testing.assert_array_equal(Tensor.broadcast(row, Tensor(a)).numpy(),
                                  np.broadcast_to(a[:1], a.shape))
    with pytest.raises(ValueError, match="cannot broadcast"):
        Tensor(a).broadcast_to([3, 3])
    np.testing.assert_array_equal(Tensor.zeros([1, 3, 1]).expand(4).shape, (4, 3, 4))


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("reflect", "symmetric"),
                                          ("mirror", "reflect"), ("nearest", "edge"),
                                          ("wrap", "wrap")])
def test_pad_modes(mode, np_mode):
    a = arange(2, 3, 4)
    got = Tensor(a).pad([(0, 0), (1, 2), (2, 1)], mode=mode)
    kw = {"constant_values": 0} if np_mode == "constant" else {}
    np.testing.assert_array_equal(got.numpy(), np.pad(a, [(0, 0), (1, 2), (2, 1)], np_mode, **kw))


def test_pad_eddl_forms():
    a = arange(1, 3, 4)
    np.testing.assert_array_equal(Tensor(a).pad([1, 2], cval=9).numpy(),
                                  np.pad(a, [(0, 0), (1, 1), (2, 2)], constant_values=9))
    # top, right, bottom, left
    np.testing.assert_array_equal(Tensor(a).pad([1, 2, 3, 4]).numpy(),
                                  np.pad(a, [(0, 0), (1, 3), (4, 2)]))
    np.testing.assert_array_equal(Tensor(a).pad(1).numpy(), np.pad(a, 1))
    with pytest.raises(ValueError, match="non-negative"):
        Tensor(a).pad([-1, 0])
    with pytest.raises(ValueError, match="unknown mode"):
        Tensor(a).pad(1, mode="bogus")


def test_select_grammar():
    a = arange(3, 4)
    t = Tensor(a)
    assert t.select(["1:3", "2"]).shape == (2, 1)                      # PyEDDL doc example
    np.testing.assert_array_equal(t.select(["1:3", "2"]).numpy(), a[1:3, 2:3])
    np.testing.assert_array_equal(t.select([":", "-2:"]).numpy(), a[:, -2:])
    np.testing.assert_array_equal(t.select([" :2 "]).numpy(), a[:2])   # blanks, missing dims
    np.testing.assert_array_equal(t.select(["-1"]).numpy(), a[-1:])
    sel = t.select(["0"])
    sel.fill_(-1)
    assert a[0, 0] == 0                                                 # select copies
    for bad, msg in [(["0", "0", "0"], "3 indices given"), (["2:1"], "empty or outside"),
                     (["0:9"], "outside dimension 0 of size 3"), (["a"], "not an integer"),
                     (["0:2:1"], "steps are not supported"), (["3"], "outside")]:
        with pytest.raises(ValueError, match=msg):
            t.select(bad)
    with pytest.raises(TypeError, match="list of strings"):
        t.select("0")


def test_set_select():
    a = arange(3, 4)
    t = Tensor.fromarray(a, copy=False)
    t.set_select(["0:2", "1"], Tensor.full([2, 1], -1.0))
    assert (a[0:2, 1] == -1).all()
    t.set_select(["2"], 7.0)
    assert (a[2] == 7).all()
    with pytest.raises(ValueError, match=r"value of shape \(3,\) does not fit"):
        t.set_select(["0:2", "0:2"], Tensor.zeros([3]))


def test_getitem_views_and_setitem():
    a = arange(3, 4)
    t = Tensor.fromarray(a, copy=False)
    row = t[1]
    assert row.shape == (4,) and np.shares_memory(row.numpy(), a)
    v = t[1, 2]
    assert v.shape == () and float(v) == a[1, 2]
    v.fill_(100)
    assert a[1, 2] == 100                               # 0-d results are views too
    np.testing.assert_array_equal(t[:, ::2].numpy(), a[:, ::2])
    np.testing.assert_array_equal(t[..., -1].numpy(), a[..., -1])
    mask = t > 5
    np.testing.assert_array_equal(t[mask].numpy(), a[a > 5])
    idx = Tensor(np.array([2, 0]), dtype="int64")
    np.testing.assert_array_equal(t[idx].numpy(), a[[2, 0]])
    t[0] = Tensor.full([4], 3.0)
    t[1:, 0] = 9
    t[t > 50] = 0
    assert (a[0] == 3).all() and (a[1:, 0] == 9).all() and a.max() <= 50
    with pytest.raises(IndexError):
        t[5]
    with pytest.raises(TypeError, match="float index"):
        t[1.5]
    with pytest.raises(ValueError):
        t[0] = Tensor.zeros([3])
    assert len(t) == 3 and [r.shape for r in t] == [(4,)] * 3


def test_flip():
    a = arange(2, 3)
    np.testing.assert_array_equal(Tensor(a).flip(1).numpy(), a[:, ::-1])
