"""eddl.Tensor construction, NumPy interop, creators, random stream, devices and printing."""

import math

import numpy as np
import pytest

import eddl
from eddl import Tensor
from eddl.tensor import DEV_CPU, DEV_GPU, manual_seed


def test_constructors():
    t = Tensor([2, 3])                                  # a list is a shape, as in PyEDDL
    assert t.shape == (2, 3) and t.dtype == np.float32 and t.device == DEV_CPU
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    # PyEDDL copies: its Tensor(array) constructor takes a pybind11
    # array_t<float, c_style | forcecast>, allocates a new Tensor and std::copy's the values
    # (pyeddl src/tensor_addons.hpp); Tensor.fromarray calls that constructor
    assert not np.shares_memory(Tensor(a).numpy(), a)
    assert not np.shares_memory(Tensor.fromarray(a).numpy(), a)
    strided = a[:, ::2]
    ts = Tensor(strided)
    assert not np.shares_memory(ts.numpy(), a) and ts.is_contiguous()
    np.testing.assert_array_equal(ts.numpy(), strided)
    assert np.shares_memory(Tensor.fromarray(a, copy=False).numpy(), a)
    assert np.shares_memory(Tensor.fromarray(strided, copy=None).numpy(), a)
    i = np.arange(4)                                    # 1-D int array (PyEDDL issue #10)
    ti = Tensor(i)
    assert ti.dtype == np.float32 and ti.tolist() == [0, 1, 2, 3]
    assert Tensor(i, dtype="int64").dtype == np.int64
    assert Tensor.fromarray([[1, 2], [3, 4]]).shape == (2, 2)
    d = np.ones(3)
    assert Tensor.from_numpy(d).dtype == np.float64
    assert np.shares_memory(Tensor.from_numpy(d).numpy(), d)
    assert Tensor(Tensor(a)).shape == (2, 3)
    assert Tensor().shape == (0,)
    assert Tensor(np.float32(3)).shape == ()


def test_constructor_errors():
    with pytest.raises(TypeError, match="use Tensor.fromarray"):
        Tensor([1.5, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        Tensor([2, -1])
    with pytest.raises(TypeError, match="dtype <U1"):
        Tensor(np.array(["a"]))
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        Tensor([2], dtype=complex)
    with pytest.raises(TypeError, match="object"):
        Tensor.fromarray([{}, 1])
    with pytest.raises(TypeError, match="expected a shape"):
        Tensor("abc")
    with pytest.raises(ValueError, match="invalid device code 5"):
        Tensor([2], dev=5)
    with pytest.raises(TypeError, match="from_numpy"):
        Tensor.from_numpy([1, 2])


def test_numpy_interop():
    a = np.zeros((2, 2), np.float32)
    t = Tensor(a)
    view = np.array(t, copy=False)                      # buffer-style zero-copy view
    view += 1
    assert (t.numpy() == 1).all()
    arr = np.zeros((2, 2), np.float32)
    arr += t                                    # stays an ndarray, updated in place
    assert type(arr) is np.ndarray and (arr == 1).all()
    assert type(t + arr) is Tensor
    g = t.getdata()
    g += 5
    assert (t.numpy() == 1).all() and not np.shares_memory(g, a)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="without a copy"):
        np.array(t, dtype=np.float64, copy=False)
    assert t.getShape() == [2, 2] and t.shape == [2, 2] and t.shape == (2, 2)
    assert t.ndim == 2 and t.size == 4 and t.numel() == 4 and t.stride == [2, 1]
    assert t.to_std() == [1.0] * 4
    c = t.clone()
    c.fill_(9)
    assert (t.numpy() == 1).all()
    b = Tensor.zeros([4])
    assert Tensor.copy(t, b) is b and b.tolist() == [1.0] * 4
    assert t.copy().shape == (2, 2)
    with pytest.raises(ValueError, match="sizes differ"):
        Tensor.copy(t, Tensor.zeros([3]))
    assert float(Tensor.full([1], 2.5)) == 2.5 and int(Tensor.full([1, 1], 3.0)) == 3
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    assert t.astype("int32").dtype == np.int32
    assert {t: 1}[t] == 1                                # hashable by identity


@pytest.mark.parametrize("name,args,ref", [
    ("zeros", ([2, 3],), np.zeros((2, 3))),
    ("ones", ([2, 3],), np.ones((2, 3))),
    ("full", ([2, 3], 7.5), np.full((2, 3), 7.5)),
    ("arange", (0, 2, 0.33), np.arange(0, 2, 0.33)),
    ("arange", (5, 1, -1.5), np.arange(5, 1, -1.5)),
    ("range", (0, 2, 0.33), np.arange(0, 2, 0.33)),
    ("range", (0, 3, 1), np.array([0, 1, 2, 3])),
    ("linspace", (0, 1, 5), np.linspace(0, 1, 5)),
    ("logspace", (0, 2, 3, 2.0), np.logspace(0, 2, 3, base=2.0)),
    ("geomspace", (1, 100, 3), np.geomspace(1, 100, 3)),
    ("eye", (3, 1), np.eye(3, k=1)),
    ("identity", (2,), np.eye(2)),
])
def test_creators_match_numpy(name, args, ref):
    t = getattr(Tensor, name)(*args)
    assert t.dtype == np.float32 and t.device == DEV_CPU
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6)


