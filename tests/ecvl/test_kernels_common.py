"""The vocabulary every kernel wrapper shares (ecvl/_kernels.py): border parser, thread-grain
rule and the Image-to-canonical-array adapter."""

import numpy as np
import pytest

import ecvl
from ecvl import BorderType as BT
from ecvl._kernels import CanonicalImage, border_choices, border_name, parse_border, threads
from ecvl.core.errors import EcvlError


@pytest.mark.parametrize("value, expected", [
    (BT.BORDER_WRAP, BT.BORDER_WRAP), (4, BT.BORDER_REFLECT_101),
    (np.int64(1), BT.BORDER_REPLICATE), ("reflect_101", BT.BORDER_REFLECT_101),
    ("BORDER_REFLECT101", BT.BORDER_REFLECT_101), ("Border_Constant", BT.BORDER_CONSTANT),
    ("edge", BT.BORDER_REPLICATE), ("symmetric", BT.BORDER_REFLECT),
    ("default", BT.BORDER_REFLECT_101), ("transparent", BT.BORDER_TRANSPARENT),
])
def test_parse_border_accepts_every_spelling(value, expected):
    assert parse_border(value, "op") is expected


def test_border_values_are_opencvs():
    cv2 = pytest.importorskip("cv2")
    for name in ("CONSTANT", "REPLICATE", "REFLECT", "WRAP", "REFLECT_101", "TRANSPARENT"):
        assert parse_border(getattr(cv2, "BORDER_" + name), "op").name == "BORDER_" + name


@pytest.mark.parametrize("value", ["mirror", 9, -1, 2.0, True, None, "border_"])
def test_parse_border_rejects_with_the_op_name(value):
    with pytest.raises(EcvlError, match="MyOp: unknown border type"):
        parse_border(value, "MyOp")


def test_transparent_where_it_is_not_supported():
    with pytest.raises(EcvlError, match="MyOp: BORDER_TRANSPARENT is not supported"):
        parse_border("transparent", "MyOp", allow_transparent=False)
    with pytest.raises(EcvlError, match="MyOp: BORDER_TRANSPARENT"):
        border_name(BT.BORDER_TRANSPARENT, "MyOp")
    assert border_name("BORDER_REFLECT101", "op") == "reflect_101"
    assert border_name(BT.BORDER_REPLICATE, "op") == "replicate"


def test_border_names_remembered_are_the_parsed_ones():
    # border_name remembers its answers: a second call gives the same name, and values equal
    # to a remembered one but of another type (True == 1, 1.0 == 1) are still refused
    for _ in range(2):
        assert border_name(1, "op") == "replicate"
        assert border_name("edge", "op") == "replicate"
        assert border_name(BT.BORDER_REFLECT, "op") == "reflect"
        for bad in (True, 1.0, [1], "transparent", 5):
            with pytest.raises(EcvlError, match="MyOp"):
                border_name(bad, "MyOp")


def test_border_choices_are_what_the_parser_accepts():
    choices = border_choices()
    assert {"reflect101", "border_reflect_101", "edge", "constant"} <= set(choices)
    for spelling, name in choices.items():
        assert parse_border(spelling, "op").name == "BORDER_" + name.upper()


def test_filters_and_warps_accept_the_same_spellings(rng):
    a = rng.integers(0, 256, (9, 11, 2), dtype=np.uint8)
    from ecvl.imgproc.filters import gaussian_blur_array
    from ecvl.imgproc.geometric import warp_affine_array

    m = [[1.0, 0.1, -2.0], [0.05, 1.0, 1.5]]
    for alias, name in (("edge", "replicate"), ("symmetric", "reflect"), (4, "reflect_101")):
        assert np.array_equal(gaussian_blur_array(a, 5, 1.5, border=alias),
                              gaussian_blur_array(a, 5, 1.5, border=name))
        assert np.array_equal(warp_affine_array(a, m, border=alias),
                              warp_affine_array(a, m, border=name))


def test_thread_grain_rule():
    ecvl.set_num_threads(4)
    assert threads() == 4
    assert threads(0, 10) == threads(19, 10) == 1
    assert threads(35, 10) == 3
    assert threads(10 ** 9, 10) == 4
    ecvl.set_num_threads(1)
    assert threads(10 ** 9, 10) == 1


def test_canonical_image_adapter(rng):
    hwc = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    img = ecvl.Image.fromarray(hwc, "yxc", spacings=[2.0, 0.5, 1.0])
    c = CanonicalImage(img, "op")
    assert np.shares_memory(c.arr, np.asarray(img)) and c.arr.shape == (5, 7, 3)
    assert c.size("x") == 7 and c.size("y") == 5 and c.spacings() == [2.0, 0.5]
    out = c.result(c.arr[::2, ::-1], spacing_factor={"y": 2.0})
    assert out.channels_ == "yxc" and out.spacings_ == [4.0, 0.5, 1.0]
    assert out.canonical().flags.c_contiguous
    assert np.array_equal(out.to_numpy("yxc"), hwc[::2, ::-1])
    with pytest.raises(EcvlError, match="op: expected an ecvl.Image"):
        CanonicalImage(hwc, "op")
    with pytest.raises(EcvlError, match="op: the source image is empty"):
        CanonicalImage(ecvl.Image.empty(), "op")
    with pytest.raises(EcvlError, match="op: needs an image whose spatial axes"):
        CanonicalImage(ecvl.Image.fromarray(np.zeros((3, 4, 5), np.uint8), "xyt"), "op")
    with pytest.raises(EcvlError, match="neither a 2-D image"):
        CanonicalImage(ecvl.Image.fromarray(np.zeros((3, 4, 5), np.uint8), "xyz"), "op",
                       volumes=False)



def test_non_geometric_ops_write_into_a_destination(rng):
    src = ecvl.Image.fromarray(rng.integers(0, 9, (4, 6, 1), dtype=np.uint8), "yxc")
    dst = ecvl.Image.empty()
    ecvl.GaussianBlur(src, dst, 3, 3, 1.0)
    assert dst.channels_ == "yxc"
    assert np.array_equal(dst.to_numpy(), ecvl.gaussian_blur(src, 1.0, 3).to_numpy())
    with pytest.raises(EcvlError, match="dst must be an ecvl.Image"):
        ecvl.GaussianBlur(src, [1, 2], 3, 3, 1.0)
