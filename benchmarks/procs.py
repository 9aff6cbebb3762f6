"""One process per framework: how every benchmark in this folder times a peer fairly.

``import eddl`` and ``import ecvl`` change the process (``OMP_WAIT_POLICY=PASSIVE`` in its
environment, thread pools, BLAS limits). A peer timed in the same process afterwards, or in a
child that inherits that environment, runs under settings it would never see in a user's
program: PyTorch's OpenMP, for one, reads ``OMP_WAIT_POLICY`` when it loads. So a benchmark
script runs each measurement in a fresh child of itself::

    python script.py --child <framework> <json keyword arguments>

with the environment the script started with (copied when this module is imported, which
must happen before the toolkit is imported), alternates the frameworks over the rounds, and
reports the median and the spread (min-max) of every number the children return, together
with each child's peak resident memory.

A script defines one function per framework, taking keyword arguments and returning a dict of
numbers (and strings such as versions), and starts ``main`` with::

    if procs.is_child():
        procs.serve(RUNNERS)
        return
"""

import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys

# Frameworks whose processes may import the toolkit, and their variants ("eddl-<variant>");
# every other one must not.
OURS = ("eddl", "ecvl", "bridge")
_MARK = "PROCS-RESULT "
_TOOLKIT = "_deephealth"   # the runtime package that ``eddl`` and ``ecvl`` import first

# The environment before the toolkit touched it; None when the toolkit came first.
_START_ENV = None if _TOOLKIT in sys.modules else dict(os.environ)


def child_env():
    """The environment every child starts with: this process's before the toolkit's import.

    Returns
    -------
    dict
        A fresh copy, safe to change.

    Raises
    ------
    RuntimeError
        If ``eddl``/``ecvl`` was imported before this module, so that the environment may
        already hold what the toolkit set.
    """
    if _START_ENV is None:
        raise RuntimeError("benchmarks/procs.py was imported after eddl/ecvl: the environment it "
                           "would hand to the children may hold the toolkit's settings "
                           "(OMP_WAIT_POLICY); import procs first")
    return dict(_START_ENV)


def available(module):
    """Whether ``module`` can be imported, without importing it (nor its parents' side effects).

    Parameters
    ----------
    module : str
        A top-level module name such as ``"torch"``.

    Returns
    -------
    bool
    """
    import importlib.util

    return importlib.util.find_spec(module) is not None


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB (``getrusage(RUSAGE_SELF)``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes
    return peak / 2 ** 20 if sys.platform == "darwin" else peak / 1024


# SIMD extensions that decide which kernels NumPy, OpenBLAS, onnxruntime and the toolkit run
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl",
              "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "asimd", "sve")


def cpu_info(cpuinfo=None):
    """The CPU model and its SIMD flags, to print beside every table of timings.

    Parameters
    ----------
    cpuinfo : str, optional
        Text in the format of Linux's ``/proc/cpuinfo``; read from there by default (other
        systems give ``platform.processor()`` and no flags).

    Returns
    -------
    dict
        ``{"cpu": model name, "simd": [flags of SIMD_FLAGS the CPU has, in that order]}``.
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            cpuinfo = ""
    fields = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        # the first processor's entry stands for all: they are the same model
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    cpu = fields.get("model name") or platform.processor() or platform.machine()
    # x86 calls them "flags", ARM "Features"
    have = set((fields.get("flags") or fields.get("Features") or "").split())
    return {"cpu": cpu, "simd": [f for f in SIMD_FLAGS if f in have]}


def is_ours(framework):
    """Whether ``framework`` is the toolkit's: one of :data:`OURS` or a variant ``"eddl-opt"``.

    Parameters
    ----------
    framework : str

    Returns
    -------
    bool
    """
    return framework.split("-", 1)[0] in OURS


def live_rss_mib():
    """Resident memory of what this process still uses, in MiB; None off Linux.

    Garbage is collected and the C heap's free memory handed back to the system first (glibc's
    ``malloc_trim``), so that what a model keeps once it runs is not hidden by what its set-up
    freed (two copies of the weights while a net is rewritten, for one): freed heap memory
    otherwise stays resident. :func:`peak_rss_mib` is the high-water mark, set-up included.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: freed heap memory may stay counted
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def is_child(argv=None):
    """Whether this process was started by :func:`run_child` (``--child`` first argument)."""
    argv = sys.argv[1:] if argv is None else argv
    return bool(argv) and argv[0] == "--child"


