"""benchmarks/procs.py runs every framework in its own process with the environment from before
the toolkit's import, and the benchmark scripts built on it run with their smallest settings."""

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

BENCH = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "benchmarks"))


def _load_procs():
    spec = importlib.util.spec_from_file_location("_bench_procs", os.path.join(BENCH, "procs.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    return dict(env, PYTHONPATH=os.pathsep.join(sys.path), **extra)


def _run(cmd, env=None, timeout=600):
    # outside the checkout, as the other script tests: the packages come from the path
    return subprocess.run(cmd, cwd=tempfile.gettempdir(), capture_output=True, text=True,
                          timeout=timeout, env=env or _env())


# A benchmark-shaped script: "eddl" imports the toolkit, "peer" reports the environment it got,
# "sneaky" is a peer that imports the toolkit, "broken" fails. As parent it compares "eddl" and
# "peer", then imports eddl itself and starts "peer" again.
PROBE = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {bench!r})
    import procs

    def eddl_run(tag):
        import eddl
        return {{"omp": os.environ.get("OMP_WAIT_POLICY"), "tag": tag, "n": 1.0}}

    def peer_run(tag):
        return {{"omp": os.environ.get("OMP_WAIT_POLICY"), "toolkit": "_deephealth" in sys.modules,
                 "tag": tag, "n": 2.0}}

    def sneaky_run(tag):
        import ecvl
        return {{"n": 3.0}}

    def broken_run(tag):
        sys.stderr.write("the probe's own message\\n")
        raise ValueError("broken on purpose")

    RUNNERS = {{"eddl": eddl_run, "peer": peer_run, "sneaky": sneaky_run, "broken": broken_run}}

    if procs.is_child():
        procs.serve(RUNNERS)
        sys.exit(0)
    mode = sys.argv[1]
    if mode == "compare":
        res = procs.compare(__file__, ["eddl", "peer"], lambda fw: {{"tag": fw}}, 2, "probe")
        import eddl
        after = procs.run_child(__file__, "peer", {{"tag": "after"}}, "probe")
        print(json.dumps({{"res": res, "after": after,
                          "parent_omp": os.environ.get("OMP_WAIT_POLICY")}}))
    else:
        try:
            procs.run_child(__file__, mode, {{"tag": mode}}, "workload X")
        except RuntimeError as exc:
            print(json.dumps({{"error": str(exc)}}))
""")


@pytest.fixture(scope="module")
def probe():
    folder = tempfile.mkdtemp(prefix="procs_probe_")
    path = os.path.join(folder, "probe.py")
    with open(path, "w") as f:
        f.write(PROBE.format(bench=BENCH))
    return path


def _last_json(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_children_get_the_environment_from_before_the_toolkit(probe):
    out = _last_json(_run([sys.executable, probe, "compare"]))
    res = out["res"]
    # the parent's own environment did change when it imported eddl: the check below can fail
    assert out["parent_omp"] == "PASSIVE"
    assert res["eddl"]["omp"] == "PASSIVE"   # eddl's own default in its own process
    assert res["peer"]["omp"] is None and res["peer"]["toolkit"] is False
    assert out["after"]["omp"] is None and out["after"]["tag"] == "after"
    for fw, n in (("eddl", 1.0), ("peer", 2.0)):
        assert res[fw]["tag"] == fw
        assert res[fw]["n"] == {"median": n, "min": n, "max": n}
        rss = res[fw]["rss_mib"]
        assert 0 < rss["min"] <= rss["median"] <= rss["max"] < 1e5
    # the toolkit's import costs resident memory the bare peer process does not have
    assert res["eddl"]["rss_mib"]["median"] > res["peer"]["rss_mib"]["median"]


def test_a_user_setting_is_kept(probe):
    out = _last_json(_run([sys.executable, probe, "compare"], env=_env(OMP_WAIT_POLICY="ACTIVE")))
    assert {out["res"]["eddl"]["omp"], out["res"]["peer"]["omp"], out["after"]["omp"]} == {"ACTIVE"}


@pytest.mark.parametrize("mode, message", [
    ("sneaky", "the sneaky child imported eddl/ecvl"),
    ("broken", "broken on purpose"),
])
def test_a_failing_child_names_framework_and_workload(probe, mode, message):
    proc = _run([sys.executable, probe, mode])
    err = _last_json(proc)["error"]
    assert f"{mode} child for workload X failed (exit status 1)" in err and message in err
    if mode == "broken":
        assert "the probe's own message" in err and "the probe's own message" in proc.stderr


def test_importing_procs_after_the_toolkit_is_refused():
    code = (f"import sys; sys.path.insert(0, {BENCH!r}); import eddl, procs\n"
            "try:\n    procs.child_env()\nexcept RuntimeError as e:\n    print('refused:', e)")
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "refused:" in proc.stdout and "import procs first" in proc.stdout


def test_summaries_rounds_and_framework_choice():
    procs = _load_procs()
    s = procs.summarize([{"ms": 3.0, "v": "x", "none": None}, {"ms": 1.0, "v": "y", "none": 2.0},
                         {"ms": 2.0, "v": "z", "none": 1.0}])
    assert s == {"ms": {"median": 2.0, "min": 1.0, "max": 3.0}, "v": "x", "none": None}
    with pytest.raises(ValueError, match="no rounds"):
        procs.summarize([])
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        procs.compare("x.py", ["eddl"], {}, 0, "w")
    assert procs.pick_frameworks(None, ("eddl", "nosuchmodule_xyz"), {}) == ["eddl"]
    with pytest.raises(ValueError, match="not installed"):
        procs.pick_frameworks(["nosuchmodule_xyz"], ("eddl", "nosuchmodule_xyz"), {})
    with pytest.raises(ValueError, match="unknown framework"):
        procs.pick_frameworks(["other"], ("eddl",), {})
    assert procs.is_child(["--child", "eddl", "{}"]) and not procs.is_child(["--reps", "1"])
    with pytest.raises(ValueError, match="expects --child"):
        procs.serve({}, ["--child", "eddl"])


def test_image_ops_ellipse_is_the_toolkits():
    import numpy as np

    import ecvl.imgproc as ip

    sys.path.insert(0, BENCH)
    try:
        spec = importlib.util.spec_from_file_location("_bench_image_ops",
                                                      os.path.join(BENCH, "image_ops.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(BENCH)
    np.testing.assert_array_equal(mod.ELLIPSE5, ip.structuring_element("ellipse", 5))
    cv2 = pytest.importorskip("cv2")
    np.testing.assert_array_equal(mod.ELLIPSE5, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))


def _have(module):
    return importlib.util.find_spec(module) is not None


# script, smallest settings, frameworks (ours first), the JSON line's "benchmark"
SCRIPTS = [
    ("train_cnn.py", ["--work", "a", "d", "r", "--threads", "1", "--reps", "1", "--batches", "1",
                      "--batch", "1"], ["eddl", "onnxruntime"], "train_cnn"),
    ("train_cnn.py", ["--work", "a", "--threads", "1", "--reps", "1", "--batches", "1",
                      "--batch", "2"], ["eddl", "torch"], "train_cnn"),
    ("train_mlp.py", ["--threads", "1", "--reps", "1", "--batches", "1", "--predict", "200"],
     ["eddl", "torch"], "train_mlp"),
    ("tensor_ops.py", ["--n", "1000", "--reps", "1", "--rounds", "1", "--threads", "1"],
     ["eddl", "numpy", "torch"], "tensor_ops"),
    ("image_ops.py", ["--only", "flip,Otsu", "--repeat", "1", "--rounds", "1", "--threads", "1"],
     ["ecvl", "opencv", "skimage"], "image_ops"),
    ("augment.py", ["--images", "4", "--reps", "1"], ["ecvl", "albumentations"], "augment"),
    ("loader.py", ["--images", "4", "--batch", "2", "--reps", "1", "--unet-epochs", "0"],
     ["bridge", "albumentations"], "loader"),
]
MODULE = {"opencv": "cv2"}


def _check(name, report, frameworks):
    peers = frameworks[1:]
    if name == "train_cnn":
        works = {r["work"]: r for r in report["results"]}
        for w, r in works.items():
            expected = {"a": {"eddl", "torch"}, "d": {"eddl", "torch", "onnxruntime"},
                        "r": {"eddl", "onnxruntime"}}[w] & set(frameworks)
            assert set(r["median_ms"]) == set(r["rss_mib"]) == expected
            for fw in expected:
                lo, hi = r["range_ms"][fw]
                assert 0 < lo <= r["median_ms"][fw] <= hi and r["rss_mib"][fw] > 0
            if "torch" in expected:
                # the table's milliseconds are rounded to 0.01
                assert math.isclose(r["ratio_vs_torch"], r["median_ms"]["eddl"] / r["median_ms"]["torch"],
                                    rel_tol=0.05)
    elif name == "train_mlp":
        row = report["rows"][0]
        for fw in frameworks:
            assert row[fw]["ms_per_batch"] > 0 and row[fw]["rss_mib"] > 0
        assert ("ratio_rss" in row) == ("torch" in peers)
    elif name == "tensor_ops":
        for r in report["rows"]:
            assert set(r["rss_mib"]) == set(frameworks) and r["eddl_ms"] > 0
            assert (r["numpy_ms"] is not None) == ("numpy" in peers)
            assert (r["torch_ms"] is not None) == ("torch" in peers)
    elif name == "image_ops":
        assert set(report["rss_mib"]) == set(frameworks)
        for r in report["rows"]:
            assert r["ours_ms"] > 0
            assert (r["vs_opencv"] is not None) == ("opencv" in peers)
    elif name == "augment":
        assert set(report["rss_mib"]) == set(frameworks)
        assert [r["threads"] for r in report["rows"]] == [1, 2]
        assert all((r["albumentations_img_s"] is not None) == bool(peers) for r in report["rows"])
    else:
        assert set(report["rss_mib"]) == set(frameworks)
        assert all((r["peer_img_s"] is not None) == bool(peers) for r in report["rows"])


@pytest.mark.parametrize("with_peers", [False, True], ids=["ours", "peers"])
@pytest.mark.parametrize("script, args, frameworks, name", SCRIPTS,
                         ids=[f"{s[0][:-3]}-{s[2][-1]}" for s in SCRIPTS])
def test_script_smallest_settings(script, args, frameworks, name, with_peers):
    if with_peers:
        missing = [fw for fw in frameworks[1:] if not _have(MODULE.get(fw, fw))]
        if missing:
            pytest.skip(f"peer(s) {missing} not installed")
        chosen = frameworks
    else:
        if name == "train_cnn" and "torch" in frameworks:
            pytest.skip("the eddl-only run of train_cnn is the onnxruntime row's")
        chosen = frameworks[:1]
    proc = _run([sys.executable, os.path.join(BENCH, script), *args, "--frameworks", *chosen])
    report = _last_json(proc)
    assert report["benchmark"] == name
    _check(name, report, chosen)


@pytest.mark.slow
def test_onnx_import_smallest_settings():
    pytest.importorskip("onnxruntime")
    proc = _run([sys.executable, os.path.join(BENCH, "onnx_import.py"), "--threads", "1",
                 "--reps", "1", "--rounds", "1"])
    report = _last_json(proc)
    assert report["benchmark"] == "onnx" and report["rounds"] == 1
    for fw in ("eddl", "ort"):
        assert report[f"{fw}_resnet50_b8_ms"] > 0 and report[f"{fw}_resnet18_import_s"] > 0
    assert set(report["spread"]) == {"eddl", "onnxruntime"}


def _image_arith(*frameworks):
    return _run([sys.executable, os.path.join(BENCH, "image_arith.py"), "--reps", "1",
                 "--rounds", "1", "--threads", "1", "--frameworks", *frameworks])


def test_image_arith_smallest_settings_ours():
    report = _last_json(_image_arith("ecvl"))
    assert report["benchmark"] == "image_arith" and set(report["rss_mib"]) == {"ecvl"}
    assert len(report["rows"]) == 6
    assert all(r["ecvl_ms"] > 0 and r["ecvl/opencv"] is None for r in report["rows"])


def test_image_arith_smallest_settings_peers():
    pytest.importorskip("cv2")
    proc = _image_arith("ecvl", "opencv", "numpy")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = _last_json(proc)
    assert all(r["ecvl/opencv"] > 0 and r["ecvl/numpy"] > 0 for r in report["rows"])


X86_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse4_2 avx2 fma avx512f avx512bw avx512_vnni
processor\t: 1
model name\t: Other
flags\t\t: fpu
"""
ARM_CPUINFO = "processor\t: 0\nFeatures\t: fp asimd sve\nCPU part\t: 0xd40\n"


def test_cpu_info_reads_model_and_simd_flags():
    procs = _load_procs()
    assert procs.cpu_info(X86_CPUINFO) == {"cpu": "AMD EPYC 9R14",
                                           "simd": ["sse4_2", "avx2", "fma", "avx512f", "avx512bw",
                                                    "avx512_vnni"]}
    arm = procs.cpu_info(ARM_CPUINFO)
    assert arm["simd"] == ["asimd", "sve"] and arm["cpu"]
    assert procs.cpu_info("")["simd"] == []
    assert procs.cpu_info()["cpu"]


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc/self/statm")
def test_live_memory_follows_what_is_kept():
    import numpy as np

    procs = _load_procs()
    before = procs.live_rss_mib()
    kept = np.ones(64 * 2 ** 20 // 8)  # 64 MiB, touched
    with_it = procs.live_rss_mib()
    del kept
    after = procs.live_rss_mib()
    assert 60 < with_it - before < 70 and abs(after - before) < 4
    assert with_it <= procs.peak_rss_mib() + 1


def test_variants_of_the_toolkit_may_import_it():
    procs = _load_procs()
    assert all(procs.is_ours(fw) for fw in ("eddl", "eddl-opt", "ecvl", "bridge-x"))
    assert not any(procs.is_ours(fw) for fw in ("onnxruntime", "torch", "eddlx", "opencv-eddl"))


def _load_inference():
    sys.path.insert(0, BENCH)
    try:
        spec = importlib.util.spec_from_file_location("_bench_inference",
                                                      os.path.join(BENCH, "inference.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(BENCH)
    return mod


def test_inference_arguments_and_output_check():
    inf = _load_inference()
    args = inf.parse_args([])
    assert (args.batch, args.threads, args.workloads) == ([1, 8], [1, 2], inf.DEFAULT_WORKLOADS)
    for bad in (["--batch", "0"], ["--threads", "-1"], ["--warmup", "-1"], ["--workloads", "vgg"],
                ["--frameworks", "torch"]):
        with pytest.raises(SystemExit):
            inf.parse_args(bad)
    head = [0.5, -2.0, 1.0]
    assert inf.outputs_agree({"eddl": {"head": head}, "onnxruntime": {"head": [0.5, -2.001, 1.0]}})
    assert not inf.outputs_agree({"eddl": {"head": head}, "onnxruntime": {"head": [0.5, -2.0, 1.01]}})
    assert not inf.outputs_agree({"eddl": {"head": head}, "onnxruntime": {"head": head[:2]}})


@pytest.mark.slow
@pytest.mark.parametrize("workload", ["resnet18", "torch-resnet18"])
def test_inference_smallest_settings(workload):
    pytest.importorskip("onnxruntime")
    import eddl

    proc = _run([sys.executable, os.path.join(BENCH, "inference.py"), "--workloads", workload,
                 "--batch", "1", "--threads", "1", "--rounds", "1", "--reps", "1", "--warmup", "0"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    row = json.loads(lines[-1])
    assert row["benchmark"] == "inference" and row["workload"] == workload
    assert (row["batch"], row["threads"]) == (1, 1)
    # the same network on both sides: the check compares the variants' outputs
    assert row["outputs_agree"] is True
    has_opt = hasattr(eddl, "optimize_for_inference")
    timed = {"eddl", "onnxruntime"} | ({"eddl-opt"} if has_opt else set())
    assert set(row["ms"]) == set(row["rss_mib"]) == timed
    assert row["unavailable"] == ([] if has_opt else ["eddl-opt"])
    for fw in timed:
        s = row["ms"][fw]
        assert 0 < s["min"] <= s["median"] <= s["max"] and row["rss_mib"][fw]["median"] > 0
        assert 0 < row["resident_mib"][fw]["median"] <= row["rss_mib"][fw]["median"] + 1
    assert math.isclose(row["eddl/ort"], row["ms"]["eddl"]["median"] / row["ms"]["onnxruntime"]["median"],
                        rel_tol=0.01)
    assert (row["eddl-opt/ort"] is None) == (not has_opt)
    table = [ln for ln in lines if ln.startswith(f"| {workload} |")]
    assert len(table) == 1 and ("unavailable" in table[0]) == (not has_opt)
    assert row["machine"]["eddl"] == eddl.__version__ and row["machine"]["cpu"]
