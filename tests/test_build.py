"""The build kept what it promises: OpenMP, package independence, visible configuration.

Cython's ``prange`` compiles to a serial loop without a warning when OpenMP is missing, so a
build that lost it is only caught here (``CI`` set: OpenMP is required).
"""

import io
import json
import os
import subprocess
import sys
import tempfile

import pytest

import ecvl
import eddl


@pytest.mark.skipif(not os.environ.get("CI"), reason="OpenMP is optional outside CI builds")
def test_openmp_enabled_in_ci():
    assert eddl.openmp_enabled(), "eddl was built without OpenMP: every prange runs serially"
    assert ecvl.openmp_enabled(), "ecvl was built without OpenMP: every prange runs serially"


def test_openmp_flag_matches_the_runtime():
    # Without OpenMP the runtime reports version 0; with it, the _OPENMP date (>= 2011).
    version = eddl.config()["openmp_version"]
    assert eddl.openmp_enabled() == (version > 0)
    if version:
        assert version >= 201107


def _run(code, **env):
    """Run ``code`` in a fresh interpreter with ``env`` added (a None value removes the variable)."""
    full_env = {k: v for k, v in dict(os.environ, **env).items() if v is not None}
    # Run outside the checkout: from its root, "import eddl" would find the source folders.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tempfile.gettempdir(),
                         env=full_env, check=True)
    return out.stdout


def test_import_ecvl_does_not_import_eddl_or_bridge():
    out = _run("import sys, ecvl, json; "
               "print(json.dumps(sorted(m for m in sys.modules "
               "if m.split('.')[0] in ('eddl', 'bridge'))))")
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_show_config_prints_openmp_blas_threads_cuda():
    buf = io.StringIO()
    eddl.show_config(file=buf)
    lines = {ln.split(":", 1)[0].strip(): ln.split(":", 1)[1].strip()
             for ln in buf.getvalue().splitlines() if ":" in ln}
    for key in ("openmp", "blas", "threads", "cuda", "cuda_reason"):
        assert key in lines, f"show_config lacks a {key!r} line"
    assert lines["openmp"] == str(eddl.openmp_enabled())
    assert lines["threads"] == str(eddl.get_num_threads())
    assert "openblas" in lines["blas"].lower() or "blas" in lines["blas"].lower()
    buf = io.StringIO()
    ecvl.show_config(file=buf)
    assert "openmp" in buf.getvalue()


@pytest.mark.parametrize("mod", [eddl, ecvl])
def test_set_num_threads_validation_and_restore(mod):
    before = mod.get_num_threads()
    prev = mod.set_num_threads(3)
    try:
        assert prev == before
        assert mod.get_num_threads() == 3
    finally:
        mod.set_num_threads(-1)
    from _deephealth import runtime

    assert mod.get_num_threads() == runtime.default_num_threads()
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises(ValueError, match="threads"):
            mod.set_num_threads(bad)


def test_default_threads_honour_omp_num_threads():
    out = _run("import eddl, ecvl; print(eddl.get_num_threads(), ecvl.get_num_threads())",
               OMP_NUM_THREADS="1")
    assert out.split() == ["1", "1"]


@pytest.mark.parametrize("package, variable, default, chosen", [
    ("eddl", "OMP_WAIT_POLICY", "PASSIVE", "ACTIVE"),  # idle workers sleep ...
    ("ecvl", "GOMP_SPINCOUNT", "2000", "0"),           # ... after a short spin
])
def test_openmp_settings_are_made_before_openmp_loads(package, variable, default, chosen):
    code = f"import os, {package}; print(os.environ['{variable}'])"
    assert _run(code, **{variable: None}).strip().splitlines()[-1] == default
    # A user's explicit choice wins.
    assert _run(code, **{variable: chosen}).strip().splitlines()[-1] == chosen