def test_creator_options_and_errors():
    assert Tensor.zeros([2], dtype="int16").dtype == np.int16
    assert Tensor.eye(size=3).shape == (3, 3) and Tensor.eye(rows=2).shape == (2, 2)
    assert Tensor.empty([0, 4]).shape == (0, 4)
    ref = Tensor.ones([2, 3], dtype="float64")
    for fn in (Tensor.zeros_like, Tensor.ones_like, Tensor.empty_like):
        like = fn(ref)
        assert like.shape == (2, 3) and like.dtype == np.float64
    assert Tensor.full_like(ref, 4).tolist() == [[4.0] * 3] * 2
    with pytest.raises(ValueError, match="step must not be zero"):
        Tensor.arange(0, 1, 0)
    with pytest.raises(ValueError, match="must be finite"):
        Tensor.arange(0, math.inf, 1)
    with pytest.raises(ValueError, match="steps must be a non-negative int"):
        Tensor.linspace(0, 1, -2)
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        Tensor.zeros([2], dtype="float16")
    oh = Tensor.onehot(Tensor.fromarray([[0, 2], [1, 1]]), 3)
    assert oh.shape == (2, 2, 3)
    np.testing.assert_array_equal(oh.numpy(), np.eye(3)[[[0, 2], [1, 1]]])
    with pytest.raises(ValueError, match="onehot"):
        Tensor.onehot(Tensor.fromarray([[3]]), 3)


def test_random_stream_is_seedable():
    manual_seed(123)
    a, b = Tensor.randn([50]), Tensor.randu([50])
    Tensor.manual_seed(123)
    assert (Tensor.randn([50]) == a).all() and (Tensor.randu([50]) == b).all()
    eddl.tensor.set_seed(7)
    c = Tensor.randu([50])
    assert not (c == b).all()
    with pytest.raises(ValueError, match="non-negative int"):
        manual_seed(-1)


def test_random_distributions():
    manual_seed(0)
    n = 20000
    u = Tensor.randu([n])
    assert u.dtype == np.float32 and 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01
    g = Tensor.randn([n], dtype="float64")
    assert g.dtype == np.float64 and abs(g.mean()) < 0.03 and abs(g.std() - 1) < 0.03
    r = Tensor.rand_uniform([n], -2, 4)
    assert -2 <= r.min() and r.max() < 4
    nrm = Tensor.rand_normal([n], 3, 0.5)
    assert abs(nrm.mean() - 3) < 0.02 and abs(nrm.std() - 0.5) < 0.02
    bits = Tensor.rand_binary([n], 0.25)
    assert set(np.unique(bits.numpy())) <= {0.0, 1.0} and abs(bits.mean() - 0.25) < 0.02
    ints = Tensor.randint(0, 5, [n])
    assert ints.dtype == np.int64 and ints.min() == 0 and ints.max() == 4
    t = Tensor.zeros([n])
    assert t.fill_rand_uniform_(2.0) is t and 0 <= t.min() and t.max() < 2
    t.fill_rand_signed_uniform_(1.0)
    assert -1 <= t.min() < 0 < t.max() < 1
    t.fill_rand_normal_(1.0, 2.0)
    assert abs(t.mean() - 1) < 0.1 and abs(t.std() - 2) < 0.1
    t.fill_rand_binary_(0.5)
    assert set(np.unique(t.numpy())) == {0.0, 1.0}
    with pytest.raises(TypeError, match="float dtype"):
        Tensor.randn([2], dtype="int32")
    with pytest.raises(TypeError, match="needs a float tensor"):
        Tensor.zeros([2], dtype="int32").fill_rand_uniform_()
    with pytest.raises(ValueError, match="p must be in"):
        Tensor.rand_binary([2], 1.5)