def serve(runners, argv=None):
    """Run the measurement a parent asked for and print its result as the last stdout line.

    Parameters
    ----------
    runners : dict
        Framework name -> function taking the keyword arguments of the request and
        returning a dict of JSON-serialisable results.
    argv : list of str, optional
        ``["--child", framework, json_kwargs]``; ``sys.argv[1:]`` by default.

    Raises
    ------
    ValueError
        On a malformed request or an unknown framework.
    RuntimeError
        If a peer's run imported the toolkit into its process.
    """
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] != "--child":
        raise ValueError(f"a child expects --child <framework> <json kwargs>, got {argv}")
    framework, kwargs = argv[1], json.loads(argv[2])
    if framework not in runners:
        raise ValueError(f"unknown framework {framework!r}; this script knows {sorted(runners)}")
    result = runners[framework](**kwargs)
    if not is_ours(framework) and _TOOLKIT in sys.modules:
        raise RuntimeError(f"the {framework} child imported eddl/ecvl: its timings would not be "
                           f"under {framework}'s own settings")
    print(_MARK + json.dumps({"result": result, "rss_mib": peak_rss_mib()}), flush=True)


def run_child(script, framework, kwargs, label, timeout=None, cwd=None):
    """Run one measurement of ``framework`` in a fresh child process of ``script``.

    Parameters
    ----------
    script : str
        The benchmark script; it must call :func:`serve` when :func:`is_child`.
    framework : str
        Which of the script's runners to call.
    kwargs : dict
        JSON-serialisable keyword arguments of the runner.
    label : str
        The workload, for error messages.
    timeout : float, optional
        Seconds before the child is killed.
    cwd : str, optional
        The child's working directory (the parent's by default).

    Returns
    -------
    dict
        The runner's result, plus ``rss_mib``: the child's peak resident memory in MiB.

    Raises
    ------
    RuntimeError
        If the child fails, times out or prints no result; its stderr is printed and quoted.
    """
    cmd = [sys.executable, os.path.abspath(script), "--child", framework, json.dumps(kwargs)]
    what = f"{framework} child for {label}"
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=cwd,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{what} ran past {timeout} s") from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(_MARK)]
    if proc.returncode or not lines:
        sys.stderr.write(proc.stderr)
        reason = f"exit status {proc.returncode}" if proc.returncode else "no result printed"
        raise RuntimeError(f"{what} failed ({reason}):\n{proc.stderr.strip()[-4000:]}")
    out = json.loads(lines[-1][len(_MARK):])
    return {**out["result"], "rss_mib": out["rss_mib"]}


def summarize(samples):
    """Median and spread of every number over the rounds of one framework.

    Parameters
    ----------
    samples : list of dict
        One result per round (the same keys in each).

    Returns
    -------
    dict
        Key -> ``{"median", "min", "max"}`` for numbers (None when a round had None); other
        values (versions, names) as the first round had them.
    """
    if not samples:
        raise ValueError("no rounds to summarize")
    out = {}
    for key, first in samples[0].items():
        if isinstance(first, bool) or not isinstance(first, (int, float)):
            out[key] = first
            continue
        vals = [s[key] for s in samples]
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
            out[key] = None
            continue
        out[key] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    return out


def compare(script, frameworks, kwargs, rounds, label, timeout=None, cwd=None):
    """Alternate one child process per framework over ``rounds`` rounds; summarize each.

    The order rotates each round, so no framework always runs right after the same one.

    Parameters
    ----------
    script : str
        The benchmark script.
    frameworks : sequence of str
        The runners to compare.
    kwargs : dict or callable
        The request, the same for every framework, or a function ``framework -> dict``.
    rounds : int
        Processes per framework.
    label : str
        The workload, for error messages.
    timeout, cwd
        As in :func:`run_child`.

    Returns
    -------
    dict
        Framework -> :func:`summarize` of its rounds.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    frameworks = list(frameworks)
    if not frameworks:
        raise ValueError(f"no framework to time for {label}")
    samples = {fw: [] for fw in frameworks}
    for r in range(rounds):
        k = r % len(frameworks)
        for fw in frameworks[k:] + frameworks[:k]:
            args = kwargs(fw) if callable(kwargs) else kwargs
            samples[fw].append(run_child(script, fw, args, label, timeout, cwd))
    return {fw: summarize(s) for fw, s in samples.items()}


def pick_frameworks(requested, known, modules):
    """The frameworks to run: those requested (all known by default) whose module imports.

    Parameters
    ----------
    requested : list of str or None
        From the command line (``--frameworks``); None for every importable one.
    known : sequence of str
        The script's frameworks, ours first.
    modules : dict
        Framework -> module whose presence it needs.

    Returns
    -------
    list of str
        In the order of ``known``.

    Raises
    ------
    ValueError
        If a requested framework is unknown or not installed.
    """
    if requested is None:
        return [fw for fw in known if available(modules.get(fw, fw))]
    bad = [fw for fw in requested if fw not in known]
    if bad:
        raise ValueError(f"unknown framework(s) {bad}; choose from {list(known)}")
    missing = [fw for fw in requested if not available(modules.get(fw, fw))]
    if missing:
        raise ValueError(f"framework(s) {missing} requested but not installed for {sys.executable}")
    return [fw for fw in known if fw in requested]


def add_arguments(parser, known):
    """Add ``--frameworks`` to a script's parser (the ``--child`` request is read by :func:`is_child`)."""
    parser.add_argument("--frameworks", nargs="+", choices=list(known), default=None,
                        help="which frameworks to time (default: every installed one)")
