"""The name-table helper shared by layers, losses, metrics and augmentations."""

import pytest

from _deephealth.registry import Registry, alias


def test_register_get_aliases_and_canonical_names():
    reg = Registry("loss")

    @reg.register("mean_squared_error", "mse")
    class MSE:
        pass

    assert reg.get("mse") is MSE and reg.get("mean_squared_error") is MSE
    assert reg.canonical("mse") == "mean_squared_error"
    assert "mse" in reg and "nope" not in reg and ["x"] not in reg
    assert reg.names() == ["mean_squared_error", "mse"]
    assert len(reg) == 2
    # registering the same object again under the same name is harmless
    reg.register("mse", obj=MSE)


def test_a_name_never_silently_changes_owner():
    reg = Registry("metric")
    reg.register("acc", obj=object())
    with pytest.raises(ValueError, match="'acc' is already registered"):
        reg.register("acc", obj=object())
    with pytest.raises(ValueError, match="non-empty names"):
        reg.register("")


def test_unknown_names_suggest_close_ones_and_stay_short():
    reg = Registry("layer")
    for n in ("Conv2D", "Conv3D", "Dense"):
        reg.register(n, obj=n)
    with pytest.raises(ValueError, match=r"unknown layer 'Conv2d'; did you mean 'Conv2D'"):
        reg.get("Conv2d")
    with pytest.raises(ValueError, match=r"valid: \['Conv2D', 'Conv3D', 'Dense'\]"):
        reg.get(3)
    with pytest.raises(ValueError) as info:
        reg.get("Q" * 10_000)
    assert len(str(info.value)) < 400
    with pytest.raises(ValueError, match="unknown layer"):
        reg.get(["unhashable"])


def test_alias_calls_the_same_implementation_under_its_own_name():
    def resize(img, size):
        """Resize an image."""
        return (img, size)

    ResizeDim = alias(resize, "ResizeDim")
    assert ResizeDim(1, 2) == (1, 2)
    assert ResizeDim.__name__ == "ResizeDim"
    assert ResizeDim.__wrapped__ is resize
    assert "Alias of" in ResizeDim.__doc__ and "Resize an image." in ResizeDim.__doc__


def test_unregister_removes_an_entry_with_its_aliases():
    reg = Registry("loss")
    mse, mae = object(), object()
    reg.register("mean_squared_error", "mse", obj=mse)
    reg.register("mae", obj=mae)
    assert reg.unregister("mse") is mse
    assert reg.names() == ["mae"]
    with pytest.raises(ValueError, match="unknown loss 'mse'"):
        reg.unregister("mse")
    # the name is free again
    reg.register("mse", obj=mae)
    assert reg.canonical("mse") == "mse"


def test_create_makes_a_new_instance_passes_instances_and_none_through():
    reg = Registry("loss")

    @reg.register("mean_squared_error", "mse")
    class MSE:
        def __init__(self, name, scale=1.0):
            self.name, self.scale = name, scale

    reg.register("none")(None)  # a "none" choice
    a, b = reg.create("mse", "mse"), reg.create("mse", "mse", scale=2.0)
    assert type(a) is MSE and a is not reg.create("mse", "mse")
    assert (a.name, a.scale, b.scale) == ("mse", 1.0, 2.0)
    assert reg.create(a, "x", passthrough=MSE) is a
    assert reg.create("none") is None
    with pytest.raises(ValueError, match="unknown loss 'mes'; did you mean 'mse'"):
        reg.create("mes")
    with pytest.raises(ValueError, match=r"no such loss: 'mes' in \['mean_squared_error', 'mse', 'none'\]"):
        reg.create("mes", unknown="no such loss: {name!r} in {valid}")
    # an unhashable name is an unknown name, not a TypeError
    with pytest.raises(ValueError, match=r"no such loss: \['mse'\]"):
        reg.create(["mse"], unknown="no such loss: {name!r} in {valid}")
    # without passthrough an instance is looked up as a name
    with pytest.raises(ValueError, match="unknown loss"):
        reg.create(a)
