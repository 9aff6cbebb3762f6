"""The augmentation text DSL: Listing 3, PyECVL forms, printing, and error messages."""

import io

import numpy as np
import pytest

import ecvl.augment as A
from ecvl.augment import AugmentationFactory, AugmentationSyntaxError

# Listing 3 of the toolkit paper, verbatim.
LISTING_3 = """\
SequentialAugmentationContainer
    AugResizeDim dims=(100,100)
    AugMirror p=0.5
    OneOfAugmentationContainer p=0.7
        AugGammaContrast gamma=[0,3]
        AugBrightness beta=[0,30]
    End
    OneOfAugmentationContainer p=0.4
        AugElasticTransform alpha=[30,120] sigma=[3,6]
        AugGridDistortion num_steps=[2,5] distort_limit=[-0.3,0.3]
    End
    AugRotate angle=[-30,30]
End
"""


def listing3_expected():
    return A.SequentialAugmentationContainer([
        A.AugResizeDim(dims=(100, 100)),
        A.AugMirror(p=0.5),
        A.OneOfAugmentationContainer(0.7, [A.AugGammaContrast(gamma=[0, 3]),
                                           A.AugBrightness(beta=[0, 30])]),
        A.OneOfAugmentationContainer(0.4, [
            A.AugElasticTransform(alpha=[30, 120], sigma=[3, 6]),
            A.AugGridDistortion(num_steps=[2, 5], distort_limit=[-0.3, 0.3])]),
        A.AugRotate(angle=[-30, 30]),
    ])


def test_listing3_parses_to_the_pipeline_it_describes():
    p = AugmentationFactory.create(LISTING_3)
    assert p == listing3_expected()
    assert isinstance(p, A.SequentialAugmentationContainer) and len(p) == 5
    assert p[3][1].num_steps == (2, 5) and p[3][1].distort_limit == (-0.3, 0.3)
    # also from a stream, with lowercase end, CRLF and comments
    assert AugmentationFactory.create(io.StringIO(LISTING_3)) == p
    assert AugmentationFactory.create(LISTING_3.replace("End", "end")) == p
    assert AugmentationFactory.create(LISTING_3.replace("\n", "  \r\n")) == p
    commented = LISTING_3.replace("AugMirror p=0.5", "AugMirror p=0.5   # horizontal")
    assert AugmentationFactory.create("# pipeline\n" + commented) == p
    out = p(np.zeros((512, 512, 3), np.uint8), rng=A.sample_rng(0, 0))
    assert out.shape == (100, 100, 3)


def test_printed_text_parses_back_to_an_equal_pipeline():
    p = AugmentationFactory.create(LISTING_3)
    text = str(p)
    assert A.parse(text) == p
    assert A.parse(str(A.parse(text))) == p
    some = A.SomeOfAugmentationContainer(2, [A.AugFlip(0.2), A.AugDivBy255(),
                                             A.AugNormalize(mean=0.5, std=0.2),
                                             A.AugRotate([-5, 5], center=(0, 0), scale=0.5,
                                                         interp="cubic")])
    assert A.parse(str(some)) == some


def test_pyecvl_forms():
    assert A.AugRotate.fromtext('angle=[-5,5] center=(0,0) scale=0.5 interp="linear"') == \
        A.AugRotate(angle=[-5, 5], center=(0, 0), scale=0.5)
    assert A.AugCoarseDropout.fromtext("p=[0,0.55] drop_size=[0.02,0.1] per_channel=0") == \
        A.AugCoarseDropout([0, 0.55], [0.02, 0.1], 0)
    assert A.AugNormalize.fromtext("mean=(0.485, 0.456, 0.406) std=(0.229, 0.224, 0.225)") \
        .mean == (0.485, 0.456, 0.406)
    assert A.AugAdditivePoissonNoise.fromtext("lambda=[0,10]").lambda_ == (0, 10)
    one = A.OneOfAugmentationContainer.fromtext("p=0.7\nAugFlip p=0.2\nAugMirror p=0.2\nend")
    assert one == A.OneOfAugmentationContainer(0.7, [A.AugFlip(0.2), A.AugMirror(0.2)])
    seq = A.SequentialAugmentationContainer.fromtext("AugFlip p=0.2\nAugMirror p=0.2\nend")
    assert seq == A.SequentialAugmentationContainer("AugFlip p=0.2\nAugMirror p=0.2\nend")
    assert AugmentationFactory.create("AugMirror", "p=0.3") == A.AugMirror(0.3)
    assert AugmentationFactory.create("OneOfAugmentationContainer",
                                      "p=0.5\nAugFlip p=1\nend").p == 0.5
    # spaces around '=' and commas, tabs, numbers in C++ forms
    assert A.parse("AugRotate  angle = [ -5 , 5e0 ]\tscale=.5") == \
        A.AugRotate(angle=[-5, 5], scale=0.5)
    # PyECVL read the word after AugDivBy255 as the next entry
    assert A.parse("SequentialAugmentationContainer\nAugDivBy255 AugFlip p=1\nend") == \
        A.SequentialAugmentationContainer([A.AugDivBy255(), A.AugFlip(1)])
    # both border spellings
    assert A.AugRandomCrop.fromtext('size=(5,5) border_type="reflect101"').border_type == \
        A.AugRandomCrop.fromtext('size=(5,5) border_type="reflect_101"').border_type


