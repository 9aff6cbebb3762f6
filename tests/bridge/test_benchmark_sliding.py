"""benchmarks/sliding_window.py --quick runs and reports what its tables promise."""

import json
import math
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks",
                                      "sliding_window.py"))


def test_quick_run_reports_windows_times_and_memory():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    # outside the checkout, as the examples' tests: the packages come from the path
    proc = subprocess.run([sys.executable, SCRIPT, "--quick"], cwd=tempfile.gettempdir(),
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["benchmark"] == "sliding_window" and report["size"] == [24, 40, 36]
    assert [r["mode"] for r in report["volume"]] == ["constant", "gaussian"]
    for r in report["volume"]:
        # 2 x 3 x 3 windows of 16^3 (step 12) over 24 x 40 x 36, two per predictor call
        assert r["windows"] == 18 and r["predictor_calls"] == 9
        assert 0 < r["network_s"] <= r["call_s"]
        assert math.isclose(r["loop_overhead"], (r["call_s"] - r["network_s"]) / r["network_s"])
        assert r["output_mib"] == 2 * 24 * 40 * 36 * 8 / 2**20  # two float64 channels
        assert r["peak_mib"] > r["output_mib"]
        assert ("monai_call_s" in r) == (report["monai"] is not None)
    for r in report["slide"]:
        assert r["output_shape"] == [2, 24, 32] and r["peak_mib"] > 0
        assert r["network_s"] + r["read_s"] <= r["call_s"]
    assert [r["tiles"] for r in report["slide"]] == [6 * 8, 11 * 15]
    assert "loop share" in proc.stdout and "tiles/s" in proc.stdout
