"""PyECVL's "src, dst" forms are declared from the pythonic functions: same results, same
parameters with ``dst`` after the first, the result written into ``dst``."""

import inspect

import numpy as np
import pytest

import ecvl
from ecvl.core.errors import EcvlTypeError


def _rgb():
    a = np.random.default_rng(7).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    return ecvl.Image.from_canonical(a, "xyc", ecvl.ColorType.RGB, spacings=[0.5, 2.0, 1.0])


def _gray():
    a = (np.random.default_rng(8).random((12, 10, 1)) > 0.4).astype(np.uint8) * 255
    return ecvl.Image.from_canonical(a, "xyc", ecvl.ColorType.GRAY)


def _mask():
    m = np.zeros((12, 10, 1), np.uint8)
    m[4:7, 3:5] = 255
    return ecvl.Image.from_canonical(m, "xyc", ecvl.ColorType.GRAY)


_LAPLACE = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)

# twin name -> (pythonic name, source maker, positional arguments after the source,
#               keyword arguments in PyECVL spelling, PyECVL name -> pythonic name)
CASES = {
    "ChangeColorSpace": ("change_color_space", _rgb, (ecvl.ColorType.GRAY,), {}, {}),
    "ElasticTransform": ("elastic_transform", _rgb, (), {"seed": 3}, {}),
    "GridDistortion": ("grid_distortion", _rgb, (), {"seed": 3}, {}),
    "OpticalDistortion": ("optical_distortion", _rgb, (), {"seed": 3}, {}),
    "CenterCrop": ("center_crop", _rgb, ([6, 4],), {}, {}),
    "Pad": ("pad", _rgb, ([1, 2, 3, 4],), {}, {}),
    "HConcat": ("hconcat", lambda: [_rgb(), _rgb()], (), {}, {}),
    "VConcat": ("vconcat", lambda: [_rgb(), _rgb()], (), {}, {}),
    "Stack": ("stack", lambda: [_rgb(), _rgb()], (), {}, {}),
    "Flip2D": ("flip2d", _rgb, (), {}, {}),
    "Mirror2D": ("mirror2d", _rgb, (), {}, {}),
    "Transpose": ("transpose", _rgb, (), {}, {}),
    "ResizeDim": ("resize_dim", _rgb, ([5, 7],), {}, {}),
    "ResizeScale": ("resize_scale", _rgb, ([0.5, 2.0],), {}, {}),
    "Rotate2D": ("rotate2d", _rgb, (30,), {"scale": 0.8}, {}),
    "RotateFullImage2D": ("rotate_full_image2d", _rgb, (30,), {}, {}),
    "WarpAffine": ("warp_affine", _rgb, ([[1, 0.1, 1], [0, 1, 2]],), {}, {}),
    "Normalize": ("normalize", _rgb, (100, 20), {}, {}),
    "GammaContrast": ("gamma_contrast", _rgb, (1.5,), {}, {}),
    "BrightnessContrast": ("brightness_contrast", _rgb, (1.2, 3), {}, {}),
    "Skeletonize": ("skeletonize", _gray, (), {}, {}),
    "Morphology": ("morphology", _gray, (ecvl.MorphType.MORPH_OPEN, np.ones((3, 3), np.uint8)),
                   {}, {}),
    "Threshold": ("threshold", _rgb, (100, 200), {}, {}),
    "MultiThreshold": ("multi_threshold", _rgb, ([60, 150],), {}, {}),
    "GaussianNoise": ("gaussian_noise", _rgb, (5.0,), {"seed": 4}, {"seed": "rng"}),
    "AdditiveLaplaceNoise": ("additive_laplace_noise", _rgb, (5.0,), {"seed": 4},
                             {"seed": "rng"}),
    "AdditivePoissonNoise": ("additive_poisson_noise", _rgb, (), {"lambda_": 3.0, "seed": 4},
                             {"lambda_": "lam", "seed": "rng"}),
    "CoarseDropout": ("coarse_dropout", _rgb, (0.3, 0.2), {"per_channel": True, "seed": 4},
                      {"seed": "rng"}),
    "Filter2D": ("filter2d", _rgb, (_LAPLACE,), {"type": ecvl.DataType.int16},
                 {"ker": "kernel", "type": "dtype"}),
    "SeparableFilter2D": ("separable_filter2d", _rgb, ([1, 2, 1], [1, 0, -1]),
                          {"type": ecvl.DataType.float32},
                          {"kerX": "kernel_x", "kerY": "kernel_y", "type": "dtype"}),
    "Inpaint": ("inpaint", _rgb, (_mask(), 2), {},
                {"inpaintMask": "mask", "inpaintRadius": "radius", "flag": "method"}),
    "ScaleTo": ("scale_to", _rgb, (0, 1), {}, {}),
    "ScaleFromTo": ("scale_from_to", _rgb, (20, 200, -1, 1), {}, {}),
    "RandomCrop": ("random_crop", _rgb, ([12, 12], True), {"seed": 4}, {"seed": "rng"}),
    "Moments": ("moments", _gray, (2,), {"type_": ecvl.DataType.float32}, {"type_": "dtype"}),
    "IntegralImage": ("integral_image", _rgb, (), {"dst_type": ecvl.DataType.int32},
                      {"dst_type": "dtype"}),
    "NonMaximaSuppression": ("non_maxima_suppression", _gray, (), {}, {}),
    "SliceTimingCorrection": ("slice_timing_correction", lambda: ecvl.Image.fromarray(
        np.random.default_rng(9).random((3, 2, 4, 6)), "xyzt", spacings=[1, 1, 2, 2.5]),
        (True,), {}, {}),
}


