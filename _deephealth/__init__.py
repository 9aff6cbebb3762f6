"""Private runtime shared by ``ecvl`` and ``eddl``: threads, OpenMP facts, atomic writes, registries.

Both packages import this one package, so a process has one thread setting, one OpenMP
probe, one core count and one atomic writer, whichever package a kernel belongs to. It
imports neither ``ecvl`` nor ``eddl``; they stay independent of each other.
"""

import os as _os

# Our OpenMP pool and OpenBLAS's pool alternate during training; an actively spinning idle
# pool steals the cores the other one needs. This must be set before libgomp loads, and
# this package is the first thing ecvl and eddl import.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# ... but a worker that sleeps at once after a parallel region is woken through the kernel for
# the next one, tens of microseconds each time: a short spin first (a few microseconds) keeps
# back-to-back kernels fast and still hands the cores to BLAS (docs/threads.md).
_os.environ.setdefault("GOMP_SPINCOUNT", "2000")
