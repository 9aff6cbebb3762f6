"""Worker process of the fuzz suite: reads case files of one target and reports outcomes.

Run as ``python _fuzz_worker.py TARGET MEMORY_MIB``. It caps its address space at MEMORY_MIB
above what the imports took (``resource.setrlimit``), lowers the library's own size limits
well under that cap, prints ``ready``, then for each path read on stdin prints one JSON line:
``{"outcome": "ok" | "error" | "escape" | "silent" | "memory" | "unnamed", "detail": ...}``.
A crash ends the process (the parent restarts it); a hang is the parent's timeout.
"""

import json
import os
import resource
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

LIB_LIMIT = 64 * 2 ** 20  # bytes one decoded file may take, under the library's limits


def _vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _chain(e):
    seen = []
    while e is not None and e not in seen:
        seen.append(e)
        e = e.__cause__ or e.__context__
    return seen


def classify(target, allowed, state, path):
    try:
        results = list(map(lambda p: target.run(p, state), [path]))
    except BaseException as e:  # noqa: B902 - everything is classified, nothing lost
        detail = f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
        if isinstance(e, KeyboardInterrupt):
            raise
        if any(isinstance(c, MemoryError) for c in _chain(e)):
            return "memory", detail
        if not isinstance(e, allowed):
            return "escape", detail
        if target.names_file and path not in str(e):
            return "unnamed", detail
        if "\n" in str(e).strip() and target.name not in ("ddf", "dsl"):
            return "unnamed", "message spans several lines: " + detail
        return "error", detail
    if len(results) != 1:  # a StopIteration ended map() without a word
        return "silent", "the read ended the caller's iteration"
    return "ok", ""


def main():
    name, cap_mib = sys.argv[1], int(sys.argv[2])
    import warnings

    warnings.simplefilter("ignore")
    from _fuzz_targets import TARGETS

    target = TARGETS[name]
    allowed = target.allowed()  # imports what the target needs, before the cap
    state = target.setup() if target.setup else None
    if "ecvl" in sys.modules:
        from ecvl.io import limits

        limits.set_limits(max_pixels=2 ** 22, max_bytes=LIB_LIMIT)
    if "eddl" in sys.modules:
        from eddl.tensor import safeload

        safeload.set_max_load_bytes(LIB_LIMIT)
    cap = _vm_size() + cap_mib * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.RLIM_INFINITY))
    print("ready", flush=True)
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        outcome, detail = classify(target, allowed, state, path)
        print(json.dumps({"outcome": outcome, "detail": detail}), flush=True)


if __name__ == "__main__":
    main()
