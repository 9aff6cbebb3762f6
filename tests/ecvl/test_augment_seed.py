"""Per-sample random streams: reseeding a generator in place equals building a new one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecvl.augment import sample_rng


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**70), index=st.integers(0, 2**40), epoch=st.integers(0, 2**33))
def test_reseeding_in_place_gives_the_stream_of_a_new_generator(seed, index, epoch):
    reused = np.random.Generator(np.random.PCG64(0))
    reused.random(3)  # state left over from a previous sample must not matter
    reused.integers(0, 10, dtype=np.uint32)  # nor a buffered half of a 64-bit draw
    got = sample_rng(seed, index, epoch, out=reused)
    assert got is reused
    fresh = sample_rng(seed, index, epoch)
    np.testing.assert_array_equal(got.random(5), fresh.random(5))
    assert got.integers(0, 2**31, dtype=np.uint32) == fresh.integers(0, 2**31, dtype=np.uint32)


def test_reseeding_rejects_other_generators():
    with pytest.raises(TypeError, match="PCG64"):
        sample_rng(1, 2, out=np.random.Generator(np.random.MT19937(0)))
    with pytest.raises(ValueError, match="index"):
        sample_rng(1, -2, out=np.random.Generator(np.random.PCG64(0)))
