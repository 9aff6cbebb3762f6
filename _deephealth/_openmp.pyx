# cython: language_level=3
"""Build-time facts about OpenMP, and the instruction-set level of the C loops."""

cdef extern from "dh_config.h":
    int DH_HAVE_OPENMP
    const char* DH_BUILD_CC
    const char* DH_BUILDTYPE

cdef extern from "dh_isa.h":
    int dh_isa_level()

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int dh_omp_version(void) { return _OPENMP; }
    static int dh_omp_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int dh_omp_version(void) { return 0; }
    static int dh_omp_max_threads(void) { return 1; }
    #endif
    """
    int dh_omp_version()
    int dh_omp_max_threads()


def openmp_enabled():
    """Return True when the compiled kernels were built with OpenMP."""
    return bool(DH_HAVE_OPENMP) and dh_omp_version() != 0


def openmp_version():
    """The ``_OPENMP`` date macro the kernels were compiled with (0 without OpenMP)."""
    return dh_omp_version()


def omp_max_threads():
    """What the OpenMP runtime would use by default (1 without OpenMP)."""
    return dh_omp_max_threads()


def build_info():
    return {"compiler": DH_BUILD_CC.decode(), "buildtype": DH_BUILDTYPE.decode()}


def isa_level():
    """The instruction-set level the C loops run at (include/dh_isa.h): 4 (x86-64-v4), 3
    (x86-64-v3), 2 (x86-64-v2) or 1 (baseline x86-64; also on other CPUs), after
    ``DEEPHEALTH_ISA``."""
    return dh_isa_level()
