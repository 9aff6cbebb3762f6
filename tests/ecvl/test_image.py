"""The Image class: layout contract, constructors, attributes, views and copies."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ecvl
from ecvl import ColorType, DataType, Image

DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]


@pytest.mark.parametrize("channels,dims,canon", [
    ("xyc", [5, 4, 3], (4, 5, 3)),
    ("cxy", [3, 5, 4], (4, 5, 3)),
    ("xy", [5, 4], (4, 5, 1)),
    ("xyz", [5, 4, 2], (2, 4, 5, 1)),
    ("xyzc", [5, 4, 2, 3], (2, 4, 5, 3)),
    ("xyo", [5, 4, 7], (4, 5, 7)),
    ("xyzt", [5, 4, 2, 6], (6, 2, 4, 5, 1)),
    ("yxc", [4, 5, 3], (4, 5, 3)),
    ("cyx", [3, 4, 5], (4, 5, 3)),
    ("xzyc", [5, 2, 4, 3], (2, 4, 5, 3)),
    ("yxt", [4, 5, 6], (6, 4, 5, 1)),
])
def test_layout_contract(channels, dims, canon):
    img = Image(dims, DataType.uint8, channels)
    assert np.asarray(img).shape == tuple(dims) == img.shape
    c = img.canonical()
    assert c.shape == canon and c.flags.c_contiguous
    assert np.shares_memory(c, np.asarray(img))
    assert img.IsOwner() and img.contiguous_
    # element mapping: canonical index (non-channel axes reversed, spatial ones as z, y, x;
    # then the channel) == public index
    a = np.asarray(img)
    a[...] = np.arange(a.size, dtype=np.uint64).reshape(a.shape) % 251
    idx = tuple(d - 1 for d in dims)
    perm = ecvl.core.layout.canonical_order(channels)[0]
    cidx = tuple(idx[p] for p in perm) + ((0,) if len(canon) > len(dims) else ())
    assert c[cidx] == a[idx]


def test_xyc_and_cxy_share_canonical_layout():
    hwc = np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8)
    a = Image.from_canonical(hwc, "xyc", ColorType.RGB)
    b = Image.from_canonical(hwc, "cxy", ColorType.RGB)
    assert a.dims_ == [5, 4, 3] and b.dims_ == [3, 5, 4]
    assert np.asarray(a)[2, 1, 0] == hwc[1, 2, 0] == np.asarray(b)[0, 2, 1]
    assert a.canonical() is not None and np.shares_memory(a.canonical(), hwc)
    assert np.shares_memory(b.canonical(), hwc)


def test_from_canonical_without_channel_axis():
    hw = np.arange(12, dtype=np.float32).reshape(3, 4)
    img = Image.from_canonical(hw, "xy")
    assert img.dims_ == [4, 3] and np.asarray(img)[3, 2] == 11
    assert img.canonical().shape == (3, 4, 1) and np.shares_memory(img.canonical(), hw)
    with pytest.raises(ecvl.EcvlValueError, match="size 1"):
        Image.from_canonical(np.zeros((3, 4, 2)), "xy")
    with pytest.raises(ecvl.EcvlValueError, match="does not fit"):
        Image.from_canonical(np.zeros((3, 4)), "xyc")


@pytest.mark.parametrize("dtype", DTYPES)
def test_fromarray_copies_and_round_trips(dtype):
    a = (np.arange(60) % 100).astype(dtype).reshape(5, 4, 3)
    img = Image.fromarray(a, "xyc", ColorType.RGB)
    assert img.elemtype_ == DataType.from_numpy(dtype) and img.elemsize_ == np.dtype(dtype).itemsize
    assert np.array_equal(np.asarray(img), a) and not np.shares_memory(np.asarray(img), a)
    back = Image.fromarray(np.array(img), img.channels_, img.colortype_)
    assert np.array_equal(np.asarray(back), a)
    # Fortran-ordered input (PyECVL's own order) and non-contiguous input
    f = np.asfortranarray(a)
    assert np.array_equal(np.asarray(Image.fromarray(f, "xyc")), a)
    nc = np.zeros((10, 4, 3), dtype)[::2]
    nc[...] = a
    assert np.array_equal(np.asarray(Image.fromarray(nc, "xyc")), a)


def test_fromarray_zero_copy_and_writes_through():
    a = np.zeros((5, 4), np.uint8)
    img = Image.fromarray(a, "xy", copy=False)
    np.asarray(img)[1, 2] = 7
    assert a[1, 2] == 7
    img2 = Image([5, 4], DataType.int16, "xy")
    v = np.array(img2, copy=False)
    v[4, 3] = -3
    assert img2.canonical()[3, 4, 0] == -3


def test_fromarray_rejects_bad_arrays():
    with pytest.raises(ecvl.EcvlValueError, match="boolean"):
        Image.fromarray(np.zeros((2, 2), bool), "xy")
    with pytest.raises(ecvl.EcvlTypeError, match="complex128"):
        Image.fromarray(np.zeros((2, 2), complex), "xy")
    with pytest.raises(ecvl.EcvlValueError, match="has 3 axes but the data has 2"):
        Image.fromarray(np.zeros((2, 2)), "xyc")
    with pytest.raises(ecvl.EcvlValueError, match="unknown axis"):
        Image.fromarray(np.zeros((2, 2)), "xq")
    with pytest.raises(ecvl.EcvlValueError, match="repeats"):
        Image.fromarray(np.zeros((2, 2)), "xx")
    big_endian = np.arange(6, dtype=">u2").reshape(3, 2)
    img = Image.fromarray(big_endian, "xy")
    assert img.dtype == np.uint16 and np.array_equal(np.asarray(img), big_endian)


def test_constructor_validation():
    with pytest.raises(ecvl.EcvlValueError, match="positive"):
        Image([0, 3], DataType.uint8, "xy")
    with pytest.raises(ecvl.EcvlValueError, match="needs a 'c' axis of 3"):
        Image([4, 3, 1], DataType.uint8, "xyc", ColorType.RGB)
    with pytest.raises(ecvl.EcvlValueError, match="only valid for empty"):
        Image([4, 3], DataType.none, "xy")
    with pytest.raises(ecvl.EcvlValueError, match="one value per axis"):
        Image([4, 3], DataType.uint8, "xy", spacings=[1.0])
    with pytest.raises(ecvl.EcvlValueError, match="GPU"):
        Image([4, 3], DataType.uint8, "xy", dev=ecvl.Device.GPU)
    img = Image([4, 3, 1], DataType.uint8, "xyc", ColorType.GRAY, [0.5, 0.5, 1], meta={"a": 3})
    assert img.spacings_ == [0.5, 0.5, 1.0] and img.GetMeta("a").Get() == 3
    assert img.dev_ == ecvl.Device.CPU


def test_five_d_and_attributes():
    img = Image([2, 3, 4, 5, 6], DataType.float32, "xyzoc")
    assert img.dims_ == [2, 3, 4, 5, 6] and img.ndim == 5
    assert img.Width() == 2 and img.Height() == 3 and img.Channels() == 6 and img.depth == 4
    assert img.datasize_ == 2 * 3 * 4 * 5 * 6 * 4
    assert img.strides_ == list(np.asarray(img).strides)


def test_empty_image():
    e = Image.empty()
    assert e.IsEmpty() and e.is_empty and e.dims_ == [] and e.elemtype_ == DataType.none
    assert e.dev_ == ecvl.Device.NONE
    with pytest.raises(ecvl.EcvlError, match="empty"):
        np.asarray(e)
    with pytest.raises(ecvl.EcvlError, match="empty"):
        e.canonical()
    assert repr(e) == "Image(empty)"


def test_to_numpy_layouts():
    img = Image.fromarray(np.arange(60, dtype=np.uint8).reshape(5, 4, 3), "xyc", ColorType.RGB)
    yxc = img.to_numpy("yxc")
    assert yxc.shape == (4, 5, 3) and yxc[3, 4, 2] == np.asarray(img)[4, 3, 2]
    assert np.shares_memory(yxc, np.asarray(img))
    assert not np.shares_memory(img.to_numpy("yxc", copy=True), np.asarray(img))
    gray = Image([5, 4], DataType.uint8, "xy")
    assert gray.to_numpy("yxc").shape == (4, 5, 1)
    with pytest.raises(ecvl.EcvlValueError, match="permutation"):
        img.to_numpy("xyz")


def test_views_and_crops_share_memory():
    img = Image.fromarray(np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3), "xyc", ColorType.RGB,
                          spacings=[0.5, 0.25, 1.0])
    v = img.crop(1, 1, 3, 2)
    assert v.dims_ == [3, 2, 3] and v.colortype_ == ColorType.RGB and not v.IsOwner()
    np.asarray(v)[0, 0, 0] = 200
    assert np.asarray(img)[1, 1, 0] == 200
    s = img[::2, :, 1]
    assert s.dims_ == [3, 4, 1] and s.spacings_ == [1.0, 0.25, 1.0]
    assert not s.contiguous_ and s.canonical().flags.c_contiguous
    img[0, 0] = 9
    assert np.all(np.asarray(img)[0, 0] == 9)
    with pytest.raises(ecvl.EcvlValueError, match="outside"):
        img.crop(3, 0, 3, 2)
    with pytest.raises(ecvl.EcvlValueError, match="outside axis"):
        img[7]


def test_copy_is_deep():
    img = Image([3, 2, 3], DataType.uint8, "cxy", ColorType.RGB, meta={"k": "v"})
    c = img.copy()
    np.asarray(c)[0, 0, 0] = 5
    c.meta_["k"] = ecvl.MetaData("w")
    assert np.asarray(img)[0, 0, 0] == 0 and img.GetMeta("k").Get() == "v"
    assert c.channels_ == "cxy" and c.canonical().flags.c_contiguous
    d = copy.deepcopy(img)
    assert np.array_equal(np.asarray(d), np.asarray(img)) and not np.shares_memory(np.asarray(d), np.asarray(img))
    p = pickle.loads(pickle.dumps(img))
    assert p.dims_ == img.dims_ and p.channels_ == "cxy" and p.GetMeta("k").Get() == "v"
    # copy of a non-canonical view is canonical
    view = Image.fromarray(np.zeros((6, 4), np.int16), "xy")[::2]
    assert view.copy().contiguous_


def test_copy_image_and_shallow_copy():
    src = Image.fromarray(np.arange(6, dtype=np.float32).reshape(3, 2) * 100, "xy")
    dst = Image.empty()
    ecvl.CopyImage(src, dst)
    assert dst.elemtype_ == DataType.float32 and not np.shares_memory(np.asarray(dst), np.asarray(src))
    dst2 = Image.empty()
    ecvl.CopyImage(src, dst2, DataType.uint8)
    assert np.asarray(dst2).tolist() == [[0, 100], [200, 255], [255, 255]]
    sh = Image.empty()
    ecvl.ShallowCopyImage(src, sh)
    assert np.shares_memory(np.asarray(sh), np.asarray(src)) and not sh.IsOwner()
    # CopyImage into a same-shaped view writes through into the parent image
    big = Image([6, 4], DataType.float32, "xy")
    ecvl.CopyImage(src, big[1:4, 1:3])
    assert np.array_equal(np.asarray(big)[1:4, 1:3], np.asarray(src))


def test_rearrange_channels():
    a = np.random.default_rng(1).integers(0, 100, (5, 4, 3)).astype(np.uint8)
    img = Image.fromarray(a, "xyc", ColorType.RGB, spacings=[1, 2, 3])
    r = ecvl.rearrange_channels(img, "cxy")
    assert r.dims_ == [3, 5, 4] and r.spacings_ == [3.0, 1.0, 2.0]
    assert np.shares_memory(r.canonical(), img.canonical())  # same canonical layout: free
    for x, y, c in [(0, 0, 0), (4, 3, 2), (2, 1, 1)]:
        assert np.asarray(r)[c, x, y] == a[x, y, c]
    ecvl.RearrangeChannels(img, img, "yxc", DataType.float32)
    assert img.dims_ == [4, 5, 3] and img.elemtype_ == DataType.float32 and img.contiguous_
    assert np.asarray(img)[3, 4, 2] == a[4, 3, 2]
    with pytest.raises(ecvl.EcvlValueError, match="permutation"):
        ecvl.RearrangeChannels(img, img, "xyz")


def test_meta_and_properties():
    img = Image([2, 2], DataType.uint8, "xy")
    assert img.SetMeta("n", 2 ** 40) is True and img.SetMeta("n", 5e40) is False
    assert img.GetMeta("n").GetStr() == "5e+40" and img.get_meta("missing", 1) == 1
    img.SetMeta("affine", np.eye(4))
    assert img.GetMeta("affine") == np.eye(4)
    img.channels_ = "yx"
    assert img.channels_ == "yx"
    with pytest.raises(ecvl.EcvlValueError):
        img.channels_ = "xyc"
    with pytest.raises(AttributeError):
        img.dims_ = [3, 3]
    assert ecvl.DataTypeSize() == 8 and ecvl.DataTypeSignedSize() == 6
    assert [ecvl.DataTypeSize(t) for t in DataType if t is not DataType.none] == \
        [np.dtype(t.name).itemsize for t in DataType if t is not DataType.none]


def test_pyecvl_views():
    img = Image([3, 2, 1], DataType.int16, "xyc")
    v = ecvl.View_int16(img)
    v[[2, 1, 0]] = -7
    assert v[2, 1, 0] == -7 and np.asarray(img)[2, 1, 0] == -7
    with pytest.raises(ecvl.EcvlTypeError, match="needs a uint8 image, got int16"):
        ecvl.View_uint8(img)


@given(st.permutations("xyzc"), st.lists(st.integers(1, 5), min_size=4, max_size=4),
       st.sampled_from(["uint8", "int16", "float32"]), st.permutations("xyzc"))
def test_layout_round_trips_property(channels, dims, dtype, target):
    channels, target = "".join(channels), "".join(target)
    a = np.arange(np.prod(dims)).reshape(dims).astype(dtype)
    img = Image.fromarray(a, channels)
    assert img.canonical().flags.c_contiguous
    back = Image.from_canonical(img.canonical(), channels)
    np.testing.assert_array_equal(np.asarray(back), a)
    r = ecvl.rearrange_channels(img, target)
    assert r.canonical().flags.c_contiguous
    np.testing.assert_array_equal(np.asarray(r), a.transpose([channels.index(c) for c in target]))
    np.testing.assert_array_equal(img.to_numpy(target), np.asarray(r))


# ECVL 1.0.3 image.h: ``template <DataType DT> class View : public Image`` borrows the source's
# memory (ShallowMemoryManager), so a view is an Image that does not own its data.
@pytest.mark.parametrize("name,dtype", [("View_int8", np.int8), ("View_uint8", np.uint8),
                                        ("View_int16", np.int16), ("View_float32", np.float32)])
def test_views_are_non_owning_images(name, dtype):
    img = Image.fromarray(np.arange(24).reshape(4, 3, 2).astype(dtype), "xyc",
                          spacings=[0.5, 2.0, 1.0])
    v = getattr(ecvl, name)(img)
    assert isinstance(v, Image) and img.IsOwner() and not v.IsOwner()
    assert (v.Width(), v.Height(), v.Channels(), v.dims_, v.channels_, v.spacings_) == \
        (4, 3, 2, [4, 3, 2], "xyc", [0.5, 2.0, 1.0])
    assert v[3, 2, 1] == 23 and v[[1, 0, 1]] == 7
    v[0, 0, 0] = 9
    assert np.asarray(img)[0, 0, 0] == 9
    np.testing.assert_array_equal(np.asarray(v), np.asarray(img))
    # Image functions take views and their results are ordinary images
    out = ecvl.mirror2d(v)
    assert type(out) is Image
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img)[::-1])
    assert type(v.copy()) is Image and v.copy().IsOwner()
    # a view as dst is written through when the result fits it
    ecvl.Mirror2D(v, v)
    assert np.asarray(img)[3, 0, 0] == 9
    with pytest.raises(ecvl.EcvlValueError, match=rf"{name}: a view only takes a result of its own dims"):
        ecvl.ResizeDim(v, v, [2, 2])
    # slices of a view are views of the same memory
    part = v[1:3]
    assert type(part) is type(v) and not part.IsOwner() and part.dims_ == [2, 3, 2]
    assert getattr(ecvl, name)().IsEmpty()


# PyECVL's fromarray builds an ecvl::Image from the array's shape and the channels string;
# ECVL's constructor throws "Number of dimensions must match number of channels." when they
# differ, so the paper's Listing 5 (a 2-D array with "xyc") fails there too. We refuse it with
# a message saying how to add the missing axis.
def test_fromarray_of_a_2d_array_with_xyc_says_how_to_add_the_channel_axis():
    a = np.arange(12).reshape(3, 4).astype(np.int16)
    with pytest.raises(ecvl.EcvlValueError, match=r"'c' axis is missing. Add it with "
                       r"a\[\.\.\., np\.newaxis\] \(shape \(3, 4, 1\)\), or give channels 'xy'"):
        Image.fromarray(a, "xyc", ecvl.ColorType.GRAY)
    with pytest.raises(ecvl.EcvlValueError, match=r"np\.expand_dims\(a, 0\)"):
        Image.fromarray(a, "cxy", ecvl.ColorType.GRAY)
    img = Image.fromarray(a[..., np.newaxis], "xyc", ecvl.ColorType.GRAY)
    assert img.dims_ == [3, 4, 1] and np.asarray(img)[2, 3, 0] == 11
