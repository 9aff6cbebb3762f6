"""Shared test configuration."""

import os

import numpy as np
import pytest

# Property-based tests must not dominate CI time on a 2-core machine.
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.register_profile("dev", max_examples=60, deadline=None)
    settings.load_profile("ci" if os.environ.get("CI") else "dev")
except ImportError:  # pragma: no cover - hypothesis is a test extra
    pass


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed, so failures reproduce."""
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _restore_thread_settings():
    """Tests that build with ``CS_CPU(th=n)`` change the library-wide thread count."""
    import sys

    yield
    for name in ("eddl", "ecvl"):
        mod = sys.modules.get(name)
        if mod is not None and hasattr(mod, "set_num_threads"):
            mod.set_num_threads(-1)