def _same_image(a, b):
    assert (a.dims_, a.channels_, a.elemtype_, a.colortype_) == \
        (b.dims_, b.channels_, b.elemtype_, b.colortype_)
    assert a.spacings_ == b.spacings_
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name", sorted(CASES))
def test_twin_writes_what_the_pythonic_form_returns(name):
    pythonic, make, args, kwargs, renamed = CASES[name]
    twin, func = getattr(ecvl, name), getattr(ecvl, pythonic)
    expected = func(make(), *args, **{renamed.get(k, k): v for k, v in kwargs.items()})
    dst = ecvl.Image.empty()
    assert twin(make(), dst, *args, **kwargs) is None
    _same_image(dst, expected)
    # keyword calls bind to the same parameters, dst included
    names = list(inspect.signature(twin).parameters)
    dst = ecvl.Image.empty()
    twin(dst=dst, **{names[0]: make()}, **dict(zip(names[2:], args)), **kwargs)
    _same_image(dst, expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_twin_signature_is_the_pythonic_one_with_dst(name):
    pythonic, _, _, _, renamed = CASES[name]
    twin, func = getattr(ecvl, name), getattr(ecvl, pythonic)
    spelled = {v: k for k, v in renamed.items()}
    params = [p.replace(name=spelled.get(p.name, p.name))
              for p in inspect.signature(func).parameters.values()]
    assert list(inspect.signature(twin).parameters.values()) == \
        params[:1] + [inspect.Parameter("dst", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + params[1:]
    assert twin.__name__ == name and twin.__wrapped__ is func
    assert f"ecvl.{func.__name__}" in twin.__doc__
    assert all(f"``{k}`` is ``{v}``" in twin.__doc__ for k, v in renamed.items())


def test_dst_may_be_the_source_and_must_be_an_image():
    img = _rgb()
    expected = ecvl.mirror2d(img)
    ecvl.Mirror2D(img, img)
    _same_image(img, expected)
    with pytest.raises(EcvlTypeError, match="Rotate2D: dst must be an ecvl.Image"):
        ecvl.Rotate2D(_rgb(), np.zeros((3, 3)), 10)
    with pytest.raises(TypeError):
        ecvl.Rotate2D(_rgb(), ecvl.Image.empty(), 10, nonsense=1)
