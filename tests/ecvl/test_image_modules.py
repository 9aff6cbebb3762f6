"""The Image class assembled from its modules: stable import and pickle paths, and the code
paths that moved between modules."""

import inspect
import pickle

import numpy as np
import pytest

import ecvl
from ecvl.core import image as image_module
from ecvl.core.errors import EcvlError, EcvlValueError
from ecvl.core.image import Image


def test_public_and_pickle_names_stay_in_ecvl_core_image():
    assert image_module.__all__ == ["Image"]
    assert ecvl.Image is Image and Image.__module__ == "ecvl.core.image"
    img = Image.fromarray(np.arange(24, dtype=np.uint8).reshape(4, 3, 2), "xyc")
    # pickles store the rebuild function by module and name: it must not move
    fn, args = img.__reduce__()
    assert fn is image_module._rebuild and fn.__module__ == "ecvl.core.image"
    back = pickle.loads(pickle.dumps(img))
    assert back.dims_ == [4, 3, 2] and np.array_equal(np.asarray(back), np.asarray(img))


@pytest.mark.parametrize("name", [
    "empty", "fromarray", "from_canonical", "new_like", "IsEmpty", "IsOwner", "Width", "Height",
    "Channels", "GetMeta", "SetMeta", "get_meta", "To", "canonical", "to_numpy", "crop", "copy",
    "__getitem__"])
def test_bound_methods_keep_signature_and_docs(name):
    member = inspect.getattr_static(Image, name)
    func = member.__func__ if isinstance(member, classmethod) else member
    assert func.__doc__ and func.__doc__.strip()
    params = list(inspect.signature(getattr(Image, name)).parameters)
    if isinstance(member, classmethod):
        assert params[:1] != ["cls"]  # bound to the class
    assert isinstance(member, classmethod) == (name in ("empty", "fromarray", "from_canonical"))


def test_setitem_takes_images_arrays_and_scalars():
    img = Image([4, 3, 2], ecvl.DataType.uint8, "xyc")
    src = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(2, 3, 2), "xyc")
    img[1:3] = src  # the Image's x-first view lands on the x-first region
    assert np.array_equal(np.asarray(img)[1:3], np.asarray(src))
    img[0:1] = np.full((1, 3, 2), 9, np.uint8)
    img[3] = 7
    a = np.asarray(img)
    assert (a[0] == 9).all() and (a[3] == 7).all()
    with pytest.raises(EcvlError, match="empty"):
        img[0:1] = Image.empty()


def test_fromarray_of_an_image_copies_and_rejects_empty_images():
    src = Image.fromarray(np.arange(6, dtype=np.int16).reshape(3, 2), "xy")
    dup = Image.fromarray(src, "xy")
    np.asarray(src)[0, 0] = 100
    assert np.asarray(dup)[0, 0] == 0 and dup.dims_ == [3, 2]
    with pytest.raises(EcvlError, match="Image.fromarray"):
        Image.fromarray(Image.empty(), "xy")
    with pytest.raises(EcvlValueError, match="Image.from_canonical"):
        Image.from_canonical(np.zeros((2, 2, 3), np.uint8), "xy")


def test_views_and_copies_of_a_subclass_keep_the_subclass():
    class Tagged(Image):
        pass

    img = Tagged.fromarray(np.zeros((4, 4, 1), np.uint8), "xyc", spacings=[1, 2, 3])
    assert type(img) is Tagged
    assert type(img[::2]) is Tagged and img[::2].spacings_ == [2.0, 2.0, 3.0]
    assert type(img.copy()) is Tagged and type(img.new_like(img.canonical())) is Tagged
