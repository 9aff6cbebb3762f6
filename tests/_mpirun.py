"""Starting ``mpiexec -n N`` from a test: found beside the interpreter, with a timeout.

Tests that use it are skipped when mpi4py or ``mpiexec`` is missing (``pip install '.[mpi]'``).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

import eddl

# where the toolkit under test comes from (a checkout on PYTHONPATH, or site-packages): the
# ranks must import the same one
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(eddl.__file__)))
MPIEXEC = shutil.which("mpiexec", path=os.pathsep.join(
    [os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and MPIEXEC is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec: pip install '.[mpi]'")
TIMEOUT = 120


def _command(args, n):
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    return [MPIEXEC, "-n", str(n), sys.executable, *map(str, args)], env


def start_mpi(args, n=2):
    """Start ``python *args`` on ``n`` ranks in a new session (kill it with ``os.killpg``)."""
    cmd, env = _command(args, n)
    return subprocess.Popen(cmd, cwd=tempfile.gettempdir(), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_mpi(args, n=2, timeout=TIMEOUT):
    """Run ``python *args`` on ``n`` ranks from the temporary folder, the toolkit on the path.

    Returns
    -------
    (subprocess.CompletedProcess, float)
        The finished job and its seconds. A job still running after ``timeout`` fails the test.
    """
    cmd, env = _command(args, n)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=tempfile.gettempdir(), env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(cmd)} hung for {timeout} s:\n{exc.stdout}\n{exc.stderr}")
    return proc, time.perf_counter() - t0


def ok(proc):
    """Fail with the job's output unless it exited with status 0."""
    assert proc.returncode == 0, f"mpiexec failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    # a rank's watcher speaks only when its rank ends without leaving the world normally
    assert "ended without a Python exception" not in proc.stderr, proc.stderr