def test_devices():
    assert (eddl.DEV_CPU, eddl.DEV_GPU, eddl.DEV_FPGA) == (0, 1000, 2000)
    assert eddl.tensor.DEV_GPU_3 == 1003 and eddl.tensor.DEV_FPGA_8 == 2008
    t = Tensor.ones([2])
    assert t.isCPU() == 1 and t.isGPU() == 0 and t.isFPGA() == 0 and t.gpu_device == -1
    assert t.toCPU() is t and t.to(DEV_CPU).device == DEV_CPU
    assert Tensor.getDeviceID("cuda:1") == 1001 and Tensor.getDeviceID("cpu") == 0
    with pytest.raises(ValueError, match="unknown device name"):
        Tensor.getDeviceID("tpu")
    assert "cpu" in Tensor.hardware_supported() and Tensor.is_hardware_supported("cpu")
    if not Tensor.is_hardware_supported("gpu"):
        with pytest.raises(RuntimeError, match="backend 'cuda' is unavailable"):
            t.toGPU()
        with pytest.raises(RuntimeError, match="unavailable"):
            Tensor.zeros([2], dev=DEV_GPU)
        assert t.device == DEV_CPU                      # a failed move leaves it untouched
    if not Tensor.is_hardware_supported("fpga"):
        with pytest.raises(RuntimeError, match="backend 'fpga' is unavailable"):
            t.toFPGA()
    with pytest.raises(ValueError, match="invalid device code 3000"):
        t.toDevice(3000)
    with pytest.raises(TypeError, match="device must be an int"):
        Tensor([2], dev="cpu")


def test_repr_info_print(capsys):
    t = Tensor.arange(0, 4, 1).reshape([2, 2])
    r = repr(t)
    assert r.startswith("Tensor([[0., 1.],") and "dtype=float32" in r and "device='cpu'" in r
    big = repr(Tensor.zeros([100, 100]))
    assert "shape=(100, 100)" in big and len(big) < 2000
    assert "shape=(0, 3)" in repr(Tensor.zeros([0, 3]))
    assert str(t) == "[[0. 1.]\n [2. 3.]]"
    t.info()
    out = capsys.readouterr().out
    for key in ("ndim:", "shape:", "(2, 2)", "strides:", "float32", "CPU (code = 0)"):
        assert key in out
    Tensor.fromarray([1 / 3, 2.0]).print(precision=3)
    assert capsys.readouterr().out.strip() == "[0.333 2.   ]"
    Tensor.fromarray([[1 / 3, 2.0]]).print(precision=2, raw=True)
    assert capsys.readouterr().out.strip() == "0.33 2.00"


def test_eddlT_listing(tmp_path):
    import eddl.eddlT as eddlT
    x = Tensor.fromarray(np.arange(12, dtype=np.float32).reshape(3, 4) * 25.5)
    x.save(str(tmp_path / "trX.bin"))
    x_tr = eddlT.load(str(tmp_path / "trX.bin"))       # the toolkit paper's Listing 6
    assert eddlT.div_(x_tr, 255.0) is x_tr
    np.testing.assert_allclose(eddlT.getdata(x_tr), x.numpy() / 255.0, rtol=1e-6)
    assert eddlT.getShape(x_tr) == [3, 4]
    assert eddlT.create([2, 3]).shape == (2, 3)
    assert eddlT.create(np.ones(3)).tolist() == [1, 1, 1]
    assert eddlT.sum(eddlT.ones([2, 2])) == 4
    assert eddlT.select(x_tr, ["0"]).shape == (1, 4)
    np.testing.assert_allclose(eddlT.exp(x_tr).numpy(), np.exp(x_tr.numpy()), rtol=1e-6)
    with pytest.raises(TypeError, match="first argument must be a Tensor"):
        eddlT.exp(np.ones(2))
    for name in eddlT.__all__:
        assert callable(getattr(eddlT, name)) or isinstance(getattr(eddlT, name), int)


