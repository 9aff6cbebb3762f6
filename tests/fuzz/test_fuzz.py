"""Seeded mutation fuzzing of every reader and parser, each in its own worker process.

Each target's seed files are mutated (bit flips, truncation, insertion, header-field
corruption, size lies; token-level edits for text formats) and read by a worker process with
a memory cap and a per-input time limit. A case fails on a crash, a hang, an exception type
that is not the library's own, an error not naming the file, a ``StopIteration`` that ends
the caller's iteration, or an allocation past the cap. A crashed or hung worker is
restarted and the campaign goes on, so one run reports every failing case.

``DH_FUZZ_CASES`` sets the cases per target (default 300, for CI); ``DH_FUZZ_SEED`` another
campaign. A failure names the target, case number and mutation, and keeps the input under
the test's temporary folder.
"""

import json
import os
import select
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the suite's helper modules
from _fuzz_mutate import mutate  # noqa: E402
from _fuzz_targets import TARGETS  # noqa: E402

CASES = int(os.environ.get("DH_FUZZ_CASES", "300"))
SEED = int(os.environ.get("DH_FUZZ_SEED", "0"))
TIME_LIMIT = float(os.environ.get("DH_FUZZ_TIME_LIMIT", "10"))  # seconds per input
MEMORY_MIB = 1024  # address space a worker may add after its imports
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_fuzz_worker.py")


class Worker:
    """One worker process for one target; restarted after a crash or a hang."""

    def __init__(self, target, folder):
        self.target, self.folder, self.proc = target, folder, None

    def start(self):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        self.err = open(os.path.join(self.folder, f"worker-{self.target}.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, WORKER, self.target, str(MEMORY_MIB)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env)
        line = self._line(120)
        if line != b"ready":
            raise RuntimeError(f"fuzz worker for {self.target} did not start ({line!r}); see "
                               f"{self.err.name}")

    def _line(self, timeout):
        fd = self.proc.stdout
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        return fd.readline().strip()

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.err.close()

    def run(self, path):
        """(outcome, detail) of one case; restarts the worker after a crash or a hang."""
        if self.proc is None:
            self.start()
        self.proc.stdin.write(path.encode() + b"\n")
        self.proc.stdin.flush()
        line = self._line(TIME_LIMIT)
        if line is None:
            self.stop()
            return "hang", f"no answer within {TIME_LIMIT} s"
        if not line:
            code = self.proc.wait()
            self.stop()
            return "crash", f"worker died with exit status {code}"
        answer = json.loads(line)
        return answer["outcome"], answer["detail"]


def _seeds(target):
    return TARGETS[target].seeds()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz(target, tmp_path):
    t = TARGETS[target]
    seeds = _seeds(target)
    if not seeds:
        pytest.skip(f"no seed files for {target}")
    worker = Worker(target, str(tmp_path))
    failures, outcomes = [], {}
    start = time.monotonic()
    try:
        for case in range(CASES):
            rng = np.random.default_rng([SEED, zlib.crc32(target.encode()), case])
            name, data, fields = seeds[case % len(seeds)]
            how, mutated = mutate(data, rng, fields, text=t.text)
            folder = os.path.join(str(tmp_path), f"case{case:05d}", t.subdir)
            os.makedirs(folder)
            path = os.path.join(folder, name)
            with open(path, "wb") as f:
                f.write(mutated)
            outcome, detail = worker.run(path)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome not in ("ok", "error"):
                failures.append(f"case {case} ({how} of {name}): {outcome}: {detail} [{path}]")
    finally:
        worker.stop()
    elapsed = time.monotonic() - start
    assert not failures, (f"{len(failures)} of {CASES} {target} cases failed "
                          f"(DH_FUZZ_SEED={SEED}):\n" + "\n".join(failures[:20]))
    # the campaign must exercise both outcomes, or the mutations miss the parser
    assert outcomes.get("error", 0) > 0, outcomes
    print(f"{target}: {outcomes} in {elapsed:.1f} s")