def test_kernels_are_built_for_the_baseline_isa():
    # The compiled kernels must run on any x86-64: no -march=native in the build, and the
    # AVX-512 and AVX2 paths are run-time clones (see include/dh_isa.h).
    from eddl.backend.cpu import _kernels

    path = _kernels.__file__
    with open(path, "rb") as f:
        blob = f.read()
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        assert b"arch_x86_64_v3" in blob or b"x86-64-v3" in blob or b"_ZGVdN8v_expf" in blob
        assert b"arch_x86_64_v4" in blob or b"x86-64-v4" in blob or b"_ZGVeN16v_expf" in blob
        assert b"_ZGVbN4v_expf" in blob, "baseline (SSE) vector-math variant missing"


# the tests of the loops that come in several instruction sets (clones and hand-written SIMD)
_ISA_TESTS = ["eddl/test_backend_cpu_elementwise.py", "eddl/test_backend_cpu_reduce.py",
              "eddl/test_recurrent.py", "eddl/test_recurrent_lengths.py",
              "eddl/test_backend_cpu_fastpaths.py", "eddl/test_conv_tiled.py",
              "eddl/test_conv_winograd.py", "ecvl/test_color.py", "ecvl/test_color_simd.py",
              "ecvl/test_filters.py", "ecvl/test_filters_u8int.py",
              "ecvl/test_filters_fastpaths.py", "ecvl/test_geometric.py",
              "ecvl/test_geometric_fast.py", "ecvl/test_geometric_simd.py",
              "ecvl/test_geometric_warp.py", "ecvl/test_morphology.py",
              "ecvl/test_morphology_u8.py", "ecvl/test_u8_fastpaths.py",
              "ecvl/test_io_raster_packed.py", "ecvl/test_kernels_common.py",
              "ecvl/test_threshold.py"]


@pytest.mark.skipif(not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"),
                    reason="the instruction-set clones are built for x86-64 Linux")
@pytest.mark.parametrize("isa, level", [("baseline", 1), ("avx2", 3)])
def test_the_same_build_runs_at_a_lower_instruction_set(isa, level):
    # A CPU without AVX-512 or AVX2 gets the other clones: DEEPHEALTH_ISA masks the faster
    # ones here, and the kernels' own tests must pass on what is left.
    from _deephealth import _openmp

    env = dict(os.environ, DEEPHEALTH_ISA=isa)
    got = _run("from _deephealth import _openmp; print(_openmp.isa_level())", DEEPHEALTH_ISA=isa)
    assert int(got.strip().splitlines()[-1]) == min(level, _openmp.isa_level())
    shown = _run("import eddl; print(eddl.config()['instruction_set'])", DEEPHEALTH_ISA=isa)
    assert shown.strip().splitlines()[-1].startswith("baseline" if level == 1 else "x86-64-v")
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *[os.path.join(here, f) for f in _ISA_TESTS]],
                          capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(),
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout.splitlines()[-1]


def test_one_thread_setting_for_the_whole_process():
    # ecvl's kernels on loader threads obey the same setting as eddl's computing service.
    assert ecvl.set_num_threads is eddl.set_num_threads
    prev = eddl.set_num_threads(1)
    try:
        assert ecvl.get_num_threads() == 1
    finally:
        eddl.set_num_threads(-1)
    assert prev >= 1


def test_core_count_follows_the_affinity_mask():
    from _deephealth import runtime

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert runtime.available_cores() == len(os.sched_getaffinity(0))


def test_computing_service_threads_bound_ecvl_kernels_on_other_threads():
    import threading

    cs = eddl.CS_CPU(th=1)
    try:
        cs.activate()
        seen = []
        t = threading.Thread(target=lambda: seen.append(ecvl.get_num_threads()))
        t.start()
        t.join()
        assert seen == [1]
    finally:
        eddl.set_num_threads(-1)
        from eddl.compserv import _blas_limit

        if _blas_limit[0] is not None:
            _blas_limit[0].restore_original_limits()