def test_docstring_examples_run():
    import doctest

    from eddl.tensor import getDeviceID

    globs = {"Tensor": Tensor, "np": np, "manual_seed": manual_seed, "getDeviceID": getDeviceID}
    runner = doctest.DocTestRunner()
    finder = doctest.DocTestFinder()
    for obj, name in [(Tensor, "Tensor"), (manual_seed, "manual_seed"),
                      (getDeviceID, "getDeviceID")]:
        for test in finder.find(obj, name, globs=dict(globs)):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 8 and result.failed == 0


def test_byte_order_and_read_only_views(tmp_path):
    big = np.arange(4, dtype=">f8")
    t = Tensor.from_numpy(big)
    assert t.dtype == np.float64 and t.dtype.isnative and t.tolist() == [0, 1, 2, 3]
    assert Tensor(np.arange(3, dtype=">i4")).tolist() == [0, 1, 2]
    np.save(tmp_path / "b.npy", big)
    assert Tensor.load(str(tmp_path / "b.npy")).dtype.isnative
    view = Tensor.ones([3]).broadcast_to([2, 3])
    with pytest.raises(ValueError, match="read-only"):
        view.add_(1)
    with pytest.raises(ValueError, match="read-only"):
        view.exp_()
    assert view.clone().add_(1).sum() == 12


def test_constructor_copies_as_pyeddl():
    # the example of the issue: PyEDDL's Tensor(a) owns a copy, so in-place ops leave ``a`` alone
    a = np.zeros(3, np.float32)
    Tensor(a).add_(1)
    assert a.tolist() == [0.0, 0.0, 0.0]
    Tensor.fromarray(a).add_(1)
    assert a.tolist() == [0.0, 0.0, 0.0]
    Tensor(Tensor.fromarray(a, copy=False)).add_(1)      # a tensor argument is copied too
    assert a.tolist() == [0.0, 0.0, 0.0]
    Tensor.fromarray(a, copy=False).add_(1)              # the explicit zero-copy form writes through
    assert a.tolist() == [1.0, 1.0, 1.0]


def test_fromarray_copy_false_refuses_to_copy():
    with pytest.raises(ValueError, match=r"copy=False.*float64.*float32"):
        Tensor.fromarray(np.ones(3), copy=False)
    with pytest.raises(ValueError, match=r"copy=False.*list"):
        Tensor.fromarray([1.0, 2.0], copy=False)
    with pytest.raises(TypeError, match="copy must be True, False or None"):
        Tensor.fromarray(np.ones(3, np.float32), copy="no")
    d = np.ones(3)                                       # copy=None converts only when needed
    assert Tensor.fromarray(d, copy=None).dtype == np.float32
    assert np.shares_memory(Tensor.fromarray(d, dtype="float64", copy=None).numpy(), d)


def test_shape_is_a_list_as_pyeddl():
    # PyEDDL binds Tensor::shape (vector<int>) with def_readwrite (pyeddl src/_core.cpp), so
    # t.shape is a new Python list on each access
    t = Tensor.zeros([2, 3])
    assert isinstance(t.shape, list) and t.shape + [5] == [2, 3, 5]
    assert t.shape == [2, 3] and t.shape == (2, 3) and t.shape != (3, 2) and t.shape != [2]
    s = t.shape
    s.append(7)                                  # a new list each time: the tensor is unchanged
    assert t.shape == [2, 3] and t.getShape() == [2, 3]
    assert {tuple(t.shape): 1}[(2, 3)] == 1      # tuple(t.shape) is the hashable form
    with pytest.raises(TypeError):
        hash(t.shape)
    with pytest.raises(AttributeError):
        t.shape = [3, 2]
    assert repr(t.shape) == "[2, 3]" and Tensor([0]).shape == [0]
