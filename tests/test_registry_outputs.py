"""The shared Registry as a mapping, and output_alias: twins that write into a destination."""

import inspect

import pytest

from _deephealth.registry import Registry, output_alias


def test_mapping_style_lookup_iteration_and_replacement():
    reg = Registry("augmentation")
    first, second = object(), object()
    reg.register("AugFlip", obj=first)
    reg.register("AugMirror", obj=first)
    assert reg["AugFlip"] is first and list(reg) == ["AugFlip", "AugMirror"]
    with pytest.raises(KeyError, match="did you mean 'AugFlip'"):
        reg["AugFlp"]
    with pytest.raises(KeyError, match="unknown augmentation"):
        reg[["unhashable"]]
    with pytest.raises(ValueError, match="already registered"):
        reg.register("AugFlip", obj=second)
    reg.register("AugFlip", obj=second, replace=True)
    assert reg["AugFlip"] is second and reg["AugMirror"] is first


def test_output_alias_writes_into_the_destination_and_binds_keywords():
    def scale(src, factor=2, *, offset=0):
        """Scale a list."""
        return [v * factor + offset for v in src]

    written = []
    Scale = output_alias(scale, "Scale", lambda dst, result, name: written.append((dst, result, name)))
    assert Scale([1, 2], "d1") is None
    assert Scale(dst="d2", src=[3], factor=3, offset=1) is None
    assert written == [("d1", [2, 4], "Scale"), ("d2", [10], "Scale")]
    assert str(inspect.signature(Scale)) == "(src, dst, factor=2, *, offset=0)"
    assert Scale.__name__ == "Scale" and Scale.__wrapped__ is scale
    with pytest.raises(TypeError):
        Scale([1])  # dst missing
    with pytest.raises(ValueError, match="already has a parameter called 'dst'"):
        output_alias(lambda src, dst: None, "Bad", print)
    with pytest.raises(ValueError, match="positional first parameter"):
        output_alias(lambda *, src: None, "Bad", print)


def test_output_alias_can_spell_parameters_its_own_way():
    def noise(src, std, rng=None):
        return (src, std, rng)

    written = []
    Noise = output_alias(noise, "Noise", lambda dst, result, name: written.append(result),
                         renamed={"seed": "rng"})
    Noise("s", "d", 2, seed=7)
    Noise(src="s", dst="d", std=1)
    assert written == [("s", 2, 7), ("s", 1, None)]
    assert str(inspect.signature(Noise)) == "(src, dst, std, seed=None)"
    with pytest.raises(TypeError):
        Noise("s", "d", 2, rng=7)  # only the twin's spelling is accepted
    with pytest.raises(ValueError, match="has no parameter nope"):
        output_alias(noise, "Bad", print, renamed={"x": "nope"})