@pytest.mark.parametrize("text, line, col, message", [
    ("AugRotat angle=[-5,5]", 1, 1, "did you mean 'AugRotate'"),
    ("AugRotate angel=[-5,5]", 1, 11, "did you mean 'angle'"),
    ("AugRotate scale=2", 1, 1, "missing required parameter 'angle'"),
    ("AugRotate angle=[-5]", 1, 17, "malformed range"),
    ("AugRotate angle=[-5,5,7]", 1, 17, "malformed range"),
    ("AugRotate angle=[-5,5", 1, 22, "malformed range"),
    ("AugRotate angle=[-5;5]", 1, 20, "unexpected character"),
    ("AugRotate angle=(-5,5)", 1, 17, "angle parameter must be a range"),
    ("AugResizeDim dims=100", 1, 19, "dims parameter must be a vector"),
    ("AugFlip p=\"test\"", 1, 11, "p parameter must be a number"),
    ("AugFlip p 0.5", 1, 11, "expected '='"),
    ("AugFlip p=", 1, 11, "expected a value"),
    ("AugFlip p=0.5 p=0.2", 1, 15, "given twice"),
    ("AugFlip p=1.5", 1, 11, "outside [0, 1]"),
    ("AugRotate angle=[5,-5]", 1, 17, "min > max"),
    ("AugRotate angle=[0,1] interp=\"bilinear\"", 1, 30, "invalid interp"),
    ("AugRotate angle=[0,1] interp=\"linear", 1, 30, "unterminated string"),
    ("SequentialAugmentationContainer\n  AugFlip p=0.5\n", 3, 1, "missing 'end' closing "
     "SequentialAugmentationContainer opened at line 1"),
    ("SequentialAugmentationContainer\n  OneOfAugmentationContainer p=0.5\n  AugFlip\nend\n",
     5, 1, "missing 'end' closing SequentialAugmentationContainer"),
    ("OneOfAugmentationContainer\n AugFlip\nend", 1, 1, "missing required parameter 'p'"),
    ("SequentialAugmentationContainer\n  AugFlip p=0.5\nend\nAugMirror", 4, 1,
     "after the end of the pipeline"),
    ("", 1, 1, "empty text"),
    ("   \n# only a comment\n", 3, 1, "empty text"),
    ("SomeOfAugmentationContainer n=3\n AugFlip\nend", 1, 1, "exceeds"),
])
def test_errors_have_line_column_and_reason(text, line, col, message):
    with pytest.raises(AugmentationSyntaxError) as e:
        A.parse(text)
    assert (e.value.line, e.value.column) == (line, col), str(e.value)
    assert message in str(e.value)
    assert isinstance(e.value, RuntimeError)  # what PyECVL raised


def test_error_in_nested_entry_points_at_its_line():
    bad = LISTING_3.replace("AugBrightness beta=[0,30]", "AugBrightnes beta=[0,30]")
    with pytest.raises(AugmentationSyntaxError, match="did you mean 'AugBrightness'") as e:
        A.parse(bad)
    assert (e.value.line, e.value.column) == (6, 9)
    assert "AugBrightnes beta" in str(e.value) and "^" in str(e.value)


def test_save_and_load_files(tmp_path):
    p = A.parse(LISTING_3)
    for ext in (".json", ".yaml", ".yml", ".txt"):
        path = tmp_path / ("pipe" + ext)
        A.save(p, path)
        assert A.load(path) == p
    with pytest.raises(KeyError, match="did you mean"):
        A.from_dict({"name": "AugFlp", "params": {}})
    with pytest.raises(ValueError, match="unknown keys"):
        A.from_dict({"name": "AugFlip", "params": {}, "extra": 1})
